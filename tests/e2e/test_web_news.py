"""A web conversation is told of decisions: when it is next open, and at once while it is open."""
from __future__ import annotations

import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import REFERENCE, Stack
from tests.e2e.test_web_widget import COMPLAINT, browser, open_chat, page, portal  # noqa: F401 (fixtures)


def register_in_the_widget(page: Page, portal: str) -> str:  # noqa: F811
    open_chat(page, portal)
    page.keyboard.type(COMPLAINT)
    page.keyboard.press("Enter")
    page.locator(".paligs-choice", has_text="Jā, sūdzība").click(timeout=60000)
    page.locator(".paligs-choice", has_text="Nē, bez kontaktiem").click(timeout=60000)
    confirmation = page.locator(".paligs-bot .paligs-text").filter(has_text="Numurs:")
    expect(confirmation).to_have_count(1, timeout=60000)
    return REFERENCE.search(confirmation.inner_text()).group(0)


def test_news_is_shown_when_the_conversation_is_reopened_and_while_it_is_open(
    stack: Stack, portal: str, page: Page  # noqa: F811
) -> None:
    reference = register_in_the_widget(page, portal)
    page.goto("about:blank")  # the visitor leaves the page
    stack.register.change_status(reference, "decided", "Ilze Ozola", "Atkritumus izvedīs rīt")
    page.go_back()  # and comes back later: the same tab, the same conversation
    news = page.locator(".paligs-bot .paligs-text").filter(has_text="Jaunumi par jūsu pieteikumu")
    expect(news).to_have_count(1, timeout=20000)
    expect(news).to_contain_text(reference)
    expect(news).to_contain_text("lēmums pieņemts")
    expect(news).to_contain_text("Atkritumus izvedīs rīt")

    stack.register.change_status(reference, "resolved", "Ilze Ozola", "Atkritumi izvesti")
    expect(news).to_have_count(2, timeout=20000)  # pushed while the conversation is open
    expect(news.last).to_contain_text("Atkritumi izvesti")
    page.reload()
    expect(news).to_have_count(2, timeout=10000)  # kept in the transcript, not handed over twice
    page.wait_for_timeout(6000)
    expect(news).to_have_count(2)


def test_news_is_only_for_its_own_conversation(stack: Stack, portal: str) -> None:  # noqa: F811
    registration, _ = stack.register.create(kind="suggestion", kind_predicted="suggestion", channel="socketio",
                                            sender_id="web-anna-session", text="Ierosinu soliņus parkā")
    stack.register.change_status(registration.reference, "decided", "Ilze Ozola", "Soliņi būs maijā")

    def news(session: str) -> list[str]:
        answer = requests.get(f"{portal}widget/news", params={"session": session}, timeout=10)
        assert answer.status_code == 200
        return answer.json()["news"]

    assert news("web-peteris-session") == [] and news("anna-session-guess") == []
    (told,) = news("web-anna-session")
    assert registration.reference in told and "Soliņi būs maijā" in told
    assert news("web-anna-session") == [], "handed over once"
    assert requests.get(f"{portal}widget/news", timeout=10).status_code == 400
