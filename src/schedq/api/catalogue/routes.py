"""The service catalogue: what patients come for."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from schedq.api import auth
from schedq.api.catalogue.schemas import (
    ServicePatchSchema,
    ServicePostSchema,
    ServiceSchema,
)
from schedq.services import sites as use
from schedq.web_context import uow

blp = Blueprint("services", __name__, description="The service catalogue")


@blp.route("/services")
class Services(MethodView):
    @blp.response(200, ServiceSchema(many=True))
    def get(self):
        """List services with their preparation text"""
        return use.list_services(uow(write=False))

    @blp.arguments(ServicePostSchema)
    @blp.response(201, ServiceSchema)
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body):
        """Add a service (admin of all sites)"""
        auth.require_global_admin()
        return use.create_service(uow(), **body)


@blp.route("/services/<code:code>")
class ServiceByCode(MethodView):
    @blp.arguments(ServicePatchSchema)
    @blp.response(200, ServiceSchema)
    @blp.doc(**auth.BEARER_DOC)
    def patch(self, body, code):
        """Change a service (admin of all sites)"""
        auth.require_global_admin()
        return use.update_service(uow(), code=code, **body)
