"""The walk-in queue: joining, check-in, the patient's ticket, staff operations,
stations, history, the lobby display feed and feedback.

Who may call what: kiosk joins and check-ins need a display, staff or admin
token of the site; "save my spot" and the display feed are public; a patient
uses the ticket token (`X-Patient-Token` or `?token=`); everything else needs
a staff or admin token of the site.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from schedq.api import auth, caching
from schedq.api.errors import RETRY_AFTER_HEADER, ErrorSchema
from schedq.api.estimates.schemas import JoinRefusedSchema
from schedq.api.idempotency import idempotent
from schedq.api.language import chosen_language
from schedq.api.queue.schemas import (
    CallTicketPostSchema,
    CancelPostSchema,
    CheckInPostSchema,
    CloseDayPostSchema,
    CloseDaySchema,
    DisplaySchema,
    EventQueryArgsSchema,
    EventSchema,
    FeedbackPostSchema,
    FeedbackSchema,
    PriorityPostSchema,
    QueueSchema,
    RemotePostSchema,
    StaffTicketSchema,
    StationStateSchema,
    TicketCreatedSchema,
    TicketSchema,
    WalkInPostSchema,
)
from schedq.db.uow import UnitOfWork
from schedq.domain.access import Principal
from schedq.domain.enums import StationState
from schedq.services import display, feedback, public, tickets
from schedq.services.appointments import OptIns
from schedq.services.queue import calling, closing, corrections, history, listing, locking, stations
from schedq.web_context import client_address, counters, database, ensure_model, model_max_age, now, uow

blp = Blueprint("queue", __name__, description="Walk-in queue, check-in, stations, display and feedback")

PATIENT_TOKEN = auth.patient_token_doc("the ticket token given when joining")
MANAGE_TOKEN = auth.patient_token_doc("the appointment's manage token")


def _principal(within: UnitOfWork | None = None) -> Principal:
    principal = auth.current_principal(within)
    if principal is None:
        abort(401, message="an API token is required", headers={"WWW-Authenticate": "Bearer"})
    return principal


def _staff_for_ticket(ticket_id: int) -> Principal:
    """The caller, a staff token of the ticket's site: 401 without a token, 404 without the ticket, else 403."""
    with uow(write=False) as reading:  # the token and the ticket's site in one read
        _principal(within=reading)
        site_id = locking.ticket_site_id(reading, ticket_id)
    return auth.require_staff(site_id)


def _staff_for_station(station_id: int) -> Principal:
    with uow(write=False) as reading:
        _principal(within=reading)
        site_id = locking.station_site_id(reading, station_id)
    return auth.require_staff(site_id)


def _promise_after_join(body: dict) -> dict:
    """A keyed join's answer, completed with its estimate once the join has committed (api/idempotency.py)."""
    joined = tickets.promise_after_join(
        database(), ticket_id=body["id"], now=now(), secret_key=auth.secret_key()
    )
    return TicketCreatedSchema().dump(joined)


def _staff_or_patient(ticket_id: int) -> str | None:
    """None when a staff token of the ticket's site calls; else the patient token (401 if absent)."""
    if request.headers.get("Authorization"):
        _staff_for_ticket(ticket_id)
        return None
    return auth.patient_token()


# Joining ------------------------------------------------------------------------------


@blp.route("/sites/<id:site_id>/tickets")
class WalkIns(MethodView):
    @idempotent(blp, token_of=tickets.ticket_token, finish=_promise_after_join)
    @blp.arguments(WalkInPostSchema)
    @blp.response(201, TicketCreatedSchema)
    @blp.alt_response(
        409,
        schema=JoinRefusedSchema,
        description="the site's status does not take walk-ins now (closed, midday break, past the cut-off, day closed)",
    )
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body, site_id):
        """Take a walk-in ticket at the kiosk (display, staff or admin token)"""
        principal = auth.require_display(site_id)
        ensure_model(site_id)
        return tickets.join_walk_in(
            uow(),
            site_id=site_id,
            service_code=body["service"],
            actor=principal.actor,
            now=now(),
            secret_key=auth.secret_key(),
        )


