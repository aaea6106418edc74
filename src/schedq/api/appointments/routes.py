"""Slots and appointments: public booking, self-service with the manage token, staff day list."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from schedq.api import auth
from schedq.api.appointments.schemas import (
    AppointmentCancelPostSchema,
    AppointmentPostSchema,
    AppointmentSchema,
    BookingSchema,
    DayQueryArgsSchema,
    ReschedulePostSchema,
    SlotListSchema,
    SlotQueryArgsSchema,
)
from schedq.api.errors import RETRY_AFTER_HEADER
from schedq.api.idempotency import HEADER_DOC, caller, idempotency_key
from schedq.services import appointments as use
from schedq.services.sites import get_site
from schedq.web_context import client_address, counters, now, uow

blp = Blueprint("appointments", __name__, description="Appointment slots and bookings")

PATIENT_TOKEN = auth.patient_token_doc("the manage token from the booking")


@blp.route("/sites/<id:site_id>/slots")
class Slots(MethodView):
    @blp.arguments(SlotQueryArgsSchema, location="query")
    @blp.response(200, SlotListSchema)
    def get(self, args, site_id):
        """Free appointment slots for a service, in the site's local time"""
        site = get_site(uow(write=False), site_id=site_id)
        slots = use.list_slots(
            uow(write=False),
            site_id=site_id,
            service_code=args["service"],
            first_day=args["from_"],
            last_day=args.get("to", args["from_"]),
            now=now(),
        )
        return {
            "site_id": site.id,
            "timezone": site.timezone,
            "service": args["service"],
            "slots": [{**_slot_dict(slot), "timezone": site.timezone} for slot in slots],
        }


def _slot_dict(slot: use.SlotView) -> dict:
    return {
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "seats": slot.seats,
        "remaining": slot.remaining,
    }


@blp.route("/sites/<id:site_id>/appointments")
class SiteAppointments(MethodView):
    @blp.arguments(AppointmentPostSchema)
    @blp.response(201, BookingSchema)
    @blp.doc(parameters=[HEADER_DOC])
    @blp.alt_response(409, description="the slot is full")
    @blp.alt_response(
        429,
        description="too many bookings for this contact or from this address (the site's limits); `Retry-After` says when to try again",
        headers=RETRY_AFTER_HEADER,
    )
    def post(self, body, site_id):
        """Book an appointment; keep the manage token from the answer"""
        key = idempotency_key()
        contact = body["contact"]
        booking = use.book(
            uow(),
            site_id=site_id,
            service_code=body["service"],
            starts_at=body["starts_at"],
            contact=use.Contact(contact["name"], contact.get("phone"), contact.get("email")),
            opt_ins=use.OptIns(sms=body["notify_sms"], email=body["notify_email"], language=body["language"]),
            now=now(),
            secret_key=auth.secret_key(),
            idempotency_key=key,
            caller=caller(),
            client_address=client_address(),
            counters=counters(),
        )
        headers = {"Idempotent-Replayed": "true"} if booking.replayed else {}
        return booking, 201, headers

    @blp.arguments(DayQueryArgsSchema, location="query")
    @blp.response(200, AppointmentSchema(many=True))
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """A site's appointments on one local day (staff)"""
        auth.require_staff(site_id)
        return use.list_day(uow(write=False), site_id=site_id, day=args["date"])


@blp.route("/appointments/<reference:reference>")
class AppointmentByReference(MethodView):
    @blp.response(200, AppointmentSchema)
    @blp.doc(parameters=[PATIENT_TOKEN])
    def get(self, reference):
        """View your appointment"""
        return use.get_own_appointment(
            uow(write=False), reference=reference, token=auth.patient_token(), secret_key=auth.secret_key()
        )


@blp.route("/appointments/<reference:reference>/reschedule")
class Reschedule(MethodView):
    @blp.arguments(ReschedulePostSchema)
    @blp.response(200, AppointmentSchema)
    @blp.doc(parameters=[PATIENT_TOKEN])
    def post(self, body, reference):
        """Move your appointment to another free slot"""
        return use.reschedule(
            uow(),
            reference=reference,
            token=auth.patient_token(),
            starts_at=body["starts_at"],
            now=now(),
            secret_key=auth.secret_key(),
        )


@blp.route("/appointments/<reference:reference>/cancel")
class Cancel(MethodView):
    @blp.arguments(AppointmentCancelPostSchema, required=False)
    @blp.response(200, AppointmentSchema)
    @blp.doc(parameters=[PATIENT_TOKEN])
    def post(self, body, reference):
        """Cancel your appointment, optionally saying why (again: no change)"""
        return use.cancel(
            uow(),
            reference=reference,
            token=auth.patient_token(),
            reason=(body or {}).get("reason") or None,
            now=now(),
            secret_key=auth.secret_key(),
        )


@blp.route("/appointments/<reference:reference>/calendar.ics")
class CalendarFile(MethodView):
    @blp.response(200, content_type="text/calendar", description="an RFC 5545 calendar file")
    @blp.doc(parameters=[PATIENT_TOKEN])
    def get(self, reference):
        """Your appointment as a calendar file, with address and preparation"""
        appointment = use.get_own_appointment(
            uow(write=False), reference=reference, token=auth.patient_token(), secret_key=auth.secret_key()
        )
        body = use.calendar_file(appointment, now=now())
        return Response(
            body,
            mimetype="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="{appointment.reference}.ics"'},
        )
