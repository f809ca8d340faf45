"""Real citizens' messages: none of substance is lost, and the kind is right (issue #11)."""
from __future__ import annotations

from typing import Iterator

import pytest
from rasa.core.agent import Agent

from bot.ops import evaluate
from nlu.routing import ROUTE, Route
from tests.conftest import MODEL
from tests.e2e.conftest import Stack, buttons
from tests.e2e.test_registration import reference_in

REACH_TARGET = 0.95
RIGHT_KIND_TARGET = 0.80
KIND_TITLES = ["Sūdzība", "Ierosinājums", "Pakalpojuma pieprasījums", "Tas ir jautājums"]
# Messages of substance the model may well be unsure about; the test uses one it is unsure about.
UNCLEAR = [
    "Labdien, nu lūk, atkal tā pati vecā dziesma ar to mūsu pagalmu un tiem kaimiņiem otrā pusē",
    "sveiki, gribu pastāstīt par to, kas vakar notika pie mums uz stūra, kad visi tur sanāca kopā",
    "Labvakar. Mūsu mājā dzīvo daudz cilvēku, un katram ir savs viedoklis par šo lietu, ko darīt",
    "Tā nu tas ir ar tām lietām pie mums laukos, nekas jau nemainās, viss pa vecam tāpat vien",
    "Es domāju par to visu ilgi un nolēmu uzrakstīt jums dažus vārdus par mūsu ikdienu ciematā",
]


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    yield Agent.load(str(MODEL))


def route(agent: Agent, text: str) -> Route:
    return Route.from_dict(evaluate.parse_all(agent, [text])[0][ROUTE])


def test_held_out_real_messages_reach_a_registration_with_the_right_kind(agent: Agent) -> None:
    figures = evaluate.realistic_figures(evaluate.evaluate_realistic(agent))
    assert figures["registrable"] >= 150
    assert figures["reached"] >= REACH_TARGET, figures
    assert figures["right_kind"] >= RIGHT_KIND_TARGET, figures


def test_long_complaint_about_accessibility_starts_a_registration(stack: Stack) -> None:
    replies = stack.chat().say(
        "Labdien! Rakstu par piekļūstamību. Jaunās pašvaldības ēkas ieejai ir trīs augsti pakāpieni un nav "
        "uzbrauktuves, lifts nestrādā jau mēnesi. Mana mamma ratiņkrēslā nevarēja tikt uz pieņemšanu. "
        "Tā ir jūsu solītā piekļūstamība visām iedzīvotāju grupām? Lūdzu to beidzot salabot!"
    )
    text = replies[-1]["text"]
    assert "Avots:" not in text
    assert "Reģistrēšu to kā sūdzību" in text, text


def unclear_message(agent: Agent) -> str:
    """One of UNCLEAR that the model is unsure about (so the bot asks which kind it is)."""
    unclear = next((text for text in UNCLEAR if (r := route(agent, text)).registers and r.kind is None), None)
    if unclear is None:
        pytest.fail("the model is sure about every UNCLEAR message: add a vaguer one")
    return unclear


def test_unsure_message_of_substance_offers_the_kinds_and_is_registered(stack: Stack, agent: Agent) -> None:
    unclear = unclear_message(agent)
    chat = stack.chat()
    replies = chat.say(unclear)
    assert "nesapratu" not in replies[-1]["text"]
    assert [b["title"] for b in buttons(replies)] == KIND_TITLES
    choice = next(b for b in buttons(replies) if b["title"] == "Ierosinājums")
    assert "e-pastu vai tālruni" in chat.text(choice["payload"])
    reference = reference_in(chat.text("/deny"))
    stored = stack.register.find(reference)
    assert reference.startswith("I-") and (stored.kind, stored.text) == ("suggestion", unclear)
    assert stored.kind_predicted is None, "the bot asked: nothing was predicted (an honest live signal)"


def test_question_to_the_institution_is_registered_as_a_request_for_information(stack: Stack) -> None:
    chat = stack.chat()
    replies = chat.say("Labdien! Gribēju pajautāt, kad tiks nopļauta zāle uz dambja pie upes? Tur jau viss aizaudzis.")
    assert "informācijas pieprasījumu" in replies[-1]["text"] and "mēneša" in replies[-1]["text"]
    accept = next(b for b in buttons(replies) if b["title"] == "Jā, reģistrēt jautājumu")
    assert "uz kuru sūtīt atbildi" in chat.text(accept["payload"])
    answer = chat.text("/deny")
    reference = reference_in(answer)
    assert reference.startswith("P-") and "Informācijas pieprasījums" in answer and "21 darba diena" in answer
    stored = stack.register.find(reference)
    assert (stored.kind, stored.service_id) == ("service_request", "information_request")


def test_it_is_a_question_leads_to_the_request_for_information(stack: Stack, agent: Agent) -> None:
    chat = stack.chat()
    replies = chat.say(unclear_message(agent))
    question = next(b for b in buttons(replies) if b["title"] == "Tas ir jautājums")
    offer = chat.say(question["payload"])
    assert "informācijas pieprasījumu" in offer[-1]["text"]
    assert "Sazināties ar darbinieku" in [b["title"] for b in buttons(offer)]
    assert "nereģistrēju" in chat.text("/cancel")


@pytest.mark.parametrize("text", ["ok", "nu", "hmm jā"])
def test_short_input_is_not_offered_for_registration(stack: Stack, text: str) -> None:
    replies = stack.chat().say(text)
    assert replies and "kas tā ir" not in replies[-1]["text"]


@pytest.mark.parametrize("text", ["", "🙂🙂", "???"])
def test_wordless_input_gets_not_understood(stack: Stack, text: str) -> None:
    assert "nesapratu" in stack.chat().text(text)


def test_typed_it_is_a_question_registers_a_request_for_information(stack: Stack, agent: Agent) -> None:
    chat = stack.chat()
    chat.say(unclear_message(agent))
    assert "uz kuru sūtīt atbildi" in chat.text("ta ir jautajums")
    reference = reference_in(chat.text("/deny"))
    assert stack.register.find(reference).service_id == "information_request"
