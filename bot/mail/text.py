"""A letter's own words: HTML turned into text, quoted earlier mail and signatures dropped.

Mail clients quote in many ways; these are the ones residents' letters carry: ``> `` lines,
an attribution line ("On … wrote:", Latvian "… rakstīja:"), Outlook's header block or
"Original Message" line, Gmail's and others' ``<blockquote>``; a signature starts at ``-- ``.
"""
from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
                     "section", "article", "header", "footer", "hr", "pre"})
_SKIPPED = frozenset({"script", "style", "head", "title", "blockquote"})
_ATTRIBUTION = re.compile(r"(wrote|rakst[iī]ja|написал[аи]?|schrieb)\s*:\s*$", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^\s*(?:(?:On|Am|Le|El)\b|\d{1,4}[./-]|[A-ZĀ-Ž][a-zā-ž]+,? \d{1,2}\b)")
_SEPARATOR = re.compile(r"^\s*-{2,}\s*(Original|Forwarded|Orģin|Oriģin|Sākotn|Pārsūt)", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\**(From|No|Nosūtītājs|Sūtītājs)\**\s*:\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\**(Sent|Date|Nosūtīts|Datums)\**\s*:\s*\S", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(r"^\s*(Sent from my|Nosūtīts no (mana|manas|mans))\b", re.IGNORECASE)
_BLANK_RUNS = re.compile(r"\n{3,}")


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.skipping:  # inside a skipped element: only count the nesting that closes it
            self.skipping += tag in _SKIPPED or tag == "div"
            return
        quoted = tag == "div" and any(name == "class" and value and "quote" in value for name, value in attrs)
        if tag in _SKIPPED or quoted:
            self.skipping = 1
            return
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("• ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in ("br", "hr") and not self.skipping:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag in _SKIPPED or tag == "div":
                self.skipping -= 1
            return
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The visible text of an HTML body, quoted parts (``blockquote``, ``*quote`` divs) left out."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; anything it still trips on leaves tags stripped by hand
        return unescape(re.sub(r"<[^>]+>", " ", html))
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def own_words(text: str) -> str:
    """The letter without quoted earlier mail, the signature and a mobile footer."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.rstrip() in ("--", "-- ") or _SEPARATOR.match(line) or _MOBILE_FOOTER.match(line):
            break
        if _HEADER_FROM.match(line) and any(_HEADER_SENT.match(later) for later in lines[index + 1:index + 5]):
            break
        if _ATTRIBUTION.search(line):
            if kept and kept[-1].strip() and _ATTRIBUTION_START.match(kept[-1]) and not _ATTRIBUTION_START.match(line):
                kept.pop()  # "On Mon, 1 Dec 2026 at 10:00, Anna <anna@…>" wrapped before "wrote:"
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return _BLANK_RUNS.sub("\n\n", "\n".join(kept)).strip()
