"""Photos and places of registrations: checked, cleaned and stored content-addressed.

A photo (from Telegram, the web widget or staff) is accepted only when it is an image
Pillow can read and no larger than the size cap; any GPS position in its EXIF is read
first, then the image is re-encoded as JPEG without any metadata (no EXIF, no ICC, no
comments) and stored under ``MEDIA_DIR`` as ``<sha256[:2]>/<sha256>.jpg`` (the same photo
is stored once). S3-compatible storage would replace ``MediaStore``'s two file operations.

Files travel between the processes as signed tokens (a channel or the portal stored the
file; the conversation carries the token to the action server, which attaches it) and
are shown to staff through signed, expiring portal URLs. Both use
``bot.privacy.signature``, keyed with a secret derived from ``PALIGS_SECRET``.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from bot import settings
from bot.privacy import b64_bytes, b64_text, signature, signature_valid
from bot.register.files import write_once

CONTENT_TYPE = "image/jpeg"
MAX_SIDE = 2560  # longer photos are scaled down to this many pixels on their longer side
MAX_PIXELS = 60_000_000  # refuse decompression bombs before decoding them
TOKEN_SECONDS = 3600
URL_SECONDS = 3600
URL_PREFIX = "/media/"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GPS_IFD = 0x8825
_PLACE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")

NOT_AN_IMAGE = ("Šis fails nav attēls, tāpēc to nepievienoju. Lūdzu, nosūtiet fotogrāfiju "
                "(JPEG, PNG vai WebP).")
BAD_PLACE = ("Šī atrašanās vieta nav derīga (platumam jābūt no −90 līdz 90 grādiem, garumam no −180 līdz "
             "180), tāpēc to nepievienoju. Lūdzu, nosūtiet atrašanās vietu vēlreiz vai uzrakstiet adresi.")


def megabytes(size: int) -> str:
    """“30,0 MB” (Latvian decimal comma)."""
    return f"{size / (1024 * 1024):.1f}".replace(".", ",") + " MB"


def too_large(size: int, limit: int) -> str:
    return (f"Fails ir pārāk liels ({megabytes(size)}); lielākais atļautais izmērs ir {megabytes(limit)}. "
            "Tāpēc to nepievienoju. Lūdzu, nosūtiet mazāku fotogrāfiju.")


class MediaRefused(ValueError):
    """A file that is not accepted; the message says why, in Latvian, for the sender."""


@dataclass(frozen=True)
class StoredMedia:
    """A stored photo, and the GPS position its EXIF gave, if any."""

    sha256: str
    content_type: str
    width: int
    height: int
    bytes: int
    source: str
    latitude: Optional[float] = None
    longitude: Optional[float] = None


def valid_coordinates(latitude: Any, longitude: Any) -> bool:
    """WGS 84 coordinates that can exist (the null island 0,0 is taken for a missing fix)."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0.0, 0.0)


def place_payload(latitude: float, longitude: float) -> str:
    """A location as the ``place`` entity carries it."""
    return f"{latitude:.6f},{longitude:.6f}"


def parse_place(value: Any) -> Optional[tuple[float, float]]:
    """``"lat,lon"`` as numbers (not checked for range), or None."""
    match = _PLACE.match(str(value or ""))
    return (float(match.group(1)), float(match.group(2))) if match else None


def osm_link(latitude: float, longitude: float) -> str:
    return f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}#map=18/{latitude:.6f}/{longitude:.6f}"


def _degrees(value: Any, ref: Any) -> Optional[float]:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    return -result if str(ref).strip().upper() in ("S", "W") else result


