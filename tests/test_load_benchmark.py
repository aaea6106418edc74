"""The load benchmark's driver runs end to end: it serves, drives every endpoint and cleans up.

No timing is asserted here (the figures belong to `benchmarks/RESULTS.md`); only that a
quick run completes and each endpoint it drives got successful answers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from benchmarks import load
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parent.parent
DRIVEN = (load.TRIVIAL, load.WAIT, load.DISPLAY, load.SCREEN, load.TICKET, load.BEST_TIMES, *load.WRITES)


def successes_by_endpoint(output: str) -> dict[str, int]:
    """From the printed table: answered requests (requests less errors) per endpoint, all phases."""
    found: dict[str, int] = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and cells[1].startswith("`"):
            endpoint = cells[1].strip("`")
            found[endpoint] = found.get(endpoint, 0) + int(cells[2]) - int(cells[6])
    return found


def load_databases() -> set[str]:
    engine = create_engine(POSTGRES_URL)
    with engine.connect() as connection:
        names = set(
            connection.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE 'schedq_load_%'"))
        )
    engine.dispose()
    return names


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_quick_load_run_answers_every_endpoint_it_drives(backend, request, tmp_path):
    if backend == "postgresql":
        request.getfixturevalue(
            "postgres_database"
        )  # skips (or fails under CI) when the server is unreachable
        before = load_databases()
    database = ["--sqlite"] if backend == "sqlite" else ["--admin-url", POSTGRES_URL]
    results = tmp_path / "RESULTS.md"
    results.write_text("# Earlier results\n\nkept\n")
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--quick", "--write", str(results), *database],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    answered = successes_by_endpoint(run.stdout)
    assert {endpoint: answered.get(endpoint, 0) > 0 for endpoint in DRIVEN} == dict.fromkeys(DRIVEN, True)
    written = results.read_text()
    assert written.startswith("# Earlier results\n\nkept\n") and "# Load benchmark" in written
    if backend == "postgresql":
        assert load_databases() == before
