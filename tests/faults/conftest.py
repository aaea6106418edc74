"""Fault tests: the real `schedq serve` (gunicorn, 2 workers) on a private PostgreSQL cluster.

The cluster is the test's own (initdb into a temporary directory, on a free
loopback port; run as the `postgres` user when the tests run as root), so it
can be restarted under load without touching any other server. Without
PostgreSQL's server binaries the tests are skipped, except under CI=true,
where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from tests.browser.conftest import Server, free_port
from tests.conftest import IN_CI

POSTGRES_BIN = Path(os.environ.get("SCHEDQ_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/faults/" in item.nodeid:
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.postgres)


@dataclass
class PrivateCluster:
    """A throwaway PostgreSQL cluster: data, socket and log in one temporary directory."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(POSTGRES_BIN / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]  # PostgreSQL refuses to run as root
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.directory / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off -c max_connections=100"
        self._run(
            "pg_ctl",
            "-D",
            str(self.directory / "data"),
            "-l",
            str(self.directory / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", mode, "-w", "-t", "30", "stop")


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    if not (POSTGRES_BIN / "initdb").exists():
        message = f"PostgreSQL server binaries not found in {POSTGRES_BIN} (apt-get install postgresql)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="schedq-faults-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    private = PrivateCluster(directory, free_port())
    private.init()
    private.start()
    try:
        yield private
    finally:
        try:
            private.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already down
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def served(cluster, tmp_path_factory) -> Iterator[Server]:
    server = Server(instance=tmp_path_factory.mktemp("faults") / "instance", database_url=cluster.url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def engine(cluster) -> Iterator[Engine]:
    """The test's own connection, to read what the service left in the database."""
    engine = create_engine(cluster.url, pool_pre_ping=True)
    yield engine
    engine.dispose()
