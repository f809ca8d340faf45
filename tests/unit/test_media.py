"""Photos and places: only images are accepted, GPS is read from EXIF, nothing of the metadata is kept."""
from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

from bot.register import Register
from bot.register.media import BAD_PLACE, NOT_AN_IMAGE, MediaRefused, MediaStore, osm_link, valid_coordinates

SECRET = b"media-test-secret"


def photo_with_gps(latitude: float = 56.9496, longitude: float = 24.1052, size: tuple = (640, 480)) -> bytes:
    """A JPEG with a camera's EXIF: GPS position, maker, a comment."""
    image = Image.new("RGB", size, (120, 160, 200))
    exif = Image.Exif()
    exif[0x010F] = "Fotoaparāts SIA"  # Make
    exif[0x9286] = "Ozolu iela 7, Anna Bērziņa"  # UserComment
    gps = exif.get_ifd(0x8825)

    def dms(value: float) -> tuple:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = Fraction(round(((value - degrees) * 60 - minutes) * 60 * 1000), 1000)
        return (Fraction(degrees), Fraction(minutes), seconds)

    gps[1], gps[2] = ("N" if latitude >= 0 else "S"), dms(abs(latitude))
    gps[3], gps[4] = ("E" if longitude >= 0 else "W"), dms(abs(longitude))
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture()
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media", 10 * 1024 * 1024, SECRET)


def test_a_photo_with_exif_gps_gives_the_place_and_is_stored_without_its_exif(store: MediaStore) -> None:
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825), "the test photo has GPS"
    stored = store.accept(original, "telegram")
    assert (stored.latitude, stored.longitude) == pytest.approx((56.9496, 24.1052), abs=1e-4)
    saved = store.path(stored.sha256).read_bytes()
    assert stored.sha256 in store.path(stored.sha256).name and len(saved) == stored.bytes
    assert b"Exif" not in saved and "Fotoaparāts".encode() not in saved and b"Ozolu" not in saved
    reopened = Image.open(io.BytesIO(saved))
    assert reopened.format == "JPEG" and not reopened.getexif() and "icc_profile" not in reopened.info
    assert (reopened.width, reopened.height) == (640, 480) == (stored.width, stored.height)
    assert store.accept(original, "web").sha256 == stored.sha256, "content-addressed: the same photo once"


def test_a_text_file_named_jpg_and_a_too_large_file_are_refused_in_latvian(store: MediaStore) -> None:
    with pytest.raises(MediaRefused) as refused:
        store.accept(b"Labdien! Tas ir teksts, nevis foto.\n" * 50, "telegram")
    assert str(refused.value) == NOT_AN_IMAGE
    with pytest.raises(MediaRefused) as refused:
        store.accept(b"\xff\xd8\xff" + b"0" * (30 * 1024 * 1024), "web")
    assert "pārāk liels (30,0 MB)" in str(refused.value) and "10,0 MB" in str(refused.value)
    with pytest.raises(MediaRefused):
        store.check_size(30 * 1024 * 1024)
    assert not any(store.directory.rglob("*.jpg")) if store.directory.exists() else True


def test_tokens_and_urls_are_signed_bound_and_expire(store: MediaStore) -> None:
    stored = store.accept(photo_with_gps(), "web")
    token = store.token(stored, owner="web-abc")
    assert store.from_token(token, "web-abc") == stored
    assert store.from_token(token, "web-other") is None, "a token works only in the conversation it was made for"
    body, expires, signature = token.split(".")
    assert store.from_token(f"{body}.{int(expires) + 100}.{signature}", "web-abc") is None
    assert store.from_token(store.token(stored, "web-abc", now=0), "web-abc") is None, "expired"
    url = store.url(stored.sha256)
    assert url.startswith("/media/") and store.file_of_url(url) == store.path(stored.sha256)
    assert store.file_of_url(url.replace("&s=", "&s=x")) is None
    assert store.file_of_url(store.url(stored.sha256, now=0)) is None, "expired"
    assert store.file_of_url("/media/../../secret.key.jpg?e=9999999999&s=x") is None
    assert MediaStore(store.directory, store.max_bytes, b"other").file_of_url(url) is None


def test_impossible_coordinates_are_refused(register: Register) -> None:
    assert valid_coordinates(56.95, 24.1) and valid_coordinates(-33.9, 151.2)
    assert not any(valid_coordinates(*c) for c in [(123, 24), (56, 200), (0, 0), ("x", 1), (float("nan"), 1)])
    registration, _ = register.create(kind="service_request", kind_predicted="service_request", text="Nedeg laterna",
                                      channel="rest", sender_id="anna", service_id="street_lighting")
    with pytest.raises(ValueError):
        register.set_place(registration.reference, 123.0, 24.0)
    assert register.find(registration.reference).latitude is None
    placed = register.set_place(registration.reference, 56.9496, 24.1052)
    placed = register.set_place(registration.reference, address="Ozolu iela 7")
    assert (placed.latitude, placed.longitude, placed.address) == (56.9496, 24.1052, "Ozolu iela 7")
    assert "mlat=56.949600&mlon=24.105200" in osm_link(placed.latitude, placed.longitude)
    assert "nav derīga" in BAD_PLACE


def test_photos_attach_once_and_staff_entry_names_the_staff_member(register: Register, store: MediaStore) -> None:
    registration, _ = register.create(kind="complaint", kind_predicted="complaint", text="Bedre ceļā",
                                      channel="in_person", sender_id="entry-1", entered_by="staff:Ilze Ozola")
    stored = store.accept(photo_with_gps(), "telegram")
    assert register.add_media(registration.reference, stored)
    assert not register.add_media(registration.reference, stored)
    photos = register.media_of(registration.reference)
    assert [(p["sha256"], p["content_type"], p["source"]) for p in photos] == [(stored.sha256, "image/jpeg", "telegram")]
    assert register.history(registration.reference)[0]["changed_by"] == "staff:Ilze Ozola"
