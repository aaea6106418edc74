"""Migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from schedq.db import migrate
from schedq.db.base import Base
from tests.notify.helpers import book


@pytest.mark.usefixtures("backend")
def test_migrated_schema_matches_the_models(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


@pytest.mark.usefixtures("backend")
def test_phones_kept_as_typed_are_rewritten_in_e164_by_the_sites_country(
    database, database_url, site, make_uow
):
    booking = book(make_uow, site.site_id, sms=True)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE sites SET country = 'US'"))
        connection.execute(
            text("UPDATE appointments SET contact_phone = '(201) 555-0123' WHERE reference = :r"),
            {"r": booking.reference},
        )
        for code, phone in (("A001", "201.555.0124"), ("A002", "555-0123"), ("A003", "+12015550125")):
            connection.execute(
                text(
                    "INSERT INTO tickets (site_id, service_id, service_day, code, token_nonce, kind, status, "
                    "priority, present, joined_at, call_count, contact_phone, notify_sms, notify_email, "
                    "language) SELECT :site, id, '2026-03-02', :code, :code, 'kiosk', 'waiting', false, "
                    "true, '2026-03-02 14:00:00+00:00', 0, :phone, false, false, 'en' FROM services "
                    "WHERE code = 'DRAW'"
                ),
                {"site": site.site_id, "code": code, "phone": phone},
            )
    database.dispose()

    command.downgrade(migrate.alembic_config(database_url), "0014")  # past 0015, which rewrites phones
    migrate.upgrade(database_url)

    with database.engine.connect() as connection:
        booked = connection.scalar(text("SELECT contact_phone FROM appointments"))
        tickets = dict(connection.execute(text("SELECT code, contact_phone FROM tickets")).all())
    assert booked == "+12015550123"
    assert tickets == {"A001": "+12015550124", "A002": "555-0123", "A003": "+12015550125"}
