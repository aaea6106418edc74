"""What the SMART Scheduling Links bulk publication costs for 3,000 sites (issue 16).

Creates `--sites` sites directly in a fresh database (SQLite, or PostgreSQL with
`--postgres URL`): hours Monday to Friday 07:00-12:00 and 13:00-17:00 and
Saturday 08:00-12:00, in the four mainland US zones and eleven states (one site
in 50 with no state), a plan of 2 seats per 15-minute slot, three stations doing
DRAW, UDS, GTT and PED, and a share of the seats of the next days booked. Then
writes the whole publication (`schedq.fhir.publication.publish`, the same code
`schedq fhir publish` and /fhir/$bulk-publish run) three times, the seeding done
in a child process so this one's peak memory (`ru_maxrss`) is the
publication's: without the live walk-in waits; with them, every site's state new
(an estimate per site, for all its services); and again at the same instant
(every state already estimated: read from the shared store). Prints the time
of each, per site, the peak memory, the resources and the file sizes.
`--record` writes the figures into benchmarks/RESULTS.md.

    .venv/bin/python -m benchmarks.fhir_publish                 # 3,000 sites, SQLite
    .venv/bin/python -m benchmarks.fhir_publish --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path

from sqlalchemy import insert

from benchmarks.load import scratch_database
from benchmarks.results import RESULTS, replace_section
from schedq import demo
from schedq.db.engine import Database
from schedq.db.models import Appointment, CapacityBlock, OpeningHours, Service, Site, Station, station_skills
from schedq.db.uow import UnitOfWork
from schedq.domain import schedule
from schedq.domain.enums import AppointmentStatus
from schedq.fhir import publication

ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
HOURS = (
    [(d, wall(7), wall(12)) for d in range(5)]
    + [(d, wall(13), wall(17)) for d in range(5)]
    + [(5, wall(8), wall(12))]
)
STATES = {
    "America/New_York": ("MA", "NY", "PA", "GA", "FL"),
    "America/Chicago": ("IL", "TX"),
    "America/Denver": ("CO", "UT"),
    "America/Los_Angeles": ("CA", "WA"),
}
NO_STATE_EVERY = 50
"""One site in this many has no state: it goes to the files without one."""
PUBLIC_URL = "https://labs.example.org"
HEADING = "# SMART Scheduling Links bulk publication"


def state_of(n: int) -> str | None:
    """The state of site `n`: one of its zone's, in turn; none for one site in `NO_STATE_EVERY`."""
    if n % NO_STATE_EVERY == 0:
        return None
    states = STATES[ZONES[n % len(ZONES)]]
    return states[(n // len(ZONES)) % len(states)]


def seed(database: Database, *, sites: int, booked_share: float, now: datetime, days: int) -> int:
    """Sites, hours, plans, stations and bookings, inserted in bulk; answers the appointments made."""
    rng = random.Random(16)
    with database.session(write=True) as session:
        for service in demo.SERVICES:
            session.add(Service(**service))
        session.flush()
        service_ids = {s.code: s.id for s in session.query(Service)}
        session.execute(
            insert(Site),
            [
                dict(
                    id=n,
                    slug=f"psc-{n:04d}",
                    name=f"Patient service center {n}",
                    address=f"{100 + n} Main Street, Springfield",
                    timezone=ZONES[n % len(ZONES)],
                    state=state_of(n),
                    phone=f"+1 312 555 {n % 10000:04d}",
                    latitude=30 + (n % 170) / 10,
                    longitude=-120 + (n % 400) / 10,
                    created_at=now,
                )
                for n in range(1, sites + 1)
            ],
        )
        session.execute(
            insert(OpeningHours),
            [dict(site_id=n, weekday=d, opens=o, closes=c) for n in range(1, sites + 1) for d, o, c in HOURS],
        )
        session.execute(
            insert(CapacityBlock),
            [
                dict(site_id=n, weekday=d, starts=wall(7), ends=wall(17), stations=3, seats_per_slot=2)
                for n in range(1, sites + 1)
                for d in range(6)
            ],
        )
        session.execute(
            insert(Station),
            [
                dict(id=3 * (n - 1) + k, site_id=n, name=f"Station {k}")
                for n in range(1, sites + 1)
                for k in (1, 2, 3)
            ],
        )
        skills = {1: ("DRAW", "GTT"), 2: ("DRAW", "GTT"), 3: ("DRAW", "UDS", "PED")}
        session.execute(
            insert(station_skills),
            [
                dict(station_id=3 * (n - 1) + k, service_id=service_ids[code])
                for n in range(1, sites + 1)
                for k, codes in skills.items()
                for code in codes
            ],
        )
        appointments = []
        hours = [schedule.WeeklyInterval(d, o, c) for d, o, c in HOURS]
        plan = [schedule.PlanBlock(d, wall(7), wall(17), 3, 2) for d in range(6)]
        for n in range(1, sites + 1):
            tz = schedule.zone(ZONES[n % len(ZONES)])
            first = schedule.local_day(now, tz)
            for offset in range(days):
                for slot in schedule.day_slots(
                    first + timedelta(days=offset), hours=hours, plan=plan, tz=tz, slot_minutes=15
                ):
                    if slot.starts_at <= now:
                        continue
                    for _seat in range(slot.seats):
                        if rng.random() < booked_share:
                            number = len(appointments)
                            appointments.append(
                                dict(
                                    site_id=n,
                                    service_id=service_ids["DRAW"],
                                    reference=f"B{number:09d}",
                                    token_nonce="0" * 32,
                                    starts_at=slot.starts_at,
                                    status=AppointmentStatus.BOOKED,
                                    contact_name="Bench Patient",
                                    contact_phone="+13125550100",
                                    created_at=now,
                                    updated_at=now,
                                )
                            )
        for start in range(0, len(appointments), 50_000):
            session.execute(insert(Appointment), appointments[start : start + 50_000])
        session.commit()
    return len(appointments)


def run(url: str, *, sites: int, days: int, booked_share: float, now: datetime) -> dict:
    # The seeding in a process of its own: this one's peak memory (`ru_maxrss`) is then the publication's.
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as child:
        booked = child.submit(
            seed_url, url, sites=sites, booked_share=booked_share, now=now, days=days
        ).result()
    seeded = time.perf_counter() - started
    figures = publish_three_times(url, days=days, now=now)
    return {"sites": sites, "days": days, "booked": booked, "seeded_s": seeded, **figures}


def seed_url(url: str, **options) -> int:
    database = Database(url)
    try:
        return seed(database, **options)
    finally:
        database.engine.dispose()


def publish_three_times(url: str, *, days: int, now: datetime) -> dict:
    """Without live waits; with them, every state new; with them again, every state already estimated."""
    database = Database(url)

    def make_uow(*, write: bool = True) -> UnitOfWork:
        return UnitOfWork(database, write=write)

    rss_before = _peak_rss_mb()
    timings = {}
    with tempfile.TemporaryDirectory() as out:
        for name, live in (("plain", False), ("live_cold", True), ("live_stored", True)):
            cpu, wall_start = time.process_time(), time.perf_counter()
            made = publication.publish(
                make_uow, Path(out), public_url=PUBLIC_URL, now=now, days=days, live_waits=live
            )
            timings[name] = (time.perf_counter() - wall_start, time.process_time() - cpu)
            if name == "plain":
                rss_plain = _peak_rss_mb()
    database.engine.dispose()
    return {
        "timings": timings,
        "rss_before_mb": rss_before,
        "rss_plain_mb": rss_plain,
        "rss_peak_mb": _peak_rss_mb(),
        "counts": made.counts,
        "sizes": {f.name: f.size for f in made.files},
        "state_files": sum(1 for f in made.files if f.states),
        "states": len({state for f in made.files for state in f.states}),
        "manifest_bytes": len(made.manifest_body),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux gives `ru_maxrss` in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(backend: str, figures: dict) -> str:
    total = sum(figures["sizes"].values())
    sites = figures["sites"]
    (plain, plain_cpu), (cold, cold_cpu), (stored, stored_cpu) = (
        figures["timings"][name] for name in ("plain", "live_cold", "live_stored")
    )
    lines = [
        f"### {backend}: {sites:,} sites, {figures['days']} days of slots, {figures['booked']:,} seats booked",
        "",
        f"- generation, written to the files as made (every Location, HealthcareService, Schedule and Slot, "
        f"without live waits): {plain:.1f} s wall, {plain_cpu:.1f} s CPU, {1000 * plain / sites:.1f} ms per site",
        f"- with the live walk-in waits, every site's state new (one whole-site estimate per site): "
        f"{cold:.1f} s wall, {cold_cpu:.1f} s CPU, so the live waits cost {cold - plain:.1f} s "
        f"({1000 * (cold - plain) / sites:.1f} ms per site)",
        f"- with the live waits again at the same instant (every state already estimated, read from the "
        f"shared store): {stored:.1f} s wall, {stored_cpu:.1f} s CPU ({stored - plain:+.1f} s against none)",
        f"- peak memory of the publishing process: {figures['rss_peak_mb']:.0f} MB "
        f"({figures['rss_before_mb']:.0f} MB once its modules were loaded, "
        f"{figures['rss_plain_mb']:.0f} MB after the first generation)",
        "- resources: " + ", ".join(f"{count:,} {kind}" for kind, count in sorted(figures["counts"].items())),
        f"- files: {len(figures['sizes'])} NDJSON ({figures['state_files']} of them per state, "
        f"{figures['states']} states), {total / 1e6:.1f} MB in all (largest "
        f"{max(figures['sizes'].values()) / 1e6:.1f} MB); manifest {figures['manifest_bytes']:,} bytes",
        f"- (seeding the database took {figures['seeded_s']:.1f} s, not counted)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--days", type=int, default=publication.DEFAULT_DAYS)
    parser.add_argument("--booked-share", type=float, default=0.3, help="share of seats booked")
    parser.add_argument("--postgres", default=None, help="admin URL of a PostgreSQL server (else SQLite)")
    parser.add_argument("--record", action="store_true", help="write the figures into benchmarks/RESULTS.md")
    args = parser.parse_args()
    # A Tuesday morning in Chicago: every site is open or about to open.
    now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit.strip()}, {_cores()} cores"
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_database(args.postgres, Path(workdir)) as (url, _, _),
    ):
        figures = run(url, sites=args.sites, days=args.days, booked_share=args.booked_share, now=now)
    text = report(backend, figures) + f"\n- run {stamp}"
    print(text)
    if args.record:
        intro = (
            "`benchmarks/fhir_publish.py`: the whole publication (manifest and NDJSON files) for many sites,\n"
            "written as `schedq fhir publish` does it; each backend's latest run.\n\n"
            "Before the files were streamed (commit 1e22701) the publication was built in memory, 1.3 GB of\n"
            "it for these 3,000 sites, and the live waits were timed on 5 to 10 sites in a fresh process:\n"
            "0.3-0.9 s per site, nearly all of it the first estimate of the process loading the estimator's\n"
            "compiled kernel (numba: seconds and about 130 MB, once per process), spread over the sample.\n"
            "An estimate itself, one per site for all its walk-in services, costs about 10 ms; here every\n"
            "site is timed, the kernel loaded once within the figure. The seeded sites have nobody waiting\n"
            "(an estimate grows with the line: benchmarks/estimator_cost.py, 3 stations x 30 waiting 6 ms).\n\n"
        )
        previous = RESULTS.read_text() if RESULTS.exists() else ""
        kept = _kept_runs(previous, backend)
        replace_section(RESULTS, HEADING, intro + "\n\n".join([*kept, text]))


def _kept_runs(text: str, backend: str) -> list[str]:
    """The other backend's figures already in the section (each run rewrites its own)."""
    start = text.find(HEADING + "\n")
    if start < 0:
        return []
    end = text.find("\n# ", start + 1)
    section = text[start : end if end > 0 else len(text)]
    runs = ["### " + part.strip() for part in section.split("\n### ")[1:]]
    return [run for run in runs if not run.startswith(f"### {backend}:")]


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
