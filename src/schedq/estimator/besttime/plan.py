"""What a site knows of one local day ahead: opening hours, walk-in hours, capacity plan, stations, bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..snapshot import StaffingBlock


@dataclass(frozen=True, slots=True)
class BookedAppointment:
    """An appointment booked on a day of the plan (UTC)."""

    appointment_at: datetime
    service_code: str


@dataclass(frozen=True, slots=True)
class DayPlan:
    """What a site knows of one local day ahead: hours, capacity plan, stations and bookings.

    `opening_intervals` are the UTC intervals the site is open (empty: closed
    all day); walk-ins may join in them until `walk_in_cutoff_minutes` before
    the last one closes. `staffing` is the day's capacity plan (the
    `StaffingBlock` rule of the snapshot; a gap between blocks is a closure and
    the last block serves the line out). `station_skills` are the skills of
    the site's stations: a block planning k stations opens the k most skilled
    (most skills first, then in the order given); more than that get the
    block's `added_station_skills`, else the union of all skills. Empty means
    every station does every service. For today, when a snapshot is given,
    the stations open now and its waiting tickets and upcoming appointments
    replace `station_skills` and `appointments` (see `best_times`).
    """

    local_date: date
    opening_intervals: tuple[tuple[datetime, datetime], ...]
    staffing: tuple[StaffingBlock, ...] = ()
    station_skills: tuple[frozenset[str], ...] = ()
    appointments: tuple[BookedAppointment, ...] = ()
    walk_in_cutoff_minutes: int = 0
    grace_minutes: int = 15

    @property
    def weekday(self) -> int:
        """0 is Monday, as in `FittedModel.walk_in_rate_per_hour`."""
        return self.local_date.weekday()

    @property
    def closes_at(self) -> datetime | None:
        return max((end for _, end in self.opening_intervals), default=None)

    def walk_in_intervals(self) -> list[tuple[datetime, datetime]]:
        """The opening intervals cut at the walk-in cut-off."""
        if not self.opening_intervals:
            return []
        assert self.closes_at is not None  # the day has opening intervals
        cutoff = self.closes_at - timedelta(minutes=self.walk_in_cutoff_minutes)
        return [(a, min(b, cutoff)) for a, b in sorted(self.opening_intervals) if min(b, cutoff) > a]
