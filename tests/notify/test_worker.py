"""`schedq worker` delivers each outbox row once, retries with backoff, parks the dead, and logs every try."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from schedq.db.models import Delivery, LoggedMessage
from schedq.notify import delivery
from schedq.notify.log_sink import LogChannel
from schedq.notify.message import ChannelName, PermanentFailure
from tests.conftest import MONDAY_8AM
from tests.notify.helpers import EMAIL, PHONE, CountingChannel, FailingChannel, book, tries

SETTINGS = delivery.Settings(
    public_url="https://schedq.example.org", secret_key="test-secret", max_attempts=3, backoff_seconds=60
)


def _ids(make_uow) -> list[int]:
    with make_uow(write=False) as uow:
        return list(
            uow.session.scalars(
                select(Delivery.id).where(Delivery.status != "opted_out").order_by(Delivery.id)
            )
        )


def _status(make_uow, delivery_id: int) -> str:
    with make_uow(write=False) as uow:
        return uow.session.get_one(Delivery, delivery_id).status


def test_with_nothing_configured_messages_go_to_the_log_sink(site, make_uow, database, clock, app):
    booking = book(make_uow, site.site_id, sms=True, email=True)
    channels = delivery.channels_from_config(app.config, database)
    assert set(channels) == {ChannelName.LOG, ChannelName.WEBHOOK}  # no email, no SMS
    assert delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w1") == 2
    with make_uow(write=False) as uow:
        kept = list(uow.session.scalars(select(LoggedMessage).order_by(LoggedMessage.id)))
    assert [(m.channel, m.recipient) for m in kept] == [("email", EMAIL), ("sms", PHONE)]
    email, sms = kept
    assert email.attachments == [f"{booking.reference}.ics"]
    assert (email.subject, sms.subject) == ("Your appointment at Riverside PSC is booked", None)
    assert f"https://schedq.example.org/booking/{booking.reference}#token=" in email.text
    assert "/unsubscribe/" in email.text
    assert "Blood draw" in email.text and "Drink water." in email.text
    assert "Blood draw" not in sms.text and "Drink water." not in sms.text  # an SMS names no test
    assert [_status(make_uow, i) for i in _ids(make_uow)] == ["sent", "sent"]
    assert [tries(make_uow, i) for i in _ids(make_uow)] == [[(1, "sent")], [(1, "sent")]]


def test_two_workers_racing_deliver_each_row_once(site, make_uow, database, clock, backend):
    for n in range(8):
        at = MONDAY_8AM + timedelta(days=1, hours=1, minutes=15 * (n // 2))
        book(make_uow, site.site_id, at=at, patient=n + 1)
    expected = _ids(make_uow)
    assert len(expected) == 16
    email, sms = CountingChannel(ChannelName.EMAIL), CountingChannel(ChannelName.SMS)
    channels = {ChannelName.EMAIL: email, ChannelName.SMS: sms, ChannelName.LOG: LogChannel(database)}
    settings = delivery.Settings(public_url="https://x.example", secret_key="test-secret", batch=2)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            while delivery.run_once(database, channels, settings, clock=clock, worker=name):
                pass
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=work, args=(f"w{n}",)) for n in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert errors == []
    received = email.received + sms.received
    assert len(received) == 16 and set(received.values()) == {1}
    assert [tries(make_uow, i) for i in expected] == [[(1, "sent")]] * 16


def test_a_failing_channel_is_retried_with_backoff_then_parked_dead(site, make_uow, database, clock, backend):
    book(make_uow, site.site_id, sms=True, email=False)
    [sms_id] = _ids(make_uow)
    down = FailingChannel(ChannelName.SMS, failures=99)
    channels = {ChannelName.SMS: down, ChannelName.LOG: LogChannel(database)}
    assert delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w") == 1
    assert delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w") == 0  # not due yet
    with make_uow(write=False) as uow:
        row = uow.session.get_one(Delivery, sms_id)
    assert (row.status, row.due_at, row.last_error) == (
        "pending",
        clock() + timedelta(seconds=60),
        "503 from the server",
    )
    clock.advance(seconds=60)
    assert delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w") == 1
    clock.advance(seconds=119)
    assert delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w") == 0  # doubled: 120 s
    clock.advance(seconds=1)
    assert delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w") == 1
    assert _status(make_uow, sms_id) == "dead"
    assert tries(make_uow, sms_id) == [(1, "temporary"), (2, "temporary"), (3, "temporary")]
    clock.advance(days=1)
    assert delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w") == 0


def test_a_channel_back_up_before_the_last_try_delivers(site, make_uow, database, clock):
    book(make_uow, site.site_id, sms=True, email=False)
    [sms_id] = _ids(make_uow)
    flaky = FailingChannel(ChannelName.SMS, failures=2)
    channels = {ChannelName.SMS: flaky, ChannelName.LOG: LogChannel(database)}
    for _ in range(3):
        delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w")
        clock.advance(minutes=5)
    assert (_status(make_uow, sms_id), flaky.sent) == ("sent", 1)
    assert tries(make_uow, sms_id) == [(1, "temporary"), (2, "temporary"), (3, "sent")]


class RefusingChannel:
    name = ChannelName.EMAIL

    def send(self, message):
        raise PermanentFailure("550 no such mailbox")


def test_a_refused_address_is_dead_after_one_try(site, make_uow, database, clock):
    book(make_uow, site.site_id, sms=False, email=True)
    [email_id] = _ids(make_uow)
    channels = {ChannelName.EMAIL: RefusingChannel(), ChannelName.LOG: LogChannel(database)}
    delivery.run_once(database, channels, SETTINGS, clock=clock, worker="w")
    assert _status(make_uow, email_id) == "dead"
    assert tries(make_uow, email_id) == [(1, "permanent")]
    with make_uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(LoggedMessage)) == 0


def test_a_sites_own_senders_go_with_its_patients_messages(site, make_uow, database, clock):
    from schedq.services import sites

    sites.update_site(
        make_uow(),
        site_id=site.site_id,
        email_from="Riverside <riverside@lab.example>",
        sms_from="+12175550142",
    )
    book(make_uow, site.site_id)
    email, sms = CountingChannel(ChannelName.EMAIL), CountingChannel(ChannelName.SMS)
    channels = {ChannelName.EMAIL: email, ChannelName.SMS: sms, ChannelName.LOG: LogChannel(database)}
    settings = delivery.Settings(public_url="https://x.example", secret_key="test-secret")
    while delivery.run_once(database, channels, settings, clock=clock, worker="w"):
        pass
    assert [m.sender for m in email.messages] == ["Riverside <riverside@lab.example>"]
    assert [m.sender for m in sms.messages] == ["+12175550142"]