@blp.route("/sites/<id:site_id>/remote-tickets")
class RemoteTickets(MethodView):
    @idempotent(blp, token_of=tickets.ticket_token, finish=_promise_after_join)
    @blp.arguments(RemotePostSchema)
    @blp.response(201, TicketCreatedSchema)
    @blp.alt_response(
        409,
        schema=JoinRefusedSchema,
        description="the site's status does not take walk-ins now (closed, midday break, past the cut-off, day closed)",
    )
    @blp.alt_response(
        429,
        schema=ErrorSchema,
        description="too many remote joins for this contact or from this address (the site's limits); `Retry-After` says when to try again, `limit` which limit held",
        headers=RETRY_AFTER_HEADER,
    )
    def post(self, body, site_id):
        """Save my spot: join the line from afar, then say "I'm here" on arrival"""
        ensure_model(site_id)
        contact = body["contact"]
        return tickets.join_remote(
            uow(),
            site_id=site_id,
            service_code=body["service"],
            contact=tickets.Contact(contact["name"], contact.get("phone"), contact.get("email")),
            expected_arrival_at=body["expected_arrival_at"],
            client_address=client_address(),
            counters=counters(),
            now=now(),
            secret_key=auth.secret_key(),
            opt_ins=OptIns(sms=body["notify_sms"], email=body["notify_email"], language=body["language"]),
        )


@blp.route("/sites/<id:site_id>/check-ins")
class KioskCheckIn(MethodView):
    @blp.arguments(CheckInPostSchema)
    @blp.response(201, TicketCreatedSchema)
    @blp.alt_response(
        409,
        schema=JoinRefusedSchema,
        description="not today's, not a booked appointment, or the site's status does not take this check-in now (`site_status` present)",
    )
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body, site_id):
        """Check an appointment in at the kiosk by its reference (display, staff or admin token)"""
        principal = auth.require_display(site_id)
        ensure_model(site_id)
        return tickets.check_in(
            uow(),
            reference=body["reference"],
            site_id=site_id,
            actor=principal.actor,
            now=now(),
            secret_key=auth.secret_key(),
        )


@blp.route("/appointments/<reference:reference>/check-in")
class SelfCheckIn(MethodView):
    @blp.response(201, TicketCreatedSchema)
    @blp.alt_response(
        409,
        schema=JoinRefusedSchema,
        description="not today's, not a booked appointment, or the site's status does not take this check-in now (`site_status` present)",
    )
    @blp.doc(parameters=[MANAGE_TOKEN])
    def post(self, reference):
        """Check in your appointment on arrival (appointment manage token)"""
        return tickets.check_in(
            uow(),
            reference=reference,
            manage_token=auth.patient_token(),
            actor="patient",
            now=now(),
            secret_key=auth.secret_key(),
        )


# The patient's ticket ----------------------------------------------------------------


@blp.route("/tickets/<id:ticket_id>")
class TicketById(MethodView):
    @blp.response(200, TicketSchema)
    @blp.alt_response(304, **caching.NOT_MODIFIED_DOC)
    @blp.doc(parameters=[PATIENT_TOKEN], **auth.BEARER_DOC)
    def get(self, ticket_id):
        """Your ticket: status, place in line, and the station once called (ticket token, or staff; ETag)"""
        token = _staff_or_patient(ticket_id)
        at = now()
        state = tickets.ticket_state(
            uow,
            ticket_id=ticket_id,
            token=token,
            secret_key=auth.secret_key(),
            now=at,
            max_model_age_hours=model_max_age(),
        )
        return caching.answer(
            state,
            cache_control=caching.PERSONAL,
            build=lambda: tickets.get_ticket(
                uow(write=False),
                ticket_id=ticket_id,
                token=token,
                secret_key=auth.secret_key(),
                now=at,
                state=state,
                language=chosen_language(),
            ),
        )


@blp.route("/tickets/<id:ticket_id>/leave")
class Leave(MethodView):
    @idempotent(blp)
    @blp.response(200, TicketSchema)
    @blp.doc(parameters=[PATIENT_TOKEN])
    def post(self, ticket_id):
        """Leave the line (ticket token; again: no change)"""
        return tickets.leave(
            uow(), ticket_id=ticket_id, token=auth.patient_token(), secret_key=auth.secret_key(), now=now()
        )


@blp.route("/tickets/<id:ticket_id>/present")
class Present(MethodView):
    @blp.response(200, TicketSchema)
    @blp.doc(parameters=[PATIENT_TOKEN], **auth.BEARER_DOC)
    def post(self, ticket_id):
        """I'm here: a remote ticket becomes callable in the place it kept (ticket token, or staff)"""
        token = _staff_or_patient(ticket_id)
        if token is None:
            return corrections.mark_present(uow(), ticket_id=ticket_id, actor=_principal().actor, now=now())
        return tickets.patient_present(
            uow(), ticket_id=ticket_id, token=token, secret_key=auth.secret_key(), now=now()
        )


