"""Reports for managers: registrations per week by kind (a PNG chart), and a CSV export.

``python -m bot.staff.report --since 2026-01-01 --csv FILE`` writes one row per registration with
no personal data: no contact, sender hash, delivery address or access-code hash, and no free
text either (citizens write names, addresses and phone numbers into it; only personal codes
are masked), so the export can be shared and kept like any statistics.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional, TextIO

from bot.register import KINDS, Registration, open_configured_register
from bot.register.lifecycle import OPEN_STATUSES
from bot.register.queries import Filters, HandlingDays, deadline, is_overdue, matching
from knowledge_base.catalogue import load_catalogue

WEEKS = 12
CSV_COLUMNS = ("reference", "kind", "kind_predicted", "service_id", "channel", "status", "created_at", "updated_at",
               "deadline", "overdue")
KIND_COLOURS = {"complaint": "#b2182b", "suggestion": "#2166ac", "service_request": "#4d9221"}


@dataclass(frozen=True)
class WeeklyReport:
    weeks: list[date]  # Mondays, oldest first
    counts: dict[str, list[int]]  # kind -> registrations in each week
    open: int
    overdue: int
    by_channel: dict[str, int] = field(default_factory=dict)  # registrations in the period by channel


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_counts(found: list[Registration], handling_days: HandlingDays, today: date, weeks: int = WEEKS) -> WeeklyReport:
    """Registrations per week (Monday to Sunday) by kind for the last ``weeks`` weeks, this one
    included, and how many of all registrations are open and overdue today."""
    first = monday(today) - timedelta(weeks=weeks - 1)
    mondays = [first + timedelta(weeks=i) for i in range(weeks)]
    counts = {kind: [0] * weeks for kind in KINDS}
    channels: Counter = Counter()
    for registration in found:
        week = (monday(registration.created_at.date()) - first).days // 7
        if 0 <= week < weeks:
            counts[registration.kind][week] += 1
            channels[registration.channel] += 1
    return WeeklyReport(
        weeks=mondays,
        counts=counts,
        open=sum(r.status in OPEN_STATUSES for r in found),
        overdue=sum(is_overdue(r, handling_days, today) for r in found),
        by_channel=dict(channels.most_common()),
    )


def chart_png(report: WeeklyReport) -> bytes:
    """The weekly report as a stacked bar chart (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 4.5), dpi=100)
    labels = [f"{week:%d.%m}" for week in report.weeks]
    bottom = [0] * len(labels)
    for kind, (_, name) in KINDS.items():
        axes.bar(labels, report.counts[kind], bottom=bottom, label=name, color=KIND_COLOURS[kind])
        bottom = [b + n for b, n in zip(bottom, report.counts[kind])]
    axes.set_title(f"Pieteikumi pa nedēļām (pēdējās {len(labels)}). Atvērti: {report.open}, kavēti: {report.overdue}")
    axes.set_xlabel("Nedēļa (pirmdiena)")
    axes.set_ylabel("Pieteikumi")
    axes.set_ylim(0, max(max(bottom), 1) * 1.2)  # room for the legend; an empty report is not below zero
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="upper left")
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    pyplot.close(figure)
    return out.getvalue()


def write_csv(found: list[Registration], handling_days: HandlingDays, today: date, out: TextIO) -> int:
    """One row per registration, oldest first, without personal data; how many rows."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in sorted(found, key=lambda r: (r.created_at, r.reference)):
        writer.writerow([r.reference, r.kind, r.kind_predicted or "", r.service_id or "", r.channel, r.status,
                         r.created_at.isoformat(timespec="seconds"), r.updated_at.isoformat(timespec="seconds"),
                         deadline(r, handling_days).isoformat(), "1" if is_overdue(r, handling_days, today) else "0"])
    return len(found)


def write_channel_counts(found: list[Registration], out: TextIO) -> int:
    """Registrations by channel and kind (one row each, most first); how many rows."""
    writer = csv.writer(out)
    writer.writerow(("channel", "kind", "registrations"))
    counts = Counter((r.channel, r.kind) for r in found)
    for (channel, kind), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        writer.writerow((channel, kind, count))
    return len(counts)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff.report", description="Reports on the register.")
    parser.add_argument("--since", type=date.fromisoformat, required=True, help="first day, e.g. 2026-01-01")
    parser.add_argument("--csv", required=True, help="file to write ('-' for standard output)")
    parser.add_argument("--by-channel", action="store_true", help="counts by channel and kind instead of rows")
    args = parser.parse_args(argv)
    handling_days, today = load_catalogue().handling_days, date.today()
    found = matching(open_configured_register().engine, Filters(since=args.since), handling_days, today)
    def write(out: TextIO) -> int:
        return write_channel_counts(found, out) if args.by_channel else write_csv(found, handling_days, today, out)

    if args.csv == "-":
        write(sys.stdout)
        return 0
    with open(args.csv, "w", encoding="utf-8", newline="") as out:
        rows = write(out)
    print(f"{rows} rows written to {args.csv}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
