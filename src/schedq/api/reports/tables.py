"""The report's tables as CSV files a spreadsheet opens cleanly (README: "Reports").

UTF-8 with a byte-order mark (so a spreadsheet reads "Fernández" right), a
header row, plain numbers without units (the unit is in the column's name),
ISO dates, an empty cell for no value, `TRUE`/`FALSE`, and any text cell that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return led by a `'`, so
that a patient's comment is never run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from schedq.services.reports import ChainReport, SiteReport
from schedq.services.reports.figures import KINDS, Summary, TargetFigures, WaitFigures

SITE_TABLES = (
    "summary",
    "days",
    "hours",
    "half_hours",
    "waits",
    "stations",
    "promises",
    "ratings",
    "comments",
)
CHARTS = ("waits", "arrivals", "target", "satisfaction")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"

Row = dict[str, Any]


def site_table(report: SiteReport, table: str) -> list[Row]:
    """One of `SITE_TABLES` of a site's report, as rows of column name to value."""
    return _SITE_TABLES[table](report)


def chain_table(report: ChainReport) -> list[Row]:
    return [
        {
            "site_id": row.site_id,
            "site": row.site,
            "region": row.region,
            "from": report.first_day,
            "to": report.last_day,
            **_summary(row.summary, row.sla_minutes, row.sla_percent),
        }
        for row in report.sites
    ]


def to_csv(rows: Sequence[Row], columns: Sequence[str] | None = None) -> str:
    """The rows as CSV text, BOM first; `columns` name the header when there are no rows."""
    header = list(rows[0]) if rows else list(columns or [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(row[name]) for name in header])
    return BOM + buffer.getvalue()