@blp.route("/tickets/<id:ticket_id>/feedback")
class TicketFeedback(MethodView):
    @idempotent(blp)
    @blp.arguments(FeedbackPostSchema)
    @blp.response(201, FeedbackSchema)
    @blp.alt_response(409, description="the visit is not done, or feedback was already given")
    @blp.doc(parameters=[PATIENT_TOKEN])
    def post(self, body, ticket_id):
        """Rate your visit 1–5 with an optional comment, once it is done (ticket token)"""
        return feedback.leave_feedback(
            uow(),
            ticket_id=ticket_id,
            token=auth.patient_token(),
            secret_key=auth.secret_key(),
            rating=body["rating"],
            comment=body.get("comment"),
            now=now(),
        )


# Staff: tickets ------------------------------------------------------------------------


@blp.route("/tickets/<id:ticket_id>/call")
class CallTicket(MethodView):
    @idempotent(blp)
    @blp.arguments(CallTicketPostSchema)
    @blp.response(200, StaffTicketSchema)
    @blp.alt_response(409, description="the ticket's status or the station does not allow it")
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body, ticket_id):
        """Call this ticket to a station, out of policy order (staff)"""
        principal = _staff_for_ticket(ticket_id)
        return calling.call_ticket(
            uow(), ticket_id=ticket_id, station_id=body["station_id"], actor=principal.actor, now=now()
        )


def _ticket_action(name: str, use_case, summary: str):
    """A POST /tickets/<id>/<name> staff action with no body."""

    class Action(MethodView):
        @idempotent(blp)
        @blp.response(200, StaffTicketSchema)
        @blp.alt_response(
            409, description="the ticket's status does not allow it; `allowed_actions` lists what does"
        )
        @blp.doc(summary=summary, **auth.BEARER_DOC)
        def post(self, ticket_id):
            principal = _staff_for_ticket(ticket_id)
            return use_case(uow(), ticket_id=ticket_id, actor=principal.actor, now=now())

    Action.__name__ = f"Ticket{name.title().replace('-', '')}"
    blp.route(f"/tickets/<id:ticket_id>/{name}", endpoint=Action.__name__)(Action)


_ticket_action("recall", calling.recall, "Announce a called ticket again (staff)")
_ticket_action("start", calling.start, "Start serving a called ticket (staff)")
_ticket_action("complete", calling.complete, "Finish serving a ticket (staff)")
_ticket_action("no-show", calling.mark_no_show, "Mark a called ticket a no-show (staff)")
_ticket_action(
    "requeue",
    corrections.requeue,
    "Put a called or no-show ticket back in line, in its original place (staff)",
)


@blp.route("/tickets/<id:ticket_id>/cancel")
class CancelTicket(MethodView):
    @idempotent(blp)
    @blp.arguments(CancelPostSchema)
    @blp.response(200, StaffTicketSchema)
    @blp.alt_response(409, description="the ticket's status does not allow it")
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body, ticket_id):
        """Take a waiting ticket out of the line, with a reason (staff)"""
        principal = _staff_for_ticket(ticket_id)
        return corrections.cancel(
            uow(), ticket_id=ticket_id, reason=body["reason"], actor=principal.actor, now=now()
        )


@blp.route("/tickets/<id:ticket_id>/undo")
class UndoTicket(MethodView):
    @idempotent(blp)
    @blp.response(200, StaffTicketSchema)
    @blp.alt_response(
        409,
        description="the ticket's last change is not a staff no-show or cancel, or it is more than 10 seconds old",
    )
    @blp.doc(**auth.BEARER_DOC)
    def post(self, ticket_id):
        """Undo a no-show or cancel within 10 seconds: back to waiting in its place, or called again at a free station (staff)"""
        principal = _staff_for_ticket(ticket_id)
        return corrections.undo(uow(), ticket_id=ticket_id, actor=principal.actor, now=now())


@blp.route("/tickets/<id:ticket_id>/priority")
class TicketPriority(MethodView):
    @blp.arguments(PriorityPostSchema)
    @blp.response(200, StaffTicketSchema)
    @blp.alt_response(409, description="the ticket's status does not allow it")
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body, ticket_id):
        """Set or clear a waiting ticket's priority (staff)"""
        principal = _staff_for_ticket(ticket_id)
        return corrections.set_priority(
            uow(), ticket_id=ticket_id, priority=body["priority"], actor=principal.actor, now=now()
        )


