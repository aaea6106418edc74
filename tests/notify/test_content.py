"""What patients read: every message in every channel and language, its privacy, length and calendar file (README: Messages)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from schedq.notify.content import BOOKING_EVENTS, compose, webhook_payload
from schedq.notify.events import PATIENT_EVENTS, EventKind, Facts
from schedq.notify.message import ChannelName
from schedq.notify.sms_text import MAX_SEGMENTS, folded, segments

KINDS = sorted(PATIENT_EVENTS)
LANGUAGES = ("en", "es")
WORDS = (ChannelName.EMAIL, ChannelName.SMS, ChannelName.LOG)
SERVICE = "Glucose tolerance test"
PREPARATION = "Fast for 8 hours before; water is fine."
MANAGE = "https://schedq.example.org/booking/K7MQ-4XT9#token=AbCdEfGhIjKlMnOpQrStUvWxYz012345"
TICKET = "https://schedq.example.org/ticket/104233#token=ZyXwVuTsRqPoNmLkJiHgFeDcBa987654"

FACTS = Facts(
    site_name="Riverside Lab",
    site_timezone="America/Chicago",
    site_address="1200 River Road, Springfield, IL 62701",
    site_phone="(217) 555-0100",
    map_link="https://www.openstreetmap.org/?mlat=39.80170&mlon=-89.64370#map=17/39.80170/-89.64370",
    link=MANAGE,
    unsubscribe_link="https://schedq.example.org/messages/stop/eyJyIjoxMjM0NX0.c2lnbmF0dXJlLW9mLXRoZS1saW5r",
    reference="K7MQ-4XT9",
    code="R012",
    service_name=SERVICE,
    preparation=PREPARATION,
    starts_at=datetime(2026, 12, 8, 16, 15, tzinfo=UTC),  # 10:15 in Springfield
    previous_starts_at=datetime(2026, 12, 7, 19, 0, tzinfo=UTC),  # 13:00
    station="Station 3",
    wait_low_minutes=16,
    wait_high_minutes=24,
    arrive_by=datetime(2026, 12, 8, 16, 40, tzinfo=UTC),
    travel_minutes=30,
    extra={"grace_minutes": "15", "slot_minutes": "15"},
)


def facts_for(kind: EventKind, **changes) -> Facts:
    """A booking's messages link to its manage page; a ticket's to the ticket page."""
    link = MANAGE if kind.value.startswith("appointment.") else TICKET
    return replace(FACTS, link=link, **changes)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", WORDS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_patient_message_composes_with_every_placeholder_filled(kind, channel, language):
    message = compose(kind, facts_for(kind), channel=channel, language=language)
    assert message.text.strip()
    assert (message.subject is None) == (channel is ChannelName.SMS)
    for words in (message.text, message.subject or ""):
        assert "%(" not in words and "%s" not in words and "{" not in words
    assert "R012" in message.text or "K7MQ-4XT9" in message.text or kind is EventKind.RATING_REQUEST
    assert "Riverside Lab" in message.text


@pytest.mark.parametrize("kind", KINDS)
def test_the_log_shows_the_email(kind):
    email = compose(kind, facts_for(kind), channel=ChannelName.EMAIL, language="es")
    log = compose(kind, facts_for(kind), channel=ChannelName.LOG, language="es")
    assert (log.subject, log.text) == (email.subject, email.text)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_an_sms_never_names_the_service_or_its_preparation(kind, language):
    text = compose(kind, facts_for(kind), channel=ChannelName.SMS, language=language).text
    for private in (SERVICE, PREPARATION, "Glucose", "Fast for"):
        assert private.lower() not in text.lower()


LONG_SITE_NAMES = (
    "Riverside Community Health Laboratory",
    "Clínica Médica San José del Río Grande – Sede Norte",
    "Springfield Memorial Hospital Outpatient Laboratory Services, North Campus",
)


@pytest.mark.parametrize("site_name", LONG_SITE_NAMES)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_an_sms_fits_in_two_segments_and_keeps_its_link_and_code(kind, language, site_name):
    facts = facts_for(kind, site_name=site_name, station="Extraction room 12")
    text = compose(kind, facts, channel=ChannelName.SMS, language=language).text
    assert segments(text) <= MAX_SEGMENTS, text
    if kind is not EventKind.CALLED:  # "go to the station now" needs no link
        assert facts.link in text
    assert (facts.code if kind.value.startswith("ticket.") else facts.reference) in text or (
        kind is EventKind.RATING_REQUEST
    )


@pytest.mark.parametrize("site_name", LONG_SITE_NAMES)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_an_sms_that_says_how_to_opt_out_still_fits_in_two_segments(kind, language, site_name):
    facts = facts_for(kind, site_name=site_name, station="Extraction room 12")
    text = compose(kind, facts, channel=ChannelName.SMS, language=language, stop_line=True).text
    assert segments(text) <= MAX_SEGMENTS, text
    said = {"en": "Reply STOP to opt out.", "es": "Responda STOP para no recibir más mensajes."}[language]
    assert text.endswith((said, folded(said)))  # folded to GSM with the rest when that was needed to fit
    assert "STOP" not in compose(kind, facts, channel=ChannelName.SMS, language=language).text


def test_an_sms_keeps_its_accents_when_they_fit():
    facts = facts_for(EventKind.CALLED, site_name="Clínica Río")
    text = compose(EventKind.CALLED, facts, channel=ChannelName.SMS, language="es").text
    assert text == "Clínica Río: es su turno (R012). Vaya a Station 3 ahora, por favor."


def test_a_long_sms_is_folded_to_the_gsm_alphabet_before_the_site_is_cut():
    facts = facts_for(EventKind.LEAVE_NOW, site_name="Clínica Médica San José")
    text = compose(EventKind.LEAVE_NOW, facts, channel=ChannelName.SMS, language="es").text
    assert text.startswith("Clinica Médica San José: salga ahora")  # í is not in GSM 03.38, é is
    assert "De 15 a 25 minutos, mas o menos." in text and "10:40" in text  # á folds to a


def test_segments_are_counted_as_carriers_bill_them():
    assert [segments("a" * n) for n in (160, 161, 306, 307)] == [1, 2, 2, 3]
    assert [segments("€" * n) for n in (80, 81)] == [1, 2]  # an escaped character takes two
    assert [segments("á" * n) for n in (70, 71, 134, 135)] == [1, 2, 2, 3]  # UCS-2


ENGLISH = re.compile(
    r"\b(your|you|the|appointment|please|turn|called|reminder|leave|visit|booked|cancelled|when|where|"
    r"questions|reference|rate|estimated|wait|minutes|code|line|front desk)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("channel", WORDS)
@pytest.mark.parametrize("kind", KINDS)
def test_spanish_says_it_in_spanish(kind, channel):
    # Values without English words: the site's own data (service, preparation) is not ours to translate.
    facts = facts_for(
        kind, service_name="Curva de glucosa", preparation="Ayuno de 8 horas.", station="Caja 3"
    )
    english = compose(kind, facts, channel=channel, language="en")
    spanish = compose(kind, facts, channel=channel, language="es")
    assert spanish.text != english.text
    assert spanish.subject != english.subject or channel is ChannelName.SMS  # both None for an SMS
    leftover = ENGLISH.findall(" ".join((spanish.subject or "", re.sub(r"https://\S+", "", spanish.text))))
    assert leftover == []


def test_times_are_the_sites_written_as_the_language_writes_them():
    kind = EventKind.BOOKING_RESCHEDULED
    english = compose(kind, facts_for(kind), channel=ChannelName.EMAIL, language="en").text
    spanish = compose(kind, facts_for(kind), channel=ChannelName.EMAIL, language="es").text
    assert "When: Tuesday, December 8 at 10:15\u202fAM" in english
    assert "It was on Monday, December 7 at 1:00\u202fPM." in english
    assert "Cuándo: martes, 8 de diciembre a las 10:15" in spanish
    assert "Era el lunes, 7 de diciembre a las 13:00." in spanish
    one_oclock = facts_for(kind, starts_at=datetime(2026, 12, 8, 7, 30, tzinfo=UTC))  # 1:30 in Springfield
    assert "a la 1:30" in compose(kind, one_oclock, channel=ChannelName.SMS, language="es").text


@pytest.mark.parametrize(
    "kind", [EventKind.BOOKING_CONFIRMED, EventKind.BOOKING_RESCHEDULED, EventKind.BOOKING_REMINDER]
)
def test_a_booking_email_says_how_to_prepare_where_to_go_and_how_to_change_it(kind):
    facts = facts_for(kind)
    text = compose(kind, facts, channel=ChannelName.EMAIL, language="en").text
    for needed in (
        f"How to prepare: {PREPARATION}",
        f"For: {SERVICE}",
        "1200 River Road, Springfield, IL 62701",
        f"Map: {facts.map_link}",
        "(217) 555-0100",
        facts.link,
        facts.unsubscribe_link,
        "more than 15 minutes late",
    ):
        assert needed in text


def test_a_reminder_offers_to_reschedule_or_cancel():
    kind = EventKind.BOOKING_REMINDER
    email = compose(kind, facts_for(kind), channel=ChannelName.EMAIL, language="en").text
    sms = compose(kind, facts_for(kind), channel=ChannelName.SMS, language="es").text
    assert f"Reschedule or cancel here: {MANAGE}" in email
    assert f"Para cambiarla o cancelarla: {MANAGE}" in sms


def test_leave_now_gives_the_range_the_travel_time_and_when_to_be_there():
    kind = EventKind.LEAVE_NOW
    text = compose(kind, facts_for(kind), channel=ChannelName.EMAIL, language="en").text
    assert "Please leave now" in text
    assert "Estimated wait: About 15–25 minutes." in text  # the ticket page's own sentence
    assert "Your travel time: 30 minutes" in text
    assert "Be there by 10:40\u202fAM." in text
    assert f"Follow your place in line: {TICKET}" in text


def test_called_names_the_station_and_missed_says_what_to_do():
    called = compose(EventKind.CALLED, facts_for(EventKind.CALLED), channel=ChannelName.SMS, language="en")
    assert called.text == "Riverside Lab: it is your turn (R012). Please go to Station 3 now."
    no_station = facts_for(EventKind.CALLED, station=None)
    assert "front desk" in compose(EventKind.CALLED, no_station, channel=ChannelName.SMS, language="en").text
    missed = compose(
        EventKind.MISSED_CALL, facts_for(EventKind.MISSED_CALL), channel=ChannelName.EMAIL, language="es"
    )
    assert "Qué hacer ahora: venga a recepción" in missed.text


def test_the_rating_request_links_the_ticket_page():
    kind = EventKind.RATING_REQUEST
    text = compose(kind, facts_for(kind), channel=ChannelName.EMAIL, language="en").text
    assert f"Rate it from 1 to 5 on your ticket's page: {TICKET}" in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(BOOKING_EVENTS))
def test_a_booking_email_attaches_its_calendar_file(kind, language):
    message = compose(kind, facts_for(kind), channel=ChannelName.EMAIL, language=language)
    (attachment,) = message.attachments
    assert (attachment.filename, attachment.content_type) == ("K7MQ-4XT9.ics", "text/calendar")
    event = Calendar.from_ical(attachment.data).walk("VEVENT")[0]
    assert event.decoded("dtstart") == FACTS.starts_at
    assert event.decoded("dtend") == datetime(2026, 12, 8, 16, 30, tzinfo=UTC)
    assert "1200 River Road, Springfield" in str(event["location"])
    assert str(event["uid"]) == "K7MQ-4XT9@schedq"  # the manage page's file is the same event
    assert str(event["status"]) == ("CANCELLED" if kind is EventKind.BOOKING_CANCELLED else "CONFIRMED")
    assert PREPARATION in str(event["description"])
    assert ("Cómo prepararse" if language == "es" else "How to prepare") in str(event["description"])


@pytest.mark.parametrize("kind", sorted(PATIENT_EVENTS - BOOKING_EVENTS))
def test_other_emails_attach_nothing_and_no_sms_does(kind):
    assert compose(kind, facts_for(kind), channel=ChannelName.EMAIL, language="en").attachments == ()
    assert compose(kind, facts_for(kind), channel=ChannelName.SMS, language="en").attachments == ()


def test_an_unknown_language_reads_english():
    kind = EventKind.CALLED
    assert (
        compose(kind, facts_for(kind), channel=ChannelName.SMS, language="xx").text
        == compose(kind, facts_for(kind), channel=ChannelName.SMS, language="en").text
    )


def test_what_cannot_be_composed_is_refused():
    with pytest.raises(ValueError, match="not sent to patients"):
        compose(EventKind.TICKET_CHANGED, FACTS, channel=ChannelName.EMAIL, language="en")
    with pytest.raises(ValueError, match="webhook"):
        compose(EventKind.CALLED, FACTS, channel=ChannelName.WEBHOOK, language="en")
    with pytest.raises(ValueError, match="starts_at"):
        compose(
            EventKind.BOOKING_CONFIRMED,
            replace(FACTS, starts_at=None),
            channel=ChannelName.SMS,
            language="en",
        )


@pytest.mark.parametrize("kind", list(EventKind))
def test_a_webhook_body_is_standard_webhooks_json(kind):
    at = datetime(2026, 12, 8, 16, 15, 30, 250000, tzinfo=UTC)
    data = {"ticket_id": 104233, "site_id": 7, "status": "called", "called_at": at}
    body = json.loads(webhook_payload(kind, data, at=at))
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == kind.value
    assert body["timestamp"] == "2026-12-08T16:15:30.250000Z"
    assert datetime.fromisoformat(body["timestamp"]) == at
    assert body["data"] == {**data, "called_at": "2026-12-08T16:15:30.250000+00:00"}


def test_a_webhook_needs_an_aware_time_and_json_data():
    with pytest.raises(ValueError):
        webhook_payload(EventKind.CALLED, {}, at=datetime(2026, 12, 8, 16, 15))
    with pytest.raises(TypeError):
        webhook_payload(EventKind.CALLED, {"x": object()}, at=datetime(2026, 12, 8, tzinfo=UTC))


def test_the_service_preparation_and_station_are_named_in_the_patients_language_where_set():
    from schedq.db.models import Service, Station
    from schedq.notify import facts as facts_of

    service = Service(
        code="GTT",
        name=SERVICE,
        preparation=PREPARATION,
        translations={"es": {"name": "Prueba de glucosa", "preparation": "No coma nada 8 horas antes."}},
    )
    station = Station(name="Station 3", translations={"es": {"name": "Puesto 3"}})
    named = facts_for(EventKind.BOOKING_CONFIRMED, names=facts_of.names_of(service, station))
    spanish = compose(EventKind.BOOKING_CONFIRMED, named, channel=ChannelName.EMAIL, language="es").text
    assert "Prueba de glucosa" in spanish and "No coma nada 8 horas antes." in spanish
    assert SERVICE not in spanish and PREPARATION not in spanish
    english = compose(EventKind.BOOKING_CONFIRMED, named, channel=ChannelName.EMAIL, language="en").text
    assert SERVICE in english and PREPARATION in english
    called = replace(named, link=TICKET)
    said = compose(EventKind.CALLED, called, channel=ChannelName.SMS, language="es").text
    assert "Puesto 3" in said


def test_names_survive_being_kept_with_the_event():
    from schedq.notify import facts as facts_of

    named = replace(FACTS, names={"es": {"service_name": "Prueba de glucosa"}})
    kept = facts_of.from_json(json.loads(json.dumps(facts_of.to_json(named))), link=MANAGE)
    assert kept.in_language("es").service_name == "Prueba de glucosa"
    assert kept.in_language("en").service_name == SERVICE
