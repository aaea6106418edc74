from __future__ import annotations

from marshmallow import Schema, fields, validate

from schedq.api.fields import Number, StrictBoolean, name_text, text
from schedq.api.language import Translations


class ServiceWordsSchema(Schema):
    """A service's words in one language (either may be left out: the English one is shown)."""

    name = name_text(120)
    preparation = text(2000, multiline=True)


class ServiceFieldsSchema(Schema):
    name = name_text(120, metadata={"description": "plain-language name patients see, in English"})
    preparation = text(
        2000, multiline=True, metadata={"description": "how to prepare, e.g. fasting, in English"}
    )
    translations = Translations(ServiceWordsSchema)
    default_minutes = Number(
        validate=validate.Range(min=0.5, max=480),
        metadata={"description": "typical minutes of service before history exists"},
    )
    bookable = StrictBoolean()
    walk_in_allowed = StrictBoolean()


class ServicePostSchema(ServiceFieldsSchema):
    code = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=16),
            validate.Regexp(r"^[A-Z][A-Z0-9_]*$", error="upper-case letters, digits and underscores"),
        ],
    )
    name = name_text(120, required=True, metadata={"description": "plain-language name patients see"})
    default_minutes = Number(required=True, validate=validate.Range(min=0.5, max=480))


class ServicePatchSchema(ServiceFieldsSchema):
    pass


class ServiceSchema(ServiceFieldsSchema):
    code = fields.String()
