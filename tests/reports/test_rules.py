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


def figures(*, visits=(), changes=(), first=date(2026, 3, 2), last=date(2026, 3, 3), start=START, end=END):
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