def cell(value: Any) -> str:
    """A value as a spreadsheet should read it: plain numbers, ISO dates, text never taken for a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def columns_of(table: str) -> list[str]:
    """The header of a table that has no rows (from a report with nothing in it)."""
    return list(_EMPTY_COLUMNS.get(table, []))


# The tables --------------------------------------------------------------------------


def _waits(figures: WaitFigures) -> Row:
    return {
        "waits_counted": figures.count,
        "wait_p50_minutes": figures.p50_minutes,
        "wait_p90_minutes": figures.p90_minutes,
        "wait_max_minutes": figures.max_minutes,
    }


def _target(figures: TargetFigures, sla_percent: int) -> Row:
    return {
        "target_counted": figures.counted,
        "within_target": figures.within,
        "within_target_percent": figures.percent,
        "target_percent": sla_percent,
    }


def _kinds(counts: dict[str, int]) -> Row:
    return {kind: counts[kind] for kind in KINDS}


def _summary(summary: Summary, sla_minutes: int, sla_percent: int) -> Row:
    score = summary.accuracy
    return {
        "arrivals": summary.arrivals,
        **_kinds(summary.arrivals_by_kind),
        "served": summary.outcomes.served,
        "no_show": summary.outcomes.no_show,
        "left": summary.outcomes.left,
        "cancelled": summary.outcomes.cancelled,
        "in_line": summary.outcomes.in_line,
        **_waits(summary.waits),
        "target_minutes": sla_minutes,
        **_target(summary.target, sla_percent),
        "target_met": summary.target.met,
        "open_minutes": summary.open_minutes,
        "busy_minutes": summary.busy_minutes,
        "utilisation_percent": summary.utilisation_percent,
        "promises_counted": score.count,
        "coverage_percent": None if score.coverage is None else round(100 * score.coverage, 1),
        "past_top_percent": None if score.past_p90 is None else round(100 * score.past_p90, 1),
        "ratings": summary.ratings,
        "mean_rating": summary.mean_rating,
    }


def _summary_table(report: SiteReport) -> list[Row]:
    return [
        {
            "site_id": report.site_id,
            "site": report.site,
            "from": report.first_day,
            "to": report.last_day,
            **_summary(report.figures.summary, report.sla_minutes, report.sla_percent),
        }
    ]


def _days(report: SiteReport) -> list[Row]:
    return [
        {
            "date": row.day,
            "arrivals": row.arrivals,
            **_kinds(row.arrivals_by_kind),
            "served": row.outcomes.served,
            "no_show": row.outcomes.no_show,
            "left": row.outcomes.left,
            "cancelled": row.outcomes.cancelled,
            "in_line": row.outcomes.in_line,
            **_waits(row.waits),
            **_target(row.target, report.sla_percent),
            "open_minutes": row.open_minutes,
            "busy_minutes": row.busy_minutes,
            "utilisation_percent": row.utilisation_percent,
            "ratings": row.ratings,
            "mean_rating": row.mean_rating,
        }
        for row in report.figures.days
    ]


def _hours(report: SiteReport) -> list[Row]:
    return [
        {
            "hour": f"{row.hour:02d}:00",
            "arrivals": row.arrivals,
            **_kinds(row.arrivals_by_kind),
            **_waits(row.waits),
            **_target(row.target, report.sla_percent),
        }
        for row in report.figures.hours
    ]


def _half_hours(report: SiteReport) -> list[Row]:
    return [
        {
            "starts": row.starts,
            "arrivals": row.arrivals,
            "arrivals_per_day": row.arrivals_per_day,
            "stations_open": row.stations_open,
            **_waits(row.waits),
        }
        for row in report.figures.half_hours
    ]


def _wait_rows(report: SiteReport) -> list[Row]:
    return [
        {"group": row.group, "name": row.name, "service_name": row.service_name, **_waits(row.waits)}
        for row in report.figures.waits
    ]


def _stations(report: SiteReport) -> list[Row]:
    return [
        {
            "date": row.day,
            "station": row.station,
            "open_minutes": row.open_minutes,
            "busy_minutes": row.busy_minutes,
            "utilisation_percent": row.utilisation_percent,
        }
        for row in report.figures.stations
    ]


def _promises(report: SiteReport) -> list[Row]:
    return [
        {
            "service": row.service or "all",
            "service_name": row.service_name,
            "count": row.score.count,
            "coverage_percent": None if row.score.coverage is None else round(100 * row.score.coverage, 1),
            "past_top_percent": None if row.score.past_p90 is None else round(100 * row.score.past_p90, 1),
            "mae_minutes": None if row.score.mae_minutes is None else round(row.score.mae_minutes, 1),
        }
        for row in report.figures.accuracy
    ]


def _ratings(report: SiteReport) -> list[Row]:
    return [{"rating": stars, "count": count} for stars, count in report.figures.ratings.items()]


def _comments(report: SiteReport) -> list[Row]:
    return [
        {
            "date": c.day,
            "rating": c.rating,
            "service": c.service,
            "service_name": c.service_name,
            "comment": c.comment,
        }
        for c in report.figures.comments
    ]


_SITE_TABLES: dict[str, Callable[[SiteReport], list[Row]]] = {
    "summary": _summary_table,
    "days": _days,
    "hours": _hours,
    "half_hours": _half_hours,
    "waits": _wait_rows,
    "stations": _stations,
    "promises": _promises,
    "ratings": _ratings,
    "comments": _comments,
}

_WAIT_COLUMNS: Iterable[str] = ("waits_counted", "wait_p50_minutes", "wait_p90_minutes", "wait_max_minutes")
_TARGET_COLUMNS = ("target_counted", "within_target", "within_target_percent", "target_percent")
_EMPTY_COLUMNS: dict[str, tuple[str, ...]] = {
    "hours": ("hour", "arrivals", *KINDS, *_WAIT_COLUMNS, *_TARGET_COLUMNS),
    "half_hours": ("starts", "arrivals", "arrivals_per_day", "stations_open", *_WAIT_COLUMNS),
    "stations": ("date", "station", "open_minutes", "busy_minutes", "utilisation_percent"),
    "comments": ("date", "rating", "service", "service_name", "comment"),
    "chain": (
        "site_id",
        "site",
        "region",
        "from",
        "to",
        "arrivals",
        *KINDS,
        "served",
        "no_show",
        "left",
        "cancelled",
        "in_line",
        *_WAIT_COLUMNS,
        "target_minutes",
        *_TARGET_COLUMNS,
        "target_met",
        "open_minutes",
        "busy_minutes",
        "utilisation_percent",
        "promises_counted",
        "coverage_percent",
        "past_top_percent",
        "ratings",
        "mean_rating",
    ),
}
