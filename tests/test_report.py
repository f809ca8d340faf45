"""Reports for managers: weekly counts, the PNG chart (Telegram and the staff page), the CSV export."""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from bot.register import Registration
from bot.report import WEEKS, chart_png, weekly_counts
from tests.conftest import ROOT, Stack
from tests.fake_telegram import FakeBotApi
from tests.test_staff import STAFF_LOGIN, STAFF_PASSWORD, staff_member, staff_portal, staff_tg  # noqa: F401
from tests.test_telegram import TelegramUser, wait_until

TODAY = date(2026, 11, 30)  # a Monday
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def registration(kind: str, created: date, status: str = "registered", service_id: str | None = None) -> Registration:
    moment = datetime(created.year, created.month, created.day, 10, tzinfo=timezone.utc)
    return Registration(reference=f"X-{created:%Y%m%d}", kind=kind, kind_predicted=kind, text="…", service_id=service_id,
                        channel="rest", sender_hash="h", contact=None, access_code_hash="c", status=status,
                        created_at=moment, updated_at=moment)


def test_weekly_counts_by_kind_with_open_and_overdue() -> None:
    found = [
        registration("complaint", TODAY),  # this week
        registration("complaint", TODAY + timedelta(days=6)),  # Sunday: still this week
        registration("suggestion", TODAY - timedelta(days=1), status="closed"),  # last week
        registration("service_request", TODAY - timedelta(weeks=WEEKS - 1)),  # the first week shown
        registration("complaint", TODAY - timedelta(weeks=WEEKS), status="in_review"),  # too old to show, overdue
    ]
    report = weekly_counts(found, lambda _: 21, TODAY)
    assert report.weeks[0] == TODAY - timedelta(weeks=WEEKS - 1) and report.weeks[-1] == TODAY
    assert report.counts["complaint"] == [0] * (WEEKS - 1) + [2]
    assert report.counts["suggestion"] == [0] * (WEEKS - 2) + [1, 0]
    assert report.counts["service_request"] == [1] + [0] * (WEEKS - 1)
    assert (report.open, report.overdue) == (4, 2)


def test_the_chart_is_a_png() -> None:
    report = weekly_counts([registration("complaint", TODAY)], lambda _: 21, TODAY)
    png = chart_png(report)
    assert png.startswith(PNG_SIGNATURE) and 5_000 < len(png) < 500_000


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

    from tests.test_web_widget import CHROMIUM, CHROMIUM_ARGS

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
    done = subprocess.run([sys.executable, "-m", "bot.report", "--since", "2026-01-01", "--csv", str(out)], cwd=ROOT,
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
