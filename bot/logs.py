"""Logging for every process: no log line ever shows a personal code.

``install_masking()`` wraps ``logging.Formatter.format`` so that whatever a process logs
(Rasa's structured events, Sanic's access log, tracebacks) is masked after formatting,
whichever handler or formatter prints it. Masking at ingress (``connectors.ingress``) keeps
personal codes out of messages; this is the net under everything else. The same net takes the
values of credentials and conversation identities out of URLs in access logs
(``api_key=``, ``session=``/``session_id=``, ``token=``, ``sid=``).
"""
from __future__ import annotations

import logging
import re

from bot.privacy import mask_personal_codes
from bot.settings import Settings

_format = logging.Formatter.format
_QUERY_SECRET = re.compile(r"([?&;](?:api_key|session_id|session|token|sid|access_token)=)[^&;\s\"']+", re.IGNORECASE)
QUERY_MASK = "***"


def mask_query_secrets(line: str) -> str:
    """``?api_key=abc&x=1`` → ``?api_key=***&x=1`` (and the same for the other names above)."""
    return _QUERY_SECRET.sub(rf"\1{QUERY_MASK}", line)


def _masked_format(self: logging.Formatter, record: logging.LogRecord) -> str:
    return mask_query_secrets(mask_personal_codes(_format(self, record)))


def install_masking() -> None:
    """Mask personal codes in every formatted log line of this process (idempotent)."""
    logging.Formatter.format = _masked_format  # type: ignore[method-assign]


def configure(config: Settings) -> None:
    """Plain logging for the processes that Rasa does not configure (LOG_LEVEL, default INFO)."""
    install_masking()
    logging.basicConfig(
        level=config.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
