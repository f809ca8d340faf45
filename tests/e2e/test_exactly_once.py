"""Conversations survive restarts, and a registration is stored exactly once even when its answer is lost."""
from __future__ import annotations

from tests.e2e.conftest import ACCESS_CODE, REFERENCE, Stack, buttons

COMPLAINT = "Jau trešo nedēļu mūsu ielā nav izvesti atkritumi, un neviens neatbild uz zvaniem. Esmu ļoti neapmierināta."


def test_a_half_done_registration_continues_after_every_process_restarts(stack: Stack) -> None:
    chat = stack.chat()
    question = chat.say(COMPLAINT)
    kind_button = buttons(question)[0]["payload"]
    before = stack.register.count()
    stack.stop_actions()
    stack.stop_rasa()
    stack.start_actions()
    stack.start_rasa()
    consent = chat.say(kind_button)
    assert "e-pastu vai tālruni" in consent[-1]["text"], "the form went on where it was"
    answer = chat.text("/deny")
    reference = REFERENCE.search(answer).group(0)
    assert stack.register.count() == before + 1 and stack.register.find(reference).kind == "complaint"


def test_a_lost_answer_after_the_commit_is_retried_into_the_same_registration(stack: Stack) -> None:
    chat = stack.chat()
    chat.say(buttons(chat.say(COMPLAINT))[0]["payload"])
    before = stack.register.count()
    stack.proxy.lose_answer_of("action_register", after_commit=stack.kill_actions)
    try:
        unconfirmed = chat.say("/deny")
    finally:
        stack.start_actions()
    assert stack.register.count() == before + 1, "the action server had committed before it was killed"
    text = unconfirmed[-1]["text"]
    assert "nevarēju pārliecināties" in text and "NAV reģistrēts" not in text
    assert not REFERENCE.search(text)
    retried = chat.text(next(b["payload"] for b in buttons(unconfirmed) if b["title"] == "Mēģināt vēlreiz"))
    reference = REFERENCE.search(retried).group(0)
    assert stack.register.count() == before + 1, "the retry stored nothing new"
    stored = stack.register.find(reference)
    assert stored is not None and stored.kind == "complaint"
    assert stack.register.access_code_matches(stored, ACCESS_CODE.search(retried).group(1))
    assert chat.text("/affirm") != retried, "a second press does not register again"
    assert stack.register.count() == before + 1
