"""GET /nearby: where should I go now."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from schedq.api import caching
from schedq.api.language import chosen_language
from schedq.api.nearby.schemas import NearbyQueryArgsSchema, NearbySchema
from schedq.services import nearby, places
from schedq.web_context import model_max_age, now, uow

blp = Blueprint("nearby", __name__, description="Where should I go now")


def place_from(args: dict, sites: list[nearby.SiteRow]) -> places.Place | None:
    """The place the query names: `lat` and `lon`, or `near` as typed; None when neither is given."""
    if "lat" in args:
        return places.at_point(args["lat"], args["lon"])
    if args.get("near"):
        return places.read_place(args["near"], [row.text() for row in sites])
    return None


@blp.route("/nearby")
class Nearby(MethodView):
    @blp.arguments(NearbyQueryArgsSchema, location="query")
    @blp.response(200, NearbySchema)
    @blp.alt_response(304, **caching.NOT_MODIFIED_DOC)
    def get(self, args):
        """The sites near a place with their status and walk-in wait now, and per service the site that sees you soonest counting travel (public; ETag)"""
        at = now()
        rows = nearby.site_rows(uow(write=False))
        chosen = nearby.choose(rows, place_from(args, rows))
        state = nearby.states(uow, chosen, now=at, max_model_age_hours=model_max_age())
        speed = current_app.config["TRAVEL_KMH"]
        return caching.answer(
            f"{speed}|{state}",
            cache_control=caching.SITE_PUBLIC,
            build=lambda: nearby.build(uow, chosen, now=at, speed_kmh=speed, language=chosen_language()),
        )
