"""Status checks: the owner sees status, a stranger only with the access code."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import ACCESS_CODE, REFERENCE, Chat, Stack


@pytest.fixture(scope="module")
def owned(stack: Stack) -> tuple[Chat, str, str]:
    """A citizen's conversation with one registered complaint: (chat, reference, access code)."""
    chat = stack.chat()
    answer = chat.register_anything("Pašvaldības darbiniece klientu centrā bija ļoti nelaipna un atteicās palīdzēt")
    return chat, REFERENCE.search(answer).group(0), ACCESS_CODE.search(answer).group(1)


def test_owner_sees_status_by_reference(owned: tuple[Chat, str, str]) -> None:
    chat, reference, _ = owned
    answer = chat.text(f"Kāds ir pieteikuma {reference} statuss?")
    assert reference in answer and "sūdzība" in answer and "reģistrēts" in answer
    assert "Pēdējās izmaiņas" in answer


def test_reference_is_case_insensitive(owned: tuple[Chat, str, str]) -> None:
    chat, reference, _ = owned
    answer = chat.text(f"statuss {reference.lower()}")
    assert reference in answer and "reģistrēts" in answer


def test_owner_asks_about_their_latest_complaint(owned: tuple[Chat, str, str]) -> None:
    chat, reference, _ = owned
    answer = chat.text("kas notiek ar manu sūdzību?")
    assert reference in answer and "reģistrēts" in answer


def test_status_follows_the_life_cycle(stack: Stack, owned: tuple[Chat, str, str]) -> None:
    chat, reference, _ = owned
    stack.register.change_status(reference, "in_review", "staff:test")
    assert "izvērtēšanā" in chat.text(f"statuss {reference}")
    assert [h["to_status"] for h in stack.register.history(reference)] == ["registered", "in_review"]


def test_stranger_sees_neither_status_nor_content(stack: Stack, owned: tuple[Chat, str, str]) -> None:
    _, reference, _ = owned
    answer = stack.chat().text(f"Kāds ir pieteikuma {reference} statuss?")
    assert "piekļuves kod" in answer
    assert "statuss –" not in answer and "nelaipna" not in answer and "sūdzība" not in answer


def test_stranger_with_the_access_code_sees_status(stack: Stack, owned: tuple[Chat, str, str]) -> None:
    _, reference, code = owned
    answer = stack.chat().text(f"statuss {reference} kods {code.lower()}")
    assert reference in answer and "statuss –" in answer


def test_stranger_with_a_wrong_code_is_refused(stack: Stack, owned: tuple[Chat, str, str]) -> None:
    _, reference, _ = owned
    answer = stack.chat().text(f"statuss {reference} kods ABCD2345")
    assert "nav pareizs" in answer and "statuss –" not in answer


def test_unknown_reference(stack: Stack) -> None:
    answer = stack.chat().text("Kāds ir pieteikuma S-2026-999999 statuss?")
    assert "S-2026-999999 nav atrasts" in answer


def test_malformed_reference(stack: Stack) -> None:
    answer = stack.chat().text("statuss S-20-12")
    assert "neatpazinu" in answer and "S-2026-000042" in answer


def test_no_registrations_yet(stack: Stack) -> None:
    answer = stack.chat().text("kas notiek ar manu sūdzību?")
    assert "Neatradu jūsu reģistrētus pieteikumus" in answer
