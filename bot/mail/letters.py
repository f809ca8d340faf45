"""One letter read from the mailbox, parsed with the standard ``email`` package.

``parse_letter`` never raises: a letter it cannot fully read still gives whatever text it
holds, with ``defects`` saying what was wrong, so it is registered and staff can look.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Optional

from bot.mail.text import html_to_text, own_words
from bot.privacy import mask_personal_codes
from bot.register.attachments import IncomingFile

BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|atb|pārs|pars)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
FALLBACK_CHARSETS = ("utf-8", "cp1257")  # undeclared or unknown: UTF-8, else the Baltic Windows code page


@dataclass(frozen=True)
class Letter:
    """What intake needs of a letter; text, subject and file names have personal codes masked."""

    message_id: Optional[str]
    raw_digest: str  # SHA-256 of the raw letter: its key when it has no Message-ID
    sender: str  # the From address, lower case ("" when there is none)
    subject: str
    text: str  # the letter's own words
    replied_to: tuple[str, ...]  # Message-IDs named by In-Reply-To and References
    automatic: Optional[str]  # why it is not a resident's letter (auto-reply, bounce, bulk), or None
    attachments: tuple[IncomingFile, ...] = ()
    defects: tuple[str, ...] = field(default=())

    @property
    def topic(self) -> str:
        """The subject without "Re:", "Fwd:", "Atb:" prefixes."""
        return _REPLY_PREFIX.sub("", self.subject).strip()

    @property
    def for_classifier(self) -> str:
        """Subject and text together, as the classifier reads them."""
        return "\n".join(part for part in (self.topic, self.text) if part)


def decode(data: bytes, charset: Optional[str]) -> str:
    """Bytes in the declared charset; an unknown or wrong one falls back to UTF-8, then windows-1257."""
    for candidate in ((charset,) if charset else ()) + FALLBACK_CHARSETS:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1257", errors="replace")


def _part_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    text = decode(data, part.get_content_charset())
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def _is_attachment(part: Message) -> bool:
    if part.is_multipart() or part.get_content_maintype() == "multipart":
        return False
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or bool(part.get_filename()) or part.get_content_maintype() not in ("text",)


def _body_part(message: Message) -> Optional[Message]:
    """The text part to read: plain text preferred, else HTML, else the first text part."""
    if isinstance(message, EmailMessage):
        try:
            body = message.get_body(preferencelist=("plain", "html"))
        except Exception:
            body = None
        if body is not None and not _is_attachment(body):
            return body
    return next((p for p in message.walk() if p.get_content_maintype() == "text" and not _is_attachment(p)), None)


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot make sense of
        return ""
    return str(value or "").strip()


def automatic_reason(message: Message, sender: str) -> Optional[str]:
    """Why a letter was written by a machine (RFC 3834 and common practice), or None."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if sender.split("@")[0] in BOUNCE_SENDERS:
        return f"sender {sender.split('@')[0]}"
    precedence = _header(message, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "X-Autoreply"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    return None


def _salvaged_text(raw: bytes) -> str:
    """The readable lines of a letter whose MIME structure is broken (headers, boundaries and
    encoded lines left out)."""
    body = raw.split(b"\r\n\r\n", 1)[-1] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[-1]
    lines = decode(body, None).splitlines()
    return "\n".join(line for line in lines if not re.match(r"^(--\S|Content-[\w-]+:|[A-Za-z0-9+/=%]{20,}$)", line))


def parse_letter(raw: bytes) -> Letter:
    """The letter's sender, subject, own words, replied-to Message-IDs, files and defects."""
    try:
        return _parse(raw)
    except Exception as error:  # the parser is lenient; this is the last resort
        return Letter(None, hashlib.sha256(raw).hexdigest(), "", "", mask_personal_codes(own_words(_salvaged_text(raw))),
                      (), None, defects=(f"neizdevās nolasīt: {type(error).__name__}",))


def _parse(raw: bytes) -> Letter:
    digest = hashlib.sha256(raw).hexdigest()
    defects: list[str] = []
    message = BytesParser(policy=policy.default).parsebytes(raw)
    sender = parseaddr(_header(message, "From"))[1].lower()
    message_ids = _MESSAGE_ID.findall(_header(message, "Message-ID"))
    replied = tuple(_MESSAGE_ID.findall(_header(message, "In-Reply-To") + " " + _header(message, "References")))
    body = _body_part(message)
    text = ""
    files: list[IncomingFile] = []
    for part in message.walk():
        defects.extend(type(defect).__name__ for defect in part.defects)
        if part is body or not _is_attachment(part):
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:
            data = b""
        if isinstance(data, bytes):
            name = part.get_filename() or f"pielikums-{len(files) + 1}"
            files.append(IncomingFile(mask_personal_codes(name), part.get_content_type(), data))
    if body is not None:
        try:
            text = _part_text(body)
        except Exception as error:
            defects.append(f"teksts: {type(error).__name__}")
    if not text.strip() and defects:  # broken structure: read what is there, MIME lines left out
        text = _salvaged_text(raw)
    if not sender:
        defects.append("nav sūtītāja adreses")
    return Letter(
        message_id=message_ids[0] if message_ids else None,
        raw_digest=digest,
        sender=sender,
        subject=mask_personal_codes(_header(message, "Subject"))[:300],
        text=mask_personal_codes(own_words(text)),
        replied_to=replied,
        automatic=automatic_reason(message, sender),
        attachments=tuple(files),
        defects=tuple(dict.fromkeys(defects)),
    )
