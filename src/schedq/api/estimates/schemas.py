from __future__ import annotations

from marshmallow import Schema, fields, validate

from schedq.api.fields import LocalDateTime


class MessageSchema(Schema):
    en = fields.String()
    es = fields.String()


class PromiseSchema(Schema):
    """The range given when the ticket joined, in minutes from when its wait began."""

    p10_minutes = fields.Float(allow_none=True)
    p50_minutes = fields.Float(allow_none=True)
    p90_minutes = fields.Float(allow_none=True)
    mean_minutes = fields.Float(allow_none=True)


class EstimateSchema(PromiseSchema):
    """Minutes until called: a 10–90 % range, the median and the mean (null: not today)."""

    runs_past_close = fields.Boolean(metadata={"description": "the upper end falls after closing time"})
    no_station_can_serve = fields.Boolean(metadata={"description": "no station open or planned today can do this service"})
    thin_history = fields.Boolean(metadata={"description": "the site has too little history yet (under 14 days): the figures lean on the catalogue defaults, the capacity plan and a prior arrival profile"})
    history_days = fields.Integer(allow_none=True, metadata={"description": "days of the site's history the figures rest on"})
    message = fields.Nested(MessageSchema, metadata={"description": "the range in plain words, per language"})


class HeadlineEstimateSchema(EstimateSchema):
    """The wait for a walk-in joining now, for the service most stations can do."""

    service = fields.String()


class ServiceWaitSchema(Schema):
    service = fields.String()
    service_name = fields.String()
    estimate = fields.Nested(EstimateSchema)


class WaitSummarySchema(Schema):
    site_id = fields.Integer()
    site_name = fields.String()
    at = LocalDateTime(zone_from="timezone")
    walk_ins_open = fields.Boolean()
    walk_ins_message = fields.Nested(MessageSchema, allow_none=True)
    people_waiting = fields.Integer()
    stations_open = fields.Integer()
    services = fields.List(fields.Nested(ServiceWaitSchema), metadata={"description": "for a walk-in joining now"})


class AccuracyQueryArgsSchema(Schema):
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    service = fields.String(validate=validate.Length(min=1, max=16))


class AccuracyRowSchema(Schema):
    service = fields.String(allow_none=True, metadata={"description": "null: all services together"})
    count = fields.Integer(attribute="score.count")
    mae_minutes = fields.Float(attribute="score.mae_minutes", allow_none=True, metadata={"description": "mean absolute error of the promised median"})
    rmse_minutes = fields.Float(attribute="score.rmse_minutes", allow_none=True)
    bias_minutes = fields.Float(attribute="score.bias_minutes", allow_none=True, metadata={"description": "mean of actual minus promised: positive, waits ran longer"})
    coverage = fields.Float(attribute="score.coverage", allow_none=True, metadata={"description": "share of waits inside the promised 10–90 range"})
    past_p90 = fields.Float(attribute="score.past_p90", allow_none=True, metadata={"description": "share of waits longer than the promised upper end"})


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
    lateness_mean_minutes = fields.Float(metadata={"description": "check-in minus appointment time; negative is early"})
    services = fields.List(fields.Nested(ServiceModelSchema))


class BestTimesQueryArgsSchema(Schema):
    service = fields.String(required=True, validate=validate.Length(min=1, max=16), metadata={"example": "DRAW"})


class HalfHourSchema(Schema):
    starts_at = LocalDateTime(zone_from="timezone")
    ends_at = LocalDateTime(zone_from="timezone")
    open_for_walk_ins = fields.Boolean()
    p10_minutes = fields.Float(allow_none=True)
    p50_minutes = fields.Float(allow_none=True)
    p90_minutes = fields.Float(allow_none=True)
    mean_minutes = fields.Float(allow_none=True)
    expected_walk_ins = fields.Float(metadata={"description": "walk-ins the site usually sees in this half hour"})
    thin_history = fields.Boolean(metadata={"description": "the site has too little history yet (under 14 days): the figures lean on the catalogue defaults, the capacity plan and a prior arrival profile"})
    history_days = fields.Integer(allow_none=True, metadata={"description": "days of the site's history the figures rest on"})
    message = fields.Nested(MessageSchema, allow_none=True)


class BestTimesSchema(Schema):
    site_id = fields.Integer()
    service = fields.String()
    at = LocalDateTime(zone_from="timezone")
    best = fields.List(fields.Nested(HalfHourSchema), metadata={"description": "the open half hours with the shortest waits"})
    half_hours = fields.List(fields.Nested(HalfHourSchema), metadata={"description": "every half hour from opening to closing, today and the next six days"})
