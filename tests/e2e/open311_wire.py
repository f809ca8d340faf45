"""The PyPI ``open311`` 1.1 client (Python 2 only, XML) as it behaves on the wire.

It does not import on Python 3, so its requests are replayed byte for byte as it makes
them (urllib2: these headers, no Accept, ``jurisdiction_id`` on every GET even when empty,
``api_key`` only on the POST and only in its query string, the singular ``service/{code}``
path, the POST to the endpoint as configured, so ``…/v2//requests.xml`` when it ends in
``/``) and its answers parsed as its ``xml2dict`` parses them (root kept as the only key,
text not stripped, one child a dict, several a list, empty element None), raising on any
non-2xx status like ``urllib2.HTTPError``.
"""
from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from typing import Any, Optional
from urllib.parse import urlencode, urlsplit


class HTTPError(Exception):
    """What urllib2 raises for a status outside 200-299 (the client never reads the body)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def _node(node: ET.Element) -> Any:
    """``XML2Dict._parse_node`` (xml2dict.py:19-49), ported."""
    tree: dict = {}
    if node.text and node.attrib:
        node.attrib[node.tag] = node.text
        node.text = ""
    if node.text and node.text.strip():
        return node.text
    tree.update(node.attrib)
    for child in node:
        sub = _node(child)
        if child.tag not in tree:
            tree[child.tag] = sub
        elif isinstance(tree[child.tag], list):
            tree[child.tag].append(sub)
        else:
            tree[child.tag] = [tree[child.tag], sub]
    return tree or None


def xml2dict(body: bytes) -> dict:
    """``XML2Dict.fromstring``: ``{root tag: tree}``; a namespace would make every key a tuple."""
    root = ET.fromstring(body)
    assert "}" not in root.tag, "namespaced XML breaks the open311 client"
    return {root.tag: _node(root)}


class Open311Py2:
    """``open311.Open311(endpoint=…, api_key=…, jurisdiction=…)`` with the default XML format."""

    def __init__(self, endpoint: str, api_key: str = "", jurisdiction: str = "", format: str = "xml") -> None:
        self.endpoint, self.api_key, self.jurisdiction, self.format = endpoint, api_key, jurisdiction, format
        self.base_url = endpoint.rstrip("/")  # GETs strip the trailing slash (api.py:58-63), the POST does not

    def _send(self, method: str, url: str, body: Optional[str] = None) -> bytes:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.putrequest(method, parts.path + (f"?{parts.query}" if parts.query else ""), skip_host=True,
                              skip_accept_encoding=True)
        connection.putheader("Accept-Encoding", "identity")
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.putheader("Host", parts.netloc)
        if body is not None:
            connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Connection", "close")
        connection.putheader("User-Agent", "Python-urllib/2.7")
        connection.endheaders(body.encode() if body is not None else None)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        if not 200 <= answer.status < 300:
            raise HTTPError(answer.status, data)
        return data

    def _get(self, directory: str, params: list[tuple[str, str]]) -> Any:
        data = self._send("GET", f"{self.base_url}/{directory}?{urlencode(params)}")
        return xml2dict(data) if self.format == "xml" else json.loads(data)

    def service_list(self) -> Any:
        return self._get("services.xml", [("jurisdiction_id", self.jurisdiction)])["services"]["service"]

    def service_definition(self, code: str) -> Any:
        return self._get(f"service/{code}.{self.format}", [("jurisdiction_id", self.jurisdiction)])

    def service_requests(self, params: list[tuple[str, str]]) -> Any:
        """``params`` in the order Python 2's dict gave them, ``jurisdiction_id`` among them."""
        return self._get(f"requests.{self.format}", params)["service_requests"]["request"]

    def get_service_request(self, request_id: str) -> Any:
        return self._get(f"requests/{request_id}.{self.format}", [("jurisdiction_id", self.jurisdiction)])

    def post_service_request(self, fields: list[tuple[str, str]]) -> Any:
        query = urlencode([("api_key", self.api_key), ("jurisdiction_id", self.jurisdiction)])
        data = self._send("POST", f"{self.endpoint}/requests.{self.format}?{query}", urlencode(fields))
        return xml2dict(data) if self.format == "xml" else json.loads(data)

    def request_id_from_token(self, token: str) -> Any:
        return self._get(f"tokens/{token}.{self.format}",
                         [("jurisdiction_id", self.jurisdiction)])["service_requests"]["request"]
