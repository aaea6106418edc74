"""An aggregator reads the publication, finds a free slot for a blood draw, and its patient books it
through the slot's deep link; the next generation shows the slot busy."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from schedq.fhir import mapping
from schedq.services import sites
from tests.fhir.bulk_models import parsed


def free_slots(client, service_code: str, *, state: str | None = None) -> list[dict]:
    """What an aggregator does: the manifest, its Schedule and Slot files, the free slots of a service.

    An aggregator covering one `state` reads only the files whose manifest entry names it.
    """
    manifest = client.get("/fhir/$bulk-publish").get_json()
    lines: dict[str, list[dict]] = {}
    for entry in manifest["output"]:
        if state is not None and state not in entry.get("extension", {}).get("state", []):
            continue
        text = client.get(urlsplit(entry["url"]).path).get_data(as_text=True)
        lines.setdefault(entry["type"], []).extend(json.loads(line) for line in text.splitlines())
    schedules = {
        f"Schedule/{s['id']}"
        for s in lines.get("Schedule", [])
        if any(c["code"] == service_code for t in s["serviceType"] for c in t["coding"])
    }
    return [
        s for s in lines.get("Slot", []) if s["schedule"]["reference"] in schedules and s["status"] == "free"
    ]


def deep_link(slot: dict) -> str:
    return next(e["valueUrl"] for e in slot["extension"] if e["url"] == mapping.BOOKING_DEEP_LINK)


def test_an_aggregator_finds_a_free_slot_and_books_it_through_its_deep_link(backend, client, site, clock):
    wanted = datetime.fromisoformat("2026-03-03T10:00:00-06:00")
    slot = next(
        s
        for s in free_slots(client, "DRAW")
        if datetime.fromisoformat(s["start"]) == wanted
        and s["schedule"]["reference"].startswith(f"Schedule/site-{site.site_id}-")
    )
    link = urlsplit(deep_link(slot))
    page = client.get(link.path, query_string=link.query)
    assert page.status_code == 200
    assert f'data-site-id="{site.site_id}"' in page.get_data(as_text=True)
    chosen = parse_qs(link.query)
    for name in ("Ann Example", "Ben Example"):  # the slot has two seats
        booked = client.post(
            link.path.removesuffix("/book").replace("/sites/", "/api/v1/sites/") + "/appointments",
            json={
                "service": chosen["service"][0],
                "starts_at": chosen["start"][0],
                "contact": {
                    "name": name,
                    "phone": "+1 201 555 0100" if name[0] == "A" else "+1 201 555 0101",
                },
            },
        )
        assert booked.status_code == 201, booked.get_json()
        assert datetime.fromisoformat(booked.get_json()["starts_at"]) == wanted
    clock.advance(minutes=5)  # the next generation
    assert slot["id"] not in {s["id"] for s in free_slots(client, "DRAW")}
    manifest = client.get("/fhir/$bulk-publish").get_json()
    slot_file = urlsplit(next(e["url"] for e in manifest["output"] if e["type"] == "Slot")).path
    published = [json.loads(line) for line in client.get(slot_file).get_data(as_text=True).splitlines()]
    assert next(s for s in published if s["id"] == slot["id"])["status"] == "busy"
    # The seats are the site's, not the service's: the glucose test at that time is full too.
    gtt = mapping.slot_id(site.site_id, "GTT", wanted)
    assert next(s for s in published if s["id"] == gtt)["status"] == "busy"


def test_a_slot_with_one_seat_booked_stays_free_with_one_seat_left(client, site):
    wanted = datetime.fromisoformat("2026-03-03T11:00:00-06:00")
    answer = client.post(
        f"/api/v1/sites/{site.site_id}/appointments",
        json={
            "service": "UDS",
            "starts_at": wanted.isoformat(),
            "contact": {"name": "Ann Example", "phone": "+1 201 555 0100"},
        },
    )
    assert answer.status_code == 201
    slot_id = mapping.slot_id(site.site_id, "DRAW", wanted)
    slot = next(s for s in free_slots(client, "DRAW") if s["id"] == slot_id)
    capacity = next(e["valueInteger"] for e in slot["extension"] if e["url"] == mapping.SLOT_CAPACITY)
    assert capacity == 1


def test_an_aggregator_of_one_state_reads_only_that_states_files(backend, client, site, make_uow):
    sites.update_site(make_uow(), site_id=site.site_id, state="MA")
    found = free_slots(client, "DRAW", state="MA")
    assert found and {s["schedule"]["reference"] for s in found} == {f"Schedule/site-{site.site_id}-DRAW"}
    for slot in found:
        parsed(slot)
    assert not free_slots(client, "DRAW", state="NY")
    other = free_slots(client, "DRAW")  # every file: the site without a state too
    assert f"Schedule/site-{site.other_site_id}-DRAW" in {s["schedule"]["reference"] for s in other}
