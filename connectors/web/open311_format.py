"""GeoReport v2 documents as XML or JSON: the one place Open311 answers are formatted.

An answer is built once, JSON-shaped (dicts, lists, str, int, float, bool, None), with the
name of its XML root. XML follows the spec's examples: no namespace, the UTF-8 declaration,
a list under ``key`` becomes ``<key>`` with one child element per item (``services`` →
``service``, ``attributes`` → ``attribute`` …), None an empty element, booleans
``true``/``false``. JSON is the spec's Spark mapping of that XML: the root element
disappears, and every such container is an array, even with one item.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from aiohttp import web

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml", "json": "application/json"}
# The element name of one item in each container the spec defines (and discovery's).
ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "service_request_updates": "request_update",
}
# Characters XML 1.0 cannot carry at all (C0 controls but tab, newline, carriage return).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_IN_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _fill(ET.SubElement(element, name), inner)
    elif isinstance(value, list):
        item_name = ITEM_NAMES[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_name), item)
    elif value is not None:
        element.text = _text(value)


def to_xml(root: str, document: Any) -> str:
    """The document as a GeoReport XML text (declaration, no namespace, indented)."""
    element = ET.Element(root)
    _fill(element, document)
    ET.indent(element)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode") + "\n"


def render(fmt: str, root: str, document: Any, status: int = 200) -> web.Response:
    """The answer in the format the path's extension asked for, with the spec's content type."""
    body = to_xml(root, document) if fmt == "xml" else json.dumps(document, ensure_ascii=False)
    return web.Response(text=body, status=status, content_type=CONTENT_TYPES[fmt], charset="utf-8")


def error(fmt: str, status: int, description: str) -> web.Response:
    """The spec's error list: ``<errors><error><code>…`` / ``[{"code", "description"}]``."""
    return render(fmt, "errors", [{"code": status, "description": description}], status)
