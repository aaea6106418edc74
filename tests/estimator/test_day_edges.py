"""Closures, today's staffing against the plan, walk-ins still to come and the cold start (docs/estimator.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from schedq.estimator import (
    FittedModel,
    SiteSnapshot,
    StaffingBlock,
    VisitRecord,
    WaitingTicket,
    estimate,
    fit,
)
from schedq.estimator.besttime.plan import DayPlan
from schedq.estimator.besttime.waits import best_times
from schedq.estimator.fit import closure_overrun, opening_delay
from schedq.estimator.model import (
    HALF_HOURS_PER_DAY,
    PRIOR_LONGEST_OPENING_DELAY_MINUTES,
    PRIOR_OPENINGS,
    prior_walk_in_profile,
)
from schedq.estimator.montecarlo import opening_delay_draws, station_plan

from .builders import exponential_model, idle, line, walk_in

DAY = datetime(2025, 3, 12, tzinfo=UTC)  # a Wednesday; the site's zone is UTC
OPENING = ((DAY.replace(hour=7), DAY.replace(hour=12)), (DAY.replace(hour=13), DAY.replace(hour=17)))


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def plan(morning: int = 3, afternoon: int = 3) -> tuple[StaffingBlock, ...]:
    return (StaffingBlock(at(7), at(12), morning), StaffingBlock(at(13), at(17), afternoon))


def site(now: datetime, open_stations: int, waiting=(), **kw) -> SiteSnapshot:
    stations = [idle(f"S{i}") for i in range(open_stations)]
    return SiteSnapshot(
        now=now,
        stations=stations,
        waiting=list(waiting),
        closes_at=at(17),
        staffing=kw.pop("staffing", plan()),
        opening_intervals=kw.pop("opening", OPENING),
        **kw,
    )


def open_slots(snapshot: SiteSnapshot, when: datetime) -> int:
    """How many station slots the estimator has open at `when`."""
    minute = (when - snapshot.now).total_seconds() / 60.0
    slots = station_plan(snapshot, {"DRAW"})
    return sum(any(a <= minute < b for a, b in intervals) for intervals in slots.open_intervals)


def newcomer(snapshot: SiteSnapshot, model: FittedModel | None = None):
    return estimate(
        snapshot, model or exponential_model(5.0), replications=400, seed=1, newcomer_services=["DRAW"]
    ).newcomer["DRAW"]


def test_stations_left_open_over_lunch_call_nobody_until_reopening():
    now = at(12, 4)
    unpaused = newcomer(site(now, 3, line(9, service="DRAW")))
    assert unpaused.p10 >= 56.0


def test_unpaused_lunch_gives_the_same_wait_as_a_paused_one():
    now = at(12, 4)
    unpaused = newcomer(site(now, 3, line(9)))
    paused = newcomer(site(now, 0, line(9)))
    assert abs(unpaused.p50 - paused.p50) < 3.0


def test_a_wait_spanning_lunch_includes_it():
    now = at(11, 50)
    with_closure = newcomer(site(now, 3, line(9)))
    assert with_closure.p50 > 60.0


def test_before_opening_the_range_counts_from_opening():
    now = at(6, 30)
    wait = newcomer(site(now, 0))
    assert wait.p10 >= 30.0
    assert wait.p90 < 40.0


def test_stations_opened_before_opening_call_nobody_before_it():
    now = at(6, 45)
    assert newcomer(site(now, 3, line(2))).p10 >= 15.0


def test_sick_call_shortfall_lasts_until_the_lunch_closure():
    snapshot = site(at(10), 2)
    assert open_slots(snapshot, at(11)) == 2
    assert open_slots(snapshot, at(14)) == 3


def test_sick_call_shortfall_lasts_all_day_without_a_closure():
    snapshot = site(
        at(10),
        2,
        staffing=(StaffingBlock(at(7), at(12), 3), StaffingBlock(at(12), at(17), 3)),
        opening=((at(7), at(17)),),
    )
    assert open_slots(snapshot, at(14)) == 2


def test_late_opener_is_expected_by_the_end_of_the_sign_in_grace():
    snapshot = site(at(7, 5), 1)
    assert open_slots(snapshot, at(7, 10)) == 1
    assert open_slots(snapshot, at(7, 20)) == 3
    assert open_slots(snapshot, at(14)) == 3


def test_an_opener_missing_past_the_grace_is_assumed_missing_until_the_closure():
    snapshot = site(at(7, 30), 1)
    assert open_slots(snapshot, at(9)) == 1
    assert open_slots(snapshot, at(14)) == 3


def test_an_extra_station_is_assumed_to_stay_until_the_closure():
    snapshot = site(at(10), 4)
    assert open_slots(snapshot, at(11)) == 4
    assert open_slots(snapshot, at(14)) == 3


def test_the_afternoon_starts_from_the_plan_after_a_short_morning():
    record = ((at(0), 0), (at(7, 5), 2), (at(12, 30), 3))  # 2 of 3 all morning; a third opened over lunch
    snapshot = site(at(12, 40), 3, open_station_counts=record)
    assert open_slots(snapshot, at(12, 50)) == 0
    assert open_slots(snapshot, at(14)) == 3


def test_a_shortfall_seen_in_the_afternoon_lasts_the_afternoon():
    record = ((at(0), 0), (at(7, 5), 3), (at(12, 1), 0), (at(13, 2), 2))
    assert open_slots(site(at(13, 30), 2, open_station_counts=record), at(15)) == 2


def test_a_full_morning_keeps_the_afternoon_plan():
    record = ((at(0), 0), (at(7, 2), 3), (at(12, 1), 0))
    assert open_slots(site(at(12, 30), 0, open_station_counts=record), at(14)) == 3


def test_actual_staffing_applies_from_now():
    snapshot = site(
        at(10),
        3,
        staffing=(StaffingBlock(at(7), at(12), 1), StaffingBlock(at(13), at(17), 2)),
        staffing_is_actual=True,
    )
    assert open_slots(snapshot, at(10, 30)) == 1
    assert open_slots(snapshot, at(14)) == 2


def test_nobody_is_ever_left_without_a_station_when_the_plan_has_one():
    record = ((at(0), 0), (at(7, 2), 3), (at(9), 0))  # everyone left at 09:00
    assert open_slots(site(at(10), 0, open_station_counts=record), at(11)) >= 1


def test_nobody_open_past_the_grace_is_a_late_opening_not_a_whole_site_sick_call():
    assert open_slots(site(at(7, 20), 0), at(8)) == 3


def test_a_late_opening_past_the_grace_waits_for_the_sites_own_late_openings():
    snapshot = site(at(7, 20), 0, line(1))
    ticket = estimate(snapshot, late_opener((5.0, 30.0)), replications=400, seed=1).tickets[1]
    assert ticket.p10 == ticket.p90 == 10.0  # not open by 07:20, so the 30-minute habit: 07:30


# Staff who keep calling into a closure ---------------------------------------------------


def overrunning(model: FittedModel, minutes: tuple[float, ...]) -> FittedModel:
    return replace(model, closure_overrun_minutes=minutes)


def before_lunch() -> SiteSnapshot:
    """11:57, one station, two in line: the second is called when the first is done (5 minutes on average)."""
    return site(at(11, 57), 1, line(2))


def test_a_site_that_keeps_calling_into_lunch_promises_the_front_of_the_line_less():
    on_time = estimate(before_lunch(), exponential_model(5.0), replications=2000, seed=1).tickets[2]
    late = estimate(
        before_lunch(), overrunning(exponential_model(5.0), (15.0,)), replications=2000, seed=1
    ).tickets[2]
    assert on_time.p50 >= 60.0  # more often than not, the second waits for the reopening
    assert late.p90 < 20.0  # staff who always run 15 minutes over call them before lunch


def test_overruns_are_drawn_from_the_sites_own_closures():
    sometimes = estimate(
        before_lunch(), overrunning(exponential_model(5.0), (0.0, 0.0, 0.0, 15.0)), replications=2000, seed=1
    ).tickets[2]
    assert sometimes.p50 < 20.0 and sometimes.p90 >= 60.0  # one closure in four ran over: the range says both


def test_once_the_closure_has_begun_nobody_is_called_whatever_the_history():
    snapshot = site(at(12, 4), 3, line(9))
    on_time = newcomer(snapshot)
    assert newcomer(snapshot, overrunning(exponential_model(5.0), (8.0, 8.0))).p10 == on_time.p10


def test_fit_learns_how_long_staff_call_past_a_closures_start():
    called = [at(11, 40), at(11, 55), at(12, 6), at(12, 3)]
    records = [VisitRecord("DRAW", "walk_in", at(11), None, called_at=c) for c in called]
    tomorrow = at(12) + timedelta(days=1)  # nobody called before that closure: it says nothing
    assert closure_overrun(records, [at(12), tomorrow]) == (6.0,)
    model = fit(records, service_defaults={"DRAW": 8.0}, closure_starts=[at(12)])
    assert FittedModel.from_dict(model.to_dict()).closure_overrun_minutes == (6.0,)


# Staff late to an opening -----------------------------------------------------------------


def late_opener(minutes: tuple[float, ...]) -> FittedModel:
    return replace(exponential_model(5.0), opening_delay_minutes=minutes)


def test_a_site_that_opens_late_counts_the_line_from_when_it_really_starts():
    snapshot = site(at(6, 50), 0, line(1))
    assert estimate(snapshot, exponential_model(5.0), replications=400, seed=1).tickets[1].p50 == 10.0
    assert estimate(snapshot, late_opener((20.0,)), replications=400, seed=1).tickets[1].p50 == 30.0


def test_opening_delays_are_drawn_from_the_sites_own_openings():
    ticket = estimate(
        site(at(6, 50), 0, line(1)), late_opener((0.0, 20.0)), replications=2000, seed=1
    ).tickets[1]
    assert ticket.p10 == 10.0 and ticket.p90 == 30.0


def test_inside_the_sign_in_grace_only_delays_longer_than_the_wait_so_far_count():
    snapshot = site(at(7, 5), 0, line(1))
    ticket = estimate(snapshot, late_opener((2.0, 25.0)), replications=400, seed=1).tickets[1]
    assert ticket.p10 == ticket.p90 == 20.0  # not open at 07:05, so not the 2-minute opening: 07:25


def test_fit_learns_how_long_after_opening_the_first_call_comes():
    records = [
        VisitRecord("DRAW", "walk_in", at(6, 50), None, called_at=at(7, 12)),
        VisitRecord("DRAW", "walk_in", at(7, 20), None, called_at=at(7, 21)),
    ]
    tomorrow = at(7) + timedelta(days=1)  # nobody in line at that opening: it says nothing
    assert opening_delay(records, [at(7), tomorrow]) == (12.0,)
    model = fit(records, service_defaults={"DRAW": 8.0}, opening_starts=[at(7)])
    assert FittedModel.from_dict(model.to_dict()).opening_delay_minutes == (12.0,)


def thin_history(minutes: tuple[float, ...]) -> FittedModel:
    """A site whose few past openings are `minutes`, leaning on the prior of opening delays (as fitted)."""
    return replace(late_opener(minutes), opening_delay_prior_weight=PRIOR_OPENINGS)


def test_three_on_time_openings_do_not_promise_an_on_time_opening_for_sure():
    snapshot = site(at(6, 50), 0, line(1))
    own_only = estimate(snapshot, late_opener((0.0, 0.0, 0.0)), replications=2000, seed=1).tickets[1]
    with_prior = estimate(snapshot, thin_history((0.0, 0.0, 0.0)), replications=2000, seed=1).tickets[1]
    assert own_only.p50 == own_only.p90 == 10.0
    assert with_prior.p50 == 10.0  # most openings are on time,
    assert 15.0 < with_prior.p90 <= 10.0 + PRIOR_LONGEST_OPENING_DELAY_MINUTES  # but the range allows late


def test_nobody_open_in_the_grace_and_no_late_opening_seen_yet_waits_for_the_prior_delay():
    snapshot = site(at(7, 5), 0, line(1))
    own_only = estimate(snapshot, late_opener((0.0, 0.0, 0.0)), replications=2000, seed=1).tickets[1]
    with_prior = estimate(snapshot, thin_history((0.0, 0.0, 0.0)), replications=2000, seed=1).tickets[1]
    assert own_only.p10 == own_only.p90 == 10.0  # the grace's end, whatever has been seen
    # Late by 5 to 30 minutes: called 0 to 25 minutes from 07:05, spread evenly.
    assert with_prior.p10 < 5.0 and 10.0 < with_prior.p50 < 15.0 and 20.0 < with_prior.p90 <= 25.0


def test_a_sites_own_late_openings_outweigh_the_prior_as_they_add_up():
    snapshot = site(at(7, 5), 0, line(1))
    few = estimate(snapshot, thin_history((20.0,) * 2), replications=2000, seed=1).tickets[1]
    many = estimate(snapshot, thin_history((20.0,) * 40), replications=2000, seed=1).tickets[1]
    assert few.p10 < 10.0  # two late openings weigh about as much as the prior's late ones
    assert many.p10 == many.p50 == 15.0  # forty make the site's own 20 minutes the rule: 07:20


@settings(max_examples=60, deadline=None)
@given(
    history=st.lists(st.floats(0.0, 60.0), max_size=12),
    weight=st.sampled_from([0.0, 1.0, PRIOR_OPENINGS]),
    elapsed=st.floats(0.0, 45.0),
)
def test_opening_delays_drawn_are_longer_than_the_time_gone_by_and_come_from_history_or_prior(
    history, weight, elapsed
):
    own = np.asarray(history)
    drawn = opening_delay_draws(own, weight, elapsed, 300, np.random.default_rng(0))
    longer = own[own > elapsed] if elapsed > 0.0 else own
    if drawn is None:
        assert longer.size == 0 and (weight == 0.0 or elapsed >= PRIOR_LONGEST_OPENING_DELAY_MINUTES)
        return
    if elapsed > 0.0:
        assert (drawn > elapsed).all() or (drawn[drawn <= elapsed] == elapsed).all()
    from_history = np.isin(drawn, longer)
    assert (drawn[~from_history] <= PRIOR_LONGEST_OPENING_DELAY_MINUTES).all()
    if weight == 0.0:
        assert from_history.all()


def test_fit_gives_opening_delays_the_prior_and_keeps_it():
    model = fit([], service_defaults={"DRAW": 8.0})
    assert model.opening_delay_prior_weight == PRIOR_OPENINGS
    assert FittedModel.from_dict(model.to_dict()).opening_delay_prior_weight == PRIOR_OPENINGS
    assert FittedModel.from_defaults({"DRAW": 8.0}).opening_delay_prior_weight == PRIOR_OPENINGS


# Walk-ins still to come -----------------------------------------------------------------

RATE_PER_HOUR = 9.0
SERVICE_MEAN = 5.0


def busy_profile_model() -> FittedModel:
    model = exponential_model(SERVICE_MEAN)
    rates = tuple(tuple(RATE_PER_HOUR for _ in range(HALF_HOURS_PER_DAY)) for _ in range(7))
    return FittedModel(
        services=model.services, walk_in_rate_per_hour=rates, walk_in_service_mix={"DRAW": 1.0}
    )


def early_appointment_site(model_rates: bool) -> SiteSnapshot:
    now = at(10)
    early = WaitingTicket(99, "DRAW", "appointment", now, appointment_at=now + timedelta(minutes=60))
    return SiteSnapshot(
        now=now,
        stations=[idle("S1")],
        waiting=[walk_in(1, 5), walk_in(2, 4), early],
        closes_at=at(17),
        staffing=(StaffingBlock(at(7), at(17), 1),),
    )


def brute_force_early_appointment_waits(replications: int, seed: int) -> np.ndarray:
    """One station, two walk-ins ahead, Poisson walk-ins joining later; the appointment falls due at 60."""
    rng = np.random.default_rng(seed)
    waits = np.empty(replications)
    for i in range(replications):
        arrivals = np.sort(rng.uniform(0.0, 420.0, rng.poisson(RATE_PER_HOUR * 7)))
        t, served, joined = 0.0, 0, 2
        while True:
            joined = 2 + int(np.searchsorted(arrivals, t, side="right"))
            if t >= 60.0 or served >= joined:
                break  # due appointments come first; an early one only when nobody else is waiting
            served += 1
            t += rng.exponential(SERVICE_MEAN)
        waits[i] = t
    return waits


def test_an_early_appointment_is_passed_by_walk_ins_still_to_come():
    snapshot = early_appointment_site(True)
    without = estimate(snapshot, exponential_model(SERVICE_MEAN), replications=2000, seed=3).tickets[99]
    with_arrivals = estimate(snapshot, busy_profile_model(), replications=2000, seed=3).tickets[99]
    brute = brute_force_early_appointment_waits(4000, seed=7)
    assert with_arrivals.p90 > without.p90 + 10.0
    assert abs(with_arrivals.mean - brute.mean()) < 0.06 * brute.mean()
    assert abs(with_arrivals.p50 - np.quantile(brute, 0.5)) < 3.0


def test_walk_ins_still_to_come_do_not_pass_the_newcomer():
    snapshot = early_appointment_site(True)
    assert (
        newcomer(snapshot, busy_profile_model()).p50
        == newcomer(snapshot, exponential_model(SERVICE_MEAN)).p50
    )


def test_walk_ins_still_to_come_never_pass_someone_who_joined_after_the_snapshot_instant():
    # A snapshot's `now` is rounded down (15 s): the ticket that just joined may carry a later time.
    snapshot = early_appointment_site(True)
    just_joined = WaitingTicket(7, "DRAW", "walk_in", snapshot.now + timedelta(seconds=10))
    snapshot = SiteSnapshot(
        now=snapshot.now,
        stations=snapshot.stations,
        waiting=[*snapshot.waiting, just_joined],
        closes_at=snapshot.closes_at,
        staffing=snapshot.staffing,
    )
    quiet = estimate(snapshot, exponential_model(SERVICE_MEAN), replications=400, seed=3).tickets[7]
    busy = estimate(snapshot, busy_profile_model(), replications=400, seed=3).tickets[7]
    assert busy.p90 == quiet.p90


def test_a_plain_walk_in_line_is_unchanged_by_the_arrival_profile():
    snapshot = site(at(10), 2, line(6))
    plain = estimate(snapshot, exponential_model(SERVICE_MEAN), replications=300, seed=2)
    profiled = estimate(snapshot, busy_profile_model(), replications=300, seed=2)
    assert plain.tickets[6].p50 == profiled.tickets[6].p50


# Cold start -------------------------------------------------------------------------


def planned_stations(count: int) -> list[list[float]]:
    return [[float(count) if 14 <= h < 34 else 0.0 for h in range(HALF_HOURS_PER_DAY)] for _ in range(7)]


def test_prior_profile_is_a_stated_fraction_of_planned_capacity():
    profile = prior_walk_in_profile(planned_stations(2), mean_service_minutes=10.0, load_fraction=0.5)
    assert profile[2][20] == 6.0  # 2 stations x 6 an hour x 0.5
    assert profile[2][40] == 0.0


def test_a_site_without_history_has_the_prior_profile_and_says_so():
    prior = prior_walk_in_profile(planned_stations(2), 8.0)
    model = fit(
        [],
        service_defaults={"DRAW": 8.0},
        period=(date(2025, 1, 1), date(2025, 2, 25)),
        prior_walk_in_rate_per_hour=prior,
    )
    assert model.history_days == 0
    assert model.thin_history
    assert model.walk_in_rate_per_hour == prior


def test_best_times_at_a_new_site_are_not_all_zero():
    model = FittedModel.from_defaults(
        {"DRAW": 8.0}, walk_in_rate_per_hour=prior_walk_in_profile(planned_stations(1), 8.0)
    )
    day = DayPlan(
        local_date=date(2025, 3, 12),
        opening_intervals=((at(7), at(17)),),
        staffing=(StaffingBlock(at(7), at(17), 1),),
        station_skills=(frozenset({"DRAW"}),),
        appointments=(),
    )
    rows = best_times([day], model, service_code="DRAW", replications=200, seed=0)
    assert max(r.p90 for r in rows if r.open_for_walk_ins) > 0.0
    assert all(r.thin_history for r in rows)


def test_estimates_say_when_history_is_thin():
    wait = newcomer(site(at(10), 2, line(3)), FittedModel.from_defaults({"DRAW": 8.0}))
    assert wait.thin_history and wait.history_days == 0
