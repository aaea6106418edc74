"""One estimate per site state, shared by every worker: the store's single flight, and cheap reads."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from schedq import create_app, estimator
from schedq.db.engine import Database
from schedq.services import estimate_store
from schedq.services.estimates.live import REPLICATIONS
from tests.conftest import IN_CI

API = "/api/v1"
REDIS_URL = os.environ.get("SCHEDQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKER_THREADS = 6


# The store ---------------------------------------------------------------------------


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def store_kind(request) -> str:
    return request.param


@pytest.fixture
def backend(store_kind) -> str:
    """The database under the store (Redis stores run over SQLite)."""
    return "postgresql" if store_kind == "postgresql" else "sqlite"


@pytest.fixture
def redis_prefix(store_kind):
    """A key prefix of this test's own on the Redis server (None for table stores)."""
    if store_kind != "redis":
        yield None
        return
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        message = f"Redis not reachable at {REDIS_URL}: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"schedq-test:{uuid.uuid4().hex[:10]}"
    yield prefix
    estimate_store.RedisEstimateStore(REDIS_URL, prefix=prefix).forget_all()


def open_store(database_url: str, redis_prefix: str | None) -> tuple[Database, estimate_store.EstimateStore]:
    database = Database(database_url)
    if redis_prefix is None:
        return database, estimate_store.TableEstimateStore(database)
    return database, estimate_store.RedisEstimateStore(REDIS_URL, prefix=redis_prefix)


