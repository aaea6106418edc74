"""Staffing: how many stations each half hour of a weekday needs, and what-if (staff of the site; docs/staffing.md)."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from schedq.api import auth
from schedq.api.language import chosen_language
from schedq.api.staffing.schemas import (
    StaffingChartQueryArgsSchema,
    StaffingQueryArgsSchema,
    StaffingSchema,
    WhatIfChartQueryArgsSchema,
    WhatIfQueryArgsSchema,
    WhatIfSchema,
)
from schedq.services.staffing import STAFFING_REPLICATIONS, staffing_recommendation, staffing_what_if
from schedq.web_context import now, uow

SVG_TYPE = "image/svg+xml"

blp = Blueprint("staffing", __name__, description="Staffing to meet the service-level target, and what-if")


def _replications() -> int:
    return int(current_app.config.get("STAFFING_REPLICATIONS", STAFFING_REPLICATIONS))


# A chart and its table answer one question, simulated once. The JSON and the SVG of a question both go
# through the service, which keeps its answer in the shared store under a state naming every input (plan,
# bookings, target, model, the changes asked), across workers: the chart the page asks for after the table
# reads the stored answer rather than simulating again, and one asked for while the table's is being
# computed waits for it. The chart is not drawn from figures the page sends back: what the server draws
# under its name is what it computed, and the chart stays a plain GET link (for a print or another tab).


def _staffing(site_id: int, args: dict) -> dict:
    """The staffing answer to a question (staff of the site), searched once per question and state."""
    auth.require_staff(site_id)
    return staffing_recommendation(
        uow(write=False),
        site_id=site_id,
        weekday=args["weekday"],
        now=now(),
        sla_minutes=args.get("sla_minutes"),
        sla_percent=args.get("sla_percent"),
        days_percent=args.get("days_percent"),
        replications=_replications(),
    )


@blp.route("/sites/<id:site_id>/staffing")
class Staffing(MethodView):
    @blp.arguments(StaffingQueryArgsSchema, location="query")
    @blp.response(200, StaffingSchema)
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """The fewest stations per half hour of a weekday that meet the target, by simulation (staff)"""
        return _staffing(site_id, args)


@blp.route("/sites/<id:site_id>/staffing/chart.svg")
class StaffingChart(MethodView):
    @blp.arguments(StaffingChartQueryArgsSchema, location="query")
    @blp.response(
        200, content_type=SVG_TYPE, description="stations per half hour, in the plan now and advised"
    )
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """The staffing advice as a chart (SVG), its title and text alternative in the language asked (staff)"""
        from schedq.web.manage import staffing_chart

        return Response(staffing_chart(_staffing(site_id, args), chosen_language()), mimetype=SVG_TYPE)


def _what_if(site_id: int, args: dict) -> dict:
    """The what-if answer to a question (staff of the site), simulated once per question and state."""
    auth.require_staff(site_id)
    return staffing_what_if(
        uow(write=False),
        site_id=site_id,
        weekday=args["weekday"],
        now=now(),
        walk_in_cutoff=args.get("walk_in_cutoff"),
        missing_stations=args.get("missing_stations", 0),
        replications=_replications(),
    )


@blp.route("/sites/<id:site_id>/what-if")
class WhatIf(MethodView):
    @blp.arguments(WhatIfQueryArgsSchema, location="query")
    @blp.response(200, WhatIfSchema)
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """A weekday as planned against an earlier or later walk-in cut-off or missing stations (staff)"""
        return _what_if(site_id, args)


@blp.route("/sites/<id:site_id>/what-if/chart.svg")
class WhatIfChart(MethodView):
    @blp.arguments(WhatIfChartQueryArgsSchema, location="query")
    @blp.response(
        200,
        content_type=SVG_TYPE,
        description="the 9-in-10 wait per half hour, as planned and with the change, against the target",
    )
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """The what-if as a chart (SVG), its title and text alternative in the language asked (staff)"""
        from schedq.web.manage import what_if_chart

        svg = what_if_chart(_what_if(site_id, args), chosen_language())
        return Response(svg, mimetype=SVG_TYPE)
