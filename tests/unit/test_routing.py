"""Real citizens' messages: none of substance is lost, and the kind is right (issue #11)."""
from __future__ import annotations

from typing import Iterator

import pytest
from rasa.core.agent import Agent

from nlu.components import GuidelineQuestionClassifier
from nlu.letters import is_letter
from nlu.routing import Route, decide, has_substance
from tests.conftest import MODEL

# Messages of substance the model may well be unsure about; the test uses one it is unsure about.


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    yield Agent.load(str(MODEL))


def test_unsure_message_of_substance_is_registered_with_the_kind_open() -> None:
    ranking = [{"name": "complaint", "confidence": 0.41}, {"name": "suggestion", "confidence": 0.39}]
    assert decide("Mūsu pagalmā atkal viss ir tāpat kā pērn, neviens neko", ranking, unsure=True) == \
        Route("register", "complaint", None)
    assert decide("ko", ranking, unsure=True).action == "not_understood"
    status = [{"name": "check_status", "confidence": 0.5}, {"name": "complaint", "confidence": 0.4}]
    assert decide("kas notiek ar to manu lietu par pagalmu tur", status, unsure=True).action == "not_understood"


def test_a_long_message_is_not_a_greeting() -> None:
    ranking = [{"name": "greet", "confidence": 0.9}, {"name": "service_request", "confidence": 0.05}]
    text = "Labdien! Pie mūsu mājas Dārza ielā jau otro dienu nedeg laterna un vakaros ir pavisam tumšs"
    assert decide(text, ranking, unsure=False) == Route("register", "service_request", None)
    assert decide("Labdien!", ranking, unsure=False) == Route("reply", "greet")


def test_question_to_the_institution_is_an_information_request() -> None:
    ranking = [{"name": "ask_institution", "confidence": 0.9}]
    assert decide("Kad tiks nopļauta zāle uz dambja?", ranking, unsure=False) == \
        Route("register", "ask_institution", "information_request")


def test_markup_and_numbers_are_no_substance() -> None:
    assert not has_substance("<script>alert('x')</script><img src=x onerror=alert(1)>")
    assert not has_substance("S-2026-000001 1 2 3 4 5 6")
    assert has_substance("Kad tiks nopļauta zāle uz dambja?")


def test_letters_are_long_or_several_sentences() -> None:
    assert is_letter("Labdien! Pie mūsu mājas nedeg laterna. Vakaros ir tumšs un bērni baidās iet uz pieturu.")
    assert is_letter(" ".join(["vārds"] * 20))
    assert not is_letter("Labdien! Kas ir sūdzība? Paldies!")
    assert not is_letter("Ielas apgaismojums nedarbojas jau mēnesi, un neviens to nav salabojis")


def test_a_long_registration_is_not_shaped_like_a_guideline_question() -> None:
    complaint = [{"name": "complaint", "confidence": 0.7}, {"name": "faq", "confidence": 0.2}]
    long_text = ("Jaunās ēkas ieejai ir trīs augsti pakāpieni un nav uzbrauktuves, tāpēc mana mamma ratiņkrēslā "
                 "netika iekšā, kur ir solītā piekļūstamība")
    assert not GuidelineQuestionClassifier.question_shaped(long_text, complaint)
    assert GuidelineQuestionClassifier.question_shaped("Kas ir piekļūstamība?", complaint)
    assert GuidelineQuestionClassifier.question_shaped("Labdien! Kas ir sūdzība? Paldies!", [])
    assert not GuidelineQuestionClassifier.question_shaped(
        "Labdien, man ir jautājums. Mēs dzīvojam laukos. Kas ir sūdzība un kā to iesniegt?", [])
