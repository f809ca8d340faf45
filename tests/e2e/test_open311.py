"""Open311 GeoReport v2 on the portal: every method, filters, errors, api keys, and chat."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
import requests
from sqlalchemy import update

from bot.register.schema import registrations
from tests.conftest import ROOT
from tests.e2e.conftest import Stack

API = "/open311/v2"


@pytest.fixture(scope="module")
def portal(stack: Stack) -> Iterator[str]:
    from tests.e2e.test_web_widget import start_portal

    process, url = start_portal(stack, stack.rasa_port)
    yield url.rstrip("/") + API
    process.terminate()


@pytest.fixture(scope="module")
def api_key(stack: Stack) -> str:
    created = subprocess.run([sys.executable, "-m", "bot.staff", "apikey", "--name", "Pilsētas lietotne"], cwd=ROOT,
                             env=stack.env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert len(key) >= 30
    again = subprocess.run([sys.executable, "-m", "bot.staff", "apikey", "--name", "Pilsētas lietotne"], cwd=ROOT,
                           env=stack.env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "exists" in again.stderr
    return key


@pytest.fixture(scope="module")
def sample(stack: Stack) -> dict[str, str]:
    """A complaint (decided, with a note for the applicant), an old closed suggestion, a lighting request."""
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


def get(url: str, **params: str) -> requests.Response:
    return requests.get(url, params=params, timeout=30)


def ids(answer: requests.Response) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {r["service_request_id"] for r in answer.json()}


def assert_error(answer: requests.Response, status: int) -> None:
    assert answer.status_code == status
    body = answer.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]


def test_services_list_the_catalogue_and_the_kinds(portal: str) -> None:
    services = get(f"{portal}/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"complaint", "suggestion", "street_lighting", "residence_declaration"} <= codes
    assert all({"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} <= set(s)
               for s in services)
    assert get(f"{portal}/services/street_lighting.json").json() == {"service_code": "street_lighting", "attributes": []}
    assert_error(get(f"{portal}/services/no_such_service.json"), 404)


def test_one_request_has_the_spec_fields_and_no_personal_data(portal: str, sample: dict[str, str]) -> None:
    (complaint,) = get(f"{portal}/requests/{sample['complaint']}.json").json()
    assert complaint["status"] == "open" and complaint["status_notes"] == "Izvedīsim rīt"
    assert complaint["service_code"] == "complaint" and complaint["agency_responsible"] == "Priedaines novada pašvaldība"
    assert complaint["requested_datetime"].endswith("Z") and complaint["expected_datetime"].endswith("Z")
    assert complaint["description"] is None, "no description without an api key"
    assert "anna@example.lv" not in str(complaint) and "o311-a" not in str(complaint)
    (light,) = get(f"{portal}/requests/{sample['light']}.json").json()
    assert light["service_code"] == "street_lighting" and light["status_notes"] is None
    assert light["agency_responsible"] != "Priedaines novada pašvaldība"
    expected = datetime.fromisoformat(light["expected_datetime"].replace("Z", "+00:00"))
    assert timedelta(days=1) < expected - datetime.now(timezone.utc) < timedelta(days=30)
    assert_error(get(f"{portal}/requests/S-1999-000001.json"), 404)


def test_request_filters(portal: str, sample: dict[str, str]) -> None:
    both = ",".join([sample["complaint"], sample["suggestion"]])
    assert ids(get(f"{portal}/requests.json", service_request_id=both)) == {sample["complaint"], sample["suggestion"]}
    recent = ids(get(f"{portal}/requests.json"))
    assert sample["complaint"] in recent and sample["suggestion"] not in recent, "the last 90 days by default"
    assert sample["light"] in ids(get(f"{portal}/requests.json", service_code="street_lighting"))
    assert sample["complaint"] not in ids(get(f"{portal}/requests.json", service_code="street_lighting"))
    complaints_and_lights = ids(get(f"{portal}/requests.json", service_code="complaint,street_lighting"))
    assert {sample["complaint"], sample["light"]} <= complaints_and_lights
    assert all(r["service_code"] in ("complaint", "street_lighting")
               for r in get(f"{portal}/requests.json", service_code="complaint,street_lighting").json())
    january = ids(get(f"{portal}/requests.json", start_date="2026-01-01T00:00:00Z", end_date="2026-01-31T00:00:00Z"))
    assert sample["suggestion"] in january and sample["complaint"] not in january
    closed = get(f"{portal}/requests.json", status="closed", start_date="2026-01-01T00:00:00Z").json()
    assert sample["suggestion"] in {r["service_request_id"] for r in closed}
    assert all(r["status"] == "closed" for r in closed)
    assert sample["suggestion"] not in ids(get(f"{portal}/requests.json", status="open", start_date="2026-01-01T00:00:00Z"))
    assert_error(get(f"{portal}/requests.json", status="maybe"), 400)
    assert_error(get(f"{portal}/requests.json", start_date="vakar"), 400)
    assert_error(get(f"{portal}/requests.xml"), 400)
    assert_error(get(f"{portal}/nothing-here"), 404)


def test_the_description_only_with_an_api_key(portal: str, sample: dict[str, str], api_key: str) -> None:
    (complaint,) = get(f"{portal}/requests/{sample['complaint']}.json", api_key=api_key).json()
    assert complaint["description"] == "Nav izvesti atkritumi Liepu ielā 4"
    assert "anna@example.lv" not in str(complaint)
    (without,) = get(f"{portal}/requests/{sample['complaint']}.json", api_key="wrong").json()
    assert without["description"] is None


def test_posting_needs_an_api_key(stack: Stack, portal: str) -> None:
    before = stack.register.count()
    form = {"service_code": "complaint", "description": "Bedre ceļā uz skolu"}
    assert_error(requests.post(f"{portal}/requests.json", data=form, timeout=30), 403)
    assert_error(requests.post(f"{portal}/requests.json", data={**form, "api_key": "guess"}, timeout=30), 403)
    assert stack.register.count() == before


def test_bad_posts_are_refused_in_the_spec_format(stack: Stack, portal: str, api_key: str) -> None:
    before = stack.register.count()
    assert_error(requests.post(f"{portal}/requests.json", data={"api_key": api_key, "description": "x"}, timeout=30), 400)
    assert_error(requests.post(f"{portal}/requests.json", timeout=30,
                               data={"api_key": api_key, "service_code": "nav_tada", "description": "x"}), 404)
    assert_error(requests.post(f"{portal}/requests.json", data={"api_key": api_key, "service_code": "complaint"},
                               timeout=30), 400)
    assert_error(requests.post(f"{portal}/requests.json", data="[1]", timeout=30,
                               headers={"Content-Type": "application/json"}), 400)
    assert stack.register.count() == before


def test_a_posted_request_can_be_checked_in_chat_with_its_code(stack: Stack, portal: str, api_key: str) -> None:
    answer = requests.post(f"{portal}/requests.json", timeout=30, data={
        "api_key": api_key, "service_code": "street_lighting", "description": "Nedeg laterna Ozolu ielā",
        "address_string": "Ozolu iela 7", "email": "janis@example.lv"})
    assert answer.status_code == 201, answer.text
    (created,) = answer.json()
    reference, code = created["service_request_id"], created["access_code"]
    assert reference.startswith("P-") and code in created["service_notice"]
    stored = stack.register.find(reference)
    assert stored.channel == "open311" and stored.service_id == "street_lighting" and "Ozolu iela 7" in stored.text
    status = stack.chat().text(f"statuss {reference} kods {code}")
    assert reference in status and "reģistrēts" in status
    (listed,) = get(f"{portal}/requests/{reference}.json").json()
    assert listed["status"] == "open" and listed["service_code"] == "street_lighting"
