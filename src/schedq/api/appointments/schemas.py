from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schedq.api.fields import LocalDateTime, text
from schedq.domain.contact import normal_email
from schedq.domain.errors import InvalidInput


class SlotQueryArgsSchema(Schema):
    service = fields.String(
        required=True, validate=validate.Length(min=1, max=16), metadata={"example": "DRAW"}
    )
    from_ = fields.Date(required=True, data_key="from", metadata={"description": "first local date"})
    to = fields.Date(metadata={"description": "last local date (default: from)"})


class SlotSchema(Schema):
    starts_at = LocalDateTime(zone_from="timezone")
    ends_at = LocalDateTime(zone_from="timezone")
    seats = fields.Integer()
    remaining = fields.Integer()


class SlotListSchema(Schema):
    site_id = fields.Integer()
    timezone = fields.String()
    service = fields.String()
    slots = fields.List(fields.Nested(SlotSchema))


def _email_syntax(value: str) -> None:
    try:
        normal_email(value)
    except InvalidInput as error:
        raise ValidationError(error.message) from None


class ContactSchema(Schema):
    name = text(120, required=True)
    phone = fields.String(
        validate=validate.Length(max=32),
        metadata={
            "description": "any common way of writing it; without +country code it is read as a number of the site's country. Kept in E.164 (+12015550123)",
            "example": "+1 201 555 0123",
        },
    )
    email = fields.String(
        validate=[validate.Length(max=254), _email_syntax],
        metadata={
            "description": "checked for syntax only; kept normalised and lower-cased",
            "format": "email",
        },
    )

    @validates_schema
    def _reachable(self, data, **kwargs):
        if not data.get("phone") and not data.get("email"):
            raise ValidationError("give a phone number or an email", field_name="phone")


class AppointmentPostSchema(Schema):
    service = fields.String(required=True, validate=validate.Length(min=1, max=16))
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "slot start, with its offset"})
    contact = fields.Nested(ContactSchema, required=True)


class ReschedulePostSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)


class AppointmentSchema(Schema):
    reference = fields.String()
    site_id = fields.Integer()
    site_name = fields.String(attribute="site.name")
    site_address = fields.String(attribute="site.address")
    service = fields.String(attribute="service.code")
    service_name = fields.String(attribute="service.name")
    preparation = fields.String(attribute="service.preparation")
    starts_at = LocalDateTime()
    status = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String()
    contact_email = fields.String()


class BookingSchema(AppointmentSchema):
    manage_token = fields.String(
        metadata={"description": "the patient's secret: keep it to view, reschedule or cancel"}
    )


class DayQueryArgsSchema(Schema):
    date = fields.Date(required=True)