def exif_position(image: Any) -> Optional[tuple[float, float]]:
    """The GPS position in an image's EXIF, when it has a valid one."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
    except Exception:  # broken EXIF is as good as none
        return None
    if not gps:
        return None
    latitude, longitude = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
    if latitude is None or longitude is None or not valid_coordinates(latitude, longitude):
        return None
    return round(latitude, 6), round(longitude, 6)


def photo_path(folder: Path, sha256: str) -> Path:
    """Where a stored photo lives under the media folder (``ValueError`` for a name that is not a SHA-256)."""
    if not _SHA256.match(sha256):
        raise ValueError("not a sha256")
    return folder / sha256[:2] / f"{sha256}.jpg"


class MediaStore:
    """Accepts photos into ``directory`` and signs tokens and URLs for them."""

    def __init__(self, directory: Path, max_bytes: int, secret: bytes) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._key = settings.derive(secret, "media").encode()

    def path(self, sha256: str) -> Path:
        return photo_path(self.directory, sha256)

    def check_size(self, size: Optional[int]) -> None:
        """Refuse a file announced larger than the cap before downloading it."""
        if size is not None and size > self.max_bytes:
            raise MediaRefused(too_large(size, self.max_bytes))

    def accept(self, data: bytes, source: str) -> StoredMedia:
        """Check, clean and store a photo; ``MediaRefused`` (Latvian) when it is not accepted."""
        from PIL import Image, ImageOps, UnidentifiedImageError

        self.check_size(len(data))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                probe = Image.open(io.BytesIO(data))
                if probe.width * probe.height > MAX_PIXELS:
                    raise MediaRefused(NOT_AN_IMAGE)
                probe.verify()
                image = Image.open(io.BytesIO(data))
                position = exif_position(image)
                image = ImageOps.exif_transpose(image)
                image.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
                Image.DecompressionBombWarning) as error:
            if isinstance(error, MediaRefused):
                raise
            raise MediaRefused(NOT_AN_IMAGE) from error
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85, optimize=True)  # no exif=, icc_profile=: no metadata
        cleaned = out.getvalue()
        sha256 = hashlib.sha256(cleaned).hexdigest()
        write_once(self.path(sha256), cleaned)
        latitude, longitude = position or (None, None)
        return StoredMedia(sha256, CONTENT_TYPE, image.width, image.height, len(cleaned), source, latitude, longitude)

    def token(self, media: StoredMedia, owner: str, now: Optional[float] = None) -> str:
        """A token that lets the conversation of ``owner`` (its sender id) attach this photo."""
        body = b64_text(json.dumps({**asdict(media), "for": owner}, separators=(",", ":")).encode())
        expires = int((time.time() if now is None else now) + TOKEN_SECONDS)
        return f"{body}.{expires}.{signature(self._key, 'photo:' + body, expires)}"

    def from_token(self, token: str, owner: str) -> Optional[StoredMedia]:
        """The photo a token names, if it is genuine, unexpired, issued to ``owner`` and stored."""
        try:
            body, expires, given = str(token).split(".")
            if not signature_valid(self._key, "photo:" + body, int(expires), given):
                return None
            fields = json.loads(b64_bytes(body))
            if fields.pop("for", None) != owner:
                return None
            media = StoredMedia(**fields)
            return media if self.path(media.sha256).is_file() else None
        except (ValueError, TypeError):
            return None

    def url(self, sha256: str, now: Optional[float] = None) -> str:
        """A portal path that shows the photo for ``URL_SECONDS``."""
        expires = int((time.time() if now is None else now) + URL_SECONDS)
        return f"{URL_PREFIX}{sha256}.jpg?e={expires}&s={signature(self._key, 'media:' + sha256, expires)}"

    def file_of_url(self, url: str) -> Optional[Path]:
        """The stored file a signed URL (or path) names, or None when forged, expired or missing."""
        parts = urlsplit(url)
        name = parts.path.rsplit("/", 1)[-1]
        if not parts.path.startswith(URL_PREFIX) and URL_PREFIX not in parts.path:
            return None
        sha256 = name[:-4] if name.endswith(".jpg") else name
        query = parse_qs(parts.query)
        try:
            expires, given = int(query["e"][0]), query["s"][0]
            path = self.path(sha256)
        except (KeyError, ValueError, IndexError):
            return None
        if not signature_valid(self._key, "media:" + sha256, expires, given):
            return None
        return path if path.is_file() else None


def open_configured_media() -> MediaStore:
    """The media store named by the settings (MEDIA_DIR, MEDIA_MAX_MB, PALIGS_SECRET)."""
    config = settings.load()
    return MediaStore(config.media_dir, config.media_max_bytes, config.secret())
