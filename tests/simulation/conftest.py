"""A simulated world on an empty migrated database (SQLite, copied from the session template)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import numpy as np
import pytest

from schedq.db.engine import Database
from schedq.simulation import scenario
from schedq.simulation.world import SiteWorld

MONDAY = date(2026, 1, 5)


def make_world(path, template, *, seed: int, name: str = "tiny") -> SiteWorld:
    shutil.copy(template, path)
    world = SiteWorld(scenario.builtin(name), Database(f"sqlite:///{path}"), rng=np.random.default_rng(seed))
    world.setup(now=datetime(2026, 1, 1, tzinfo=UTC))
    return world


@pytest.fixture
def world(tmp_path, sqlite_template):
    made = make_world(tmp_path / "world.sqlite3", sqlite_template, seed=7)
    yield made
    made.database.dispose()
