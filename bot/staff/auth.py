"""How staff prove who they are: scrypt password hashes and short-lived signed tokens.

Web logins get a token from the portal's staff page; the staff chat channel verifies it on
every message. A token names the login's token generation (``staff_members``): logging out
moves the generation on, so the token is refused from then on, whatever its expiry.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Optional

from bot import settings
from bot.privacy import b64_bytes, b64_text, keyed_digest

SCRYPT = {"n": 2**14, "r": 8, "p": 1}
TOKEN_SECONDS = 30 * 60
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_matches(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def _signature(key: str, body: str) -> str:
    return b64_text(keyed_digest(key.encode(), body))


def issue_token(key: str, login: str, seconds: int = TOKEN_SECONDS, now: Optional[float] = None,
                generation: int = 0) -> str:
    """A signed token naming the login and its token generation, valid for ``seconds``."""
    claims = {"login": login, "gen": generation, "exp": int((now or time.time()) + seconds)}
    body = b64_text(json.dumps(claims).encode())
    return f"{body}.{_signature(key, body)}"


def verify_token(key: str, token: str, now: Optional[float] = None) -> Optional[str]:
    """The login a token names, or None when it is forged, tampered with or expired."""
    claims = verified_claims(key, token, now)
    return claims[0] if claims else None


def verified_claims(key: str, token: str, now: Optional[float] = None) -> Optional[tuple[str, int]]:
    """(login, token generation) of a genuine unexpired token, else None."""
    try:
        body, signature = token.split(".")
        if not hmac.compare_digest(_signature(key, body), signature):
            return None
        claims = json.loads(b64_bytes(body))
    except (ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("login"), str):
        return None
    generation = claims.get("gen", 0)
    if not isinstance(generation, int) or not claims.get("exp", 0) > (now or time.time()):
        return None
    return claims["login"], generation


def token_key(config: settings.Settings) -> str:
    """The key that signs staff tokens (the portal signs, the Rasa server verifies)."""
    return config.derived_secret("staff-token")
