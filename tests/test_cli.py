"""The command line: tokens, migrations and the demo seed."""

from __future__ import annotations

import re

from schedq.services import access, sites


def test_token_is_created_listed_and_revoked(runner, app, make_uow):
    created = runner.invoke(args=["tokens", "create", "--name", "ops", "--role", "admin"])
    assert created.exit_code == 0, created.output
    token_id, plain = re.search(r"token (\d+) .*: (sq_\S+)", created.output).groups()
    listed = runner.invoke(args=["tokens", "list"]).output
    assert "ops" in listed and "active" in listed and plain not in listed
    assert access.authenticate(make_uow(write=False), plain=plain) is not None

    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output
    assert access.authenticate(make_uow(write=False), plain=plain) is None


def test_only_the_hash_of_a_token_is_stored(runner, database):
    plain = re.search(
        r"(sq_\S+)", runner.invoke(args=["tokens", "create", "--name", "x", "--role", "admin"]).output
    ).group(1)
    with database.engine.connect() as connection:
        dump = "\n".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM api_tokens"))
    assert plain not in dump


def test_staff_token_needs_a_site(runner):
    answer = runner.invoke(args=["tokens", "create", "--name", "desk", "--role", "staff"])
    assert answer.exit_code != 0 and "at least one site" in answer.output


def test_revoking_an_unknown_token_says_so(runner):
    answer = runner.invoke(args=["tokens", "revoke", "999"])
    assert answer.exit_code != 0 and "no API token 999" in answer.output


def test_demo_seed_fills_an_empty_database_once(runner, make_uow):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "Riverside" in first.output
    assert re.search(r"staff token: sq_", first.output)
    assert [s.slug for s in sites.list_sites(make_uow(write=False))] == ["riverside", "northside"]
    again = runner.invoke(args=["seed-demo"])
    assert "nothing seeded" in again.output
    assert len(sites.list_sites(make_uow(write=False))) == 2


def test_db_upgrade_is_repeatable(runner):
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0


def test_model_refit_covers_every_site(runner, site):
    answer = runner.invoke(args=["model", "refit"])
    assert answer.exit_code == 0, answer.output
    assert "site 1: refit from 0 visits" in answer.output and "site 2:" in answer.output
