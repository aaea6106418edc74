"""Slot search: the JSON API's slots as a searchset Bundle, filtered by start and status, walked page by page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.fhir.bulk_models import parsed
from tests.fhir.test_api_basics import outcome
from tests.fhir.test_api_resources import bundle_of, ids

# The site fixture's clock: Monday 2 March 2026, 08:00 in Chicago; slots every 15 minutes, 2 seats.
TUESDAY = "2026-03-03"


def schedule(site, code: str = "DRAW") -> str:
    return f"Schedule/site-{site.site_id}-{code}"


def search(client, query: str, **headers):
    return client.get(f"/fhir/Slot?{query}", headers=headers)


def follow(client, url: str):
    """A Bundle link, as a client follows it (the base is this server's)."""
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def link(body: dict, relation: str) -> str | None:
    return next((each["url"] for each in body["link"] if each["relation"] == relation), None)


def test_free_slots_of_a_day_are_the_json_apis_slots(client, site):
    api = client.get(f"/api/v1/sites/{site.site_id}/slots?service=DRAW&from={TUESDAY}").json["slots"]
    body = bundle_of(search(client, f"schedule={schedule(site)}&start={TUESDAY}&status=free&_count=500"))
    assert [e["resource"]["start"] for e in body["entry"]] == [s["starts_at"] for s in api]
    assert body["total"] == len(api) == 36
    first = body["entry"][0]["resource"]
    assert first["status"] == "free" and first["schedule"]["reference"] == schedule(site)
    assert first["id"] == f"site-{site.site_id}-DRAW-20260303T1300Z"


def test_a_slot_in_the_bundle_reads_back_the_same(client, site):
    body = bundle_of(search(client, f"schedule={schedule(site)}&start={TUESDAY}&_count=3"))
    for entry in body["entry"]:
        answer = client.get(f"/fhir/Slot/{entry['resource']['id']}")
        assert answer.status_code == 200 and answer.json == entry["resource"]


def test_the_schedule_each_slot_names_is_readable(client, site):
    body = bundle_of(search(client, f"schedule={schedule(site)}&start={TUESDAY}&_count=1"))
    reference = body["entry"][0]["resource"]["schedule"]["reference"]
    assert parsed(client.get(f"/fhir/{reference}").json).id == reference.split("/")[1]


def test_a_full_slot_is_busy_and_has_no_booking_link(client, site):
    for _ in range(2):
        client.post(
            f"/api/v1/sites/{site.site_id}/appointments",
            json={
                "service": "DRAW",
                "starts_at": "2026-03-03T09:00:00-06:00",
                "contact": {"name": "Ann Example", "phone": "+1 201 555 0100"},
            },
        )
    at_nine = f"schedule={schedule(site)}&start=2026-03-03T09:00:00-06:00"
    busy = bundle_of(search(client, at_nine))["entry"][0]["resource"]
    assert busy["status"] == "busy" and "extension" not in busy
    assert bundle_of(search(client, at_nine + "&status=free"))["total"] == 0
    assert bundle_of(search(client, at_nine + "&status=busy"))["total"] == 1


def test_start_prefixes_bound_the_slots(client, site):
    query = f"schedule={schedule(site)}&start=ge2026-03-03T09:00:00-06:00&start=lt2026-03-03T10:00:00-06:00"
    starts = [e["resource"]["start"] for e in bundle_of(search(client, query))["entry"]]
    assert starts == [f"2026-03-03T09:{m:02d}:00-06:00" for m in (0, 15, 30, 45)]
    after = f"schedule={schedule(site)}&start=gt2026-03-03T16:30:00-06:00&start=le{TUESDAY}"
    assert [e["resource"]["start"] for e in bundle_of(search(client, after))["entry"]] == [
        "2026-03-03T16:45:00-06:00"
    ]


def test_a_date_is_the_sites_local_day(client, site):
    body = bundle_of(search(client, f"schedule={schedule(site)}&start=2026-03-04&_count=500"))
    starts = {e["resource"]["start"][:10] for e in body["entry"]}
    assert starts == {"2026-03-04"} and body["total"] == 36


def test_paging_walks_every_slot_exactly_once(client, site):
    whole = bundle_of(search(client, f"schedule={schedule(site)}&start=le2026-03-06&_count=500"))
    seen: list[str] = []
    body = bundle_of(search(client, f"schedule={schedule(site)}&start=le2026-03-06&_count=7"))
    while True:
        seen += ids(body)
        assert body["total"] == whole["total"]
        following = link(body, "next")
        if following is None:
            break
        body = bundle_of(follow(client, following))
    assert seen == ids(whole) and len(seen) == whole["total"] > 7


def test_previous_leads_back_to_the_page_before(client, site):
    query = f"schedule={schedule(site)}&start={TUESDAY}&_count=5"
    first = bundle_of(search(client, query))
    second = bundle_of(follow(client, link(first, "next")))
    assert link(first, "previous") is None
    assert ids(bundle_of(follow(client, link(second, "previous")))) == ids(first)


def test_a_booking_between_pages_neither_repeats_nor_skips_a_free_slot(client, site):
    query = f"schedule={schedule(site)}&start={TUESDAY}&status=free&_count=4"
    first = bundle_of(search(client, query))
    for _ in range(2):  # fill the first slot of the first page
        client.post(
            f"/api/v1/sites/{site.site_id}/appointments",
            json={
                "service": "DRAW",
                "starts_at": first["entry"][0]["resource"]["start"],
                "contact": {"name": "Ann Example", "email": "ann@example.com"},
            },
        )
    second = bundle_of(follow(client, link(first, "next")))
    everything = bundle_of(
        search(client, f"schedule={schedule(site)}&start={TUESDAY}&status=free&_count=500")
    )
    assert ids(second) == ids(everything)[3:7]


def test_several_schedules_are_merged_in_time_order(client, site):
    query = f"schedule={schedule(site)},{schedule(site, 'UDS')}&start=2026-03-03T07:00:00-06:00"
    assert ids(bundle_of(search(client, query))) == [
        f"site-{site.site_id}-DRAW-20260303T1300Z",
        f"site-{site.site_id}-UDS-20260303T1300Z",
    ]
    only = bundle_of(search(client, query + "&service-type=UDS"))
    assert ids(only) == [f"site-{site.site_id}-UDS-20260303T1300Z"]


def test_slots_start_after_the_lead_time(client, site):
    # 08:00 now, 30 minutes' lead: the first slot today is 08:30.
    body = bundle_of(search(client, f"schedule={schedule(site)}&start=2026-03-02&_count=1"))
    assert body["entry"][0]["resource"]["start"] == "2026-03-02T08:30:00-06:00"


def test_a_slot_too_near_to_book_reads_as_busy_unavailable(client, site):
    answer = client.get(f"/fhir/Slot/site-{site.site_id}-DRAW-20260302T1400Z")  # 08:00 today: now
    assert answer.status_code == 200 and answer.json["status"] == "busy-unavailable"
    parsed(answer.json)


def test_a_range_longer_than_the_limit_is_a_400_saying_so(client, site):
    issue = outcome(search(client, f"schedule={schedule(site)}&start=ge2026-03-03&start=le2026-05-01"), 400)
    assert "31 days" in issue["diagnostics"] and issue["expression"] == ["start"]


def test_a_search_without_a_schedule_is_a_400(client, site):
    assert "schedule" in outcome(search(client, f"start={TUESDAY}"), 400)["diagnostics"]


@pytest.mark.parametrize(
    "query",
    [
        "schedule=Location/site-1",
        "schedule=Schedule/site-1-DRAW&start=sa2026-03-03",
        "schedule=Schedule/site-1-DRAW&start=2026-02-30",
        "schedule=Schedule/site-1-DRAW&start=tomorrow",
        "schedule=Schedule/site-1-DRAW&status=open",
        "schedule=Schedule/site-1-DRAW&_count=-1",
        "schedule=Schedule/site-1-DRAW&_count=ten",
        "schedule=Schedule/site-1-DRAW&_page_after=a&_page_before=b",
        "schedule=",
    ],
)
def test_bad_search_values_are_a_400_outcome(client, site, query):
    assert outcome(search(client, query), 400)["code"] in {"invalid", "not-supported"}


def test_count_zero_answers_the_total_alone(client, site):
    body = bundle_of(search(client, f"schedule={schedule(site)}&start={TUESDAY}&_count=0"))
    assert body["total"] == 36 and "entry" not in body


def test_slot_search_and_paging_on_both_databases(backend, client, site):
    body = bundle_of(search(client, f"schedule={schedule(site)}&start={TUESDAY}&_count=20"))
    rest = bundle_of(follow(client, link(body, "next")))
    assert len(ids(body)) + len(ids(rest)) == body["total"] == 36


def test_an_app_finds_a_free_slot_books_it_through_its_deep_link_and_sees_it_taken(client, site):
    from urllib.parse import parse_qs

    deep_link = "http://hl7.org/fhir/uv/smart-scheduling-links/StructureDefinition/booking-deep-link"
    capacity = "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity"
    query = f"schedule={schedule(site)}&start=2026-03-03T10:00:00-06:00&status=free"
    slot = bundle_of(search(client, query))["entry"][0]["resource"]
    extensions = {e["url"]: e for e in slot["extension"]}
    link_to_book = urlsplit(extensions[deep_link]["valueUrl"])
    assert link_to_book.path == f"/sites/{site.site_id}/book"
    chosen = parse_qs(link_to_book.query)
    page = client.get(f"{link_to_book.path}?{link_to_book.query}")
    assert page.status_code == 200
    booked = client.post(
        f"/api/v1/sites/{site.site_id}/appointments",
        json={
            "service": chosen["service"][0],
            "starts_at": chosen["start"][0],
            "contact": {"name": "Ann Example", "phone": "+1 201 555 0100"},
        },
    )
    assert booked.status_code == 201 and booked.json["starts_at"] == slot["start"]
    after = bundle_of(search(client, query))["entry"][0]["resource"]
    assert after["id"] == slot["id"]
    assert {e["url"]: e for e in after["extension"]}[capacity]["valueInteger"] == (
        extensions[capacity]["valueInteger"] - 1
    )
    appointment = client.get(
        f"/fhir/Appointment/{booked.json['reference']}?token={booked.json['manage_token']}"
    )
    assert appointment.json["slot"] == [{"reference": f"Slot/{slot['id']}"}]
