"""Open311 without servers: the XML/JSON formatting, the retry keys and the api keys' rights."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from bot.register import Register, api_keys
from bot.register.open311 import RETRY_WINDOW_SECONDS, submission_keys
from connectors.web.open311_format import render, to_xml


def test_lists_are_spec_containers_in_xml_and_arrays_in_json() -> None:
    document = [{"service_code": "a", "metadata": True, "group": None, "attributes": [{"values": [{"key": 1}]}]}]
    root = ET.fromstring(to_xml("services", document))
    assert root.tag == "services" and [c.tag for c in root] == ["service"]
    assert root.find("service/metadata").text == "true" and root.find("service/group").text is None
    assert root.find("service/attributes/attribute/values/value/key").text == "1"
    assert json.loads(render("json", "services", document).text) == document


def test_xml_escapes_markup_keeps_latvian_letters_and_drops_what_xml_cannot_carry() -> None:
    text = "a < b & c > “d” ĀāŠšŽž\x00\x1f\tx"
    answer = render("xml", "errors", [{"code": 400, "description": text}], 400)
    assert answer.status == 400 and answer.content_type == "text/xml" and answer.charset == "utf-8"
    assert answer.text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<errors>')
    assert ET.fromstring(answer.text.encode()).find("error/description").text == "a < b & c > “d” ĀāŠšŽž\tx"


def test_retry_keys_repeat_within_the_window_and_differ_otherwise() -> None:
    now = datetime(2026, 3, 1, 12, 0, 1, tzinfo=timezone.utc)
    form = {"api_key": "k1", "service_code": "complaint", "description": "x"}
    first = submission_keys("app", None, "phone-1", form, now)
    later = submission_keys("app", None, "phone-1", {**form, "api_key": "k2"}, now + timedelta(seconds=RETRY_WINDOW_SECONDS))
    assert later[1] == first[0], "a retry in the next window finds the first post"
    assert submission_keys("app", None, "phone-1", {**form, "description": "y"}, now)[0] != first[0]
    assert submission_keys("other", None, "phone-1", form, now)[0] != first[0]
    assert submission_keys("app", None, None, form, now) == []
    assert submission_keys("app", "k-1", None, form, now) == submission_keys("app", "k-1", "d", {}, now + timedelta(days=1))


def test_api_keys_rights_listing_and_revocation(register: Register) -> None:
    own = api_keys.create(register.engine, "app")
    everything = api_keys.create(register.engine, "map", read_all=True)
    assert api_keys.client_of(register.engine, own) == api_keys.ApiClient("app", False)
    assert api_keys.client_of(register.engine, everything) == api_keys.ApiClient("map", True)
    assert api_keys.client_of(register.engine, "guess") is None and api_keys.client_of(register.engine, "") is None
    assert api_keys.revoke(register.engine, "app") and not api_keys.revoke(register.engine, "app")
    assert api_keys.client_of(register.engine, own) is None
    listed = {key.name: key for key in api_keys.all_keys(register.engine)}
    assert listed["app"].revoked_at is not None and listed["map"].read_all and listed["map"].revoked_at is None
