from __future__ import annotations

from marshmallow import Schema, fields, validate


class TrySchema(Schema):
    number = fields.Integer()
    channel = fields.String(
        metadata={"description": "the channel that carried it: `log` when none is configured"}
    )
    worker = fields.String()
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    outcome = fields.String(
        allow_none=True,
        metadata={
            "description": "sent, temporary, permanent, interrupted (the worker stopped); null: in flight"
        },
    )
    detail = fields.String(allow_none=True)


class DeliverySchema(Schema):
    id = fields.Integer()
    event = fields.String(metadata={"description": "the event kind, e.g. `ticket.called`"})
    event_at = fields.DateTime()
    channel = fields.String(metadata={"description": "email, sms or webhook"})
    recipient = fields.String()
    status = fields.String(metadata={"description": "pending, sending, sent, dead, opted_out, withdrawn"})
    attempts = fields.Integer()
    due_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    tries = fields.List(fields.Nested(TrySchema), metadata={"description": "the delivery log: every try"})


class ResentSchema(Schema):
    id = fields.Integer(metadata={"description": "the new delivery"})


class KeptMessageSchema(Schema):
    at = fields.DateTime()
    event = fields.String()
    channel = fields.String(metadata={"description": "the channel it was meant for"})
    recipient = fields.String()
    subject = fields.String(allow_none=True)
    text = fields.String()
    language = fields.String()
    attachments = fields.List(fields.String())


class WebhookEndpointPostSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=500))
    secret_env = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "the environment variable that holds the signing secret (never the secret)",
            "example": "SCHEDQ_WEBHOOK_SECRET_EHR",
        },
    )


class WebhookEndpointSchema(Schema):
    id = fields.Integer()
    site_id = fields.Integer()
    url = fields.String()
    secret_env = fields.String()
    active = fields.Boolean()


class UnsubscribePostSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=600))


class UnsubscribedSchema(Schema):
    unsubscribed = fields.Boolean()
