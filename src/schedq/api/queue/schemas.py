from __future__ import annotations

from marshmallow import Schema, fields, validate

from schedq.api.appointments.schemas import ContactSchema, OptInsSchema
from schedq.api.estimates.schemas import (
    EstimateFreshnessSchema,
    EstimateSchema,
    HeadlineEstimateSchema,
    PromiseSchema,
    SiteStatusSchema,
)
from schedq.api.fields import Code, Day, Instant, LocalDateTime, StrictBoolean, ident, integer, text

ZONE = "timezone"


class WalkInPostSchema(Schema):
    service = Code(required=True, metadata={"example": "DRAW"})


class RemotePostSchema(OptInsSchema):
    service = Code(required=True, metadata={"example": "DRAW"})
    contact = fields.Nested(ContactSchema, required=True)
    expected_arrival_at = Instant(
        required=True, metadata={"description": "when you expect to arrive, with its offset"}
    )


class CheckInPostSchema(Schema):
    reference = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=16),
            validate.Regexp(r"^[A-Za-z0-9-]+$", error="letters, digits and dashes"),
        ],
        metadata={"example": "K7MQ-4XT9"},
    )


class TicketSchema(EstimateFreshnessSchema):
    """A ticket as its patient (and the kiosk) sees it: no personal data."""

    id = fields.Integer()
    site_id = fields.Integer()
    code = fields.String(metadata={"description": "display code, e.g. A042"})
    kind = fields.String()
    service = fields.String()
    service_name = fields.String()
    status = fields.String()
    present = fields.Boolean()
    priority = fields.Boolean()
    position = fields.Integer(
        allow_none=True,
        metadata={"description": "place in line by the call policy (1 = next); null unless waiting"},
    )
    ahead = fields.Integer(allow_none=True)
    station = fields.String(allow_none=True, metadata={"description": "where to go, once called"})
    joined_at = LocalDateTime(zone_from=ZONE)
    expected_arrival_at = LocalDateTime(zone_from=ZONE, allow_none=True)
    appointment_at = LocalDateTime(zone_from=ZONE, allow_none=True)
    called_at = LocalDateTime(zone_from=ZONE, allow_none=True)
    ended_at = LocalDateTime(zone_from=ZONE, allow_none=True)
    end_reason = fields.String(allow_none=True)
    estimate = fields.Nested(EstimateSchema, allow_none=True)
    as_of = LocalDateTime(
        zone_from=ZONE,
        allow_none=True,
        metadata={
            "description": "the server's clock when this answer was made, in the site's time: the ticket page "
            "tells time by it, never by the phone's clock (null on the answers to staff actions)"
        },
    )
    arrive_by = LocalDateTime(
        zone_from=ZONE,
        allow_none=True,
        metadata={
            "description": "a remote ticket not yet here: when to be at the site, the earlier of "
            "`expected_arrival_at` and the estimate's instant plus its 10th percentile (null otherwise)"
        },
    )
    feedback_given = fields.Boolean(
        metadata={
            "description": "a done visit its patient has rated (`POST /tickets/{id}/feedback`); false otherwise, "
            "and on answers other than `GET /tickets/{id}`"
        }
    )
    site_status = fields.Nested(
        SiteStatusSchema,
        allow_none=True,
        metadata={"description": "the site's status now (open, midday break, opens at…)"},
    )


class TicketCreatedSchema(TicketSchema):
    token = fields.String(
        metadata={
            "description": "the patient's secret for this ticket, shown once: X-Patient-Token or ?token="
        }
    )


class StaffTicketSchema(TicketSchema):
    """A ticket as staff of its site see it, with contact and history fields."""

    station_id = fields.Integer(allow_none=True)
    call_count = fields.Integer()
    started_at = LocalDateTime(zone_from=ZONE, allow_none=True)
    allowed_actions = fields.List(fields.String())
    promised = fields.Nested(PromiseSchema, allow_none=True)
    actual_wait_minutes = fields.Float(allow_none=True)
    appointment_reference = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)


class StationStateSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    state = fields.String()
    services = fields.List(fields.String())
    ticket_code = fields.String(allow_none=True)
    ticket_status = fields.String(allow_none=True)
    callable_now = fields.Integer(
        allow_none=True,
        metadata={
            "description": "in the queue read: how many waiting patients who are here this station could call now "
            "(0: Call next would find nobody); null elsewhere"
        },
    )


class QueueSchema(Schema):
    site_id = fields.Integer()
    as_of = LocalDateTime(
        zone_from=ZONE, metadata={"description": "the server's clock at this read (timers count from it)"}
    )
    waiting = fields.Integer()
    tickets = fields.List(fields.Nested(StaffTicketSchema))
    stations = fields.List(fields.Nested(StationStateSchema))
    estimate = fields.Nested(
        HeadlineEstimateSchema,
        allow_none=True,
        metadata={"description": "wait range for a walk-in joining now"},
    )


class CallTicketPostSchema(Schema):
    station_id = ident(required=True)


class CancelPostSchema(Schema):
    reason = text(200, load_default="")


class PriorityPostSchema(Schema):
    priority = StrictBoolean(required=True)


class CloseDayPostSchema(Schema):
    reason = text(200, load_default="closed out at the end of the day")


class CloseDaySchema(Schema):
    site_id = fields.Integer()
    service_day = fields.Date()
    closed_at = LocalDateTime(zone_from=ZONE)
    closed_by = fields.String()
    closed_out = fields.List(fields.Nested(StaffTicketSchema))


class EventSchema(Schema):
    id = fields.Integer()
    at = LocalDateTime(zone_from=ZONE)
    action = fields.String()
    ticket_id = fields.Integer(allow_none=True)
    ticket_code = fields.String(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    station = fields.String(allow_none=True)
    station_id = fields.Integer(allow_none=True)
    actor = fields.String()
    detail = fields.Dict(allow_none=True)


class EventQueryArgsSchema(Schema):
    date = Day(metadata={"description": "local date (default: today)"})


class CalledSchema(Schema):
    code = fields.String()
    station = fields.String()
    station_names = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "the station named in each of the site's display languages (for the announcement)"
        },
    )
    status = fields.String()
    called_at = LocalDateTime(zone_from=ZONE)


class RecentCallSchema(Schema):
    code = fields.String()
    station = fields.String()
    action = fields.String()
    at = LocalDateTime(zone_from=ZONE)


class DisplaySchema(EstimateFreshnessSchema):
    site_id = fields.Integer()
    site_name = fields.String()
    timezone = fields.String()
    now_called = fields.List(
        fields.Nested(CalledSchema),
        metadata={"description": "tickets called and the station to go to, newest first"},
    )
    in_service = fields.List(fields.Nested(CalledSchema))
    recent_calls = fields.List(fields.Nested(RecentCallSchema))
    waiting = fields.Integer(
        metadata={"description": "tickets waiting, including remote patients on their way"}
    )
    waiting_here = fields.Integer()
    stations_open = fields.List(fields.String())
    status = fields.Nested(
        SiteStatusSchema,
        metadata={"description": "the site's status; its message is what people not in line read"},
    )
    estimate = fields.Nested(
        HeadlineEstimateSchema,
        allow_none=True,
        metadata={
            "description": "wait range for a walk-in joining now (the status message when walk-ins cannot join)"
        },
    )
    display_languages = fields.List(
        fields.String(),
        metadata={"description": "the site's display languages, in order: each line is said once in each"},
    )
    display_announce = fields.String(
        metadata={
            "description": "on each call: nothing more, a chime, or a chime and the call spoken in each display language",
            "enum": ["off", "chime", "chime_and_speech"],
        }
    )


class FeedbackPostSchema(Schema):
    rating = integer(required=True, validate=validate.Range(min=1, max=5))
    comment = text(2000, multiline=True, allow_none=True)


class FeedbackSchema(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer()
    ticket_code = fields.String()
    service = fields.String()
    rating = fields.Integer()
    comment = fields.String(allow_none=True)
    created_at = LocalDateTime(zone_from=ZONE)
