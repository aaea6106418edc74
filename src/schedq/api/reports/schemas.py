from __future__ import annotations

from marshmallow import Schema, fields, validate

from schedq.api.fields import Day, LocalDateTime, text
from schedq.api.reports.tables import CHARTS, SITE_TABLES


class ReportQueryArgsSchema(Schema):
    from_ = Day(required=True, data_key="from", metadata={"description": "first local date of the range"})
    to = Day(
        required=True,
        metadata={"description": "last local date of the range (inclusive; at most 366 days after `from`)"},
    )


class ChainQueryArgsSchema(ReportQueryArgsSchema):
    region = text(80, metadata={"description": "only the sites of this region (the site setting `region`)"})


class TableQueryArgsSchema(ReportQueryArgsSchema):
    table = fields.String(
        required=True, validate=validate.OneOf(SITE_TABLES), metadata={"enum": list(SITE_TABLES)}
    )


class ChartQueryArgsSchema(ReportQueryArgsSchema):
    chart = fields.String(required=True, validate=validate.OneOf(CHARTS), metadata={"enum": list(CHARTS)})
    lang = fields.String(
        metadata={"description": "the language of the chart's words (default: Accept-Language)"}
    )


class KindCountsSchema(Schema):
    walk_in = fields.Integer()
    remote = fields.Integer()
    appointment = fields.Integer()


class WaitFiguresSchema(Schema):
    count = fields.Integer(metadata={"description": "waits counted: tickets called"})
    p50_minutes = fields.Float(allow_none=True)
    p90_minutes = fields.Float(allow_none=True)
    max_minutes = fields.Float(allow_none=True)


class TargetFiguresSchema(Schema):
    counted = fields.Integer(
        metadata={"description": "tickets called, and tickets not called that waited longer than the target"}
    )
    within = fields.Integer(metadata={"description": "called within the target minutes"})
    percent = fields.Float(allow_none=True, metadata={"description": "within ÷ counted, in percent"})
    met = fields.Boolean(allow_none=True, metadata={"description": "percent ≥ the site's target percent"})


class OutcomesSchema(Schema):
    served = fields.Integer()
    no_show = fields.Integer()
    left = fields.Integer(metadata={"description": "left without being seen"})
    cancelled = fields.Integer(
        metadata={"description": "cancelled by staff or closed out at the day's close"}
    )
    in_line = fields.Integer(
        metadata={"description": "still waiting, called or in service at the report's end"}
    )


class PromisesSchema(Schema):
    service = fields.String(
        allow_none=True, metadata={"description": "the service's code; null: every service together"}
    )
    service_name = fields.String(
        allow_none=True, metadata={"description": "the service's name in the answer's language"}
    )
    count = fields.Integer(attribute="score.count")
    coverage_percent = fields.Method("_coverage", metadata={"type": "number", "nullable": True})
    past_top_percent = fields.Method("_past", metadata={"type": "number", "nullable": True})
    mae_minutes = fields.Method("_mae", metadata={"type": "number", "nullable": True})

    def _coverage(self, row):
        return _percent(row.score.coverage)

    def _past(self, row):
        return _percent(row.score.past_p90)

    def _mae(self, row):
        return None if row.score.mae_minutes is None else round(row.score.mae_minutes, 1)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


class SummarySchema(Schema):
    arrivals = fields.Integer()
    arrivals_by_kind = fields.Nested(KindCountsSchema)
    outcomes = fields.Nested(OutcomesSchema)
    waits = fields.Nested(WaitFiguresSchema)
    target = fields.Nested(TargetFiguresSchema)
    open_minutes = fields.Float(metadata={"description": "station minutes open"})
    busy_minutes = fields.Float(
        metadata={"description": "station minutes with a patient called or in service"}
    )
    utilisation_percent = fields.Float(allow_none=True)
    promises = fields.Method("_promises", metadata={"type": "object"})
    ratings = fields.Integer()
    mean_rating = fields.Float(allow_none=True)

    def _promises(self, summary):
        score = summary.accuracy
        return {
            "count": score.count,
            "coverage_percent": _percent(score.coverage),
            "past_top_percent": _percent(score.past_p90),
        }


