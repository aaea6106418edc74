"""What the queue's writes and the reads after them send to the database (issue 10: a chain's load).

Every statement costs the app CPU on the ORM's side as well as the database's,
and a chain's writers (a join, call, start or complete every few seconds at
every site) are what leaves cores for its readers. These pin the statements a
write sends: a staff action reads its token and the ticket's or station's site
in one read, then, holding the site's lock, settles overdue calls, loads what
it acts on once and writes the ticket, its event and the site's version. A
ticket read after a change reads the ticket's row and builds the site's part
once; the site's other tickets then read only their own row.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from schedq.domain.errors import NotFound
from schedq.services import tickets
from tests.queue.conftest import SECRET

API = "/api/v1"


@pytest.fixture
def statements(database) -> list[str]:
    """Every statement the app sends to its database from now on, transaction control left out."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if statement.split(" ", 1)[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}:
            seen.append(" ".join(statement.split()))

    event.listen(database.engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.engine, "before_cursor_execute", record)


def verbs(statements: list[str]) -> list[str]:
    """Each statement's verb and table: `SELECT sites`, `UPDATE tickets`, `INSERT visit_events`."""
    named = []
    for statement in statements:
        words = statement.split(" ")
        verb = words[0].upper()
        table = {"SELECT": "FROM", "UPDATE": "UPDATE", "INSERT": "INTO"}.get(verb)
        named.append(f"{verb} {words[words.index(table) + 1]}" if table in words else verb)
    return named


def post(client, url: str, headers: dict, expect: int, **kwargs) -> dict:
    answer = client.post(f"{API}{url}", headers=headers, **kwargs)
    assert answer.status_code == expect, answer.json
    return answer.json


@pytest.mark.usefixtures("backend")
class TestWrites:
    def test_a_staff_action_locks_once_and_writes_the_ticket_its_event_and_the_version(
        self, client, site, statements
    ):
        staff = site.headers("staff")
        station = site.station_ids["Station 1"]
        post(client, f"/stations/{station}/open", staff, 200)
        post(client, f"/sites/{site.site_id}/tickets", site.headers("display"), 201, json={"service": "DRAW"})

        statements.clear()
        called = post(client, f"/stations/{station}/call-next", staff, 200)
        assert verbs(statements) == [
            "SELECT api_tokens",  # the token with its sites
            "SELECT stations",  # the station's site
            "SELECT sites",  # locked
            "SELECT tickets",  # overdue calls
            "SELECT stations",  # the station
            "SELECT station_skills",  # its skills
            "SELECT tickets",  # the line, with services and appointments
            "SELECT webhook_endpoints",  # who hears of it (no contact, no endpoint: no outbox row)
            "UPDATE sites",  # the state version
            "INSERT visit_events",
            "UPDATE tickets",
        ], "|".join(verbs(statements))

        for action in ("start", "complete"):
            statements.clear()
            post(client, f"/tickets/{called['id']}/{action}", staff, 200)
            assert verbs(statements) == [
                "SELECT api_tokens",
                "SELECT tickets",  # the ticket's site
                "SELECT sites",  # locked
                "SELECT tickets",  # overdue calls
                "SELECT tickets",  # the ticket, with its service, station and appointment
                # who hears of it, read once even when completing makes two events (done, rating request)
                "SELECT webhook_endpoints",
                "UPDATE sites",
                "INSERT visit_events",
                "UPDATE tickets",
            ], (action, "|".join(verbs(statements)))

    def test_a_kiosk_join_holds_the_lock_for_the_join_alone(self, client, site, statements):
        post(client, f"/sites/{site.site_id}/tickets", site.headers("display"), 201, json={"service": "DRAW"})
        statements.clear()
        post(client, f"/sites/{site.site_id}/tickets", site.headers("display"), 201, json={"service": "UDS"})
        named = verbs(statements)
        assert named[:3] == [
            "SELECT api_tokens",
            "SELECT sites",  # the site and its model's age
            "SELECT sites",  # locked
        ], "|".join(verbs(statements))
        assert named[3:14] == [
            "SELECT tickets",  # overdue calls
            "SELECT opening_hours",  # the site's status
            "SELECT closures",
            "SELECT site_days",
            "SELECT station_skills",  # the service, with EXISTS (a station here that does it)
            "SELECT ticket_counters",
            "UPDATE sites",
            "UPDATE ticket_counters",
            "INSERT tickets",
            "SELECT webhook_endpoints",  # who hears of it
            "INSERT visit_events",
        ], "|".join(verbs(statements))

    def test_a_refused_action_still_names_the_caller_before_the_ticket(self, client, site):
        """401 without a token, 404 for no ticket, 403 for another site's staff: the order reads are made in."""
        assert client.post(f"{API}/tickets/999/start").status_code == 401
        assert client.post(f"{API}/tickets/999/start", headers=site.headers("staff")).status_code == 404
        joined = post(
            client, f"/sites/{site.site_id}/tickets", site.headers("display"), 201, json={"service": "DRAW"}
        )
        refused = client.post(f"{API}/tickets/{joined['id']}/start", headers=site.headers("other_staff"))
        assert refused.status_code == 403
        revoked = client.post(
            f"{API}/tickets/{joined['id']}/start", headers={"Authorization": "Bearer sq_not-a-token"}
        )
        assert revoked.status_code == 401


@pytest.mark.usefixtures("backend")
class TestReadsAfterAChange:
    def test_the_sites_part_is_built_once_and_each_other_ticket_reads_its_own_row(
        self, client, site, statements
    ):
        display = site.headers("display")
        joined = [
            post(client, f"/sites/{site.site_id}/tickets", display, 201, json={"service": "DRAW"})
            for _ in range(3)
        ]
        statements.clear()
        first, *others = joined
        assert (
            client.get(f"{API}/tickets/{first['id']}", headers={"X-Patient-Token": first["token"]}).json[
                "position"
            ]
            == 1
        )
        assert "SELECT site_days" in verbs(statements)  # the site's part, built here
        for place, ticket in enumerate(others, start=2):
            statements.clear()
            answer = client.get(f"{API}/tickets/{ticket['id']}", headers={"X-Patient-Token": ticket["token"]})
            assert answer.json["position"] == place
            assert verbs(statements) == ["SELECT tickets", "SELECT tickets"], statements  # its state, its row

    def test_a_ticket_read_of_a_named_state_checks_the_token_against_the_row_it_loads(
        self, client, site, make_uow, clock
    ):
        display = site.headers("display")
        mine, other = (
            post(client, f"/sites/{site.site_id}/tickets", display, 201, json={"service": "DRAW"})
            for _ in range(2)
        )
        state = tickets.ticket_state(
            make_uow, ticket_id=mine["id"], token=None, secret_key=SECRET, now=clock(), max_model_age_hours=24
        )
        with pytest.raises(NotFound):
            tickets.get_ticket(
                make_uow(write=False),
                ticket_id=mine["id"],
                token=other["token"],
                secret_key=SECRET,
                now=clock(),
                state=state,
            )
        seen = tickets.get_ticket(
            make_uow(write=False),
            ticket_id=mine["id"],
            token=mine["token"],
            secret_key=SECRET,
            now=clock(),
            state=state,
        )
        assert (seen.id, seen.position) == (mine["id"], 1)
