"""What the SMART Scheduling Links bulk publication costs for 3,000 sites (issue 16).

Creates `--sites` sites directly in a fresh database (SQLite, or PostgreSQL with
`--postgres URL`): hours Monday to Friday 07:00-12:00 and 13:00-17:00 and
Saturday 08:00-12:00, in the four mainland US zones, a plan of 2 seats per
15-minute slot, three stations doing DRAW, UDS, GTT and PED, and a share of the
seats of the next days booked. Then generates the whole publication
(`schedq.fhir.publication.publish`, the same code `schedq fhir publish` and
/fhir/$bulk-publish run) and writes its files, and prints the time per step, per
site, the resources and the file sizes. The live walk-in wait costs an estimate
per site whose state changed: it is timed on a sample of sites and given per site.
`--record` writes the figures into benchmarks/RESULTS.md.

    .venv/bin/python -m benchmarks.fhir_publish                 # 3,000 sites, SQLite
    .venv/bin/python -m benchmarks.fhir_publish --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
import time
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
from schedq.fhir import files, publication

ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
HOURS = (
    [(d, wall(7), wall(12)) for d in range(5)]
    + [(d, wall(13), wall(17)) for d in range(5)]
    + [(5, wall(8), wall(12))]
)
PUBLIC_URL = "https://labs.example.org"
HEADING = "# SMART Scheduling Links bulk publication"


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


def run(url: str, *, sites: int, days: int, booked_share: float, sample: int, now: datetime) -> dict:
    database = Database(url)

    def make_uow(*, write: bool = True) -> UnitOfWork:
        return UnitOfWork(database, write=write)

    started = time.perf_counter()
    booked = seed(database, sites=sites, booked_share=booked_share, now=now, days=days)
    seeded = time.perf_counter() - started

    cpu, wall_start = time.process_time(), time.perf_counter()
    made = publication.publish(make_uow, public_url=PUBLIC_URL, now=now, days=days, live_waits=False)
    generate, generate_cpu = time.perf_counter() - wall_start, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as out:
        wall_start = time.perf_counter()
        files.write(made, Path(out))
        write = time.perf_counter() - wall_start

    # The live wait: an estimate per site, timed on a sample (the same code, `_live_waits`).
    with make_uow(write=False) as uow:
        chosen = list(uow.session.query(Site).order_by(Site.id).limit(sample))
        wall_start = time.perf_counter()
        publication._live_waits(make_uow, chosen, now)
        live_per_site = (time.perf_counter() - wall_start) / max(len(chosen), 1)
    database.engine.dispose()
    return {
        "sites": sites,
        "days": days,
        "booked": booked,
        "seeded_s": seeded,
        "generate_s": generate,
        "generate_cpu_s": generate_cpu,
        "write_s": write,
        "per_site_ms": 1000 * generate / sites,
        "counts": made.counts,
        "sizes": {f.name: len(f.body) for f in made.files},
        "manifest_bytes": len(made.manifest_body),
        "live_per_site_ms": 1000 * live_per_site,
        "live_sample": sample,
    }


def report(backend: str, figures: dict) -> str:
    total = sum(figures["sizes"].values())
    lines = [
        f"### {backend}: {figures['sites']:,} sites, {figures['days']} days of slots, {figures['booked']:,} seats booked",
        "",
        f"- generation (every Location, HealthcareService, Schedule and Slot, without live waits): "
        f"{figures['generate_s']:.1f} s wall, {figures['generate_cpu_s']:.1f} s CPU, "
        f"{figures['per_site_ms']:.2f} ms per site",
        f"- writing the files: {figures['write_s']:.2f} s",
        f"- live walk-in waits (an estimate per site whose state changed; {figures['live_sample']} sites timed): "
        f"{figures['live_per_site_ms']:.0f} ms per site, so about "
        f"{figures['live_per_site_ms'] * figures['sites'] / 1000:.0f} s for all {figures['sites']:,} when every state changed",
        "- resources: " + ", ".join(f"{count:,} {kind}" for kind, count in sorted(figures["counts"].items())),
        f"- files: {len(figures['sizes'])} NDJSON, {total / 1e6:.1f} MB in all (largest "
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
    parser.add_argument("--sample", type=int, default=20, help="sites whose live wait is timed")
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
        figures = run(
            url, sites=args.sites, days=args.days, booked_share=args.booked_share, sample=args.sample, now=now
        )
    text = report(backend, figures) + f"\n- run {stamp}"
    print(text)
    if args.record:
        intro = (
            "`benchmarks/fhir_publish.py`: the whole publication (manifest and NDJSON files) for many sites,\n"
            "generated as `schedq fhir publish` does it; each backend's latest run.\n\n"
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
