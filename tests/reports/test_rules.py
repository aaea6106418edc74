"""The report's rules on many inputs: pure, no database (README: "Reports")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedq.api.reports.tables import FORMULA_STARTS, cell, to_csv
from schedq.services.reports.figures import (
    StationChange,
    Target,
    TicketEvent,
    Visit,
    _slices,
    site_figures,
)

CHICAGO = ZoneInfo("America/Chicago")
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 00:00 in Chicago
END = START + timedelta(days=2)
STATION = 7


def figures(
    *,
    visits=(),
    changes=(),
    first=date(2026, 3, 2),
    last=date(2026, 3, 3),
    start=START,
    end=END,
    opening=None,
):
    """The figures of a site open round the clock unless `opening` says when it opens."""
    return site_figures(
        tz=CHICAGO,
        first_day=first,
        last_day=last,
        start=start,
        end=end,
        target=Target(15, 90),
        visits=list(visits),
        station_names={STATION: "Station 7"},
        station_changes=list(changes),
        ratings=[],
        opening=[(start, end)] if opening is None else opening,
        service_names={"DRAW": "Blood draw"},
    )


minutes_in_range = st.integers(min_value=0, max_value=2 * 24 * 60 - 1)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_open_time_is_cut_at_quarter_hours_without_losing_a_second(offset_seconds, length_seconds):
    since = START + timedelta(seconds=offset_seconds)
    until = since + timedelta(seconds=length_seconds)
    pieces = list(_slices(since, until))
    assert sum(m for _, m in pieces) == pytest.approx(length_seconds / 60, abs=1e-6)
    for piece_start, piece_minutes in pieces:
        quarter = piece_start.replace(minute=piece_start.minute // 15 * 15, second=0, microsecond=0)
        assert piece_start + timedelta(minutes=piece_minutes) <= quarter + timedelta(minutes=15)


@given(
    st.lists(st.tuples(minutes_in_range, st.booleans()), max_size=12),
    st.lists(st.tuples(minutes_in_range, st.integers(0, 90)), max_size=8),
)
def test_a_station_is_never_busier_than_open(switches, holds):
    changes = [
        StationChange(STATION, START + timedelta(minutes=m), "open" if is_open else "closed")
        for m, is_open in sorted(switches)
    ]
    visits = []
    for index, (called, held) in enumerate(holds):
        at = START + timedelta(minutes=called)
        visits.append(
            Visit(
                ticket_id=index,
                kind="walk_in",
                service="DRAW",
                joined_at=at,
                wait_start=at,
                events=[
                    TicketEvent(at, "join", "waiting", None),
                    TicketEvent(at, "call", "called", STATION),
                    TicketEvent(at + timedelta(minutes=held), "no_show", "no_show", STATION),
                ],
            )
        )
    result = figures(visits=visits, changes=changes)
    for row in result.stations:
        assert row.busy_minutes <= row.open_minutes + 0.1
        assert row.utilisation_percent is None or 0 <= row.utilisation_percent <= 100
    assert result.summary.busy_minutes <= result.summary.open_minutes + 0.1


def test_a_station_open_across_the_spring_forward_counts_real_minutes():
    # Sunday 8 March 2026, Chicago: 02:00 CST becomes 03:00 CDT. Open 01:00 CST to 04:00 CDT: two real hours.
    opened = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    closed = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
    day = date(2026, 3, 8)
    result = figures(
        changes=[StationChange(STATION, opened, "open"), StationChange(STATION, closed, "closed")],
        first=day,
        last=day,
        start=datetime(2026, 3, 8, 6, 0, tzinfo=UTC),
        end=datetime(2026, 3, 9, 5, 0, tzinfo=UTC),
    )
    assert result.days[0].open_minutes == 120
    assert {row.starts: row.stations_open for row in result.half_hours if row.stations_open} == {
        "01:00": 1.0,
        "01:30": 1.0,
        "03:00": 1.0,
        "03:30": 1.0,
    }


@given(st.text())
def test_no_text_cell_reads_as_a_formula_and_the_rest_is_kept(text):
    written = cell(text)
    assert not written.startswith(FORMULA_STARTS)
    assert written == text or written == "'" + text


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20), min_size=1, max_size=5
    )
)
def test_a_csv_reads_back_the_cells_it_wrote(texts):
    rows = [{"comment": text, "rating": 3} for text in texts]
    read = list(csv.DictReader(io.StringIO(to_csv(rows)[1:], newline="")))
    assert [row["comment"] for row in read] == [cell(text) for text in texts]
    assert {row["rating"] for row in read} == {"3"}


def held(ticket_id: int, since: datetime, until: datetime) -> Visit:
    """A walk-in called to the station at `since` who left it (no-show) at `until`."""
    return Visit(
        ticket_id=ticket_id,
        kind="walk_in",
        service="DRAW",
        joined_at=since,
        wait_start=since,
        events=[
            TicketEvent(since, "join", "waiting", None),
            TicketEvent(since, "call", "called", STATION),
            TicketEvent(until, "no_show", "no_show", STATION),
        ],
    )


def test_a_station_open_a_few_seconds_shows_no_share_busy_beside_zero_minutes():
    # What the page once showed: open 0 min, busy 0 min, and yet 4.5 % busy on the same row.
    opened = START + timedelta(hours=14)
    changes = [
        StationChange(STATION, opened, "open"),
        StationChange(STATION, opened + timedelta(seconds=2), "closed"),
    ]
    result = figures(visits=[held(1, opened, opened + timedelta(milliseconds=90))], changes=changes)
    assert result.stations == []  # nothing to show: no row of zeros with a share
    assert (result.days[0].open_minutes, result.days[0].utilisation_percent) == (0.0, None)
    assert result.summary.utilisation_percent is None


@given(
    st.integers(0, 3 * 60 * 60),
    st.integers(1, 4 * 60 * 60),
    st.lists(st.tuples(st.integers(0, 4 * 60 * 60), st.integers(0, 30 * 60)), max_size=6),
)
def test_the_share_busy_is_the_minutes_shown_and_half_hours_add_up_to_them(offset, length, holds):
    opened = START + timedelta(hours=8, seconds=offset)
    changes = [
        StationChange(STATION, opened, "open"),
        StationChange(STATION, opened + timedelta(seconds=length), "closed"),
    ]
    visits = [
        held(n, opened + timedelta(seconds=since), opened + timedelta(seconds=since + hold))
        for n, (since, hold) in enumerate(holds)
    ]
    result = figures(visits=visits, changes=changes, last=date(2026, 3, 2), end=START + timedelta(days=1))
    shown = [result.summary, result.days[0], *result.stations]
    for row in shown:
        if row.open_minutes == 0:
            assert row.utilisation_percent is None and row.busy_minutes == 0
        else:
            assert row.utilisation_percent == round(100 * row.busy_minutes / row.open_minutes, 1)
    for row in result.stations:
        assert row.open_minutes > 0
    stations_open = sum(row.stations_open or 0 for row in result.half_hours)
    assert 30 * stations_open * max(result.days_open, 1) == pytest.approx(
        result.days[0].open_minutes, abs=0.06 + 0.15 * len(result.half_hours)
    )


def test_a_station_open_overnight_or_past_closing_counts_the_sites_hours_only():
    # Open Monday 07:00 to 12:00 and 13:00 to 17:00 (Chicago); the station opens Monday 06:00 and is left
    # open until Tuesday 10:00, with a patient held at it from 16:30 to 17:30 on Monday.
    def local(day: int, hour: int, minute: int = 0) -> datetime:
        return START + timedelta(days=day, hours=hour, minutes=minute)

    opening = [(local(d, 7), local(d, 12)) for d in (0, 1)] + [(local(d, 13), local(d, 17)) for d in (0, 1)]
    result = figures(
        visits=[held(1, local(0, 16, 30), local(0, 17, 30))],
        changes=[StationChange(STATION, local(0, 6), "open"), StationChange(STATION, local(1, 10), "closed")],
        opening=opening,
    )
    monday, tuesday = result.stations
    assert (monday.open_minutes, monday.busy_minutes) == (540, 30)  # 07-12 and 13-17; busy until 17:00
    assert tuesday.open_minutes == 180  # 07:00 to 10:00, not the night before
    assert result.summary.open_minutes == 720
    halves = {row.starts: row.stations_open for row in result.half_hours}
    assert "06:30" not in halves and halves["12:00"] == 0 and not halves.get("17:00")
    assert halves["07:00"] == 1.0 and halves["16:30"] == 0.5  # Monday only, of two days open
