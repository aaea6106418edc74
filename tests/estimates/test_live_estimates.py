"""Estimates from the live state of a site, through the service layer and the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from schedq.db.models import Ticket
from schedq.services import sites
from schedq.services.estimates import live
from schedq.services.estimates.accuracy import accuracy_report
from schedq.services.estimates.models import fresh_model, model_summary, refit
from schedq.services.estimates.snapshot import build_snapshot
from schedq.services.estimates.wait import wait_summary
from tests.queue.conftest import SECRET

pytestmark = pytest.mark.usefixtures("backend")


def snapshot(make_uow, site, clock):
    with make_uow(write=False) as uow:
        return build_snapshot(uow, sites.load_site(uow, site.site_id), clock())


def test_snapshot_holds_open_stations_their_patients_and_the_line(q, make_uow, site, clock):
    q.open("Station 1", "Station 3")
    first, second, third = q.walk_in(), q.walk_in(), q.walk_in("UDS")
    called = q.call_next("Station 1")
    clock.advance(minutes=2)
    from schedq.services.queue import calling

    q.act(calling.start, called.id)
    clock.advance(minutes=3)
    snap = snapshot(make_uow, site, clock)
    assert {s.station_id for s in snap.stations} == {
        site.station_ids["Station 1"],
        site.station_ids["Station 3"],
    }
    busy = next(s for s in snap.stations if s.busy_with)
    assert busy.busy_with.ticket_id == first.id and busy.busy_with.started_at == clock() - timedelta(
        minutes=3
    )
    assert [t.ticket_id for t in snap.waiting] == [second.id, third.id]
    assert snap.closes_at == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)


def test_snapshot_plans_the_rest_of_the_day_with_the_lunch_gap(make_uow, site, clock):
    snap = snapshot(make_uow, site, clock)
    spans = [(b.starts_at.hour, b.ends_at.hour, b.stations) for b in snap.staffing]
    assert spans == [(13, 18, 3), (19, 23, 3)]  # 07–12 and 13–17 Chicago, in UTC


def test_snapshot_counts_todays_booked_appointments_not_yet_arrived(q, make_uow, site, clock):
    q.book(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    q.book(datetime(2026, 3, 3, 16, 0, tzinfo=UTC))  # tomorrow
    snap = snapshot(make_uow, site, clock)
    assert [a.appointment_at.day for a in snap.upcoming_appointments] == [2]


def test_newcomer_wait_grows_with_the_line(q, make_uow, site, clock):
    q.open("Station 1")
    with make_uow(write=False) as uow:
        empty = live.site_estimates(uow, sites.load_site(uow, site.site_id), clock(), replications=300)
    for _ in range(6):
        q.walk_in()
    with make_uow(write=False) as uow:
        busy = live.site_estimates(uow, sites.load_site(uow, site.site_id), clock(), replications=300)
    assert busy.newcomer["DRAW"]["p50_minutes"] > empty.newcomer["DRAW"]["p50_minutes"] + 15
    assert busy.people_waiting == 6


def test_same_state_gives_the_same_answer(q, make_uow, site, clock):
    q.open("Station 1", "Station 2")
    for _ in range(4):
        q.walk_in()
    results = []
    for _ in range(2):
        with make_uow(write=False) as uow:
            results.append(
                live.compute_site_estimates(
                    uow, sites.load_site(uow, site.site_id), clock(), replications=300
                )
            )
    assert results[0] == results[1]


def test_refit_learns_service_times_from_the_sites_own_history(q, make_uow, site, clock):
    from schedq.services.queue import calling

    q.open("Station 1")
    for visit in range(30):
        if visit == 20:  # 12:00: closed for lunch, walk-ins join again at 13:00
            clock.advance(hours=1)
        ticket = q.walk_in()
        q.call_next("Station 1")
        q.act(calling.start, ticket.id)
        clock.advance(minutes=12)
        q.act(calling.complete, ticket.id)
    clock.set(clock() + timedelta(days=1))
    refit(make_uow(), site_id=site.site_id, now=clock())
    summary = model_summary(make_uow(write=False), site_id=site.site_id, now=clock())
    draw = next(s for s in summary["services"] if s["service"] == "DRAW")
    assert draw["observations"] == 30
    assert 8 < draw["median_minutes"] < 12  # 30 visits of 12 minutes, shrunk toward the 6-minute default


def test_a_stale_model_is_refit_before_estimating(make_uow, site, clock):
    fresh_model(make_uow, site_id=site.site_id, now=clock(), max_age_hours=24)
    fitted = model_summary(make_uow(write=False), site_id=site.site_id, now=clock())["fitted_at"]
    clock.advance(hours=2)
    fresh_model(make_uow, site_id=site.site_id, now=clock(), max_age_hours=24)
    assert model_summary(make_uow(write=False), site_id=site.site_id, now=clock())["fitted_at"] == fitted
    clock.advance(hours=30)
    fresh_model(make_uow, site_id=site.site_id, now=clock(), max_age_hours=24)
    assert model_summary(make_uow(write=False), site_id=site.site_id, now=clock())["fitted_at"] == clock()


def test_walk_ins_close_at_the_cut_off_and_the_summary_says_so(make_uow, site, clock):
    clock.set(datetime(2026, 3, 2, 22, 45, tzinfo=UTC))  # 16:45, cut-off 16:30
    summary = wait_summary(make_uow(write=False), site_id=site.site_id, now=clock())
    assert summary.walk_ins_open is False
    assert "16:30" in summary.walk_ins_message["en"]


def test_accuracy_report_scores_promises_per_service(make_uow, site, clock):
    from schedq.services import tickets as ticket_use

    made = [
        ticket_use.join_walk_in(
            make_uow(), site_id=site.site_id, service_code=code, actor="kiosk", now=clock(), secret_key="s"
        )
        for code in ("DRAW", "DRAW", "UDS")
    ]
    with make_uow() as uow:
        for view, (promised, actual) in zip(made, [((5, 10, 15), 12), ((5, 10, 15), 20), ((0, 5, 10), 5)]):
            ticket = uow.session.get(Ticket, view.id)
            ticket.promised_p10_minutes, ticket.promised_p50_minutes, ticket.promised_p90_minutes = promised
            ticket.actual_wait_minutes = actual
        uow.commit()
    rows = {
        r.service: r.score
        for r in accuracy_report(
            make_uow(write=False), site_id=site.site_id, first_day=date(2026, 3, 2), last_day=date(2026, 3, 2)
        )
    }
    assert rows[None].count == 3
    assert rows["DRAW"].mae_minutes == pytest.approx(6) and rows["DRAW"].past_p90 == pytest.approx(0.5)
    assert rows["UDS"].coverage == 1.0


def test_wait_endpoint_is_public_and_plain(client, q, site):
    q.open("Station 1", "Station 3")
    for _ in range(3):
        q.walk_in()
    answer = client.get(f"/api/v1/sites/{site.site_id}/wait")
    assert answer.status_code == 200
    draw = next(s for s in answer.json["services"] if s["service"] == "DRAW")
    assert (
        draw["estimate"]["p10_minutes"] <= draw["estimate"]["p50_minutes"] <= draw["estimate"]["p90_minutes"]
    )
    assert draw["estimate"]["message"]["en"].endswith("minutes.")
    assert answer.json["people_waiting"] == 3 and answer.json["stations_open"] == 2
    assert [s["service"] for s in answer.json["services"]] == [
        "DRAW",
        "PED",
        "UDS",
    ]  # walk-in services offered here


def test_accuracy_and_model_are_for_staff(client, site):
    for path in (
        f"/api/v1/sites/{site.site_id}/accuracy?from=2026-03-01&to=2026-03-02",
        f"/api/v1/sites/{site.site_id}/model",
    ):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=site.headers("display")).status_code == 403
        assert client.get(path, headers=site.headers("other_staff")).status_code == 403
        assert client.get(path, headers=site.headers("staff")).status_code == 200
    refit = f"/api/v1/sites/{site.site_id}/model/refit"
    assert client.post(refit, headers=site.headers("staff")).status_code == 403
    assert client.post(refit, headers=site.headers("admin")).status_code == 200


def test_the_range_promised_at_joining_is_kept_and_scored_when_called(q, make_uow, site, clock):
    from schedq.services.queue import calling

    q.open("Station 1")
    busy = q.walk_in()
    q.call_next("Station 1")
    q.act(calling.start, busy.id)
    joined = q.walk_in()
    assert joined.estimate["p10_minutes"] <= joined.estimate["p90_minutes"]
    assert joined.promised == {
        k: joined.estimate[k] for k in ("p10_minutes", "p50_minutes", "p90_minutes", "mean_minutes")
    }
    clock.advance(minutes=7)
    q.act(calling.complete, busy.id)
    q.call_next("Station 1")
    assert q.ticket(joined.id).actual_wait_minutes == pytest.approx(7)
    rows = accuracy_report(
        make_uow(write=False), site_id=site.site_id, first_day=date(2026, 3, 2), last_day=date(2026, 3, 2)
    )
    overall = next(r.score for r in rows if r.service is None)
    first_error = abs(0 - busy.promised["p50_minutes"])
    assert overall.count == 2
    assert overall.mae_minutes == pytest.approx(
        (first_error + abs(7 - joined.promised["p50_minutes"])) / 2, abs=0.01
    )


def test_early_appointment_is_promised_from_its_appointment_time(q, make_uow, site, clock):
    from schedq.services.queue import calling

    booked = q.book(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 09:00
    clock.set(datetime(2026, 3, 2, 14, 40, tzinfo=UTC))
    q.open("Station 1")
    first = q.walk_in()
    q.call_next("Station 1")
    q.act(calling.start, first.id)
    for _ in range(4):
        q.walk_in()
    ticket = q.check_in(booked.appointment.reference)  # 20 minutes early, behind a line of walk-ins
    assert ticket.estimate["p10_minutes"] >= 19  # early appointments wait for their time while others wait
    assert ticket.promised["p50_minutes"] == pytest.approx(ticket.estimate["p50_minutes"] - 20, abs=0.05)


def test_best_times_cover_a_week_of_half_hours_with_lunch_closed(client, site):
    answer = client.get(f"/api/v1/sites/{site.site_id}/best-times?service=DRAW")
    assert answer.status_code == 200, answer.json
    half_hours = answer.json["half_hours"]
    days = {h["starts_at"][:10] for h in half_hours}
    assert len(days) == 5  # Monday to Friday are open; the weekend is closed
    lunch = [h for h in half_hours if h["starts_at"].startswith("2026-03-03T12:")]
    assert lunch and not any(h["open_for_walk_ins"] for h in lunch)
    told = [h for h in half_hours if h["open_for_walk_ins"]]
    assert all(h["p10_minutes"] <= h["p50_minutes"] <= h["p90_minutes"] for h in told)
    assert 1 <= len(answer.json["best"]) <= 3 and all(h["message"]["en"] for h in answer.json["best"])
    assert min(h["starts_at"] for h in half_hours) >= "2026-03-02T08:00"


def test_best_times_show_the_appointments_booked_in_each_half_hour_once_renewed(client, q, site, clock):
    from schedq.services import appointments

    def booked_at(answer) -> dict[str, int]:
        return {h["starts_at"][:16]: h["booked_appointments"] for h in answer.json["half_hours"]}

    url = f"/api/v1/sites/{site.site_id}/best-times?service=DRAW"
    before = client.get(url)
    assert before.status_code == 200, before.json
    assert set(booked_at(before).values()) == {0}

    tuesday_10 = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)  # 10:00 in Chicago
    q.book(tuesday_10, phone="+1 201 555 0101")
    q.book(tuesday_10, service="UDS", phone="+1 201 555 0102")  # any service: the stations are shared
    q.book(tuesday_10 + timedelta(minutes=15), phone="+1 201 555 0103")
    cancelled = q.book(tuesday_10 + timedelta(minutes=30), phone="+1 201 555 0104")
    appointments.cancel(
        q.make_uow(),
        reference=cancelled.appointment.reference,
        token=cancelled.manage_token,
        now=clock(),
        secret_key=SECRET,
    )
    q.book(tuesday_10 + timedelta(minutes=45), phone="+1 201 555 0105")
    assert booked_at(client.get(url)) == booked_at(before)  # the week's plan is renewed every 5 minutes

    clock.advance(minutes=5)
    renewed = booked_at(client.get(url))
    assert renewed["2026-03-03T10:00"] == 3
    assert renewed["2026-03-03T10:30"] == 1  # the cancelled one is not counted
    assert sum(renewed.values()) == 4


def test_best_times_need_a_walk_in_service_offered_here(client, site):
    assert (
        client.get(f"/api/v1/sites/{site.site_id}/best-times?service=GTT").status_code == 422
    )  # appointment only
    assert client.get(f"/api/v1/sites/{site.site_id}/best-times?service=NOPE").status_code == 422


def test_every_change_to_the_line_moves_the_site_version(q, make_uow, site, clock):
    from schedq.services.queue import calling

    def version() -> int:
        with make_uow(write=False) as uow:
            return sites.load_site(uow, site.site_id).state_version

    seen = [version()]
    q.open("Station 1")
    seen.append(version())
    ticket = q.walk_in()
    seen.append(version())
    q.call_next("Station 1")
    seen.append(version())
    q.act(calling.start, ticket.id)
    seen.append(version())
    q.book(datetime(2026, 3, 3, 16, 0, tzinfo=UTC))
    seen.append(version())
    assert seen == sorted(set(seen))  # strictly increasing


def test_a_repeated_state_is_served_without_reading_the_line_again(q, make_uow, site, clock, monkeypatch):
    q.open("Station 1")
    q.walk_in()
    built = []
    original = live.build_snapshot
    monkeypatch.setattr(live, "build_snapshot", lambda *a, **k: built.append(1) or original(*a, **k))

    def estimate(at):
        with make_uow(write=False) as uow:
            return live.site_estimates(uow, sites.load_site(uow, site.site_id), at)

    first = estimate(clock())
    again = estimate(clock() + timedelta(seconds=5))
    assert (again.tickets, again.newcomer, again.age_seconds) == (first.tickets, first.newcomer, 5.0)
    assert built == []  # the join made this state's estimate already
    q.walk_in()
    assert len(built) == 1
    assert estimate(clock()).tickets != first.tickets and len(built) == 1


def test_a_busy_site_refits_its_model_without_anyone_asking(client, q, site, clock):
    """The lobby screen polling the display feed is enough to keep the model fresh."""
    client.get(f"/api/v1/sites/{site.site_id}/display")
    first = client.get(f"/api/v1/sites/{site.site_id}/model", headers=site.headers("staff")).json["fitted_at"]
    assert first is not None
    clock.advance(hours=25)
    client.get(f"/api/v1/sites/{site.site_id}/display")
    assert (
        client.get(f"/api/v1/sites/{site.site_id}/model", headers=site.headers("staff")).json["fitted_at"]
        != first
    )
