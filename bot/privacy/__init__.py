"""Personal data protection: masking personal codes, hashing identifiers and codes; and, as
``python -m bot.privacy erase REFERENCE --by NAME`` / ``purge``, erasure and retention
(``bot.register.retention``)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import Optional

# Old form DDMMYY-XNNNN (a valid day and month), new form 32NNNN-NNNNN (since 2017). Between the
# two parts people type nothing, a space, or any dash (hyphen-minus, hyphen, non-breaking hyphen,
# figure dash, en and em dash, minus sign, small and full-width hyphen-minus) with or without
# spaces around it.
_SPACE = r"[ \t\u00a0\u2007\u202f]"
_DASH = r"[-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]"
_SEPARATOR = rf"(?:{_SPACE}{{0,3}}{_DASH}{_SPACE}{{0,3}}|\s?)"
_PERSONAL_CODE = re.compile(
    rf"(?<!\d)(?:(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{{2}}{_SEPARATOR}[0-2]\d{{4}}"
    rf"|3[2-9]\d{{4}}{_SEPARATOR}\d{{5}})(?!\d)"
)
PERSONAL_CODE_MASK = "[personas kods]"
_ACCESS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACCESS_CODE_LENGTH = 8


def mask_personal_codes(text: str) -> str:
    """Replace every Latvian personal code in the text by a placeholder."""
    return _PERSONAL_CODE.sub(PERSONAL_CODE_MASK, text)


def keyed_digest(secret: bytes, value: str) -> bytes:
    """HMAC-SHA256 of a value under a secret: the one keyed hash every part uses."""
    return hmac.new(secret, value.encode(), hashlib.sha256).digest()


def keyed_hash(secret: bytes, value: str) -> str:
    """``keyed_digest`` as hex."""
    return keyed_digest(secret, value).hex()


def new_access_code() -> str:
    """A random access code that is easy to read back (no 0/O, 1/I)."""
    return "".join(secrets.choice(_ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


def submission_access_code(secret: bytes, submission_key: str) -> str:
    """The access code of one form submission: the same each time it is submitted again."""
    digest = keyed_digest(secret, f"access-code:{submission_key}")
    return "".join(_ACCESS_CODE_ALPHABET[byte % len(_ACCESS_CODE_ALPHABET)] for byte in digest[:ACCESS_CODE_LENGTH])


def normalise_access_code(code: str) -> str:
    """Access codes are case-insensitive and may be typed with spaces or dashes."""
    return re.sub(r"[\s-]", "", code).upper()


def b64_text(data: bytes) -> str:
    """URL-safe base64 without padding (tokens, signatures)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_bytes(text: str) -> bytes:
    """The inverse of ``b64_text`` (``ValueError`` for text that is not base64)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signature(secret: bytes, message: str, expires_at: int) -> str:
    """A signature of ``message`` valid until ``expires_at`` (Unix seconds): the one signing helper
    (signed media URLs and photo tokens)."""
    return b64_text(keyed_digest(secret, f"{expires_at}:{message}")[:18])


def signature_valid(secret: bytes, message: str, expires_at: int, given: str, now: Optional[float] = None) -> bool:
    """Whether ``given`` signs ``message`` and has not expired."""
    if expires_at <= (time.time() if now is None else now):
        return False
    return hmac.compare_digest(signature(secret, message, expires_at), given or "")
