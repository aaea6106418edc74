from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class InboundSmsSchema(Schema):
    """The fields of the provider's inbound-message post that schedq reads; the others are signed, not read."""

    class Meta:
        unknown = EXCLUDE

    From = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the sender's number (E.164)", "example": "+12175550123"},
    )
    Body = fields.String(
        load_default="",
        validate=validate.Length(max=1600),
        metadata={"description": "the text the patient sent", "example": "STOP"},
    )
