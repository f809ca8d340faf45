"""Open311 GeoReport v2 on the portal, driven as two independent PyPI clients drive it.

The XML ``open311`` client (Python 2) is replayed on the wire and parsed as it parses
(``open311_wire``); the JSON/XML ``georeport`` client runs itself (it has no POST: posted
raw). Then raw requests pin the spec's XML, filters, paging, retries, bad values, and who
may read what.
"""
from __future__ import annotations

import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
import requests
import xmltodict
from georeport import GeoReport
from sqlalchemy import update

from bot.register import api_keys
from bot.register.schema import registrations
from tests.conftest import ROOT
from tests.e2e.conftest import Stack
from tests.e2e.open311_wire import HTTPError, Open311Py2, xml2dict

API = "/open311/v2"
JURISDICTION = "priedaine.lv"  # OPEN311_JURISDICTION's default
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"]
UPDATE_FIELDS = ["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"]


def staff_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.staff", "apikey", *args], cwd=ROOT, env=stack.env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def portal(stack: Stack) -> Iterator[str]:
    from tests.e2e.test_web_widget import start_portal

    process, url = start_portal(stack, stack.rasa_port)
    yield url.rstrip("/") + API
    process.terminate()


@pytest.fixture(scope="module")
def keys(stack: Stack) -> dict[str, str]:
    """An app's key (own requests), another app's, and a read-all key, made as operators make them."""
    created = staff_cli(stack, "--name", "Pilsētas lietotne")
    assert created.returncode == 0, created.stderr
    app = created.stdout.strip()
    assert len(app) >= 30
    again = staff_cli(stack, "--name", "Pilsētas lietotne")
    assert again.returncode == 1 and "exists" in again.stderr
    everything = staff_cli(stack, "--name", "Pilsētas karte", "--read-all")
    assert everything.returncode == 0, everything.stderr
    other = api_keys.create(stack.register.engine, "Cita lietotne")
    return {"app": app, "other": other, "all": everything.stdout.strip()}


@pytest.fixture(scope="module")
def sample(stack: Stack) -> dict[str, str]:
    """From the chat: a complaint (decided, with an internal and an applicant's note), an old closed
    suggestion, a lighting request."""
    complaint, _ = stack.register.create(kind="complaint", kind_predicted="complaint", channel="rest",
                                         sender_id="o311-a", text="Nav izvesti atkritumi Liepu ielā 4",
                                         contact="anna@example.lv")
    stack.register.change_status(complaint.reference, "in_review", "Ilze", "iekšēja piezīme")
    stack.register.change_status(complaint.reference, "decided", "Ilze", "Izvedīsim rīt")
    suggestion, _ = stack.register.create(kind="suggestion", kind_predicted="suggestion", channel="rest",
                                          sender_id="o311-b", text="Ierosinu soliņus parkā")
    stack.register.change_status(suggestion.reference, "closed", "Ilze", "Soliņi uzstādīti")
    light, _ = stack.register.create(kind="service_request", kind_predicted="service_request", channel="rest",
                                     sender_id="o311-c", text="Nedeg laterna pie skolas", service_id="street_lighting")
    with stack.register.engine.begin() as conn:
        conn.execute(update(registrations).where(registrations.c.reference == suggestion.reference)
                     .values(created_at=datetime(2026, 1, 10, 9, 0, tzinfo=timezone.utc)))
    return {"complaint": complaint.reference, "suggestion": suggestion.reference, "light": light.reference}


def get(url: str, **params: Any) -> requests.Response:
    return requests.get(url, params=params, timeout=30)


def post(url: str, data: Any, **kwargs: Any) -> requests.Response:
    return requests.post(url, data=data, timeout=30, **kwargs)


def ids(answer: requests.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r["service_request_id"] for r in answer.json()]


