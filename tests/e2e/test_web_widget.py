"""The web portal and its chat widget in real headless Chromium, driven by keyboard only."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from typing import Iterator

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ROOT
from tests.e2e.conftest import REFERENCE, Stack, free_port, wait_for

AXE = ROOT / "connectors" / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
COMPLAINT = "Jau trešo nedēļu neviens nav izvedis atkritumus no mūsu pagalma, esmu ļoti neapmierināts"


def start_portal(stack: Stack, rasa_port: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**stack.env, "WEB_PORT": str(port), "RASA_PORT": str(rasa_port)}
    process = subprocess.Popen([sys.executable, "-m", "connectors.web.server"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}/"
    wait_for(url, process, timeout=30)
    return process, url


@pytest.fixture(scope="module")
def portal(stack: Stack) -> Iterator[str]:
    process, url = start_portal(stack, stack.rasa_port)
    yield url
    process.terminate()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 768})
    yield context.new_page()
    context.close()


def tab_to(page: Page, name: str, limit: int = 40) -> None:
    """Press Tab until the focused button's text or a control's label contains the name."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(el => (el.tagName === 'BUTTON' ? el.textContent : '') + (el.getAttribute('aria-label') || ''))"
            "(document.activeElement)"
        )
        if name in focused:
            return
    raise AssertionError(f"could not reach {name!r} with the keyboard")


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    tab_to(page, "Atvērt tērzēšanu")
    page.keyboard.press("Enter")
    expect(page.locator("#paligs-input")).to_be_focused()


def wait_for_reply(page: Page) -> None:
    """Wait until the bot has answered after its welcome message."""
    page.wait_for_function("document.querySelectorAll('.paligs-bot').length >= 2", timeout=60000)


def test_portal_serves_everything_locally(portal: str) -> None:
    html = requests.get(portal, timeout=10).text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(s.startswith("/") or s.startswith("mailto:") for s in sources), sources
    assert requests.get(portal + "widget/socket.io.min.js", timeout=10).ok
    assert requests.get(portal + "widget/../bot/settings.py", timeout=10).status_code == 404


def test_keyboard_only_registration_survives_a_reload(stack: Stack, portal: str, page: Page) -> None:
    open_chat(page, portal)
    page.keyboard.type(COMPLAINT)
    page.keyboard.press("Enter")
    expect(page.locator(".paligs-bot .paligs-text").last).to_contain_text("Reģistrēšu to kā sūdzību", timeout=60000)

    page.reload()
    expect(page.locator(".paligs-user .paligs-text").last).to_have_text(COMPLAINT)
    expect(page.locator(".paligs-choice").first).to_be_visible()
    page.wait_for_function("document.querySelector('.paligs-send') && !document.querySelector('.paligs-send').disabled")
    tab_to(page, "Jā, sūdzība")
    page.keyboard.press("Enter")
    expect(page.locator(".paligs-bot .paligs-text").last).to_contain_text("e-pastu vai tālruni", timeout=60000)
    tab_to(page, "Nē, bez kontaktiem")
    page.keyboard.press("Enter")
    confirmation_message = page.locator(".paligs-bot .paligs-text").filter(has_text="Numurs:")
    expect(confirmation_message).to_have_count(1, timeout=60000)

    confirmation = confirmation_message.inner_text()
    reference = REFERENCE.search(confirmation).group(0)
    stored = stack.register.find(reference)
    assert stored is not None and stored.channel == "socketio" and stored.kind == "complaint"


def test_markup_is_shown_as_text_and_runs_nothing(portal: str, page: Page) -> None:
    open_chat(page, portal)
    attack = '<img src=x onerror="window.__xss=1"><b>treknraksts</b>'
    page.keyboard.type(attack)
    page.keyboard.press("Enter")
    expect(page.locator(".paligs-user .paligs-text").last).to_have_text(attack)
    wait_for_reply(page)
    assert page.locator(".paligs img, .paligs b").count() == 0
    assert page.evaluate("window.__xss") is None


@pytest.mark.parametrize("width", [1024, 320])
def test_no_serious_accessibility_violations(portal: str, page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 700})
    open_chat(page, portal)
    page.keyboard.type("Kas ir sūdzība?")
    page.keyboard.press("Enter")
    wait_for_reply(page)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations.map(v => ({id: v.id, impact: v.impact}))")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    panel = page.locator("#paligs-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= width


def test_new_bot_messages_are_announced(portal: str, page: Page) -> None:
    open_chat(page, portal)
    log = page.locator(".paligs-log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert page.locator("label[for=paligs-input]").inner_text() == "Jūsu ziņa"


def test_unreachable_bot_is_reported(stack: Stack, page: Page) -> None:
    process, url = start_portal(stack, free_port())
    try:
        open_chat(page, url)
        expect(page.locator(".paligs-status")).to_contain_text("Nav savienojuma", timeout=20000)
        expect(page.locator(".paligs-send")).to_be_disabled()
    finally:
        process.terminate()
