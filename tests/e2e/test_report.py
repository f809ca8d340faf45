"""Reports for managers: weekly counts, the PNG chart (Telegram and the staff page), the CSV export."""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date
from pathlib import Path

from bot.register import Registration
from tests.conftest import ROOT
from tests.e2e.conftest import Stack
from tests.e2e.fake_telegram import FakeBotApi
from tests.e2e.test_staff import STAFF_LOGIN, STAFF_PASSWORD, staff_member, staff_portal, staff_tg  # noqa: F401
from tests.e2e.test_telegram import TelegramUser, wait_until

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_report_in_the_telegram_staff_chat_is_a_photo(
    stack: Stack, telegram_api: FakeBotApi, staff_tg: TelegramUser  # noqa: F811
) -> None:
    photos_before = len(telegram_api.called("sendPhoto"))
    answer = staff_tg.say("pārskats")
    assert "Atvērti:" in answer[0]["text"] and "kavēti:" in answer[0]["text"]
    wait_until(lambda: len(telegram_api.called("sendPhoto")) > photos_before, timeout=30)
    photo = telegram_api.called("sendPhoto")[-1]
    assert int(photo["chat_id"]) == staff_tg.id and photo["photo"].startswith(PNG_SIGNATURE)


def test_report_on_the_staff_page(staff_portal: str) -> None:  # noqa: F811
    """Shown as an image under the page's own Content-Security-Policy (no bypass)."""
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.test_web_widget import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.goto(staff_portal + "staff")
        page.get_by_label("Lietotājvārds").fill(STAFF_LOGIN)
        page.get_by_label("Parole").fill(STAFF_PASSWORD)
        page.keyboard.press("Enter")
        expect(page.locator("#chat")).to_be_visible(timeout=15_000)
        page.get_by_label("Komanda vai jautājums").fill("pārskats")
        page.keyboard.press("Enter")
        chart = page.locator("#log img.chart")
        expect(chart).to_have_count(1, timeout=30_000)
        assert chart.get_attribute("src").startswith("data:image/png;base64,")
        page.wait_for_function("document.querySelector('#log img.chart').naturalWidth > 0", timeout=10_000)
        assert "Atvērti:" in page.locator("#log").inner_text()
        browser.close()


def test_the_csv_export_has_no_personal_data(stack: Stack, tmp_path: Path) -> None:
    created, code = stack.register.create(kind="complaint", kind_predicted="suggestion", channel="telegram",
                                          sender_id="5550001", text="Kaimiņš Pēteris Ozols no Liepu 4 trokšņo naktīs",
                                          contact="peteris@example.lv", delivery={"telegram": "5550001"})
    out = tmp_path / "export.csv"
    done = subprocess.run([sys.executable, "-m", "bot.staff.report", "--since", "2026-01-01", "--csv", str(out)], cwd=ROOT,
                          env=stack.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    content = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(content.splitlines()))
    (row,) = [r for r in rows if r["reference"] == created.reference]
    assert (row["kind"], row["kind_predicted"], row["channel"], row["status"]) == ("complaint", "suggestion",
                                                                                  "telegram", "registered")
    for personal in ("peteris@example.lv", "5550001", "Pēteris", "Liepu", created.sender_hash,
                     created.access_code_hash, code):
        assert personal not in content
    assert len(rows) == sum(r.created_at.date() >= date(2026, 1, 1) for r in _all(stack)), "one row each"


def _all(stack: Stack) -> list[Registration]:
    from bot.register.queries import Filters, matching

    return matching(stack.register.engine, Filters(), lambda _: 21, date.today())
