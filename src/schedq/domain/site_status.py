"""Is the site open, and may someone join the line now? One answer for every surface.

`site_status` is a pure function of the site's weekly hours, closed dates,
walk-in cut-off, whether staff closed the day, the `walk_ins_during_closure`
setting, the site's zone and the instant. Exactly one state holds, checked in
this order (README, "Site status and joining when closed"):

1. `closed_today`: the local date is a closed date (with its reason);
2. `opens_tomorrow` / `opens_later`: today's last interval has ended (or the
   weekday has no hours), so the next opening is on a later day;
3. `closed_by_staff`: staff closed the day;
4. `no_more_walk_ins`: the walk-in cut-off (minutes before the last closing)
   has passed; everyone already in line is still served;
5. `open`: inside an opening interval;
6. `opens_today`: before today's first interval;
7. `midday_break`: between two of today's intervals.

Kiosk and remote walk-ins join only when `open`, or during a `midday_break`
when the site accepts walk-ins during closures (their wait then counts from
reopening). Appointment check-ins are welcome while the site is open (the
cut-off is for walk-ins), and early — before opening or during a midday
break — when the appointment is after the site (re)opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from schedq.domain import messages, schedule

LOOK_AHEAD_DAYS = 400
"""How far ahead the next opening is looked for (a year of closed dates and then some)."""


class SiteState(StrEnum):
    OPEN = "open"
    MIDDAY_BREAK = "midday_break"
    OPENS_TODAY = "opens_today"
    OPENS_TOMORROW = "opens_tomorrow"
    OPENS_LATER = "opens_later"
    CLOSED_TODAY = "closed_today"
    NO_MORE_WALK_INS = "no_more_walk_ins"
    CLOSED_BY_STAFF = "closed_by_staff"


@dataclass(frozen=True, slots=True)
class SiteStatus:
    """Where the site stands at `at`, with plain messages for people not in line."""

    state: SiteState
    at: datetime  # UTC
    timezone: str
    closes_at: datetime | None  # end of today's last interval; None on a day without hours
    walk_ins_until: datetime | None  # while walk-ins join: when joining stops next
    reopens_at: datetime | None  # during a midday break: the end of the break
    next_opening_at: datetime | None  # while closed: when the line opens again (None: no hours ahead)
    closure_reason: str | None  # on a closed date
    walk_ins_accepted: bool  # kiosk and remote joins
    check_ins_accepted: bool  # appointment check-ins (early ones: see accepts_check_in)
    messages: dict[str, str] = field(default_factory=dict)

    @property
    def waits_count_from(self) -> datetime | None:
        """When someone accepted now starts being served: the (re)opening later today, if closed."""
        if self.state in (SiteState.MIDDAY_BREAK, SiteState.OPENS_TODAY):
            return self.next_opening_at
        return None

    def accepts_check_in(self, appointment_at: datetime) -> bool:
        """Whether an appointment at `appointment_at` today may check in now."""
        if self.state in (SiteState.OPEN, SiteState.NO_MORE_WALK_INS):
            return True
        if self.state is SiteState.MIDDAY_BREAK and self.walk_ins_accepted:
            return True
        if self.state in (SiteState.OPENS_TODAY, SiteState.MIDDAY_BREAK):
            return self.next_opening_at is not None and appointment_at >= self.next_opening_at
        return False

    def message(self, language: str) -> str:
        return self.messages.get(language) or self.messages[messages.LANGUAGES[0]]


def site_status(
    *,
    hours: Iterable[schedule.WeeklyInterval],
    closures: Mapping[date, str],
    walk_in_cutoff_minutes: int,
    closed_by_staff: bool,
    walk_ins_during_closure: bool,
    tz: ZoneInfo,
    now: datetime,
) -> SiteStatus:
    """The one status of a site at `now` (see the module docstring for the order of states)."""
    hours = list(hours)
    closed_days = frozenset(closures)
    today = schedule.local_day(now, tz)
    intervals = schedule.opening_intervals(today, hours, tz, closed_days)
    closes_at = intervals[-1][1] if intervals else None
    cutoff_at = closes_at - timedelta(minutes=walk_in_cutoff_minutes) if closes_at else None

    def after_today(state: SiteState, reason: str | None = None) -> SiteStatus:
        opening = _next_opening(today, hours, tz, closed_days)
        if state is SiteState.OPENS_TOMORROW and (
            opening is None or schedule.local_day(opening, tz) != today + timedelta(days=1)
        ):
            state = SiteState.OPENS_LATER
        return _status(
            state,
            at=now,
            timezone=tz.key,
            closes_at=closes_at,
            next_opening_at=opening,
            closure_reason=reason,
            tz=tz,
            walk_ins_accepted=False,
            check_ins_accepted=False,
            cutoff_at=cutoff_at,
        )

    if today in closures:
        return after_today(SiteState.CLOSED_TODAY, closures[today] or None)
    if closes_at is None or now >= closes_at:
        return after_today(SiteState.OPENS_TOMORROW)
    if closed_by_staff:
        return after_today(SiteState.CLOSED_BY_STAFF)
    assert cutoff_at is not None  # set whenever closes_at is
    if now >= cutoff_at:
        return _status(
            SiteState.NO_MORE_WALK_INS,
            at=now,
            timezone=tz.key,
            closes_at=closes_at,
            next_opening_at=_next_opening(today, hours, tz, closed_days),
            cutoff_at=cutoff_at,
            tz=tz,
            walk_ins_accepted=False,
            check_ins_accepted=True,
        )
    current = next(((start, end) for start, end in intervals if start <= now < end), None)
    if current is not None:
        stops = cutoff_at if walk_ins_during_closure else min(current[1], cutoff_at)
        return _status(
            SiteState.OPEN,
            at=now,
            timezone=tz.key,
            closes_at=closes_at,
            walk_ins_until=stops,
            cutoff_at=cutoff_at,
            tz=tz,
            walk_ins_accepted=True,
            check_ins_accepted=True,
        )
    opening = next(start for start, _ in intervals if start > now)
    if opening == intervals[0][0]:
        return _status(
            SiteState.OPENS_TODAY,
            at=now,
            timezone=tz.key,
            closes_at=closes_at,
            next_opening_at=opening,
            cutoff_at=cutoff_at,
            tz=tz,
            walk_ins_accepted=False,
            check_ins_accepted=True,
        )
    return _status(
        SiteState.MIDDAY_BREAK,
        at=now,
        timezone=tz.key,
        closes_at=closes_at,
        reopens_at=opening,
        next_opening_at=opening,
        cutoff_at=cutoff_at,
        tz=tz,
        walk_ins_until=cutoff_at if walk_ins_during_closure else None,
        walk_ins_accepted=walk_ins_during_closure,
        check_ins_accepted=True,
    )


def _next_opening(
    today: date, hours: list[schedule.WeeklyInterval], tz: ZoneInfo, closed_days: frozenset[date]
) -> datetime | None:
    """The first opening instant on a day after `today`; None when no hours lie ahead."""
    if not hours:
        return None
    for ahead in range(1, LOOK_AHEAD_DAYS):
        intervals = schedule.opening_intervals(today + timedelta(days=ahead), hours, tz, closed_days)
        if intervals:
            return intervals[0][0]
    return None


def _status(
    state: SiteState,
    *,
    at: datetime,
    timezone: str,
    tz: ZoneInfo,
    closes_at: datetime | None,
    cutoff_at: datetime | None,
    walk_ins_accepted: bool,
    check_ins_accepted: bool,
    walk_ins_until: datetime | None = None,
    reopens_at: datetime | None = None,
    next_opening_at: datetime | None = None,
    closure_reason: str | None = None,
) -> SiteStatus:
    said = {
        language: _words(
            state,
            language=language,
            tz=tz,
            at=at,
            cutoff_at=cutoff_at,
            walk_ins_until=walk_ins_until,
            next_opening_at=next_opening_at,
            closure_reason=closure_reason,
            walk_ins_accepted=walk_ins_accepted,
        )
        for language in messages.LANGUAGES
    }
    return SiteStatus(
        state=state,
        at=at,
        timezone=timezone,
        closes_at=closes_at,
        walk_ins_until=walk_ins_until,
        reopens_at=reopens_at,
        next_opening_at=next_opening_at,
        closure_reason=closure_reason,
        walk_ins_accepted=walk_ins_accepted,
        check_ins_accepted=check_ins_accepted,
        messages=said,
    )


def _words(
    state: SiteState,
    *,
    language: str,
    tz: ZoneInfo,
    at: datetime,
    cutoff_at: datetime | None,
    walk_ins_until: datetime | None,
    next_opening_at: datetime | None,
    closure_reason: str | None,
    walk_ins_accepted: bool,
) -> str:
    """The status as sentences for someone deciding whether to come (never "you will be called")."""
    say = messages.catalogue(language)
    if state is SiteState.OPEN:
        return say("status_open", time=_wall(walk_ins_until, tz))
    if state is SiteState.MIDDAY_BREAK:
        sentences = [say("status_midday_break", time=_wall(next_opening_at, tz))]
        if walk_ins_accepted:
            sentences.append(say("join_during_break", time=_wall(next_opening_at, tz)))
        return " ".join(sentences)
    opening = _opening_words(say, language=language, tz=tz, at=at, opening=next_opening_at)
    if state in (SiteState.OPENS_TODAY, SiteState.OPENS_TOMORROW, SiteState.OPENS_LATER):
        return opening
    if state is SiteState.CLOSED_TODAY:
        first = (
            say("status_closed_today_reason", reason=closure_reason)
            if closure_reason
            else say("status_closed_today")
        )
    elif state is SiteState.CLOSED_BY_STAFF:
        first = say("status_closed_by_staff")
    else:
        first = say("status_no_more_walk_ins", time=_wall(cutoff_at, tz))
    return f"{first} {opening}"


def _opening_words(
    say: messages.Say, *, language: str, tz: ZoneInfo, at: datetime, opening: datetime | None
) -> str:
    if opening is None:
        return say("status_no_hours")
    days_ahead = (schedule.local_day(opening, tz) - schedule.local_day(at, tz)).days
    time = _wall(opening, tz)
    if days_ahead == 0:
        return say("status_opens_today", time=time)
    if days_ahead == 1:
        return say("status_opens_tomorrow", time=time)
    local = opening.astimezone(tz)
    if days_ahead < 7:
        return say("status_opens_on_weekday", weekday=say(f"weekday_{local.weekday()}"), time=time)
    return say("status_opens_on_date", date=local.date().isoformat(), time=time)


def _wall(instant: datetime | None, tz: ZoneInfo) -> str:
    return "" if instant is None else f"{instant.astimezone(tz):%H:%M}"
