from __future__ import annotations

from marshmallow import Schema, fields, validate

from schedq.api.fields import WallTime

WEEKDAY = fields.Integer(
    required=True, validate=validate.Range(0, 6), metadata={"description": "0 = Monday … 6 = Sunday"}
)


class StaffingQueryArgsSchema(Schema):
    weekday = WEEKDAY
    sla_minutes = fields.Integer(
        validate=validate.Range(1, 240),
        metadata={"description": "the wait target in minutes (default: the site's)"},
    )
    sla_percent = fields.Integer(
        validate=validate.Range(1, 100),
        metadata={"description": "share of patients (%) called within it (default: the site's)"},
    )
    days_percent = fields.Integer(
        validate=validate.Range(1, 100),
        metadata={"description": "share of days (%) that must meet the target (default 95)"},
    )


class WhatIfQueryArgsSchema(Schema):
    weekday = WEEKDAY
    walk_in_cutoff = WallTime(
        metadata={"description": "local time (HH:MM) the walk-in line closes that day, instead of the site's"}
    )
    missing_stations = fields.Integer(
        validate=validate.Range(0, 50),
        metadata={"description": "planned stations missing all day (at least one stays open)"},
    )


LANG = fields.String(metadata={"description": "the language of the chart's words (default: Accept-Language)"})


class StaffingChartQueryArgsSchema(StaffingQueryArgsSchema):
    lang = LANG


class WhatIfChartQueryArgsSchema(WhatIfQueryArgsSchema):
    lang = LANG


class TargetSchema(Schema):
    sla_minutes = fields.Integer()
    sla_percent = fields.Integer()
    days_percent = fields.Integer()


class StaffingHalfHourSchema(Schema):
    starts = fields.String(metadata={"description": "site-local wall time HH:MM"})
    ends = fields.String()
    walk_ins = fields.Float(metadata={"description": "walk-ins expected to join in the half hour"})
    appointments = fields.Float(metadata={"description": "booked patients expected to come in the half hour"})
    current_stations = fields.Integer()
    recommended_stations = fields.Integer()
    erlang_c_stations = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Erlang C's stations for a steady walk-in line; null where it does not apply"
        },
    )


class PlanFiguresSchema(Schema):
    station_hours = fields.Float()
    days_meeting_target = fields.Float(
        allow_none=True, metadata={"description": "share of simulated days (0–1) that meet the target"}
    )
    within_target = fields.Float(
        allow_none=True, metadata={"description": "share of patients (0–1) called within the target"}
    )
    wait_p50_minutes = fields.Float(allow_none=True)
    wait_p90_minutes = fields.Float(
        allow_none=True, metadata={"description": "null also when some patients would never be called"}
    )


class CapacityBlockOutSchema(Schema):
    weekday = fields.Integer()
    starts = fields.String()
    ends = fields.String()
    stations = fields.Integer()
    seats_per_slot = fields.Integer()


class CapacityPlanOutSchema(Schema):
    slot_minutes = fields.Integer()
    blocks = fields.List(fields.Nested(CapacityBlockOutSchema))


class StaffingSchema(Schema):
    site_id = fields.Integer()
    weekday = fields.Integer()
    target = fields.Nested(TargetSchema)
    thin_history = fields.Boolean()
    history_days = fields.Integer()
    simulated_days = fields.Integer(
        metadata={"description": "days simulated in each of the two sets, search days and check days"}
    )
    half_hours = fields.List(fields.Nested(StaffingHalfHourSchema))
    current = fields.Nested(PlanFiguresSchema, metadata={"description": "on the search days"})
    recommended = fields.Nested(PlanFiguresSchema, metadata={"description": "on the search days"})
    check_days_meeting_target = fields.Float(
        allow_none=True,
        metadata={
            "description": "the share of the check days (drawn apart from the search days) on which the "
            "recommendation meets the target; null: closed"
        },
    )
    capacity_plan = fields.Nested(
        CapacityPlanOutSchema,
        metadata={"description": "a body for PUT capacity-plan: adopting it changes only this weekday"},
    )


class WhatIfHalfHourFiguresSchema(Schema):
    walk_ins = fields.Float()
    stations = fields.Integer()
    wait_p50_minutes = fields.Float(allow_none=True, metadata={"description": "null: nobody arrives"})
    wait_p90_minutes = fields.Float(allow_none=True)
    within_target = fields.Float(allow_none=True)


class WhatIfHalfHourSchema(Schema):
    starts = fields.String()
    ends = fields.String()
    baseline = fields.Nested(WhatIfHalfHourFiguresSchema)
    what_if = fields.Nested(WhatIfHalfHourFiguresSchema)


class WhatIfFiguresSchema(Schema):
    days_meeting_target = fields.Float(allow_none=True)
    within_target = fields.Float(allow_none=True)
    wait_p50_minutes = fields.Float(allow_none=True)
    wait_p90_minutes = fields.Float(allow_none=True)
    walk_ins = fields.Float(metadata={"description": "walk-ins joining per day"})
    walk_ins_turned_away = fields.Float(
        metadata={"description": "walk-ins per day who come after the line closed"}
    )


class ChangesSchema(Schema):
    walk_in_cutoff = fields.String(allow_none=True, metadata={"description": "null: the site's own cut-off"})
    missing_stations = fields.Integer()


class WhatIfSchema(Schema):
    site_id = fields.Integer()
    weekday = fields.Integer()
    target = fields.Nested(TargetSchema)
    changes = fields.Nested(ChangesSchema)
    simulated_days = fields.Integer()
    half_hours = fields.List(fields.Nested(WhatIfHalfHourSchema))
    baseline = fields.Nested(WhatIfFiguresSchema)
    what_if = fields.Nested(WhatIfFiguresSchema)
