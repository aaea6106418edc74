"""The words of every message a patient gets, per channel and language, and the webhooks' JSON.

`compose` turns an event's `Facts` into the subject, text and attachments of
one message (README: "Messages"). The words are the gettext catalogues the
pages use (`src/schedq/translations/`, marked here with `_` and `ngettext`), so a
message reads the same in English and Spanish and a new language is a new
catalogue; a wait range is the sentence the ticket page shows
(`domain.messages`). Times are told on the site's clock, as the language
writes a date ("Tuesday, December 8 at 10:15 AM", "martes, 8 de diciembre a
las 10:15").

An email (and the demo's log, which shows the email) says everything the
patient needs: the time, the address with its map, the preparation for a
booking, the site's phone, their own page and the link that stops the
messages; a booking's email attaches its calendar file. An SMS is read on a
lock screen by anyone nearby: it never names the service or its preparation,
only the site, the code or reference, times, the range, the station and a
link, and it stays within two segments (`sms_text`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time

from schedq.catalogues import LANGUAGES, translations
from schedq.domain import calendar
from schedq.domain.messages import wait_message
from schedq.notify.events import PATIENT_EVENTS, EventKind, Facts
from schedq.notify.message import Attachment, ChannelName
from schedq.notify.sms_text import fitted

BOOKING_EVENTS = frozenset(
    {EventKind.BOOKING_CONFIRMED, EventKind.BOOKING_RESCHEDULED, EventKind.BOOKING_CANCELLED}
)
"""The emails that attach the booking's calendar file (a cancelled one marks the event cancelled)."""


@dataclass(frozen=True, slots=True)
class Composed:
    subject: str | None
    """None for an SMS."""
    text: str
    attachments: tuple[Attachment, ...] = ()


class Words:
    """One language's words and its way of writing the site's times."""

    def __init__(self, language: str, timezone: str) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self._t = translations(self.language)
        self._zone = ZoneInfo(timezone)

    def _(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self._t.ngettext(singular, plural, n) % {"n": n, **values}

    def when(self, at: datetime) -> str:
        """The day and time, e.g. "Tuesday, December 8 at 10:15 AM"."""
        local = at.astimezone(self._zone)
        # The hour picks the form: Spanish says "a la 1:15" but "a las 10:15".
        return self.ngettext(
            "%(date)s at %(time)s",
            "%(date)s at %(time)s",
            local.hour,
            date=format_date(local.date(), _day_pattern(self.language), locale=self.language),
            time=self.time(at),
        )

    def time(self, at: datetime) -> str:
        return format_time(at.astimezone(self._zone).time(), "short", locale=self.language)

    def by(self, at: datetime) -> str:
        """An arrive-by time: "Be there by 10:40 AM."."""
        hour = at.astimezone(self._zone).hour
        return self.ngettext("Be there by %(time)s.", "Be there by %(time)s.", hour, time=self.time(at))

    def wait(self, facts: Facts) -> str | None:
        if facts.wait_low_minutes is None or facts.wait_high_minutes is None:
            return None
        sentence = wait_message(facts.wait_low_minutes, facts.wait_high_minutes, language=self.language)
        return self._("Estimated wait: %(range)s", range=sentence)


@cache
def _day_pattern(language: str) -> str:
    """The language's "weekday, month day" with the weekday written out ("Tuesday, December 8")."""
    pattern = Locale.parse(language).datetime_skeletons["MMMMEd"].pattern
    return re.sub(r"E+", "EEEE", pattern)


def compose(
    kind: EventKind, facts: Facts, *, channel: ChannelName, language: str, stop_line: bool = False
) -> Composed:
    """The message for `kind` through `channel` (LOG shows the email) in `language` (English if unknown).

    `stop_line`: an SMS ends saying how to opt out (the first to a number in a while; `notify.delivery`).

    Raises ValueError for a kind patients do not get, a webhook (see
    `webhook_payload`), or facts the message cannot do without (a booking's
    time and reference, a ticket's code, the rating page's link).
    """
    if kind not in PATIENT_EVENTS:
        raise ValueError(f"{kind} is not sent to patients")
    _require(kind, facts)
    words = Words(language, facts.site_timezone)
    facts = facts.in_language(words.language)
    if channel is ChannelName.SMS:
        stop = " " + words._("Reply STOP to opt out.") if stop_line else ""
        return Composed(None, fitted(lambda site: _sms(kind, words, facts, site) + stop, facts.site_name))
    if channel in (ChannelName.EMAIL, ChannelName.LOG):
        subject, paragraphs = _email(kind, words, facts)
        text = "\n\n".join("\n".join(p) for p in paragraphs if p)
        attachments = (_calendar(kind, words, facts),) if kind in BOOKING_EVENTS else ()
        return Composed(subject, text, attachments)
    raise ValueError(f"{channel} messages are not composed from words (webhooks: webhook_payload)")


def webhook_payload(kind: EventKind, data: dict, *, at: datetime) -> str:
    """The JSON body of a webhook, in the shape Standard Webhooks recommends: type, timestamp, data."""
    if at.tzinfo is None:
        raise ValueError("a webhook's timestamp must be aware")
    timestamp = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"type": str(EventKind(kind)), "timestamp": timestamp, "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
        default=_json_value,
    )


