from collections import defaultdict
from datetime import time

from schedq.domain.enums import TicketStatus
from schedq.services.queue import history

from .conftest import MONDAY, make_world


def test_a_day_through_the_service_layer_serves_everyone(world):
    day = world.day(MONDAY)
    outcomes = day.run()

    came = [p for p in day.patients if p.arrives_at is not None and p.refused is None]
    assert len(outcomes) == len(came) > 10
    assert {o.status for o in outcomes} == {TicketStatus.DONE.value}
    assert all(o.actual_wait_minutes is not None and o.actual_wait_minutes >= 0 for o in outcomes)
    assert {o.kind for o in outcomes} == {"walk_in", "appointment"}


def test_no_station_serves_two_patients_at_once(world):
    outcomes = world.day(MONDAY).run()

    by_station = defaultdict(list)
    for o in outcomes:
        by_station[o.station_id].append((o.started_at, o.completed_at))
    for spans in by_station.values():
        spans.sort()
        assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:]))


def test_the_day_leaves_its_events_in_the_audit_trail(world):
    outcomes = world.day(MONDAY).run()

    events = history.day_events(
        world.uow(write=False), site_id=world.site_id, day=MONDAY, now=outcomes[-1].completed_at
    )
    actions = defaultdict(int)
    for event in events:
        actions[event.action] += 1
    joins = sum(o.kind == "walk_in" for o in outcomes)
    assert actions["join"] == joins
    assert actions["check_in"] == len(outcomes) - joins
    assert actions["call"] == actions["start"] == actions["complete"] == len(outcomes)
    assert actions["station_open"] >= 2 and actions["close_day"] == 1


def test_same_seed_same_day(tmp_path, sqlite_template):
    runs = []
    for name in ("a", "b"):
        world = make_world(tmp_path / f"{name}.sqlite3", sqlite_template, seed=11)
        runs.append(
            [(o.joined_at, o.called_at, o.completed_at, o.service_code) for o in world.day(MONDAY).run()]
        )
        world.database.dispose()

    assert runs[0] == runs[1]


def test_the_join_hook_sees_the_joining_ticket_waiting(world):
    seen = []

    def on_join(day, patient, view, now):
        snapshot = day.snapshot(now)
        seen.append(view.id in {t.ticket_id for t in snapshot.waiting} and view.status == "waiting")

    world.day(MONDAY, on_join=on_join).run()

    assert seen and all(seen)


def test_advance_to_plays_only_what_is_due(world):
    day = world.day(MONDAY)

    day.advance_to(world.local(MONDAY, time(8, 30)))

    assert day.now == world.local(MONDAY, time(8, 30))
    assert day.open_stations == 2
    assert all(event[0] > day.now for event in day.events)
    day.run()
    assert day.closed


def test_a_walk_to_the_station_keeps_the_call_on_the_screen_before_service_starts(world):
    from schedq.simulation.world import SimulatedDay

    outcomes = SimulatedDay(world, MONDAY, walk_minutes=(0.5, 2.0)).run()

    walks = [(o.started_at - o.called_at).total_seconds() / 60 for o in outcomes]
    assert walks and all(0.5 <= walk <= 2.0 for walk in walks)
