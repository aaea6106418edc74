from __future__ import annotations

from marshmallow import Schema, fields, validate

from schedq.api.fields import text


class ServiceFieldsSchema(Schema):
    name = text(120, metadata={"description": "plain-language name patients see"})
    preparation = text(2000, metadata={"description": "how to prepare, e.g. fasting"})
    default_minutes = fields.Float(
        validate=validate.Range(min=0.5, max=480),
        metadata={"description": "typical minutes of service before history exists"},
    )
    bookable = fields.Boolean()
    walk_in_allowed = fields.Boolean()


class ServicePostSchema(ServiceFieldsSchema):
    code = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=16),
            validate.Regexp(r"^[A-Z][A-Z0-9_]*$", error="upper-case letters, digits and underscores"),
        ],
    )
    name = text(120, required=True)
    default_minutes = fields.Float(required=True, validate=validate.Range(min=0.5, max=480))


class ServicePatchSchema(ServiceFieldsSchema):
    pass


class ServiceSchema(ServiceFieldsSchema):
    code = fields.String()
