"""CPU and SQL statements per write and per read, in process, on PostgreSQL (issue 10).

Runs the load benchmark's writers' rhythm (join, call next, start, complete,
`benchmarks.load`) at a few sites through Flask's test client, and after each
state change reads the wait, the display feed and a ticket as another worker
would: a second app on the same database, whose kept answers are its own. The
state's shared estimate is made first (as the worker that wins its lease
would), so the reads measured are the per-worker builds. Prints the CPU time
(`time.process_time`) and the statements sent per request, by endpoint;
`--profile` adds where the time goes (cProfile, top functions by own time).

    .venv/bin/python -m benchmarks.request_cost            # 5 sites, 400 writes
    .venv/bin/python -m benchmarks.request_cost --profile writes
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

from benchmarks.load import (
    CALL_NEXT,
    COMPLETE,
    JOIN,
    MAX_WAITING,
    MIN_WAITING,
    START,
    WALK_IN_SERVICES,
    scratch_database,
    seed_sites,
)
from schedq import create_app

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TRIVIAL = "GET /services"
WAIT, DISPLAY, TICKET = "GET /sites/{id}/wait", "GET /sites/{id}/display", "GET /tickets/{id}"


class Meter:
    """CPU time and statements per request, by endpoint."""

    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, list[int]] = defaultdict(list)
        self.sent = 0
        self.profiler: cProfile.Profile | None = None
        self.profiled: set[str] = set()
        self.show: list[str] | None = None
        self.shown: set[str] = set()
        self.show_sql = False

    def listen(self, app) -> None:
        def count(_conn, _cursor, statement, *_args) -> None:
            self.sent += 1
            if self.show is not None:
                self.show.append(statement)

        event.listen(app.extensions["schedq.database"].engine, "before_cursor_execute", count)

    def measure(self, endpoint: str, call: Callable):
        profiling = self.profiler is not None and endpoint in self.profiled
        sent = self.sent
        if self.show_sql and endpoint not in self.shown:
            self.show = []
        if profiling:
            self.profiler.enable()
        started = time.process_time()
        response = call()
        spent = time.process_time() - started
        if profiling:
            self.profiler.disable()
        if self.show is not None:
            print(f"--- {endpoint}: {len(self.show)} statements")
            for statement in self.show:
                print("   ", " ".join(statement.split())[:220])
            self.shown.add(endpoint)
            self.show = None
        self.cpu[endpoint].append(spent * 1000)
        self.statements[endpoint].append(self.sent - sent)
        return response

    def report(self) -> None:
        print(f"{'endpoint':36} {'n':>5} {'CPU ms mean':>12} {'p50':>7} {'p90':>7} {'statements':>11}")
        for endpoint, values in self.cpu.items():
            ordered = sorted(values)
            print(
                f"{endpoint:36} {len(values):5d} {statistics.fmean(values):12.2f} "
                f"{ordered[len(ordered) // 2]:7.2f} {ordered[int(len(ordered) * 0.9)]:7.2f} "
                f"{statistics.fmean(self.statements[endpoint]):11.1f}"
            )


class Site:
    def __init__(self, seeded) -> None:
        self.seeded = seeded
        self.waiting = 0
        self.steps = 0
        self.stations: dict[int, tuple[int, str] | None] = dict.fromkeys(seeded.station_ids)
        self.tickets: list[tuple[int, str]] = []

    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.seeded.staff_token}"}


def step(client, meter: Meter, site: Site, rng: random.Random) -> None:
    """One change at the site by the load benchmark's rhythm (`benchmarks.load.Writers._step`)."""
    site.steps += 1
    station_ids = list(site.stations)
    station_id = station_ids[site.steps % len(station_ids)]
    held = site.stations[station_id]
    if (
        site.waiting < MIN_WAITING
        or (site.steps % 4 == 0 and site.waiting < MAX_WAITING)
        or (held is None and not site.waiting)
    ):
        service = rng.choices([c for c, _ in WALK_IN_SERVICES], weights=[w for _, w in WALK_IN_SERVICES])[0]
        response = meter.measure(
            JOIN,
            lambda: client.post(
                f"/api/v1/sites/{site.seeded.site_id}/tickets",
                json={"service": service},
                headers={"Authorization": f"Bearer {site.seeded.display_token}"},
            ),
        )
        assert response.status_code == 201, response.get_json()
        site.waiting += 1
        site.tickets = [*site.tickets[-9:], (response.json["id"], response.json["token"])]
    elif held is None:
        response = meter.measure(
            CALL_NEXT, lambda: client.post(f"/api/v1/stations/{station_id}/call-next", headers=site.staff())
        )
        assert response.status_code == 200, response.get_json()
        site.waiting -= 1
        site.stations[station_id] = (response.json["id"], "called")
    else:
        ticket_id, status = held
        action, endpoint = ("start", START) if status == "called" else ("complete", COMPLETE)
        response = meter.measure(
            endpoint, lambda: client.post(f"/api/v1/tickets/{ticket_id}/{action}", headers=site.staff())
        )
        assert response.status_code == 200, response.get_json()
        site.stations[station_id] = (ticket_id, "in_service") if action == "start" else None


