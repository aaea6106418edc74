from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from schedq.api.fields import Code, Day, LocalDateTime
from schedq.domain.site_status import SiteState


class Messages(fields.Dict):
    """The same words in every language schedq speaks, by language code ("en", "es"…)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(keys=fields.String(), values=fields.String(), **options)


class SiteStatusSchema(Schema):
    """Whether the site is open and who may join now (README: site status); the same on every surface."""

    state = fields.String(metadata={"enum": [s.value for s in SiteState]})
    timezone = fields.String()
    at = LocalDateTime(zone_from="timezone")
    closes_at = LocalDateTime(
        zone_from="timezone",
        allow_none=True,
        metadata={"description": "end of today's last opening interval"},
    )
    walk_ins_until = LocalDateTime(
        zone_from="timezone",
        allow_none=True,
        metadata={"description": "while walk-ins join: when joining stops next"},
    )
    reopens_at = LocalDateTime(
        zone_from="timezone", allow_none=True, metadata={"description": "during a midday break: when it ends"}
    )
    next_opening_at = LocalDateTime(
        zone_from="timezone",
        allow_none=True,
        metadata={"description": "while closed: when the line opens again"},
    )
    closure_reason = fields.String(
        allow_none=True, metadata={"description": "on a closed date, e.g. holiday"}
    )
    walk_ins_accepted = fields.Boolean(metadata={"description": "kiosk and remote walk-ins may join now"})
    check_ins_accepted = fields.Boolean(
        metadata={
            "description": "appointment check-ins are taken now (before opening or in a midday break: appointments after it)"
        }
    )
    message = Messages(
        attribute="messages",
        metadata={"description": "the status in plain words for people not in line, per language"},
    )


class JoinRefusedSchema(Schema):
    """A join or check-in the site's status does not accept now (409)."""

    code = fields.Integer()
    status = fields.String()
    message = fields.String(metadata={"description": "the status in English"})
    messages = Messages(
        metadata={"description": "the status in every language, saying when the line opens again"},
    )
    allowed_actions = fields.List(fields.String())
    site_status = fields.Nested(SiteStatusSchema)


class PromiseSchema(Schema):
    """The range given when the ticket joined, in minutes from when its wait began."""

    p10_minutes = fields.Float(allow_none=True)
    p50_minutes = fields.Float(allow_none=True)
    p90_minutes = fields.Float(allow_none=True)
    mean_minutes = fields.Float(allow_none=True)


class EstimateSchema(PromiseSchema):
    """Minutes until called: a 10–90 % range, the median and the mean (null: not today)."""

    runs_past_close = fields.Boolean(metadata={"description": "the upper end falls after closing time"})
    no_station_can_serve = fields.Boolean(
        metadata={"description": "no station open or planned today can do this service"}
    )
    thin_history = fields.Boolean(
        metadata={
            "description": "the site has too little history yet (under 14 days): the figures lean on the catalogue defaults, the capacity plan and a prior arrival profile"
        }
    )
    history_days = fields.Integer(
        allow_none=True, metadata={"description": "days of the site's history the figures rest on"}
    )
    message = Messages(metadata={"description": "the range in plain words, per language"})


class HeadlineEstimateSchema(EstimateSchema):
    """The wait for a walk-in joining now, for the service most stations can do."""

    service = fields.String()


class EstimateFreshnessSchema(Schema):
    """Which state's estimate an answer carries (README: shared estimates and caching)."""

    estimate_as_of = LocalDateTime(
        zone_from="timezone",
        allow_none=True,
        metadata={"description": "the instant the estimates were made for (null: no estimate)"},
    )
    estimate_age_seconds = fields.Float(
        metadata={
            "description": "0 when the estimates are for the site's current state; otherwise they are the "
            "previous state's, served while another worker computes this one, computed this many seconds ago"
        }
    )


class ServiceWaitSchema(Schema):
    service = fields.String()
    service_name = fields.String()
    estimate = fields.Nested(EstimateSchema)


