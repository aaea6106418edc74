"""Wait estimates for patients deciding when to come, and how well past promises held."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from schedq.api import auth, caching
from schedq.api.estimates.schemas import (
    AccuracyQueryArgsSchema,
    AccuracyRowSchema,
    BestTimesQueryArgsSchema,
    BestTimesSchema,
    ModelSummarySchema,
    WaitSummarySchema,
)
from schedq.api.language import chosen_language
from schedq.services import public
from schedq.services.estimates.accuracy import accuracy_report
from schedq.services.estimates.best_times import best_times
from schedq.services.estimates.models import model_summary, refit
from schedq.services.estimates.wait import wait_summary
from schedq.web_context import model_max_age, now, uow

blp = Blueprint("estimates", __name__, description="Wait estimates and their accuracy")


@blp.route("/sites/<id:site_id>/wait")
class SiteWait(MethodView):
    @blp.response(200, WaitSummarySchema)
    @blp.alt_response(304, **caching.NOT_MODIFIED_DOC)
    def get(self, site_id):
        """The wait for a walk-in joining now, per service (public, no personal data; ETag)"""
        at = now()
        return caching.answer(
            public.site_read_state(uow, site_id=site_id, now=at, max_model_age_hours=model_max_age()),
            cache_control=caching.SITE_PUBLIC,
            build=lambda: wait_summary(uow(write=False), site_id=site_id, now=at, language=chosen_language()),
        )


@blp.route("/sites/<id:site_id>/best-times")
class BestTimes(MethodView):
    @blp.arguments(BestTimesQueryArgsSchema, location="query")
    @blp.response(200, BestTimesSchema)
    @blp.alt_response(304, **caching.NOT_MODIFIED_DOC)
    def get(self, args, site_id):
        """When to come: the expected wait for a walk-in arriving in each half hour of the next 7 days (public; ETag)"""
        at = now()
        return caching.answer(
            public.site_read_state(
                uow, site_id=site_id, now=at, max_model_age_hours=model_max_age(), best_times=True
            ),
            cache_control=caching.SITE_PUBLIC,
            build=lambda: best_times(uow(write=False), site_id=site_id, service_code=args["service"], now=at),
        )


@blp.route("/sites/<id:site_id>/accuracy")
class Accuracy(MethodView):
    @blp.arguments(AccuracyQueryArgsSchema, location="query")
    @blp.response(200, AccuracyRowSchema(many=True))
    @blp.doc(**auth.BEARER_DOC)
    def get(self, args, site_id):
        """How the ranges promised at joining held, per service and overall (staff)"""
        auth.require_staff(site_id)
        return accuracy_report(
            uow(write=False),
            site_id=site_id,
            first_day=args["from_"],
            last_day=args["to"],
            service_code=args.get("service"),
        )


@blp.route("/sites/<id:site_id>/model")
class Model(MethodView):
    @blp.response(200, ModelSummarySchema)
    @blp.doc(**auth.BEARER_DOC)
    def get(self, site_id):
        """What the site's history taught the estimator (staff)"""
        auth.require_staff(site_id)
        return model_summary(uow(write=False), site_id=site_id, now=now())


@blp.route("/sites/<id:site_id>/model/refit")
class Refit(MethodView):
    @blp.response(200, ModelSummarySchema)
    @blp.doc(**auth.BEARER_DOC)
    def post(self, site_id):
        """Refit the site's model from its history now (site admin)"""
        auth.require_configure(site_id)
        refit(uow(), site_id=site_id, now=now())
        return model_summary(uow(write=False), site_id=site_id, now=now())