def read_after_change(client, warm, meter: Meter, site: Site, rng: random.Random) -> None:
    """The state's estimate made by another worker (`warm`), then this worker's reads of the new state."""
    site_id = site.seeded.site_id
    assert warm.get(f"/api/v1/sites/{site_id}/wait").status_code == 200
    for endpoint, url, headers in (
        (WAIT, f"/api/v1/sites/{site_id}/wait", {}),
        (DISPLAY, f"/api/v1/sites/{site_id}/display", {}),
    ):
        response = meter.measure(endpoint, lambda url=url, headers=headers: client.get(url, headers=headers))
        assert response.status_code == 200, response.get_json()
    response = meter.measure(TRIVIAL, lambda: client.get("/api/v1/services"))
    assert response.status_code == 200
    ticket_id, token = rng.choice(site.tickets)
    response = meter.measure(
        TICKET, lambda: client.get(f"/api/v1/tickets/{ticket_id}", headers={"X-Patient-Token": token})
    )
    assert response.status_code == 200, response.get_json()


@contextmanager
def apps(count: int, sites: int) -> Iterator[tuple[list, list[Site]]]:
    with tempfile.TemporaryDirectory() as workdir, scratch_database(ADMIN_URL, Path(workdir)) as (url, _, _):
        seeded = seed_sites(url, count=sites, now=datetime.now(UTC))
        made = [
            create_app(
                {
                    "DATABASE_URL": url,
                    "INSTANCE_DIR": str(Path(workdir) / f"instance{n}"),
                    "SECRET_KEY": "request-cost",
                    "SEED_DEMO": False,
                    "ESTIMATOR_WARM_UP": False,
                }
            )
            for n in range(count)
        ]
        try:
            yield made, [Site(s) for s in seeded]
        finally:
            for app in made:
                app.extensions["schedq.database"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--writes", type=int, default=400)
    parser.add_argument("--profile", choices=["writes", "reads", "join", "call", "start", "complete"])
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--callees", help="print what this function (a name in the profile) calls")
    parser.add_argument(
        "--sql", action="store_true", help="print the statements of each endpoint's first request"
    )
    args = parser.parse_args()
    rng = random.Random(20260105)
    with apps(3, args.sites) as ((writer_app, reader_app, warm_app), sites):
        writer, reader, warm = writer_app.test_client(), reader_app.test_client(), warm_app.test_client()
        for site in sites:
            for station_id in site.seeded.station_ids:
                assert (
                    writer.post(f"/api/v1/stations/{station_id}/open", headers=site.staff()).status_code
                    == 200
                )
        warm_up = Meter()
        for n in range(len(sites) * 8):  # compile paths, fit models, fill the pools
            site = sites[n % len(sites)]
            step(writer, warm_up, site, rng)
            read_after_change(reader, warm, warm_up, site, rng)
        meter = Meter()
        meter.listen(writer_app)
        meter.listen(reader_app)
        meter.show_sql = args.sql
        if args.profile:
            meter.profiler = cProfile.Profile(time.process_time)
            meter.profiled = {
                "writes": {JOIN, CALL_NEXT, START, COMPLETE},
                "reads": {WAIT, DISPLAY, TICKET},
                "join": {JOIN},
                "call": {CALL_NEXT},
                "start": {START},
                "complete": {COMPLETE},
            }[args.profile]
        for n in range(args.writes):
            site = sites[n % len(sites)]
            step(writer, meter, site, rng)
            read_after_change(reader, warm, meter, site, rng)
        meter.report()
        writes = [v for e in (JOIN, CALL_NEXT, START, COMPLETE) for v in meter.cpu[e]]
        print(f"writes' mix: {statistics.fmean(writes):.2f} ms CPU a write")
        if meter.profiler is not None:
            by_package: dict[str, float] = defaultdict(float)
            for (path, _line, _name), row in pstats.Stats(meter.profiler).stats.items():  # type: ignore[attr-defined]
                parts = path.split("site-packages/")[-1].split("/")
                package = (
                    parts[0] if "site-packages/" in path else ("schedq" if "/schedq/" in path else path[:40])
                )
                by_package[package] += row[2]
            total = sum(by_package.values())
            for package, spent in sorted(by_package.items(), key=lambda kv: -kv[1])[:15]:
                print(f"{package:40} {100 * spent / total:5.1f} % of own time")
            if args.callees:
                pstats.Stats(meter.profiler).sort_stats("cumulative").print_callees(args.callees)
                return
            pstats.Stats(meter.profiler).sort_stats("tottime").print_stats(args.top)
            pstats.Stats(meter.profiler).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
