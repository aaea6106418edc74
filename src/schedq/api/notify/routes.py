"""Notifications: delivery state and resending for staff, the log sink's messages, webhook endpoints, unsubscribing."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from schedq.api import auth
from schedq.api.notify.schemas import (
    DeliverySchema,
    KeptMessageSchema,
    ResentSchema,
    UnsubscribedSchema,
    UnsubscribePostSchema,
    WebhookEndpointPostSchema,
    WebhookEndpointSchema,
)
from schedq.notify import endpoints, preferences, status
from schedq.web_context import now, uow

blp = Blueprint(
    "notifications",
    __name__,
    description="Messages to patients and webhooks to site systems (README: Notifications)",
)


@blp.route("/tickets/<id:ticket_id>/deliveries")
class TicketDeliveries(MethodView):
    @blp.response(200, DeliverySchema(many=True))
    @blp.doc(**auth.BEARER_DOC)
    def get(self, ticket_id):
        """Every message about a ticket (and its appointment), with its state and tries (staff)"""
        auth.require_staff(status.ticket_site_id(uow(write=False), ticket_id))
        return status.deliveries(uow(write=False), ticket_id=ticket_id)


@blp.route("/appointments/<reference:reference>/deliveries")
class AppointmentDeliveries(MethodView):
    @blp.response(200, DeliverySchema(many=True))
    @blp.doc(**auth.BEARER_DOC)
    def get(self, reference):
        """Every message about an appointment, with its state and tries (staff)"""
        appointment_id, site_id = status.appointment_site(uow(write=False), reference)
        auth.require_staff(site_id)
        return status.deliveries(uow(write=False), appointment_id=appointment_id)


@blp.route("/deliveries/<id:delivery_id>/resend")
class Resend(MethodView):
    @blp.response(201, ResentSchema)
    @blp.doc(**auth.BEARER_DOC)
    def post(self, delivery_id):
        """Send a message again, as a new delivery with a new key (staff; refused when the patient opted out)"""
        auth.require_staff(status.delivery_site_id(uow(write=False), delivery_id))
        return {"id": status.resend(uow(), delivery_id=delivery_id, now=now())}


@blp.route("/sites/<id:site_id>/messages")
class LogSink(MethodView):
    @blp.response(200, KeptMessageSchema(many=True))
    @blp.doc(**auth.BEARER_DOC)
    def get(self, site_id):
        """The site's latest messages kept by the log sink (no channel configured), newest first (staff)"""
        auth.require_staff(site_id)
        return status.log_sink(uow(write=False), site_id=site_id)


@blp.route("/sites/<id:site_id>/webhooks")
class Webhooks(MethodView):
    @blp.response(200, WebhookEndpointSchema(many=True))
    @blp.doc(**auth.BEARER_DOC)
    def get(self, site_id):
        """The site's webhook endpoints (admin)"""
        auth.require_configure(site_id)
        return endpoints.list_for(uow(write=False), site_id=site_id)

    @blp.arguments(WebhookEndpointPostSchema)
    @blp.response(201, WebhookEndpointSchema)
    @blp.doc(**auth.BEARER_DOC)
    def post(self, body, site_id):
        """Add a webhook endpoint: its URL and the environment variable holding its signing secret (admin)"""
        auth.require_configure(site_id)
        return endpoints.add(
            uow(), site_id=site_id, url=body["url"], secret_env=body["secret_env"], now=now()
        )


@blp.route("/sites/<id:site_id>/webhooks/<id:endpoint_id>")
class Webhook(MethodView):
    @blp.response(204)
    @blp.doc(**auth.BEARER_DOC)
    def delete(self, site_id, endpoint_id):
        """Remove a webhook endpoint (admin)"""
        auth.require_configure(site_id)
        endpoints.remove(uow(), site_id=site_id, endpoint_id=endpoint_id)


@blp.route("/unsubscribe")
class Unsubscribe(MethodView):
    @blp.arguments(UnsubscribePostSchema)
    @blp.response(200, UnsubscribedSchema)
    def post(self, body):
        """No more messages to the address an unsubscribe link names (the link's token)"""
        preferences.unsubscribe_by_link(uow(), token=body["token"], secret_key=auth.secret_key(), now=now())
        return {"unsubscribed": True}
