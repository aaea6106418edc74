"""Staffing: how many stations each half hour of a weekday needs, and what-if (staff of the site; docs/staffing.md)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from schedq.api import auth
from schedq.api.staffing.schemas import (
    StaffingQueryArgsSchema,
    StaffingSchema,
    WhatIfQueryArgsSchema,
    WhatIfSchema,
)
from schedq.services.staffing import STAFFING_REPLICATIONS, staffing_recommendation, staffing_what_if
from schedq.web_context import now, uow

blp = Blueprint("staffing", __name__, description="Staffing to meet the service-level target, and what-if")


def _replications() -> int:
    return int(current_app.config.get("STAFFING_REPLICATIONS", STAFFING_REPLICATIONS))


@blp.route("/sites/<id:site_id>/staffing")
class Staffing(MethodView):
    @blp.arguments(StaffingQueryArgsSchema, location="query")
    @blp.response(200, StaffingSchema)
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """The fewest stations per half hour of a weekday that meet the target, by simulation (staff)"""
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


@blp.route("/sites/<id:site_id>/what-if")
class WhatIf(MethodView):
    @blp.arguments(WhatIfQueryArgsSchema, location="query")
    @blp.response(200, WhatIfSchema)
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """A weekday as planned against an earlier or later walk-in cut-off or missing stations (staff)"""
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
