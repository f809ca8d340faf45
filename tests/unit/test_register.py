"""The central register on a real SQLite database."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from bot.privacy import mask_personal_codes
from bot.register import STATUSES, Register, parse_reference


def create(register: Register, kind: str = "complaint", sender: str = "alice", text: str = "Nav izvesti atkritumi"):
    return register.create(kind=kind, kind_predicted=kind, text=text, channel="rest", sender_id=sender)


def test_references_increase_per_kind_and_year(register: Register) -> None:
    year = datetime.now().year
    refs = [create(register, kind)[0].reference for kind in ("complaint", "complaint", "suggestion", "service_request")]
    assert refs == [f"S-{year}-000001", f"S-{year}-000002", f"I-{year}-000001", f"P-{year}-000001"]


def test_concurrent_writers_never_share_a_reference(register: Register) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        refs = list(pool.map(lambda i: create(register, sender=f"s{i}")[0].reference, range(60)))
    assert len(set(refs)) == 60 and register.count() == 60
    assert sorted(int(r.rsplit("-", 1)[1]) for r in refs) == list(range(1, 61))


def test_a_submission_saved_again_returns_the_first_registration_and_code(register: Register) -> None:
    def submit(key: str):
        return register.create(kind="complaint", kind_predicted="suggestion", text="Nav izvesti atkritumi",
                               channel="rest", sender_id="alice", submission_key=key)

    first, code = submit("form-1")
    again, code_again = submit("form-1")
    assert (again.reference, code_again) == (first.reference, code)
    assert register.access_code_matches(again, code_again) and register.count() == 1
    other, other_code = submit("form-2")
    assert other.reference != first.reference and other_code != code and register.count() == 2


def test_concurrent_saves_of_one_submission_store_it_once(register: Register) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: register.create(kind="suggestion", kind_predicted="suggestion",
                                                          text="Soliņi parkā", channel="rest", sender_id="bob",
                                                          submission_key="form-concurrent"), range(8)))
    assert len({(r.reference, code) for r, code in results}) == 1 and register.count() == 1


def test_owner_and_access_code(register: Register) -> None:
    registration, code = create(register)
    assert register.is_owner(registration, "rest", "alice")
    assert not register.is_owner(registration, "rest", "bob")
    assert not register.is_owner(registration, "telegram", "alice")
    assert register.access_code_matches(registration, code.lower())
    assert not register.access_code_matches(registration, "ABCD2345")
    assert code not in registration.access_code_hash


def test_latest_of_sender_by_kind(register: Register) -> None:
    first = create(register, "complaint")[0]
    second = create(register, "suggestion")[0]
    assert register.latest_of_sender("rest", "alice").reference == second.reference
    assert register.latest_of_sender("rest", "alice", "complaint").reference == first.reference
    assert register.latest_of_sender("rest", "nobody") is None


def test_status_changes_are_appended_to_history(register: Register) -> None:
    registration = create(register)[0]
    for status in list(STATUSES)[1:]:
        register.change_status(registration.reference, status, "staff:anna", note="piezīme 010190-12345")
    history = register.history(registration.reference)
    assert [h["to_status"] for h in history] == list(STATUSES)
    assert [h["from_status"] for h in history] == [None, *list(STATUSES)[:-1]]
    assert all("010190" not in (h["note"] or "") for h in history)
    assert register.find(registration.reference).status_name == "slēgts"


def test_unknown_status_and_reference_are_refused(register: Register) -> None:
    registration = create(register)[0]
    with pytest.raises(ValueError):
        register.change_status(registration.reference, "forgotten", "staff")
    with pytest.raises(LookupError):
        register.change_status("S-2000-000001", "closed", "staff")


def test_text_is_stored_masked_and_injection_is_just_text(register: Register) -> None:
    text = "Kods 010190-12345 un 321234-56789'); DROP TABLE registrations; --"
    registration = create(register, text=text)[0]
    stored = register.find(registration.reference)
    assert stored.text == "Kods [personas kods] un [personas kods]'); DROP TABLE registrations; --"
    assert register.count() == 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mans kods 311299-21234", "mans kods [personas kods]"),
        ("kods 32345612345 beigas", "kods [personas kods] beigas"),
        ("tālrunis 29123456, summa 123456-12345", "tālrunis 29123456, summa 123456-12345"),
        ("S-2026-000042", "S-2026-000042"),
    ],
)
def test_personal_code_masking(text: str, expected: str) -> None:
    assert mask_personal_codes(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Kāds ir pieteikuma S-2026-000042 statuss?", "S-2026-000042"),
        ("statuss s-2026-000042", "S-2026-000042"),
        ("p 2026 7", "P-2026-000007"),
        ("statuss X-2026-000042", None),
        ("nekā nav", None),
    ],
)
def test_parse_reference(text: str, expected: str) -> None:
    assert parse_reference(text) == expected