@blp.route("/tickets/<id:ticket_id>/events")
class TicketEvents(MethodView):
    @blp.response(200, EventSchema(many=True))
    @blp.doc(**auth.BEARER_DOC)
    def get(self, ticket_id):
        """A ticket's history of visit events (staff)"""
        _staff_for_ticket(ticket_id)
        return history.ticket_events(uow(write=False), ticket_id=ticket_id, now=now())


# Staff: stations -----------------------------------------------------------------------


def _station_action(name: str, state: StationState, summary: str):
    class Action(MethodView):
        @blp.response(200, StationStateSchema)
        @blp.alt_response(409, description="the station still has a patient")
        @blp.doc(summary=summary, **auth.BEARER_DOC)
        def post(self, station_id):
            principal = _staff_for_station(station_id)
            return stations.set_station_state(
                uow(), station_id=station_id, state=state, actor=principal.actor, now=now()
            )

    Action.__name__ = f"Station{name.title()}"
    blp.route(f"/stations/<id:station_id>/{name}", endpoint=Action.__name__)(Action)


_station_action("open", StationState.OPEN, "Open a station: it is offered tickets (staff)")
_station_action(
    "pause", StationState.PAUSED, "Pause a station: it finishes its patient and is offered no more (staff)"
)
_station_action("close", StationState.CLOSED, "Close a station (staff; refused while it has a patient)")


@blp.route("/stations/<id:station_id>/call-next")
class CallNext(MethodView):
    @idempotent(blp)
    @blp.response(200, StaffTicketSchema)
    @blp.alt_response(404, description="nobody waiting is here for a service this station can do")
    @blp.alt_response(409, description="the station is not open, or still has a patient")
    @blp.doc(**auth.BEARER_DOC)
    def post(self, station_id):
        """Call the next patient by the call policy (staff)"""
        principal = _staff_for_station(station_id)
        return calling.call_next(uow(), station_id=station_id, actor=principal.actor, now=now())


# Staff: the site's queue and day --------------------------------------------------------


@blp.route("/sites/<id:site_id>/queue")
class SiteQueue(MethodView):
    @blp.response(200, QueueSchema)
    @blp.doc(**auth.BEARER_DOC)
    def get(self, site_id):
        """The live queue in call-policy order, with positions and stations (staff)"""
        _principal()
        auth.require_staff(site_id)
        ensure_model(site_id)
        return listing.list_queue(uow(write=False), site_id=site_id, now=now())


@blp.route("/sites/<id:site_id>/events")
class SiteEvents(MethodView):
    @blp.arguments(EventQueryArgsSchema, location="query")
    @blp.response(200, EventSchema(many=True))
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """Every visit event of a local day (default today) (staff)"""
        auth.require_staff(site_id)
        return history.day_events(uow(write=False), site_id=site_id, day=args.get("date"), now=now())


@blp.route("/sites/<id:site_id>/close-day")
class CloseDay(MethodView):
    @blp.arguments(CloseDayPostSchema)
    @blp.response(200, CloseDaySchema)
    @blp.alt_response(409, description="someone is still in service")
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body, site_id):
        """Close the day: close out tickets left with a reason, close stations, stop joins (staff)"""
        principal = auth.require_staff(site_id)
        return closing.close_day(
            uow(), site_id=site_id, reason=body["reason"], actor=principal.actor, now=now()
        )


@blp.route("/sites/<id:site_id>/feedback")
class SiteFeedback(MethodView):
    @blp.response(200, FeedbackSchema(many=True))
    @blp.doc(**auth.BEARER_DOC)
    def get(self, site_id):
        """The site's feedback, newest first (staff)"""
        auth.require_staff(site_id)
        return feedback.list_feedback(uow(write=False), site_id=site_id)


# Display -------------------------------------------------------------------------------


@blp.route("/sites/<id:site_id>/display")
class Display(MethodView):
    @blp.response(200, DisplaySchema)
    @blp.alt_response(304, **caching.NOT_MODIFIED_DOC)
    def get(self, site_id):
        """The lobby screen: called tickets and stations, recent calls, how many wait (public; ETag)"""
        auth.current_principal()  # a bad token is refused; no token is fine
        at = now()
        return caching.answer(
            public.site_read_state(uow, site_id=site_id, now=at, max_model_age_hours=model_max_age()),
            cache_control=caching.LOBBY,
            build=lambda: display.display_feed(
                uow(write=False), site_id=site_id, now=at, settled=True, language=chosen_language()
            ),
        )