def _ask_at_once(
    database_url: str, redis_prefix: str | None, counter: str, site_id: int, state: str, now, threads: int
) -> list:
    """`threads` workers of one process ask for the same new state at once; each run of the computation is counted."""
    database, store = open_store(database_url, redis_prefix)
    start = threading.Barrier(threads)
    answers = []

    def compute() -> dict:
        with open(counter, "a") as runs:
            runs.write(f"{os.getpid()}\n")
        time.sleep(0.3)  # a Monte Carlo's worth of time, so the others surely ask meanwhile
        return {"computed_by": os.getpid(), "at": now, "never": float("inf")}

    def ask() -> None:
        start.wait()
        stored = store.fetch(
            site_id=site_id, kind="site/1000", state=state, compute=compute, now=now, stale_ok=False
        )
        answers.append(stored.payload)

    workers = [threading.Thread(target=ask) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    database.dispose()
    return answers


def test_workers_in_two_processes_asking_for_a_new_state_compute_it_once(
    database_url, redis_prefix, site, clock, tmp_path
):
    counter = tmp_path / "runs.txt"
    counter.touch()
    args = (database_url, redis_prefix, str(counter), site.site_id, "v7/m-/tA", clock())
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as other_process:
        theirs = other_process.apply_async(_ask_at_once, (*args, WORKER_THREADS))
        ours = _ask_at_once(*args, WORKER_THREADS)
        theirs = theirs.get(timeout=120)
    assert len(counter.read_text().splitlines()) == 1
    assert len(ours) + len(theirs) == 2 * WORKER_THREADS
    assert all(answer == ours[0] for answer in ours + theirs)
    assert ours[0]["at"] == clock() and ours[0]["never"] == float("inf")


def test_the_previous_answer_is_served_with_its_age_while_another_worker_computes(
    database_url, redis_prefix, site, clock
):
    database, store = open_store(database_url, redis_prefix)
    old = store.fetch(
        site_id=site.site_id, kind="site/1000", state="v1", compute=lambda: {"waiting": 1}, now=clock()
    )
    started, finish = threading.Event(), threading.Event()

    def slow() -> dict:
        started.set()
        finish.wait(30)
        return {"waiting": 2}

    later = clock() + timedelta(seconds=40)
    computing = threading.Thread(
        target=store.fetch,
        kwargs=dict(site_id=site.site_id, kind="site/1000", state="v2", compute=slow, now=later),
    )
    computing.start()
    assert started.wait(30)
    meanwhile = store.fetch(site_id=site.site_id, kind="site/1000", state="v2", compute=slow, now=later)
    finish.set()
    computing.join()
    assert (meanwhile.payload, meanwhile.fresh, meanwhile.age_seconds(later)) == (old.payload, False, 40.0)
    after = store.fetch(site_id=site.site_id, kind="site/1000", state="v2", compute=slow, now=later)
    assert (after.payload, after.fresh) == ({"waiting": 2}, True)
    database.dispose()


def test_payloads_keep_instants_and_infinities(clock):
    payload = {
        "at": clock(),
        "p90": float("inf"),
        "rows": [{"starts_at": clock(), "p50": 1.5, "message": None}],
    }
    assert estimate_store.decode(estimate_store.encode(payload)) == payload


# Reads through the API ---------------------------------------------------------------


@pytest.fixture
def estimator_runs(monkeypatch) -> list[int]:
    """One entry per run of the estimator in this process."""
    runs: list[int] = []
    original = estimator.estimate
    monkeypatch.setattr(estimator, "estimate", lambda *a, **k: runs.append(1) or original(*a, **k))
    return runs


@pytest.fixture
def writes(database) -> list[str]:
    """Every INSERT, UPDATE or DELETE the app sends to its database, from now on."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.engine, "before_cursor_execute", record)


def kiosk_join(client, site, key: str | None = None):
    headers = site.headers("display") | ({"Idempotency-Key": key} if key else {})
    answer = client.post(f"{API}/sites/{site.site_id}/tickets", json={"service": "DRAW"}, headers=headers)
    assert answer.status_code == 201
    return answer.json


@pytest.fixture
def statements(database) -> list[str]:
    """Every statement the app sends to its database from now on, transaction control left out."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if statement.split(" ", 1)[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.engine, "before_cursor_execute", record)


def public_reads(site, ticket) -> list[tuple[str, dict]]:
    return [
        (f"{API}/sites/{site.site_id}/wait", {}),
        (f"{API}/sites/{site.site_id}/display", {}),
        (f"{API}/sites/{site.site_id}/best-times?service=DRAW", {}),
        (f"{API}/tickets/{ticket['id']}", {"X-Patient-Token": ticket["token"]}),
    ]


@pytest.mark.usefixtures("backend")
class TestReads:
    @pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
    def backend(self, request) -> str:
        return request.param

    def test_a_read_of_an_unchanged_state_does_no_estimator_work_and_no_writes(
        self, client, site, estimator_runs, database
    ):
        ticket = kiosk_join(client, site)
        for url, headers in public_reads(site, ticket):
            assert client.get(url, headers=headers).status_code == 200
        runs = len(estimator_runs)
        seen: list[str] = []
        listener = lambda _c, _cur, statement, *_a: seen.append(statement)  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            for url, headers in public_reads(site, ticket):
                assert client.get(url, headers=headers).status_code == 200
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        assert len(estimator_runs) == runs
        assert [
            s for s in seen if s.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
        ] == []

    def test_a_read_of_an_unchanged_state_is_one_statement_whether_answered_200_or_304(
        self, client, site, statements
    ):
        ticket = kiosk_join(client, site)
        for url, headers in public_reads(site, ticket):
            etag = client.get(url, headers=headers).headers["ETag"]
            statements.clear()
            assert client.get(url, headers=headers).status_code == 200
            assert client.get(url, headers={**headers, "If-None-Match": etag}).status_code == 304
            assert len(statements) == 2, (url, statements)

    def test_a_kept_answer_never_outlives_its_state(self, client, site):
        url = f"{API}/sites/{site.site_id}/display"
        assert client.get(url).json["waiting"] == 0
        assert client.get(url).json["waiting"] == 0
        kiosk_join(client, site)
        assert client.get(url).json["waiting"] == 1

    def test_tickets_of_one_site_each_show_their_own_place_as_the_line_moves(self, client, site):
        joined = [kiosk_join(client, site) for _ in range(3)]

        def places() -> list:
            return [
                client.get(f"{API}/tickets/{t['id']}", headers={"X-Patient-Token": t["token"]}).json[
                    "position"
                ]
                for t in joined
            ]

        assert places() == [1, 2, 3]
        station = site.station_ids["Station 1"]
        staff = site.headers("staff")
        assert client.post(f"{API}/stations/{station}/open", headers=staff).status_code == 200
        assert client.post(f"{API}/stations/{station}/call-next", headers=staff).status_code == 200
        assert places() == [None, 1, 2]

    def test_if_none_match_is_answered_304_without_estimator_work(self, client, site, estimator_runs, clock):
        ticket = kiosk_join(client, site)
        for url, headers in public_reads(site, ticket):
            first = client.get(url, headers=headers)
            runs = len(estimator_runs)
            again = client.get(url, headers={**headers, "If-None-Match": first.headers["ETag"]})
            assert (again.status_code, again.headers["ETag"], len(estimator_runs)) == (
                304,
                first.headers["ETag"],
                runs,
            ), url

    def test_the_etag_moves_with_the_state_and_with_time(self, client, site, clock):
        url = f"{API}/sites/{site.site_id}/wait"
        first = client.get(url).headers["ETag"]
        assert client.get(url).headers["ETag"] == first
        kiosk_join(client, site)
        joined = client.get(url).headers["ETag"]
        clock.advance(seconds=15)
        assert len({first, joined, client.get(url).headers["ETag"]}) == 3

    def test_another_worker_reads_a_states_estimate_from_the_store_once_for_its_wait_feed_and_tickets(
        self, client, site, app, estimator_runs, tmp_path
    ):
        joined = [kiosk_join(client, site) for _ in range(2)]  # this worker makes the state's estimate
        runs = len(estimator_runs)
        other = create_app(
            {**app.config, "INSTANCE_DIR": str(tmp_path / "other"), "ESTIMATOR_WARM_UP": False}
        )
        try:
            store = estimate_store.store_for(other.extensions["schedq.database"])
            assert isinstance(store, estimate_store.TableEstimateStore)
            reads: list[str] = []
            listener = lambda _c, _cur, statement, *_a: reads.append(statement)  # noqa: E731
            event.listen(store.engine, "before_cursor_execute", listener)
            worker = other.test_client()
            answers = [
                worker.get(f"{API}/sites/{site.site_id}/wait"),
                worker.get(f"{API}/sites/{site.site_id}/display"),
                *(
                    worker.get(f"{API}/tickets/{t['id']}", headers={"X-Patient-Token": t["token"]})
                    for t in joined
                ),
            ]
            event.remove(store.engine, "before_cursor_execute", listener)
        finally:
            other.extensions["schedq.database"].dispose()
        assert [a.status_code for a in answers] == [200] * 4
        assert [a.json["estimate_age_seconds"] for a in answers] == [0.0] * 4
        assert len(estimator_runs) == runs
        assert len([r for r in reads if "shared_estimates" in r]) == 1, reads

    def test_public_reads_may_be_held_by_shared_caches_and_the_ticket_only_by_its_owner(self, client, site):
        ticket = kiosk_join(client, site)
        controls = {
            url.split("/")[-1].split("?")[0]: client.get(url, headers=headers).headers.get("Cache-Control")
            for url, headers in public_reads(site, ticket)
        }
        assert controls == {
            "wait": "public, max-age=2",
            "display": "public, max-age=1",
            "best-times": "public, max-age=2",
            str(ticket["id"]): "private, no-store",
        }

    def test_the_promise_made_at_joining_is_what_the_first_look_shows_without_estimating_again(
        self, client, site, estimator_runs
    ):
        joined = kiosk_join(client, site)
        runs = len(estimator_runs)
        first_look = client.get(
            f"{API}/tickets/{joined['id']}", headers={"X-Patient-Token": joined["token"]}
        ).json
        assert len(estimator_runs) == runs
        assert first_look["estimate"] == joined["estimate"]
        in_queue = client.get(f"{API}/sites/{site.site_id}/queue", headers=site.headers("staff")).json[
            "tickets"
        ][0]
        assert in_queue["promised"] == {
            k: joined["estimate"][k] for k in ("p10_minutes", "p50_minutes", "p90_minutes", "mean_minutes")
        }

    def test_no_estimate_is_made_while_the_site_is_locked(self, client, site, database, monkeypatch):
        locked_during_runs: list[bool] = []
        original = estimator.estimate

        def watched(*args, **kwargs):
            locked_during_runs.append(site_is_locked(database, site.site_id))
            return original(*args, **kwargs)

        monkeypatch.setattr(estimator, "estimate", watched)
        kiosk_join(client, site)
        kiosk_join(client, site)
        assert locked_during_runs and not any(locked_during_runs)

    def test_a_keyed_join_makes_its_estimate_once_committed_and_a_retry_gets_it_again(
        self, client, site, database, monkeypatch
    ):
        locked_during_runs: list[bool] = []
        original = estimator.estimate

        def watched(*args, **kwargs):
            locked_during_runs.append(site_is_locked(database, site.site_id))
            return original(*args, **kwargs)

        monkeypatch.setattr(estimator, "estimate", watched)
        kiosk_join(client, site, key="first")
        joined = kiosk_join(client, site, key="second")
        assert locked_during_runs and not any(locked_during_runs)
        assert joined["estimate"]["p50_minutes"] is not None
        assert kiosk_join(client, site, key="second")["estimate"] == joined["estimate"]

    def test_a_read_served_from_the_previous_state_says_how_old_its_estimate_is(
        self, client, site, database, clock
    ):
        ticket = kiosk_join(client, site)
        made_at = clock()
        computed = {url: client.get(url, headers=headers).json for url, headers in public_reads(site, ticket)}
        later = clock.advance(seconds=40)
        # Another worker (its own connections to the same database) took the site's lease to compute the new state.
        store = estimate_store.TableEstimateStore(database)
        assert store.take_lease(site.site_id, f"site/{REPLICATIONS}", "another worker's state")
        try:
            for url, headers in public_reads(site, ticket):
                if "best-times" in url:
                    continue
                answer = client.get(url, headers=headers).json
                assert answer["estimate_age_seconds"] == (later - made_at).total_seconds() == 40.0, url
                assert answer["estimate_as_of"] == computed[url]["estimate_as_of"], url
        finally:
            store.release(site.site_id, f"site/{REPLICATIONS}", "another worker's state")

    def test_best_times_served_from_the_previous_renewal_say_how_old_they_are(
        self, client, site, database, clock
    ):
        url = f"{API}/sites/{site.site_id}/best-times?service=DRAW"
        first = client.get(url).json
        assert first["estimate_age_seconds"] == 0
        assert first["estimate_as_of"] == first["at"]
        clock.advance(minutes=5)  # the next renewal's instant
        store = estimate_store.TableEstimateStore(database)
        assert store.take_lease(site.site_id, "best/DRAW", "another worker's renewal")
        try:
            answer = client.get(url).json
        finally:
            store.release(site.site_id, "best/DRAW", "another worker's renewal")
        assert answer["estimate_as_of"] == first["estimate_as_of"]
        assert answer["estimate_age_seconds"] == 300.0

    def test_a_read_of_the_current_state_reports_its_estimate_as_new(self, client, site, clock):
        ticket = kiosk_join(client, site)
        now = clock.advance(seconds=45)  # a new 15-second instant: a new state
        for url, headers in public_reads(site, ticket):
            if "best-times" in url:
                continue
            for _ in range(2):  # made now, then found made (in the store or this worker's bodies)
                answer = client.get(url, headers=headers).json
                assert answer["estimate_age_seconds"] == 0, url
                assert datetime.fromisoformat(answer["estimate_as_of"]) == now, url


def site_is_locked(database: Database, site_id: int) -> bool:
    """Whether another transaction holds the site's write lock now (asked without waiting)."""
    if database.is_sqlite:
        raw = sqlite3.connect(Path(make_url(database.url).database), timeout=0)
        try:
            raw.execute("BEGIN IMMEDIATE")
            raw.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            raw.close()
    with database.engine.connect() as connection:
        try:
            connection.execute(text("SELECT id FROM sites WHERE id = :id FOR UPDATE NOWAIT"), {"id": site_id})
            return False
        except OperationalError:
            return True
        finally:
            connection.rollback()