class DayRowSchema(Schema):
    date = fields.Date(attribute="day")
    arrivals = fields.Integer()
    arrivals_by_kind = fields.Nested(KindCountsSchema)
    outcomes = fields.Nested(OutcomesSchema)
    waits = fields.Nested(WaitFiguresSchema)
    target = fields.Nested(TargetFiguresSchema)
    open_minutes = fields.Float()
    busy_minutes = fields.Float()
    utilisation_percent = fields.Float(allow_none=True)
    ratings = fields.Integer()
    mean_rating = fields.Float(allow_none=True)


class HourRowSchema(Schema):
    hour = fields.Integer(metadata={"description": "local hour, 0–23"})
    arrivals = fields.Integer()
    arrivals_by_kind = fields.Nested(KindCountsSchema)
    waits = fields.Nested(WaitFiguresSchema)
    target = fields.Nested(TargetFiguresSchema)


class HalfHourRowSchema(Schema):
    starts = fields.String(metadata={"description": "local wall time the half hour starts, HH:MM"})
    arrivals = fields.Integer()
    arrivals_per_day = fields.Float(
        allow_none=True, metadata={"description": "over the days a station was open"}
    )
    stations_open = fields.Float(allow_none=True, metadata={"description": "mean stations open, same days"})
    waits = fields.Nested(WaitFiguresSchema)


class WaitRowSchema(Schema):
    group = fields.String(metadata={"enum": ["kind", "service"]})
    name = fields.String(metadata={"description": "the kind of visit, or the service's code"})
    service_name = fields.String(
        allow_none=True,
        metadata={"description": "the service's name in the answer's language; null for a kind"},
    )
    waits = fields.Nested(WaitFiguresSchema)


class StationDayRowSchema(Schema):
    date = fields.Date(attribute="day")
    station_id = fields.Integer()
    station = fields.String()
    open_minutes = fields.Float()
    busy_minutes = fields.Float()
    utilisation_percent = fields.Float(allow_none=True)


class CommentSchema(Schema):
    date = fields.Date(attribute="day")
    rating = fields.Integer()
    service = fields.String(metadata={"description": "the service's code"})
    service_name = fields.String(metadata={"description": "the service's name in the answer's language"})
    comment = fields.String()


class SatisfactionSchema(Schema):
    count = fields.Integer()
    mean_rating = fields.Float(allow_none=True)
    ratings = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "1–5: how many"}
    )
    comments = fields.List(fields.Nested(CommentSchema))


class TargetSchema(Schema):
    minutes = fields.Integer(attribute="sla_minutes")
    percent = fields.Integer(attribute="sla_percent")


class SiteReportSchema(Schema):
    site_id = fields.Integer()
    site = fields.String()
    region = fields.String(allow_none=True)
    timezone = fields.String()
    from_ = fields.Date(attribute="first_day", data_key="from")
    to = fields.Date(attribute="last_day")
    as_of = LocalDateTime(zone_from="timezone", metadata={"description": "events counted up to here"})
    target = fields.Function(lambda report: TargetSchema().dump(report), metadata={"type": "object"})
    summary = fields.Nested(SummarySchema, attribute="figures.summary")
    days = fields.List(fields.Nested(DayRowSchema), attribute="figures.days")
    hours = fields.List(fields.Nested(HourRowSchema), attribute="figures.hours")
    half_hours = fields.List(fields.Nested(HalfHourRowSchema), attribute="figures.half_hours")
    waits = fields.List(fields.Nested(WaitRowSchema), attribute="figures.waits")
    stations = fields.List(fields.Nested(StationDayRowSchema), attribute="figures.stations")
    promises = fields.List(fields.Nested(PromisesSchema), attribute="figures.accuracy")
    satisfaction = fields.Function(
        lambda report: SatisfactionSchema().dump(
            {
                "count": report.figures.summary.ratings,
                "mean_rating": report.figures.summary.mean_rating,
                "ratings": {str(k): v for k, v in report.figures.ratings.items()},
                "comments": report.figures.comments,
            }
        ),
        metadata={"type": "object"},
    )


class ChainRowSchema(Schema):
    site_id = fields.Integer()
    site = fields.String()
    region = fields.String(allow_none=True)
    timezone = fields.String()
    target = fields.Function(lambda row: TargetSchema().dump(row), metadata={"type": "object"})
    summary = fields.Nested(SummarySchema)


class ChainReportSchema(Schema):
    from_ = fields.Date(attribute="first_day", data_key="from")
    to = fields.Date(attribute="last_day")
    region = fields.String(allow_none=True)
    sites = fields.List(fields.Nested(ChainRowSchema))
