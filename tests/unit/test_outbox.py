"""The outbox on a register of its own: same transaction, encryption at rest, leases, retries."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.register import Register
from bot.register.outbox import MAX_ATTEMPTS
from bot.register.schema import notifications, registrations

CHAT_ID = "987654321"
# The history insert, which follows the outbox insert in a status change, fails for the note "boom".
FAILING_HISTORY = {
    "sqlite": ["CREATE TRIGGER boom BEFORE INSERT ON status_history WHEN NEW.note = 'boom' "
               "BEGIN SELECT RAISE(ABORT, 'boom'); END"],
    "postgresql": ["CREATE OR REPLACE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.note = 'boom' THEN "
                   "RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                   "CREATE TRIGGER boom BEFORE INSERT ON status_history FOR EACH ROW EXECUTE FUNCTION boom()"],
}


def telegram_complaint(register: Register) -> str:
    registration, _ = register.create(kind="complaint", kind_predicted="complaint", text="Nav izvesti atkritumi",
                                      channel="telegram", sender_id=CHAT_ID, delivery={"telegram": CHAT_ID})
    return registration.reference


def rows(register: Register) -> list:
    with register.engine.connect() as conn:
        return conn.execute(select(notifications)).all()


def test_the_delivery_address_is_encrypted_and_deleted_on_closing(register: Register, tmp_path: Path) -> None:
    reference = telegram_complaint(register)
    with register.engine.connect() as conn:
        sealed = conn.execute(select(registrations.c.delivery_address)).scalar_one()
    assert sealed and CHAT_ID not in sealed
    register.change_status(reference, "decided", "Ilze", "Atkritumus izvedīs rīt")
    register.change_status(reference, "closed", "Ilze", "Izvesti")
    with register.engine.connect() as conn:
        assert conn.execute(select(registrations.c.delivery_address)).scalar_one() is None
    assert all(CHAT_ID not in (row.address or "") for row in rows(register))
    if register.engine.dialect.name == "sqlite":
        assert CHAT_ID.encode() not in (tmp_path / "register.db").read_bytes()


def test_only_decided_resolved_closed_and_applicant_notes_notify(register: Register) -> None:
    reference = telegram_complaint(register)
    register.change_status(reference, "in_review", "Ilze", "iekšēja piezīme")
    assert rows(register) == []
    register.change_status(reference, "decided", "Ilze", "Atkritumus izvedīs rīt")
    assert register.add_applicant_note(reference, "Izvešana pārcelta uz pirmdienu", "Ilze") == 1
    texts = [row.text for row in rows(register)]
    assert len(texts) == 2 and "lēmums pieņemts" in texts[0] and "Atkritumus izvedīs rīt" in texts[0]
    assert reference in texts[1] and "pirmdienu" in texts[1] and "statuss " + reference in texts[1]


def test_a_status_change_that_rolls_back_leaves_no_notification(register: Register) -> None:
    reference = telegram_complaint(register)
    with register.engine.begin() as conn:
        for statement in FAILING_HISTORY[register.engine.dialect.name]:
            conn.execute(text(statement))
    with pytest.raises(Exception):
        register.change_status(reference, "decided", "Ilze", "boom")
    assert rows(register) == [] and register.find(reference).status == "registered"


def test_a_leased_notification_is_claimed_by_one_worker_only(register: Register) -> None:
    reference = telegram_complaint(register)
    register.change_status(reference, "decided", "Ilze", "Lēmums")
    first = register.outbox.claim("worker-a", ("telegram",), lease_seconds=60)
    assert [d.address for d in first] == [CHAT_ID]
    assert register.outbox.claim("worker-b", ("telegram",), lease_seconds=60) == []
    assert not register.outbox.sent(first[0], "worker-b"), "only the lease holder records the outcome"
    assert register.outbox.sent(first[0], "worker-a")
    assert register.outbox.claim("worker-b", ("telegram",), lease_seconds=60) == []
    (row,) = rows(register)
    assert (row.state, row.attempts, row.address) == ("sent", 1, None)


def test_an_expired_lease_can_be_taken_over(register: Register) -> None:
    reference = telegram_complaint(register)
    register.change_status(reference, "decided", "Ilze", "Lēmums")
    assert register.outbox.claim("worker-a", ("telegram",), lease_seconds=-1)
    taken = register.outbox.claim("worker-b", ("telegram",), lease_seconds=60)
    assert len(taken) == 1 and not register.outbox.sent(taken[0], "worker-a")


def test_a_notification_that_keeps_failing_is_marked_failed(register: Register) -> None:
    reference = telegram_complaint(register)
    register.change_status(reference, "decided", "Ilze", "Lēmums")
    for attempt in range(MAX_ATTEMPTS):
        (delivery,) = register.outbox.claim("worker", ("telegram",), lease_seconds=60)
        assert register.outbox.failed(delivery, "worker", "HTTP 500", retry_seconds=0)
    assert register.outbox.claim("worker", ("telegram",), lease_seconds=60) == []
    (row,) = rows(register)
    assert (row.state, row.attempts, row.address, row.last_error) == ("failed", MAX_ATTEMPTS, None, "HTTP 500")
    assert register.outbox.of_registration(reference)[0]["state"] == "failed"


def test_an_e_mail_about_a_letter_invites_an_answer_and_one_about_a_chat_registration_points_to_the_chat(
    register: Register,
) -> None:
    letter, _ = register.create(kind="complaint", kind_predicted="complaint", text="Vēstule par troksni",
                                channel="e-pasts", sender_id="anna@example.lv", delivery={"email": "anna@example.lv"})
    chat, _ = register.create(kind="complaint", kind_predicted="complaint", text="Saruna par troksni",
                              channel="rest", sender_id="janis", delivery={"email": "janis@example.lv"})
    for reference in (letter.reference, chat.reference):
        register.change_status(reference, "in_review", "Ilze")
        register.change_status(reference, "decided", "Ilze", "Pārbaudīsim naktī")
    with register.engine.connect() as conn:
        texts = dict(conn.execute(select(registrations.c.reference, notifications.c.text).join(
            registrations, registrations.c.id == notifications.c.registration_id)).all())
    assert "atbildiet uz šo e-pastu" in texts[letter.reference]
    assert "Uz šo e-pastu neatbildiet" in texts[chat.reference]
