"""Reports for managers: weekly counts, the PNG chart (Telegram and the staff page), the CSV export."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from bot.register import Registration
from bot.staff.report import WEEKS, chart_png, weekly_counts, write_channel_counts

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


def test_registrations_are_counted_by_channel() -> None:
    found = [replace(registration("complaint", TODAY), channel="e-pasts"),
             replace(registration("suggestion", TODAY), channel="e-pasts"),
             replace(registration("complaint", TODAY - timedelta(days=1)), channel="e-pasts"),
             registration("complaint", TODAY)]
    assert weekly_counts(found, lambda _: 21, TODAY).by_channel == {"e-pasts": 3, "rest": 1}
    out = io.StringIO()
    assert write_channel_counts(found, out) == 3
    assert out.getvalue().splitlines() == ["channel,kind,registrations", "e-pasts,complaint,2",
                                           "e-pasts,suggestion,1", "rest,complaint,1"]
