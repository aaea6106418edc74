from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schedq.api.estimates.schemas import EstimateSchema, Messages, WaitSummarySchema
from schedq.api.fields import text


class NearbyQueryArgsSchema(Schema):
    near = text(
        200,
        metadata={
            "description": 'a place as typed: "latitude, longitude", a US ZIP code, a US "City, ST", '
            "or words of a site's name or address (no outside geocoder is called)",
            "example": "62701",
        },
    )
    lat = fields.Float(validate=validate.Range(-90, 90), metadata={"description": "WGS 84 degrees north"})
    lon = fields.Float(validate=validate.Range(-180, 180), metadata={"description": "WGS 84 degrees east"})

    @validates_schema
    def _one_place(self, data, **kwargs) -> None:
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("give lat and lon together", field_name="lat")
        if "lat" in data and data.get("near"):
            raise ValidationError("give near, or lat and lon, not both", field_name="near")


class PlaceSchema(Schema):
    latitude = fields.Float(attribute="point.latitude")
    longitude = fields.Float(attribute="point.longitude")
    kind = fields.String(
        metadata={"enum": ["coordinates", "zip", "city", "site"], "description": "how the place was read"}
    )
    label = fields.String(metadata={"description": "the place as understood, to show back"})


class NearbySiteSchema(Schema):
    site_id = fields.Integer(attribute="site.site_id")
    name = fields.String(attribute="site.name")
    address = fields.String(attribute="site.address")
    phone = fields.String(attribute="site.phone", allow_none=True, metadata={"description": "E.164"})
    latitude = fields.Float(attribute="site.point.latitude", allow_none=True)
    longitude = fields.Float(attribute="site.point.longitude", allow_none=True)
    distance_km = fields.Float(
        allow_none=True,
        metadata={"description": "straight-line (great-circle) distance; null without a place or a position"},
    )
    distance_miles = fields.Float(allow_none=True)
    distance_unit = fields.String(
        metadata={"enum": ["km", "mi"], "description": "what people of the site's country measure roads in"}
    )
    distance = fields.Float(allow_none=True, metadata={"description": "the distance in `distance_unit`"})
    travel_minutes = fields.Integer(
        allow_none=True, metadata={"description": "the straight-line distance at `speed_kmh`, rounded up"}
    )
    wait = fields.Nested(
        WaitSummarySchema, metadata={"description": "the site's status and wait now, as GET /sites/{id}/wait"}
    )


class SoonestSchema(Schema):
    service = fields.String()
    service_name = fields.String()
    site_id = fields.Integer(attribute="site.site.site_id")
    site_name = fields.String(attribute="site.site.name")
    travel_minutes = fields.Integer()
    wait = fields.Nested(EstimateSchema, metadata={"description": "the wait of a walk-in joining now"})
    seen_p10_minutes = fields.Method("_p10", metadata={"type": "number"})
    seen_p50_minutes = fields.Method(
        "_p50", metadata={"type": "number", "description": "travel + median wait: what sites are ranked by"}
    )
    seen_p90_minutes = fields.Method("_p90", metadata={"type": "number"})
    seen_message = Messages(
        attribute="message",
        metadata={"description": "travel + the wait range, in plain words"},
    )

    def _p10(self, found) -> float:
        return found.seen_in("p10_minutes")

    def _p50(self, found) -> float:
        return found.seen_in("p50_minutes")

    def _p90(self, found) -> float:
        return found.seen_in("p90_minutes")


class NearbySchema(Schema):
    place = fields.Nested(PlaceSchema, allow_none=True, metadata={"description": "null: no place given"})
    speed_kmh = fields.Float(metadata={"description": "the speed travel is counted at (SCHEDQ_TRAVEL_KMH)"})
    radius_km = fields.Float(metadata={"description": "how far from the place a site is listed"})
    travel_note = Messages(metadata={"description": "how travel is counted, per language"})
    sites = fields.List(
        fields.Nested(NearbySiteSchema),
        metadata={
            "description": "with a place: up to 10 sites within radius_km, nearest first, then sites with no "
            "position (listed, never ranked); without: up to 20 sites by name"
        },
    )
    soonest = fields.List(
        fields.Nested(SoonestSchema),
        metadata={
            "description": "per walk-in service, the placed site with the least travel + median wait, among "
            "those taking walk-ins for it now and still when the patient would arrive"
        },
    )
    more_sites = fields.Boolean(metadata={"description": "without a place: more sites exist than are listed"})
