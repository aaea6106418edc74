"""Use cases inside a shared transaction: durable only when the shared transaction commits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from schedq.db.models import Service
from schedq.db.uow import UnitOfWork, shared_transaction
from schedq.domain.errors import Conflict
from schedq.services import sites

pytestmark = pytest.mark.usefixtures("backend")


def service_count(database) -> int:
    with UnitOfWork(database, write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Service))


def test_a_use_case_committed_inside_is_undone_when_the_shared_transaction_does_not_commit(database):
    with shared_transaction(database):
        sites.create_service(UnitOfWork(database), code="DRAW", name="Blood draw", default_minutes=6.0)
    assert service_count(database) == 0


def test_a_use_case_committed_inside_is_kept_with_the_shared_commit(database):
    with shared_transaction(database) as session:
        sites.create_service(UnitOfWork(database), code="DRAW", name="Blood draw", default_minutes=6.0)
        session.commit()
    assert service_count(database) == 1


def test_a_use_case_that_fails_inside_leaves_the_rest_of_the_shared_transaction(database):
    with shared_transaction(database) as session:
        sites.create_service(UnitOfWork(database), code="DRAW", name="Blood draw", default_minutes=6.0)
        with pytest.raises(Conflict):
            sites.create_service(
                UnitOfWork(database), code="DRAW", name="Blood draw again", default_minutes=6.0
            )
        session.commit()
    assert service_count(database) == 1