class WaitSummarySchema(EstimateFreshnessSchema):
    site_id = fields.Integer()
    site_name = fields.String()
    at = LocalDateTime(zone_from="timezone")
    status = fields.Nested(SiteStatusSchema)
    walk_ins_open = fields.Boolean(metadata={"description": "the same as status.walk_ins_accepted"})
    walk_ins_message = Messages(
        allow_none=True,
        metadata={"description": "the status message when walk-ins are not accepted"},
    )
    people_waiting = fields.Integer()
    stations_open = fields.Integer()
    services = fields.List(
        fields.Nested(ServiceWaitSchema), metadata={"description": "for a walk-in joining now"}
    )


class AccuracyQueryArgsSchema(Schema):
    from_ = Day(required=True, data_key="from", metadata={"description": "first local date"})
    to = Day(required=True, metadata={"description": "last local date"})
    service = Code()


class AccuracyRowSchema(Schema):
    service = fields.String(allow_none=True, metadata={"description": "null: all services together"})
    count = fields.Integer(attribute="score.count")
    mae_minutes = fields.Float(
        attribute="score.mae_minutes",
        allow_none=True,
        metadata={"description": "mean absolute error of the promised median"},
    )
    rmse_minutes = fields.Float(attribute="score.rmse_minutes", allow_none=True)
    bias_minutes = fields.Float(
        attribute="score.bias_minutes",
        allow_none=True,
        metadata={"description": "mean of actual minus promised: positive, waits ran longer"},
    )
    coverage = fields.Float(
        attribute="score.coverage",
        allow_none=True,
        metadata={"description": "share of waits inside the promised 10–90 range"},
    )
    past_p90 = fields.Float(
        attribute="score.past_p90",
        allow_none=True,
        metadata={"description": "share of waits longer than the promised upper end"},
    )


class ServiceModelSchema(Schema):
    service = fields.String()
    mean_minutes = fields.Float()
    median_minutes = fields.Float()
    observations = fields.Integer()


class ModelSummarySchema(Schema):
    site_id = fields.Integer()
    fitted_at = fields.AwareDateTime(allow_none=True)
    visit_count = fields.Integer()
    history_days = fields.Integer()
    no_show_rate = fields.Float()
    lateness_mean_minutes = fields.Float(
        metadata={"description": "check-in minus appointment time; negative is early"}
    )
    services = fields.List(fields.Nested(ServiceModelSchema))


class BestTimesQueryArgsSchema(Schema):
    service = Code(required=True, metadata={"example": "DRAW"})


class HalfHourSchema(Schema):
    starts_at = LocalDateTime(zone_from="timezone")
    ends_at = LocalDateTime(zone_from="timezone")
    open_for_walk_ins = fields.Boolean()
    p10_minutes = fields.Float(allow_none=True)
    p50_minutes = fields.Float(allow_none=True)
    p90_minutes = fields.Float(allow_none=True)
    mean_minutes = fields.Float(allow_none=True)
    expected_walk_ins = fields.Float(
        metadata={"description": "walk-ins the site usually sees in this half hour"}
    )
    booked_appointments = fields.Integer(
        metadata={
            "description": "appointments booked at a time inside this half hour, at any service, not cancelled "
            "(counted when the answer is renewed, every 5 minutes)"
        }
    )
    thin_history = fields.Boolean(
        metadata={
            "description": "the site has too little history yet (under 14 days): the figures lean on the catalogue defaults, the capacity plan and a prior arrival profile"
        }
    )
    history_days = fields.Integer(
        allow_none=True, metadata={"description": "days of the site's history the figures rest on"}
    )
    message = Messages(allow_none=True)


class BestTimesSchema(EstimateFreshnessSchema):
    site_id = fields.Integer()
    service = fields.String()
    at = LocalDateTime(zone_from="timezone")
    status = fields.Nested(SiteStatusSchema, metadata={"description": "the site's status now"})
    best = fields.List(
        fields.Nested(HalfHourSchema), metadata={"description": "the open half hours with the shortest waits"}
    )
    half_hours = fields.List(
        fields.Nested(HalfHourSchema),
        metadata={"description": "every half hour from opening to closing, today and the next six days"},
    )