def w3c(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_error(answer: requests.Response, status: int, fmt: str = "json") -> str:
    """The spec's error format in the asked format; returns the description."""
    assert answer.status_code == status, answer.text
    if fmt == "xml":
        assert answer.headers["Content-Type"] == "text/xml; charset=utf-8"
        root = ET.fromstring(answer.content)
        assert root.tag == "errors" and [e.tag for e in root] == ["error"]
        assert [c.tag for c in root[0]] == ["code", "description"] and root[0][0].text == str(status)
        return root[0][1].text or ""
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    (body,) = answer.json()
    assert body["code"] == status and body["description"]
    return body["description"]


def assert_spec_xml(answer: requests.Response, root: str) -> ET.Element:
    assert answer.status_code in (200, 201), answer.text
    assert answer.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert answer.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert b"xmlns" not in answer.content
    element = ET.fromstring(answer.content)
    assert element.tag == root
    return element


# ----- the two PyPI clients, start to end

def test_the_open311_client_end_to_end(stack: Stack, portal: str, keys: dict[str, str]) -> None:
    client = Open311Py2(portal, api_key=keys["app"], jurisdiction=JURISDICTION)
    services = client.service_list()
    by_code = {s["service_code"]: s for s in services}
    assert {"complaint", "suggestion", "service_request", "street_lighting"} <= set(by_code)
    assert by_code["street_lighting"]["metadata"] == "true" and by_code["complaint"]["type"] == "realtime"

    definition = client.service_definition("street_lighting")["service_definition"]
    attribute = definition["attributes"]["attribute"]
    assert definition["service_code"] == "street_lighting"
    assert attribute["code"] == "contact_consent" and attribute["datatype"] == "singlevaluelist"
    assert [v["key"] for v in attribute["values"]["value"]] == ["yes", "no"]

    # The field order Python 2's dict gives these keys; the body is UTF-8 bytes, as the client must send it.
    created = client.post_service_request([
        ("first_name", "Jānis"), ("last_name", "Bērziņš"), ("description", "Nedeg laterna Ozolu ielā"),
        ("service_code", "street_lighting"), ("attribute[contact_consent]", "yes"), ("lat", "56.9496"),
        ("address_string", "Ozolu iela 7, Priedaine"), ("phone", "+371 20000000"), ("long", "24.1052"),
        ("email", "janis@example.lv"), ("media_url", "https://example.lv/bildes/laterna.jpg")])
    request = created["service_requests"]["request"]
    reference, token = request["service_request_id"], request["token"]
    assert reference.startswith("P-") and request["account_id"] is None
    assert request["access_code"] in request["service_notice"]

    stored = stack.register.find(reference)
    assert stored.channel == "open311" and stored.service_id == "street_lighting"
    assert (stored.latitude, stored.longitude, stored.address) == (56.9496, 24.1052, "Ozolu iela 7, Priedaine")
    assert stored.media_url == "https://example.lv/bildes/laterna.jpg"
    assert stored.contact == "Jānis Bērziņš; janis@example.lv; +371 20000000"

    assert client.request_id_from_token(token) == {"service_request_id": reference, "token": token}
    one = client.get_service_request(reference)["service_requests"]["request"]
    assert one["service_request_id"] == reference and one["status"] == "open"
    assert (one["lat"], one["long"]) == ("56.9496", "24.1052")
    assert one["description"] is None and one["address"] is None, "the client sends no key on GET: no free text"
    assert client.service_requests([("service_request_id", reference),
                                    ("jurisdiction_id", JURISDICTION)])["service_request_id"] == reference
    today = datetime.now(timezone.utc)
    for order in (["status", "end_date", "start_date", "jurisdiction_id", "service_code"],
                  ["status", "jurisdiction_id", "start_date", "end_date", "service_code"]):
        values = {"status": "open", "end_date": w3c(today + timedelta(minutes=5)),
                  "start_date": w3c(today - timedelta(days=1)), "jurisdiction_id": JURISDICTION,
                  "service_code": "street_lighting"}
        found = client.service_requests([(name, values[name]) for name in order])
        found = found if isinstance(found, list) else [found]
        assert reference in {r["service_request_id"] for r in found}
        assert {r["service_code"] for r in found} == {"street_lighting"}

    stack.register.change_status(reference, "in_review", "Ilze", None)
    stack.register.change_status(reference, "resolved", "Ilze", "Laterna nomainīta & deg")
    updates = requests.get(f"{portal}/servicerequestupdates.xml", timeout=30, params={
        "api_key": keys["app"], "start_date": w3c(today - timedelta(hours=1)),
        "end_date": w3c(datetime.now(timezone.utc) + timedelta(minutes=1)), "jurisdiction_id": JURISDICTION})
    parsed = xml2dict(updates.content)["service_request_updates"]["request_update"]
    mine = [u for u in (parsed if isinstance(parsed, list) else [parsed]) if u["service_request_id"] == reference]
    assert [(u["status"], u["description"]) for u in mine] == [("open", None), ("closed", "Laterna nomainīta & deg")]
    assert all(W3C.match(u["updated_datetime"]) and u["update_id"] for u in mine)
    assert client.get_service_request(reference)["service_requests"]["request"]["status"] == "closed"


def test_the_open311_client_quirks_are_accepted(stack: Stack, portal: str, keys: dict[str, str]) -> None:
    """An endpoint configured with a trailing slash (POST to ``v2//requests.xml``), no jurisdiction
    configured (``jurisdiction_id=`` everywhere), and its JSON mode where the client can parse it."""
    client = Open311Py2(portal + "/", api_key=keys["app"])
    created = client.post_service_request([("description", "Bedre ceļā"), ("service_code", "complaint")])
    reference = created["service_requests"]["request"]["service_request_id"]
    assert reference.startswith("S-")
    assert client.get_service_request(reference)["service_requests"]["request"]["service_code"] == "complaint"
    as_json = Open311Py2(portal, api_key=keys["app"], format="json")
    assert as_json.service_definition("complaint")["attributes"][0]["code"] == "contact_consent"
    assert as_json.get_service_request(reference)[0]["service_request_id"] == reference
    with pytest.raises(HTTPError) as refused:
        Open311Py2(portal, api_key="guess").post_service_request([("service_code", "complaint")])
    assert refused.value.status == 403 and b"<errors>" in refused.value.body
    with pytest.raises(HTTPError) as unknown:
        client.service_definition("nav_tada")
    assert unknown.value.status == 404


def test_the_georeport_client_end_to_end(stack: Stack, portal: str, keys: dict[str, str]) -> None:
    client = GeoReport(portal, jurisdiction=JURISDICTION)
    services = client.get_service_list()
    assert all(list(s) == SERVICE_FIELDS and s["metadata"] is True for s in services)
    definition = client.get_service_definition("complaint")
    assert definition["service_code"] == "complaint"
    assert [list(a) for a in definition["attributes"]] == [ATTRIBUTE_FIELDS]

    answer = post(f"{portal}/requests.json", {
        "api_key": keys["app"], "jurisdiction_id": JURISDICTION, "service_code": "complaint",
        "lat": "56.95", "long": "24.11", "email": "liga@example.lv", "first_name": "Līga", "last_name": "Kalniņa",
        "phone": "29999999", "description": "Netīrs rotaļlaukums", "media_url": "https://example.lv/r.png",
        "attribute[contact_consent]": "yes"})
    assert answer.status_code == 201, answer.text
    (created,) = answer.json()
    reference = created["service_request_id"]

    public = client.get_service_request(reference)
    assert list(public) == REQUEST_FIELDS
    assert (public["lat"], public["long"], public["description"], public["media_url"]) == (56.95, 24.11, None, None)
    own = get(f"{portal}/requests/{reference}.json", api_key=keys["app"]).json()[0]
    assert (own["description"], own["media_url"]) == ("Netīrs rotaļlaukums", "https://example.lv/r.png")
    both = client.get_service_requests(service_request_id=f"{reference},S-1999-000001")
    assert [r["service_request_id"] for r in both] == [reference]
    filtered = client.get_service_requests(service_code="complaint", status="open,closed",
                                           start_date=w3c(datetime.now(timezone.utc) - timedelta(hours=1)))
    assert reference in {r["service_request_id"] for r in filtered}

    stack.register.change_status(reference, "in_review", "Ilze", "iekšēji: jāzvana")
    stack.register.add_applicant_note(reference, "Rotaļlaukumu sakops pirmdien", "Ilze")
    window = {"start_date": w3c(datetime.now(timezone.utc) - timedelta(hours=1)),
              "end_date": w3c(datetime.now(timezone.utc) + timedelta(minutes=1))}
    updates = [u for u in get(f"{portal}/servicerequestupdates.json", api_key=keys["app"], **window).json()
               if u["service_request_id"] == reference]
    assert [list(u) for u in updates] == [UPDATE_FIELDS, UPDATE_FIELDS]
    assert [u["description"] for u in updates] == [None, "Rotaļlaukumu sakops pirmdien"], "internal notes never"
    anonymous = [u for u in get(f"{portal}/servicerequestupdates.json", **window).json()
                 if u["service_request_id"] == reference]
    assert [u["description"] for u in anonymous] == [None, None]

    as_xml = GeoReport(portal, output_format="xml")
    assert as_xml.get_service_request(reference)["service_request_id"] == reference
    assert {s["service_code"] for s in as_xml.get_service_list()} >= {"complaint", "street_lighting"}
    attribute = as_xml.get_service_definition("complaint")["attributes"]["attribute"]
    assert attribute["values"]["value"][0] == {"key": "yes", "name": "Jā, drīkst"}


# ----- the spec's shapes, raw

def test_xml_has_the_spec_element_names_and_nesting(portal: str, sample: dict[str, str]) -> None:
    services = assert_spec_xml(get(f"{portal}/services.xml"), "services")
    assert {child.tag for child in services} == {"service"}
    assert all([field.tag for field in service] == SERVICE_FIELDS for service in services)
    definition = assert_spec_xml(get(f"{portal}/services/complaint.xml"), "service_definition")
    assert [c.tag for c in definition] == ["service_code", "attributes"]
    (attribute,) = definition.find("attributes")
    assert attribute.tag == "attribute" and [c.tag for c in attribute] == ATTRIBUTE_FIELDS
    assert [[c.tag for c in value] for value in attribute.find("values")] == [["key", "name"], ["key", "name"]]

    listed = assert_spec_xml(get(f"{portal}/requests/{sample['complaint']}.xml"), "service_requests")
    (request,) = listed
    assert request.tag == "request" and [c.tag for c in request] == REQUEST_FIELDS
    assert all(W3C.match(request.find(name).text) for name in
               ("requested_datetime", "updated_datetime", "expected_datetime"))
    assert request.find("status").text == "open" and request.find("description").text is None

    discovery = assert_spec_xml(requests.get(portal.replace("/v2", "/discovery.xml"), timeout=30), "discovery")
    assert [c.tag for c in discovery] == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = discovery.find("endpoints")
    assert [c.tag for c in endpoint] == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint.find("url").text == portal
    assert [f.text for f in endpoint.find("formats")] == ["text/xml", "application/json"]
    as_json = requests.get(portal.replace("/v2", "/discovery.json"), timeout=30).json()
    assert as_json["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert as_json["endpoints"][0]["formats"] == ["text/xml", "application/json"]

    assert_error(get(f"{portal}/requests/S-1999-000001.xml"), 404, "xml")
    assert_error(get(f"{portal}/nothing-here.xml"), 404, "xml")
    assert_error(get(f"{portal}/nothing-here"), 404)


def test_text_with_markup_characters_and_latvian_letters_round_trips(portal: str, keys: dict[str, str]) -> None:
    text = "Bedre < 5 cm & “dziļa” — ĀČĒĢĪĶĻŅŠŪŽ āčēģīķļņšūž <b>ne HTML</b>"
    answer = post(f"{portal}/requests.xml", {"api_key": keys["app"], "service_code": "complaint",
                                             "description": text + "\x01", "address_string": "Āboliņu iela 1 & 3"})
    reference = assert_spec_xml(answer, "service_requests").find("request/service_request_id").text
    read = assert_spec_xml(get(f"{portal}/requests/{reference}.xml", api_key=keys["app"]), "service_requests")
    assert read.find("request/description").text == text
    assert read.find("request/address").text == "Āboliņu iela 1 & 3"
    assert xmltodict.parse(get(f"{portal}/requests/{reference}.xml", api_key=keys["app"]).content)[
        "service_requests"]["request"]["description"] == text
    assert get(f"{portal}/requests/{reference}.json", api_key=keys["app"]).json()[0]["description"] == text


def test_personal_codes_are_masked_in_every_posted_field(stack: Stack, portal: str, keys: dict[str, str]) -> None:
    code = "010190-12345"
    answer = post(f"{portal}/requests.json", {
        "api_key": keys["app"], "service_code": "complaint", "description": f"Mans kods {code}",
        "address_string": f"Liepu iela {code}", "address_id": code, "first_name": f"Anna {code}",
        "attribute[contact_consent]": "yes", "email": "anna@example.lv"})
    assert answer.status_code == 201, answer.text
    stored = stack.register.find(answer.json()[0]["service_request_id"])
    assert code not in f"{stored.text}{stored.address}{stored.address_id}{stored.contact}"
    assert "[personas kods]" in stored.text and "[personas kods]" in stored.contact


def test_status_lists_and_paging(portal: str, sample: dict[str, str]) -> None:
    since = {"start_date": "2026-01-01T00:00:00Z"}
    opened, closed = ids(get(f"{portal}/requests.json", status="open", **since)), \
        ids(get(f"{portal}/requests.json", status="closed", **since))
    assert sample["complaint"] in opened and sample["suggestion"] in closed
    both = ids(get(f"{portal}/requests.json", status="open,closed", **since))
    assert set(both) == set(opened) | set(closed)
    assert set(ids(requests.get(f"{portal}/requests.json?status=open&status=closed&start_date=2026-01-01T00:00:00Z",
                                timeout=30))) == set(both)
    assert_error(get(f"{portal}/requests.json", status="open,maybe"), 400)

    pages = [ids(get(f"{portal}/requests.json", page_size=2, page=page, **since)) for page in (1, 2, 3)]
    assert [r for page in pages for r in page] == both[:6] and len(pages[0]) == 2
    assert ids(get(f"{portal}/requests.json", page_size=2, page=1000, **since)) == []
    assert_error(get(f"{portal}/requests.json", page_size=1001), 400)
    assert_error(get(f"{portal}/requests.xml", page=0), 400, "xml")

    recent = ids(get(f"{portal}/requests.json"))
    assert sample["complaint"] in recent and sample["suggestion"] not in recent, "the last 90 days by default"
    january = ids(get(f"{portal}/requests.json", start_date="2026-01-01T00:00:00Z", end_date="2026-01-31T00:00:00Z"))
    assert sample["suggestion"] in january and sample["complaint"] not in january
    assert_error(get(f"{portal}/requests.json", start_date="vakar"), 400)


def test_a_retried_post_registers_once(stack: Stack, portal: str, keys: dict[str, str]) -> None:
    form = {"api_key": keys["app"], "service_code": "complaint", "description": "Salūzis soliņš"}
    before = stack.register.count()
    retry = {"Idempotency-Key": str(uuid.uuid4())}
    first, second = (post(f"{portal}/requests.json", form, headers=retry) for _ in range(2))
    assert first.status_code == second.status_code == 201
    assert first.json()[0]["service_request_id"] == second.json()[0]["service_request_id"]
    assert first.json()[0]["access_code"] == second.json()[0]["access_code"]
    assert first.json()[0]["token"] == second.json()[0]["token"]
    assert stack.register.count() == before + 1

    device = {**form, "device_id": "tālrunis-7"}
    again = [post(f"{portal}/requests.xml", device).content for _ in range(2)]
    assert xml2dict(again[0]) == xml2dict(again[1])
    assert stack.register.count() == before + 2
    assert post(f"{portal}/requests.json", {**device, "description": "Cits soliņš"}).status_code == 201
    assert stack.register.count() == before + 3, "another body is another request"
    assert post(f"{portal}/requests.json", form).status_code == 201
    assert stack.register.count() == before + 4, "without a key or device id every post registers"


BAD_POSTS = {
    "latitude out of range": {"lat": "91", "long": "24.1"},
    "longitude out of range": {"lat": "56.9", "long": "-180.5"},
    "latitude alone": {"lat": "56.9"},
    "not a number": {"lat": "56,9", "long": "24,1"},
    "two e-mails": {"email": "a@example.lv, b@example.lv"},
    "two e-mails with a space": {"email": "a@example.lv b@example.lv"},
    "e-mail too long": {"email": "a" * 244 + "@example.lv"},
    "unknown attribute": {"attribute[vecums]": "30"},
    "consent not in the list": {"attribute[contact_consent]": "varbūt"},
    "unknown jurisdiction": {"jurisdiction_id": "riga.lv"},
    "description too long": {"description": "ā" * 4001},
    "not a web address": {"media_url": "javascript:alert(1)"},
    "name too long": {"first_name": "J" * 101},
}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_values_are_refused_in_the_spec_format(stack: Stack, portal: str, keys: dict[str, str], fmt: str) -> None:
    before = stack.register.count()
    for case, bad in BAD_POSTS.items():
        form = {"api_key": keys["app"], "service_code": "complaint", "description": "Bedre", **bad}
        description = assert_error(post(f"{portal}/requests.{fmt}", form), 400, fmt)
        assert description, case
    two = f"api_key={keys['app']}&service_code=complaint&email=a%40example.lv&email=b%40example.lv"
    assert_error(post(f"{portal}/requests.{fmt}", two,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}), 400, fmt)
    assert_error(post(f"{portal}/requests.{fmt}", {"api_key": keys["app"], "description": "x"}), 400, fmt)
    assert_error(post(f"{portal}/requests.{fmt}", {"api_key": keys["app"], "service_code": "nav_tada"}), 404, fmt)
    assert_error(post(f"{portal}/requests.{fmt}", {"service_code": "complaint"}), 403, fmt)
    assert_error(get(f"{portal}/services.{fmt}", jurisdiction_id="riga.lv"), 400, fmt)
    assert stack.register.count() == before
    assert get(f"{portal}/services.{fmt}", jurisdiction_id=JURISDICTION).status_code == 200
    assert get(f"{portal}/services.{fmt}", jurisdiction_id="").status_code == 200


def test_contact_is_kept_only_with_consent(stack: Stack, portal: str, keys: dict[str, str]) -> None:
    answer = post(f"{portal}/requests.json", {"api_key": keys["app"], "service_code": "complaint",
                                              "email": "peteris@example.lv", "phone": "+371 26666666"})
    assert answer.status_code == 201, answer.text
    (created,) = answer.json()
    assert "nebija piekrišanas" in created["service_notice"]
    stored = stack.register.find(created["service_request_id"])
    assert stored.contact is None and stored.text == ""
    assert get(f"{portal}/requests/{stored.reference}.json", api_key=keys["app"]).json()[0]["description"] is None


# ----- who may read what (issue: trust)

def test_without_a_key_no_free_text(portal: str, sample: dict[str, str]) -> None:
    answer = get(f"{portal}/requests.json", start_date="2026-01-01T00:00:00Z")
    assert answer.status_code == 200 and answer.json()
    assert all(r["description"] is None and r["status_notes"] is None and r["address"] is None
               and r["media_url"] is None for r in answer.json())
    assert "Izvedīsim rīt" not in answer.text and "anna@example.lv" not in answer.text
    assert "Izvedīsim rīt" not in get(f"{portal}/requests.xml", start_date="2026-01-01T00:00:00Z").text


def test_a_key_reads_its_own_requests_and_a_read_all_key_everyones(portal: str, sample: dict[str, str],
                                                                    keys: dict[str, str]) -> None:
    answer = post(f"{portal}/requests.json", {"api_key": keys["app"], "service_code": "complaint",
                                              "description": "Trokšņo kaimiņu suns", "address_string": "Egļu 3"})
    mine = answer.json()[0]["service_request_id"]
    (own,) = get(f"{portal}/requests/{mine}.json", api_key=keys["app"]).json()
    assert (own["description"], own["address"]) == ("Trokšņo kaimiņu suns", "Egļu 3")
    (foreign,) = get(f"{portal}/requests/{mine}.json", api_key=keys["other"]).json()
    assert foreign["description"] is None and foreign["address"] is None
    (chat,) = get(f"{portal}/requests/{sample['complaint']}.json", api_key=keys["app"]).json()
    assert chat["description"] is None and chat["status_notes"] is None

    (everything,) = get(f"{portal}/requests/{sample['complaint']}.json", api_key=keys["all"]).json()
    assert everything["description"] == "Nav izvesti atkritumi Liepu ielā 4"
    assert everything["status_notes"] == "Izvedīsim rīt", "the note the applicant was told, not the internal one"
    assert "anna@example.lv" not in str(everything), "contact is never shown"
    assert get(f"{portal}/requests/{mine}.json", api_key=keys["all"]).json()[0]["description"] == "Trokšņo kaimiņu suns"


def test_keys_are_listed_and_a_revoked_key_is_refused_at_once(stack: Stack, portal: str, keys: dict[str, str]) -> None:
    created = staff_cli(stack, "--name", "Vecā lietotne")
    assert created.returncode == 0, created.stderr
    old = created.stdout.strip()
    assert post(f"{portal}/requests.json", {"api_key": old, "service_code": "complaint"}).status_code == 201
    listed = staff_cli(stack, "--list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split("\t")[0]: line for line in listed.stdout.splitlines()}
    assert "read-all" in lines["Pilsētas karte"] and "own requests" in lines["Pilsētas lietotne"]
    assert "active" in lines["Vecā lietotne"] and old not in listed.stdout and keys["app"] not in listed.stdout

    revoked = staff_cli(stack, "--revoke", "Vecā lietotne")
    assert revoked.returncode == 0, revoked.stderr
    assert_error(post(f"{portal}/requests.json", {"api_key": old, "service_code": "complaint"}), 403)
    assert_error(get(f"{portal}/requests.xml", api_key=old), 403, "xml")
    assert "revoked" in {line.split("\t")[0]: line for line in staff_cli(stack, "--list").stdout.splitlines()}[
        "Vecā lietotne"]
    assert staff_cli(stack, "--revoke", "Vecā lietotne").returncode == 1
    assert get(f"{portal}/requests.json", api_key=keys["app"]).status_code == 200


def test_a_posted_request_can_be_checked_in_chat_with_its_code(stack: Stack, portal: str, keys: dict[str, str]) -> None:
    answer = post(f"{portal}/requests.json", {"api_key": keys["app"], "service_code": "street_lighting",
                                              "description": "Nedeg laterna Ozolu ielā"})
    assert answer.status_code == 201, answer.text
    (created,) = answer.json()
    reference, code = created["service_request_id"], created["access_code"]
    status = stack.chat().text(f"statuss {reference} kods {code}")
    assert reference in status and "reģistrēts" in status
