"""The mapping layer: sites, services and slots as FHIR R4 resources that parse with the R4B models."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedq.db.models import OpeningHours, Service, Site
from schedq.fhir import mapping
from tests.fhir.bulk_models import parsed, parsed_as

PUBLIC_URL = "https://labs.example.org"


def a_site(**fields) -> Site:
    site = Site(
        id=7,
        slug="riverside",
        name="Riverside PSC",
        address="1200 River Road, Springfield, IL 62701",
        timezone="America/Chicago",
        country="US",
        phone="+13125550100",
        latitude=41.88,
        longitude=-87.63,
        **fields,
    )
    site.hours = [
        OpeningHours(weekday=d, opens=o, closes=c)
        for d in range(5)
        for o, c in ((time(7), time(12)), (time(13), time(17)))
    ]
    return site


def a_service(**fields) -> Service:
    values = dict(code="DRAW", name="Blood draw", preparation="Drink water.", default_minutes=6.0)
    values.update(fields)
    return Service(**values)


def test_location_carries_address_position_telecom_and_hours():
    resource = mapping.location(a_site(), public_url=PUBLIC_URL)
    model = parsed(resource)
    assert model.id == "site-7"
    assert model.address.text == "1200 River Road, Springfield, IL 62701"
    assert (float(model.position.latitude), float(model.position.longitude)) == (41.88, -87.63)
    assert [t.value for t in model.telecom] == ["+13125550100", f"{PUBLIC_URL}/sites/7"]


def test_a_lunch_closure_is_two_opening_intervals_on_the_day():
    hours = mapping.location(a_site(), public_url=PUBLIC_URL)["hoursOfOperation"]
    mondays = [h for h in hours if h["daysOfWeek"] == ["mon"]]
    assert [(h["openingTime"], h["closingTime"]) for h in mondays] == [
        ("07:00:00", "12:00:00"),
        ("13:00:00", "17:00:00"),
    ]
    assert not [h for h in hours if h["daysOfWeek"] == ["sat"]]


def test_a_site_without_phone_or_position_leaves_them_out():
    site = a_site()
    site.phone, site.latitude, site.longitude = None, None, None
    resource = mapping.location(site, public_url=PUBLIC_URL)
    parsed(resource)
    assert "position" not in resource
    assert [t["system"] for t in resource["telecom"]] == ["url"]


def test_healthcare_service_tells_how_to_prepare_and_where_it_is_offered():
    service = a_service(
        code="GTT", name="Glucose tolerance", preparation="Fast 8 hours.", walk_in_allowed=False
    )
    model = parsed(mapping.healthcare_service(service, public_url=PUBLIC_URL, site_ids=[7, 3]))
    assert model.id == "gtt"
    assert model.extraDetails == "Fast 8 hours."
    assert model.appointmentRequired is True
    assert [r.reference for r in model.location] == ["Location/site-3", "Location/site-7"]
    assert model.type[0].coding[0].code == "GTT"


def test_schedule_names_its_service_and_belongs_to_the_location():
    model = parsed(mapping.schedule_resource(a_site(), a_service(), public_url=PUBLIC_URL))
    assert model.id == "site-7-DRAW"
    assert model.serviceType[0].coding[0].system == f"{PUBLIC_URL}/fhir/CodeSystem/service"
    assert model.serviceType[0].coding[0].code == "DRAW"
    assert [a.reference for a in model.actor] == ["Location/site-7", "HealthcareService/draw"]


def test_a_free_slot_links_to_booking_that_time_and_says_how_many_seats_are_left():
    starts = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    resource = mapping.slot(
        a_site(),
        "DRAW",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        seats_left=2,
        public_url=PUBLIC_URL,
    )
    model = parsed(resource)
    assert model.id == "site-7-DRAW-20261202T1500Z"
    assert model.status == "free"
    assert resource["start"] == "2026-12-02T09:00:00-06:00"
    extensions = {e["url"]: e for e in resource["extension"]}
    link = urlsplit(extensions[mapping.BOOKING_DEEP_LINK]["valueUrl"])
    assert link.path == "/sites/7/book"
    assert parse_qs(link.query) == {"service": ["DRAW"], "start": ["2026-12-02T15:00:00Z"]}
    assert extensions[mapping.BOOKING_PHONE]["valueString"] == "+13125550100"
    assert extensions[mapping.SLOT_CAPACITY]["valueInteger"] == 2


def test_a_full_slot_is_busy_and_offers_no_booking():
    starts = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    resource = mapping.slot(
        a_site(),
        "DRAW",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        seats_left=0,
        public_url=PUBLIC_URL,
    )
    assert parsed(resource).status == "busy"
    assert "extension" not in resource


def test_the_repeated_hour_when_clocks_go_back_gives_two_slot_ids():
    # 1 November 2026, Chicago: 01:00 local happens at 06:00 and at 07:00 UTC.
    first = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    second = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    assert mapping.slot_id(7, "DRAW", first) != mapping.slot_id(7, "DRAW", second)


@settings(deadline=None)  # no timing: the machine is shared
@given(
    st.integers(min_value=1, max_value=2_147_483_647),
    st.from_regex(r"[A-Z][A-Z0-9_]{0,15}", fullmatch=True),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)),
)
def test_every_id_is_a_valid_fhir_id(site_id, code, starts_at):
    ids = [
        mapping.location_id(site_id),
        mapping.schedule_id(site_id, code),
        mapping.slot_id(site_id, code, starts_at),
        mapping.healthcare_service_id(code),
    ]
    for each in ids:
        assert len(each) <= 64
        assert all(ch.isascii() and (ch.isalnum() or ch in "-.") for ch in each), each


@pytest.mark.parametrize(
    ("wait", "parts"),
    [
        (
            mapping.LiveWait("open", datetime(2026, 12, 2, 15, 0, tzinfo=UTC), 9.6, 21.2),
            {"status": "open", "asOf": "2026-12-02T15:00:00Z", "p10": 10, "p90": 21},
        ),
        (
            mapping.LiveWait(
                "midday_break",
                datetime(2026, 12, 2, 18, 10, tzinfo=UTC),
                None,
                None,
                until=datetime(2026, 12, 2, 19, 0, tzinfo=UTC),
            ),
            {"status": "midday_break", "asOf": "2026-12-02T18:10:00Z", "until": "2026-12-02T19:00:00Z"},
        ),
    ],
)
def test_the_walk_in_wait_extension_says_status_range_and_when(wait, parts):
    extension = mapping.walk_in_wait_extension(wait, public_url=PUBLIC_URL)
    parsed_as("Extension", extension)
    assert extension["url"] == f"{PUBLIC_URL}/fhir/StructureDefinition/walk-in-wait"
    seen = {}
    for part in extension["extension"]:
        value = next(v for k, v in part.items() if k.startswith("value"))
        seen[part["url"]] = value.get("code") if "system" in value and "value" not in value else value
    seen = {k: (v["value"] if isinstance(v, dict) else v) for k, v in seen.items()}
    assert seen == parts
