"""The outbox is written in the change's own transaction, once per recipient, honouring the patient's choices."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from schedq.db.models import Delivery, NotifyEvent, Site, Ticket, WebhookEndpoint
from schedq.db.uow import shared_transaction
from schedq.domain.contact import Contact
from schedq.notify import delivery, preferences
from schedq.notify.events import EventKind
from schedq.notify.log_sink import LogChannel
from schedq.notify.message import ChannelName
from schedq.notify.quiet_hours import quiet_until
from schedq.services import appointments, tickets
from schedq.services.queue import calling, closing, corrections
from schedq.services.rate_limits import TableCounters
from tests.conftest import MONDAY_8AM
from tests.notify.helpers import EMAIL, PHONE, TUESDAY_9AM, book, rows
from tests.notify.test_api import SETTINGS


def test_a_booking_writes_one_delivery_per_channel_the_patient_chose(site, make_uow, backend):
    book(make_uow, site.site_id, sms=True, email=False)
    assert rows(make_uow) == [
        ("appointment.booked", "email", EMAIL, "opted_out"),
        ("appointment.booked", "sms", PHONE, "pending"),
    ]


def test_reschedule_and_cancel_are_told_too(site, make_uow):
    booking = book(make_uow, site.site_id, sms=False, email=True)
    appointments.reschedule(
        make_uow(),
        reference=booking.reference,
        token=booking.token,
        starts_at=TUESDAY_9AM + timedelta(minutes=15),
        now=MONDAY_8AM,
        secret_key="test-secret",
    )
    appointments.cancel(
        make_uow(), reference=booking.reference, token=booking.token, now=MONDAY_8AM, secret_key="test-secret"
    )
    pending = [(kind, channel) for kind, channel, _, status in rows(make_uow) if status == "pending"]
    assert pending == [
        ("appointment.booked", "email"),
        ("appointment.rescheduled", "email"),
        ("appointment.cancelled", "email"),
    ]
    with make_uow(write=False) as uow:
        moved = uow.session.scalars(
            select(NotifyEvent).where(NotifyEvent.kind == "appointment.rescheduled")
        ).one()
    assert moved.facts["previous_starts_at"] == TUESDAY_9AM.isoformat()


def test_a_change_rolled_back_leaves_no_outbox_row(site, make_uow, database, backend):
    with shared_transaction(database):
        book(make_uow, site.site_id)
        assert len(rows_inside(make_uow)) == 2  # written, in the same transaction as the booking
        # the shared transaction ends without its commit: the booking and its messages go together
    assert rows(make_uow) == []
    with make_uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(NotifyEvent)) == 0


def rows_inside(make_uow):
    with make_uow() as uow:  # joins the shared transaction
        return list(uow.session.scalars(select(Delivery)))


def _remote(make_uow, site_id, **opt_ins):
    return tickets.join_remote(
        make_uow(),
        site_id=site_id,
        service_code="DRAW",
        contact=Contact("Ana Diaz", PHONE, EMAIL),
        expected_arrival_at=MONDAY_8AM + timedelta(minutes=20),
        client_address="192.0.2.1",
        counters=TableCounters(),
        now=MONDAY_8AM,
        secret_key="test-secret",
        opt_ins=appointments.OptIns(**opt_ins),
    )


def test_a_remote_ticket_hears_of_its_call_its_no_show_and_is_asked_for_a_rating(
    site, make_uow, clock, backend
):
    first = _remote(make_uow, site.site_id, sms=True, email=False, language="es")
    station = site.station_ids["Station 1"]
    corrections.mark_present(make_uow(), ticket_id=first.id, actor="staff", now=MONDAY_8AM)
    calling.call_ticket(make_uow(), ticket_id=first.id, station_id=station, actor="staff", now=MONDAY_8AM)
    calling.start(make_uow(), ticket_id=first.id, actor="staff", now=MONDAY_8AM)
    calling.complete(make_uow(), ticket_id=first.id, actor="staff", now=MONDAY_8AM)
    second = _remote(make_uow, site.site_id, sms=False, email=True)
    corrections.mark_present(make_uow(), ticket_id=second.id, actor="staff", now=MONDAY_8AM)
    calling.call_ticket(make_uow(), ticket_id=second.id, station_id=station, actor="staff", now=MONDAY_8AM)
    calling.mark_no_show(make_uow(), ticket_id=second.id, actor="staff", now=MONDAY_8AM)
    pending = [(kind, channel, to) for kind, channel, to, status in rows(make_uow) if status == "pending"]
    assert pending == [
        ("ticket.called", "sms", PHONE),
        ("ticket.rating_request", "sms", PHONE),
        ("ticket.called", "email", EMAIL),
        ("ticket.no_show", "email", EMAIL),
    ]
    with make_uow(write=False) as uow:
        languages = set(
            uow.session.scalars(
                select(Delivery.language).where(Delivery.channel == "sms", Delivery.status == "pending")
            )
        )
        called = uow.session.scalars(select(NotifyEvent).where(NotifyEvent.kind == "ticket.called")).first()
    assert languages == {"es"}
    assert called.facts["station"] == "Station 1"


def test_the_join_api_keeps_the_opt_ins_and_language(site, client, make_uow):
    answer = client.post(
        f"/api/v1/sites/{site.site_id}/remote-tickets",
        json={
            "service": "DRAW",
            "contact": {"name": "Ana Diaz", "phone": PHONE},
            "expected_arrival_at": (MONDAY_8AM + timedelta(minutes=20)).isoformat(),
            "notify_sms": True,
            "language": "es",
        },
    )
    assert answer.status_code == 201, answer.json
    refused = client.post(
        f"/api/v1/sites/{site.site_id}/remote-tickets",
        json={
            "service": "DRAW",
            "contact": {"name": "Ana Diaz", "phone": PHONE},
            "expected_arrival_at": (MONDAY_8AM + timedelta(minutes=20)).isoformat(),
            "notify_email": True,
        },
    )
    assert refused.status_code == 422
    with make_uow(write=False) as uow:
        ticket = uow.session.get_one(Ticket, answer.json["id"])
    assert (ticket.notify_sms, ticket.notify_email, ticket.language) == (True, False, "es")


def test_an_unsubscribed_address_gets_nothing_more(site, make_uow, backend):
    book(make_uow, site.site_id, sms=True, email=True)
    token = preferences.unsubscribe_token("test-secret", EMAIL)
    preferences.unsubscribe_by_link(make_uow(), token=token, secret_key="test-secret", now=MONDAY_8AM)
    book(make_uow, site.site_id, sms=True, email=True, at=TUESDAY_9AM + timedelta(minutes=15))
    assert [(channel, status) for _, channel, _, status in rows(make_uow)] == [
        ("email", "opted_out"),  # was pending: unsubscribing stops it too
        ("sms", "pending"),
        ("email", "opted_out"),
        ("sms", "pending"),
    ]
    with pytest.raises(Exception, match="no such unsubscribe link"):
        preferences.unsubscribe_by_link(
            make_uow(), token=token + "x", secret_key="test-secret", now=MONDAY_8AM
        )


def test_stop_by_sms_unsubscribes_the_number(site, make_uow):
    preferences.unsubscribe_phone(make_uow(), PHONE, now=MONDAY_8AM)
    book(make_uow, site.site_id, sms=True, email=False)
    assert [(channel, status) for _, channel, _, status in rows(make_uow)] == [
        ("email", "opted_out"),
        ("sms", "opted_out"),
    ]


def add_endpoint(make_uow, site_id: int) -> None:
    with make_uow() as uow:
        uow.session.add(
            WebhookEndpoint(
                site_id=site_id,
                url="https://ehr.example.org/hooks",
                secret_env="SCHEDQ_WEBHOOK_SECRET_EHR",
                active=True,
                created_at=MONDAY_8AM,
            )
        )
        uow.commit()


def test_every_ticket_change_goes_to_the_sites_webhooks_with_no_secret_kept(site, make_uow, clock, backend):
    add_endpoint(make_uow, site.site_id)
    walk_in = tickets.join_walk_in(
        make_uow(), site_id=site.site_id, service_code="DRAW", actor="kiosk", now=MONDAY_8AM, secret_key="s"
    )
    calling.call_ticket(
        make_uow(), ticket_id=walk_in.id, station_id=site.station_ids["Station 1"], actor="s", now=MONDAY_8AM
    )
    assert rows(make_uow) == [
        ("ticket.joined", "webhook", "https://ehr.example.org/hooks", "pending"),
        ("ticket.called", "webhook", "https://ehr.example.org/hooks", "pending"),
    ]
    with make_uow(write=False) as uow:
        called = uow.session.scalars(select(NotifyEvent).where(NotifyEvent.kind == "ticket.called")).one()
    assert called.data["ticket"] == {
        "id": walk_in.id,
        "code": walk_in.code,
        "kind": "walk_in",
        "status": "called",
        "service": "DRAW",
        "station": "Station 1",
    }


def test_a_rating_request_waits_for_the_end_of_quiet_hours(site, make_uow, backend):
    with make_uow() as uow:
        found = uow.session.get_one(Site, site.site_id)
        found.quiet_hours_start, found.quiet_hours_end = time(21), time(8, 30)
        uow.commit()
    ticket = _remote(make_uow, site.site_id, sms=True)
    corrections.mark_present(make_uow(), ticket_id=ticket.id, actor="staff", now=MONDAY_8AM)
    station = site.station_ids["Station 1"]
    calling.call_ticket(make_uow(), ticket_id=ticket.id, station_id=station, actor="staff", now=MONDAY_8AM)
    calling.start(make_uow(), ticket_id=ticket.id, actor="staff", now=MONDAY_8AM)
    calling.complete(make_uow(), ticket_id=ticket.id, actor="staff", now=MONDAY_8AM)
    with make_uow(write=False) as uow:
        due = dict(
            uow.session.execute(
                select(NotifyEvent.kind, Delivery.due_at).join(
                    NotifyEvent, Delivery.event_id == NotifyEvent.id
                )
            ).all()
        )
    assert due[EventKind.CALLED.value] == MONDAY_8AM  # 08:00 local: called now, quiet or not
    assert due[EventKind.RATING_REQUEST.value] == MONDAY_8AM + timedelta(minutes=30)  # 08:30 local


def test_quiet_hours_across_midnight():
    from zoneinfo import ZoneInfo

    chicago = ZoneInfo("America/Chicago")
    late = datetime(2026, 3, 2, 23, 30, tzinfo=chicago)
    assert quiet_until(time(21), time(7), chicago, late) == datetime(2026, 3, 3, 7, 0, tzinfo=chicago)
    noon = datetime(2026, 3, 2, 12, 0, tzinfo=chicago).astimezone(UTC)
    assert quiet_until(time(21), time(7), chicago, noon) == noon


def _missed(make_uow, site, **opt_ins):
    ticket = _remote(make_uow, site.site_id, **opt_ins)
    station = site.station_ids["Station 1"]
    corrections.mark_present(make_uow(), ticket_id=ticket.id, actor="staff", now=MONDAY_8AM)
    calling.call_ticket(make_uow(), ticket_id=ticket.id, station_id=station, actor="staff", now=MONDAY_8AM)
    calling.mark_no_show(make_uow(), ticket_id=ticket.id, actor="staff", now=MONDAY_8AM)
    return ticket


def _told_of_no_show(make_uow) -> list[tuple[str, str]]:
    return [(channel, status) for kind, channel, _, status in rows(make_uow) if kind == "ticket.no_show"]


def test_a_ticket_cancelled_by_staff_is_told_with_the_reason_and_a_closed_day_at_once(site, make_uow):
    first = _remote(make_uow, site.site_id, sms=True, email=True)
    corrections.cancel(
        make_uow(), ticket_id=first.id, actor="staff", now=MONDAY_8AM, reason="the lab is flooded"
    )
    second = _remote(make_uow, site.site_id, sms=False, email=True)
    closing.close_day(make_uow(), site_id=site.site_id, reason="closed early", actor="staff", now=MONDAY_8AM)

    with make_uow(write=False) as uow:
        told = uow.session.execute(
            select(
                NotifyEvent.kind,
                NotifyEvent.ticket_id,
                NotifyEvent.facts["reason"],
                Delivery.channel,
                Delivery.due_at,
            )
            .join(NotifyEvent, Delivery.event_id == NotifyEvent.id)
            .where(Delivery.status == "pending")
            .order_by(Delivery.id)
        ).all()
    assert [tuple(row) for row in told] == [
        # A cancel waits out the undo window, and says why, as staff wrote it.
        ("ticket.cancelled", first.id, "the lab is flooded", "email", MONDAY_8AM + corrections.UNDO_WINDOW),
        ("ticket.cancelled", first.id, "the lab is flooded", "sms", MONDAY_8AM + corrections.UNDO_WINDOW),
        # A closed day cannot be undone: told at once.
        ("ticket.day_closed", second.id, None, "email", MONDAY_8AM),
    ]


@pytest.mark.parametrize("take_back", ["undo", "requeue"])
def test_a_no_show_taken_back_within_the_window_is_never_told(site, make_uow, backend, take_back):
    add_endpoint(make_uow, site.site_id)
    ticket = _missed(make_uow, site, sms=True, email=True)

    later = MONDAY_8AM + timedelta(seconds=5)
    getattr(corrections, take_back)(make_uow(), ticket_id=ticket.id, actor="staff", now=later)

    # The patient is told nothing; the site's systems still see the no-show, then what took it back.
    assert sorted(_told_of_no_show(make_uow)) == [
        ("email", "withdrawn"),
        ("sms", "withdrawn"),
        ("webhook", "pending"),
    ]


def test_a_no_show_left_standing_is_sent_once_the_undo_window_has_passed(site, make_uow, database):
    _missed(make_uow, site, sms=True, email=False)
    channels = {ChannelName.LOG: LogChannel(database)}

    def sent_by(seconds: int) -> list[tuple[str, str]]:
        at = MONDAY_8AM + timedelta(seconds=seconds)
        while delivery.run_once(database, channels, SETTINGS, clock=lambda: at, worker="w"):
            pass
        return [(channel, status) for channel, status in _told_of_no_show(make_uow) if channel == "sms"]

    assert sent_by(9) == [("sms", "pending")]  # staff may still undo it
    assert sent_by(10) == [("sms", "sent")]


def test_a_cancel_undone_within_the_window_is_never_told(site, make_uow):
    ticket = _remote(make_uow, site.site_id, sms=True, email=False)
    corrections.cancel(make_uow(), ticket_id=ticket.id, actor="staff", now=MONDAY_8AM)
    corrections.undo(make_uow(), ticket_id=ticket.id, actor="staff", now=MONDAY_8AM + timedelta(seconds=3))
    told = [(kind, channel, status) for kind, channel, _, status in rows(make_uow) if channel != "webhook"]
    assert ("ticket.cancelled", "sms", "withdrawn") in told
    assert not [row for row in told if row[0] == "ticket.cancelled" and row[2] == "pending"]