def _json_value(value: object) -> str:
    """Times in the data as ISO 8601 (JSON has no time type); anything else JSON cannot hold is an error."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no JSON form in a webhook")


_NEEDS: dict[EventKind, tuple[str, ...]] = {
    EventKind.BOOKING_CONFIRMED: ("starts_at", "reference"),
    EventKind.BOOKING_RESCHEDULED: ("starts_at", "reference"),
    EventKind.BOOKING_CANCELLED: ("starts_at", "reference"),
    EventKind.BOOKING_REMINDER: ("starts_at", "reference"),
    EventKind.LEAVE_NOW: ("code",),
    EventKind.NEAR_TURN: ("code",),
    EventKind.CALLED: ("code",),
    EventKind.MISSED_CALL: ("code",),
    EventKind.TICKET_CANCELLED: ("code",),
    EventKind.DAY_CLOSED: ("code",),
    EventKind.RATING_REQUEST: ("link",),
}


def _require(kind: EventKind, facts: Facts) -> None:
    missing = [name for name in _NEEDS[kind] if getattr(facts, name) is None]
    if missing:
        raise ValueError(f"a {kind} message needs {', '.join(missing)}")


# --- SMS: the site, the code or reference, times, the range, the station and a link; nothing else.


def _sms(kind: EventKind, w: Words, f: Facts, site: str) -> str:
    parts: list[str | None]
    if kind is EventKind.BOOKING_CONFIRMED:
        parts = [
            w._("%(site)s: your appointment is booked for %(when)s.", site=site, when=w.when(_at(f))),
            w._("Ref. %(reference)s.", reference=f.reference),
            f.link,
        ]
    elif kind is EventKind.BOOKING_RESCHEDULED:
        moved = (
            w._(
                "%(site)s: your appointment has moved to %(when)s (it was %(before)s).",
                site=site,
                when=w.when(_at(f)),
                before=w.when(f.previous_starts_at),
            )
            if f.previous_starts_at
            else w._("%(site)s: your appointment has moved to %(when)s.", site=site, when=w.when(_at(f)))
        )
        parts = [moved, w._("Ref. %(reference)s.", reference=f.reference), f.link]
    elif kind is EventKind.BOOKING_CANCELLED:
        parts = [
            w._("%(site)s: your appointment on %(when)s is cancelled.", site=site, when=w.when(_at(f))),
            w._("Ref. %(reference)s.", reference=f.reference),
            f.link,
        ]
    elif kind is EventKind.BOOKING_REMINDER:
        parts = [
            w._("%(site)s: a reminder of your appointment on %(when)s.", site=site, when=w.when(_at(f))),
            w._("Ref. %(reference)s.", reference=f.reference),
            w._("To reschedule or cancel: %(link)s", link=f.link) if f.link else None,
        ]
    elif kind is EventKind.LEAVE_NOW:
        parts = [
            w._(
                "%(site)s: please leave now, your turn (%(code)s) may come by the time you get there.",
                site=site,
                code=f.code,
            ),
            w.wait(f),
            w.by(f.arrive_by) if f.arrive_by else None,
            f.link,
        ]
    elif kind is EventKind.NEAR_TURN:
        parts = [
            w._(
                "%(site)s: your turn (%(code)s) is near. Please stay close so you see your code called.",
                site=site,
                code=f.code,
            ),
            w.wait(f),
            f.link,
        ]
    elif kind is EventKind.CALLED:
        parts = [
            w._("%(site)s: it is your turn (%(code)s).", site=site, code=f.code),
            _go_to(w, f),
        ]
    elif kind is EventKind.MISSED_CALL:
        parts = [
            w._("%(site)s: we called your code %(code)s and missed you.", site=site, code=f.code),
            w._("Please come to the front desk now: staff can put you back in line."),
            f.link,
        ]
    elif kind is EventKind.TICKET_CANCELLED:
        # The reason is the email's: written by staff, it could not be kept within two segments.
        parts = [
            w._("%(site)s: your place in line (%(code)s) was cancelled by the site.", site=site, code=f.code),
            f.link,
        ]
    elif kind is EventKind.DAY_CLOSED:
        parts = [
            w._(
                "%(site)s has closed for today and your place in line (%(code)s) has ended. "
                "Please come back another day.",
                site=site,
                code=f.code,
            ),
            f.link,
        ]
    else:  # RATING_REQUEST
        parts = [
            w._("%(site)s: thank you for your visit. How did it go?", site=site),
            w._("Rate it from 1 to 5: %(link)s", link=f.link),
        ]
    return " ".join(p for p in parts if p)


def _go_to(w: Words, f: Facts) -> str:
    if f.station:
        return w._("Please go to %(station)s now.", station=f.station)
    return w._("Please come to the front desk now.")


def _at(f: Facts) -> datetime:
    assert f.starts_at is not None  # _require checked it
    return f.starts_at


# --- Email (and the demo's log): everything the patient needs, then how to stop the messages.

Paragraphs = list[list[str]]


def _email(kind: EventKind, w: Words, f: Facts) -> tuple[str, Paragraphs]:
    site = f.site_name
    if kind is EventKind.BOOKING_CONFIRMED:
        subject = w._("Your appointment at %(site)s is booked", site=site)
        head = [w._("Your appointment is booked.")]
        body = [*_booking(w, f), _preparation(w, f), _arrive(w, f), _manage(w, f), _attached(w)]
    elif kind is EventKind.BOOKING_RESCHEDULED:
        subject = w._("Your appointment at %(site)s has moved", site=site)
        head = [w._("Your appointment has moved to a new time.")]
        if f.previous_starts_at:
            head.append(w._("It was on %(when)s.", when=w.when(f.previous_starts_at)))
        body = [*_booking(w, f), _preparation(w, f), _arrive(w, f), _manage(w, f), _attached(w)]
    elif kind is EventKind.BOOKING_CANCELLED:
        subject = w._("Your appointment at %(site)s is cancelled", site=site)
        head = [w._("Your appointment on %(when)s is cancelled.", when=w.when(_at(f)))]
        body = [
            _lines(w._("Where: %(place)s", place=_place(f)), _reference(w, f)),
            _lines(w._("Your booking's page: %(link)s", link=f.link) if f.link else None),
            _lines(w._("The attached calendar file marks the appointment as cancelled.")),
        ]
    elif kind is EventKind.BOOKING_REMINDER:
        subject = w._("Reminder: your appointment at %(site)s", site=site)
        head = [w._("A reminder of your appointment.")]
        body = [
            *_booking(w, f),
            _preparation(w, f),
            _arrive(w, f),
            _lines(
                w._("Need another time? Reschedule or cancel here: %(link)s", link=f.link) if f.link else None
            ),
        ]
    elif kind is EventKind.LEAVE_NOW:
        subject = w._("Time to leave for %(site)s", site=site)
        head = [w._("Please leave now: your turn may come by the time you get there.")]
        travel = (
            w.ngettext("Your travel time: %(n)d minute", "Your travel time: %(n)d minutes", f.travel_minutes)
            if f.travel_minutes is not None
            else None
        )
        body = [
            _lines(_code(w, f), w.wait(f), travel, w.by(f.arrive_by) if f.arrive_by else None),
            _where(w, f),
            _follow(w, f),
        ]
    elif kind is EventKind.NEAR_TURN:
        subject = w._("Your turn at %(site)s is near", site=site)
        head = [w._("Your turn is near. Please stay close so you see your code called.")]
        body = [_lines(_code(w, f), w.wait(f)), _follow(w, f)]
    elif kind is EventKind.CALLED:
        subject = w._("It is your turn at %(site)s", site=site)
        head = [w._("It is your turn."), _go_to(w, f)]
        body = [_lines(_code(w, f)), _follow(w, f)]
    elif kind is EventKind.MISSED_CALL:
        subject = w._("We called you at %(site)s and missed you", site=site)
        head = [w._("We called your code %(code)s and could not find you.", code=f.code)]
        body = [
            _lines(
                w._(
                    "What to do now: come to the front desk and show your code; staff can put you back in line."
                ),
                w._("If you cannot come back today, there is nothing more to do."),
            ),
            _where(w, f),
            _follow(w, f),
        ]
    elif kind is EventKind.TICKET_CANCELLED:
        subject = w._("Your place in line at %(site)s was cancelled", site=site)
        head = [w._("The site cancelled your place in line (code %(code)s).", code=f.code)]
        body = [
            _lines(w._("Reason given: %(reason)s", reason=f.reason) if f.reason else None),
            _lines(w._("If you still need your visit, please join again or book an appointment.")),
            _follow(w, f),
        ]
    elif kind is EventKind.DAY_CLOSED:
        subject = w._("%(site)s has closed for today", site=site)
        head = [
            w._(
                "%(site)s has closed for today, and your place in line (code %(code)s) has ended.",
                site=site,
                code=f.code,
            )
        ]
        body = [
            _lines(
                w._(
                    "We are sorry we could not see you today. Please come back another day or book an appointment."
                )
            ),
            _where(w, f),
        ]
    else:  # RATING_REQUEST
        subject = w._("How was your visit to %(site)s?", site=site)
        head = [w._("Thank you for your visit to %(site)s.", site=site)]
        body = [
            _lines(w._("How did it go? Rate it from 1 to 5 on your ticket's page: %(link)s", link=f.link))
        ]
    return subject, [head, *body, _lines(_phone(w, f)), _lines(_unsubscribe(w, f))]


def _lines(*lines: str | None) -> list[str]:
    return [line for line in lines if line]


def _place(f: Facts) -> str:
    return ", ".join(p for p in (f.site_name, f.site_address) if p)


def _booking(w: Words, f: Facts) -> Paragraphs:
    return [
        _lines(
            w._("When: %(when)s", when=w.when(_at(f))),
            w._("Where: %(place)s", place=_place(f)),
            w._("Map: %(link)s", link=f.map_link) if f.map_link else None,
        ),
        _lines(
            w._("For: %(service)s", service=f.service_name) if f.service_name else None,
            _reference(w, f),
        ),
    ]


def _reference(w: Words, f: Facts) -> str:
    return w._("Reference: %(reference)s", reference=f.reference)


def _preparation(w: Words, f: Facts) -> list[str]:
    return _lines(
        w._("How to prepare: %(preparation)s", preparation=f.preparation) if f.preparation else None
    )


def _grace(f: Facts) -> int | None:
    value = f.extra.get("grace_minutes")
    return int(value) if value is not None else None


def _arrive(w: Words, f: Facts) -> list[str]:
    grace = _grace(f)
    return _lines(
        w._("Please arrive a few minutes early."),
        w.ngettext(
            "If you arrive more than %(n)d minute late, you join the walk-in line.",
            "If you arrive more than %(n)d minutes late, you join the walk-in line.",
            grace,
        )
        if grace is not None
        else None,
    )


def _manage(w: Words, f: Facts) -> list[str]:
    return _lines(
        w._("To see, reschedule or cancel your appointment: %(link)s", link=f.link) if f.link else None
    )


def _attached(w: Words) -> list[str]:
    return [w._("The calendar file is attached: open it to add the appointment to your calendar.")]


def _code(w: Words, f: Facts) -> str:
    return w._("Your code: %(code)s", code=f.code)


def _where(w: Words, f: Facts) -> list[str]:
    return _lines(
        w._("Where: %(place)s", place=_place(f)),
        w._("Map: %(link)s", link=f.map_link) if f.map_link else None,
    )


def _follow(w: Words, f: Facts) -> list[str]:
    return _lines(w._("Follow your place in line: %(link)s", link=f.link) if f.link else None)


def _phone(w: Words, f: Facts) -> str | None:
    if not f.site_phone:
        return None
    return w._("Questions? Call %(site)s at %(phone)s.", site=f.site_name, phone=f.site_phone)


def _unsubscribe(w: Words, f: Facts) -> str | None:
    if not f.unsubscribe_link:
        return None
    return w._(
        "You get these messages because you asked for them. To stop them: %(link)s", link=f.unsubscribe_link
    )


# --- The calendar file a booking's email attaches, in the patient's language.


def _calendar(kind: EventKind, w: Words, f: Facts) -> Attachment:
    starts_at = _at(f)
    slot = f.extra.get("slot_minutes")
    description: Iterable[str | None] = (
        _reference(w, f),
        w._("How to prepare: %(preparation)s", preparation=f.preparation) if f.preparation else None,
        *_arrive(w, f),
    )
    entry = calendar.CalendarEntry(
        reference=str(f.reference),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=max(int(slot), 5)) if slot is not None else None,
        summary=(
            w._("%(service)s at %(site)s", service=f.service_name, site=f.site_name)
            if f.service_name
            else w._("Appointment at %(site)s", site=f.site_name)
        ),
        location=_place(f),
        description="\n".join(line for line in description if line),
        cancelled=kind is EventKind.BOOKING_CANCELLED,
    )
    return Attachment(
        filename=f"{f.reference}.ics",
        content_type="text/calendar",
        data=calendar.calendar_file(entry, now=datetime.now(UTC)),  # DTSTAMP: when the file was made
    )
