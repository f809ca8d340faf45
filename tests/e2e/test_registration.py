"""Registering complaints, suggestions and service requests end to end over REST."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.e2e.conftest import REFERENCE, Stack, buttons


def reference_in(text: str) -> str:
    found = REFERENCE.findall(text)
    assert len(found) >= 1, f"no reference number in: {text!r}"
    return found[0]


def test_complaint_is_registered_end_to_end(stack: Stack) -> None:
    chat = stack.chat()
    replies = chat.say("Jau trešo nedēļu neviens nav izvedis atkritumus no mūsu pagalma. Esmu ļoti neapmierināts!")
    assert "Reģistrēšu to kā sūdzību" in replies[-1]["text"]
    assert "Jā, sūdzība" in [b["title"] for b in buttons(replies)]
    consent = chat.text("/affirm")
    assert "e-pastu vai tālruni" in consent
    answer = chat.text("/deny")
    reference = reference_in(answer)
    assert reference.startswith("S-") and "sūdzība ir reģistrēta" in answer
    stored = stack.register.find(reference)
    assert stored is not None
    assert stored.kind == stored.kind_predicted == "complaint"
    assert "atkritumus" in stored.text and stored.contact is None and stored.status == "registered"
    assert stored.channel == "rest"


def test_complaint_phrased_as_a_suggestion_is_a_complaint(stack: Stack) -> None:
    replies = stack.chat().say("Varbūt jums vajadzētu beidzot atbildēt uz e-pastiem, jo gaidu atbildi jau mēnesi")
    assert "Reģistrēšu to kā sūdzību" in replies[-1]["text"]


def test_complaint_without_diacritics(stack: Stack) -> None:
    chat = stack.chat()
    replies = chat.say("sudziba - autobuss nr 5 neapstajas pietura un soferis bija rupjs")
    assert "Reģistrēšu to kā sūdzību" in replies[-1]["text"]
    chat.say("/affirm")
    reference = reference_in(chat.text("/deny"))
    assert stack.register.find(reference).kind == "complaint"


def test_suggestion_with_contact_after_consent(stack: Stack) -> None:
    chat = stack.chat()
    replies = chat.say("Ierosinu bibliotēkā ieviest darba laiku arī svētdienās, tas būtu ērti strādājošajiem")
    assert "Reģistrēšu to kā ierosinājumu" in replies[-1]["text"]
    chat.say("/affirm")
    assert "e-pasta adresi vai tālruņa numuru" in chat.text("jā")
    assert "neizskatās pēc e-pasta" in chat.text("mana adrese")
    answer = chat.text("janis.berzins@example.lv")
    reference = reference_in(answer)
    assert reference.startswith("I-") and "ierosinājums ir reģistrēts" in answer
    assert stack.register.find(reference).contact == "janis.berzins@example.lv"


def test_kind_corrected_by_the_citizen(stack: Stack) -> None:
    chat = stack.chat()
    replies = chat.say("Ierosinu bibliotēkā ieviest darba laiku arī svētdienās, tas būtu ērti strādājošajiem")
    correction = next(b for b in buttons(replies) if "sūdzība" in b["title"])
    chat.say(correction["payload"])
    reference = reference_in(chat.text("/deny"))
    stored = stack.register.find(reference)
    assert reference.startswith("S-")
    assert (stored.kind, stored.kind_predicted) == ("complaint", "suggestion")


def test_kind_corrected_in_words(stack: Stack) -> None:
    chat = stack.chat()
    chat.say("Ierosinu bibliotēkā ieviest darba laiku arī svētdienās, tas būtu ērti strādājošajiem")
    chat.say("nē, tā ir sūdzība")
    assert stack.register.find(reference_in(chat.text("/deny"))).kind == "complaint"


def test_service_request_found_in_the_catalogue(stack: Stack) -> None:
    chat = stack.chat()
    replies = chat.say("Vēlos pieteikt savu meitu bērnudārza rindā, viņai ir divi gadi")
    assert "pakalpojuma pieprasījumu" in replies[-1]["text"]
    chat.say("/affirm")
    answer = chat.text("/deny")
    reference = reference_in(answer)
    assert reference.startswith("P-")
    assert "Pieteikšana pirmsskolas izglītības iestādē" in answer and "5 darba dienas" in answer
    assert stack.register.find(reference).service_id == "kindergarten_queue"


def test_service_request_for_an_unknown_service(stack: Stack) -> None:
    chat = stack.chat()
    chat.say("Gribu pieteikties uz jaunu pakalpojumu, lūdzu palīdziet man")
    question = chat.say("/affirm")
    assert "Kuru pakalpojumu" in question[-1]["text"]
    titles = [b["title"] for b in buttons(question)]
    assert "Cits pakalpojums" in titles
    retry = chat.text("lidmašīnas noma")
    assert "neatradu" in retry and "Kuru pakalpojumu" in retry
    other = next(b for b in buttons(question) if b["title"] == "Cits pakalpojums")
    assert "e-pastu vai tālruni" in chat.text(other["payload"])
    answer = chat.text("/deny")
    reference = reference_in(answer)
    assert "Pakalpojumu precizēs darbinieks" in answer
    assert stack.register.find(reference).service_id is None


def test_service_named_when_asked(stack: Stack) -> None:
    chat = stack.chat()
    chat.say("Gribu pieteikties uz jaunu pakalpojumu, lūdzu palīdziet man")
    chat.say("/affirm")
    chat.say("dzīvesvietas deklarēšana")
    answer = chat.text("/deny")
    assert "Dzīvesvietas deklarēšana" in answer and "1 darba diena" in answer


def test_short_request_asks_for_a_description(stack: Stack) -> None:
    chat = stack.chat()
    assert "aprakstiet" in chat.text("Gribu iesniegt sūdzību")
    replies = chat.say("Ielas apgaismojums nedarbojas jau mēnesi, un neviens to nav salabojis")
    assert "Reģistrēšu to kā sūdzību" in replies[-1]["text"]


def test_guideline_question_during_the_form_is_answered_and_the_form_goes_on(stack: Stack) -> None:
    chat = stack.chat()
    chat.say("Jau trešo nedēļu neviens nav izvedis atkritumus no mūsu pagalma. Esmu ļoti neapmierināts!")
    answer = chat.text("Kas ir sūdzība?")
    assert "neapmierinātības" in answer and "Avots" in answer
    assert "Reģistrēšu to kā sūdzību" in answer
    chat.say("/affirm")
    assert reference_in(chat.text("/deny")).startswith("S-")


def test_cancelled_registration_is_not_stored(stack: Stack) -> None:
    before = stack.register.count()
    chat = stack.chat()
    chat.say("Jau trešo nedēļu neviens nav izvedis atkritumus no mūsu pagalma. Esmu ļoti neapmierināts!")
    assert "nereģistrēju" in chat.text("atcelt")
    assert stack.register.count() == before


def test_fifty_concurrent_registrations_get_fifty_unique_references(stack: Stack) -> None:
    before = stack.register.count()

    def register_one(i: int) -> str:
        chat = stack.chat(f"concurrent-{i}")
        return reference_in(chat.register_anything(f"Ierosinu uzstādīt soliņu parkā numur {i}, tas būtu jauki"))

    with ThreadPoolExecutor(max_workers=50) as pool:
        references = list(pool.map(register_one, range(50)))
    assert len(set(references)) == 50
    assert stack.register.count() == before + 50
    assert all(stack.register.find(r) is not None for r in references)


def test_personal_codes_are_masked_before_storing(stack: Stack) -> None:
    chat = stack.chat()
    answer = chat.register_anything(
        "Sūdzība: mans personas kods ir 010190-12345, un dokumentos to ierakstīja kļūdaini, esmu sašutis"
    )
    stored = stack.register.find(reference_in(answer))
    assert "010190" not in stored.text and "[personas kods]" in stored.text


def test_action_server_down_nothing_is_claimed(stack: Stack) -> None:
    before = stack.register.count()
    stack.stop_actions()
    try:
        chat = stack.chat()
        answer = chat.text("Jau trešo nedēļu neviens nav izvedis atkritumus no mūsu pagalma. Esmu ļoti neapmierināts!")
        assert "NAV reģistrēts" in answer and "mēģiniet vēlreiz" in answer
        assert not REFERENCE.search(answer)
        assert stack.register.count() == before
    finally:
        stack.start_actions()
    assert reference_in(chat.register_anything("Ierosinu uzstādīt soliņu pie bibliotēkas ieejas, būtu ērtāk"))
