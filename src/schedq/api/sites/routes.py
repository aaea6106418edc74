"""Sites and their configuration: hours, closures, capacity plan, stations."""

from __future__ import annotations

from datetime import date

from flask.views import MethodView
from flask_smorest import Blueprint

from schedq.api import auth
from schedq.api.fields import EARLIEST_DAY, LATEST_DAY
from schedq.api.sites.schemas import (
    CapacityPlanSchema,
    CapacityPlanViewSchema,
    ClosureSchema,
    HoursPutSchema,
    SitePatchSchema,
    SitePostSchema,
    SiteSchema,
    StationPatchSchema,
    StationPostSchema,
    StationSchema,
)
from schedq.domain import schedule
from schedq.domain.errors import InvalidInput
from schedq.services import sites as use
from schedq.web_context import now, uow

blp = Blueprint("sites", __name__, description="Collection sites and their configuration")


@blp.route("/sites")
class Sites(MethodView):
    @blp.response(200, SiteSchema(many=True))
    def get(self):
        """List sites"""
        return use.list_sites(uow(write=False))

    @blp.arguments(SitePostSchema)
    @blp.response(201, SiteSchema)
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body):
        """Create a site (admin of all sites)"""
        auth.require_global_admin()
        return use.create_site(uow(), now=now(), **body)


@blp.route("/sites/<id:site_id>")
class SiteById(MethodView):
    @blp.response(200, SiteSchema)
    def get(self, site_id):
        """Get a site: address, hours, closures, stations"""
        return use.get_site(uow(write=False), site_id=site_id)

    @blp.arguments(SitePatchSchema)
    @blp.response(200, SiteSchema)
    @blp.doc(**auth.BEARER_DOC)
    def patch(self, body, site_id):
        """Change a site's settings (site admin)"""
        auth.require_configure(site_id)
        return use.update_site(uow(), site_id=site_id, **body)


@blp.route("/sites/<id:site_id>/hours")
class Hours(MethodView):
    @blp.arguments(HoursPutSchema)
    @blp.response(200, SiteSchema)
    @blp.doc(**auth.BEARER_DOC)
    def put(self, body, site_id):
        """Replace the weekly opening hours (several intervals a day allowed)"""
        auth.require_configure(site_id)
        intervals = [schedule.WeeklyInterval(**h) for h in body["hours"]]
        return use.set_hours(uow(), site_id=site_id, intervals=intervals)


@blp.route("/sites/<id:site_id>/closures")
class Closures(MethodView):
    @blp.arguments(ClosureSchema)
    @blp.response(201, ClosureSchema)
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body, site_id):
        """Close the site on a date"""
        auth.require_configure(site_id)
        site = use.get_site(uow(write=False), site_id=site_id)
        today = schedule.local_day(now(), schedule.zone(site.timezone))
        return use.add_closure(uow(), site_id=site_id, day=body["day"], reason=body["reason"], today=today)


@blp.route("/sites/<id:site_id>/closures/<string:day>")
class ClosureByDay(MethodView):
    @blp.response(204)
    @blp.doc(
        parameters=[
            {"in": "path", "name": "day", "required": True, "schema": {"type": "string", "format": "date"}}
        ],
        **auth.BEARER_DOC,
    )
    def delete(self, site_id, day):
        """Reopen a closed date (YYYY-MM-DD)"""
        auth.require_configure(site_id)
        use.remove_closure(uow(), site_id=site_id, day=_parse_day(day))


@blp.route("/sites/<id:site_id>/capacity-plan")
class CapacityPlan(MethodView):
    @blp.response(200, CapacityPlanViewSchema)
    def get(self, site_id):
        """The weekly capacity plan: slot length, planned stations and seats per slot"""
        return use.get_site(uow(write=False), site_id=site_id)

    @blp.arguments(CapacityPlanSchema)
    @blp.response(200, CapacityPlanViewSchema)
    @blp.doc(**auth.BEARER_DOC)
    def put(self, body, site_id):
        """Replace the capacity plan"""
        auth.require_configure(site_id)
        blocks = [schedule.PlanBlock(**b) for b in body["blocks"]]
        return use.set_capacity_plan(uow(), site_id=site_id, slot_minutes=body["slot_minutes"], blocks=blocks)


@blp.route("/sites/<id:site_id>/stations")
class Stations(MethodView):
    @blp.response(200, StationSchema(many=True))
    def get(self, site_id):
        """A site's stations, their state and skills"""
        return use.get_site(uow(write=False), site_id=site_id).stations

    @blp.arguments(StationPostSchema)
    @blp.response(201, StationSchema)
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body, site_id):
        """Add a station with the services it can do"""
        auth.require_configure(site_id)
        return use.create_station(uow(), site_id=site_id, name=body["name"], service_codes=body["services"])


@blp.route("/stations/<id:station_id>")
class StationById(MethodView):
    @blp.arguments(StationPatchSchema)
    @blp.response(200, StationSchema)
    @blp.doc(**auth.BEARER_DOC)
    def patch(self, body, station_id):
        """Rename a station (in English or another language) or change its skills"""
        station = use.get_station(uow(write=False), station_id=station_id)
        auth.require_configure(station.site_id)
        return use.update_station(
            uow(),
            station_id=station_id,
            name=body.get("name"),
            service_codes=body.get("services"),
            translations=body.get("translations"),
        )


def _parse_day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput("day", "must be a date YYYY-MM-DD") from error
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InvalidInput("day", f"must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    return day
