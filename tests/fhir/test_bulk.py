"""The SMART Scheduling Links bulk publication: manifest, NDJSON files, caching, privacy, the CLI."""

from __future__ import annotations

import fcntl
import json
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from schedq.fhir import mapping
from schedq.services import sites
from tests.fhir.bulk_models import parsed

PUBLIC_URL = "http://127.0.0.1:5000"  # the app's PUBLIC_URL in tests


@pytest.fixture
def placed(site, make_uow):
    sites.update_site(
        make_uow(), site_id=site.site_id, phone="+1 312 555 0100", latitude=41.88, longitude=-87.63
    )
    return site


def read_publication(client) -> tuple[dict, dict[str, list[dict]]]:
    """The manifest, and every resource of the files it names, by type (as an aggregator reads them)."""
    answer = client.get("/fhir/$bulk-publish")
    assert answer.status_code == 200
    manifest = answer.get_json()
    resources: dict[str, list[dict]] = {}
    for entry in manifest["output"]:
        file = client.get(urlsplit(entry["url"]).path)
        assert file.status_code == 200
        assert file.mimetype == "application/fhir+ndjson"
        lines = file.get_data(as_text=True).splitlines()
        resources.setdefault(entry["type"], []).extend(json.loads(line) for line in lines)
    return manifest, resources


def test_the_manifest_names_a_file_of_each_resource_type(client, placed, clock):
    answer = client.get("/fhir/$bulk-publish")
    assert answer.mimetype == "application/json"
    manifest = answer.get_json()
    assert manifest["transactionTime"] == mapping.instant(clock())
    assert manifest["request"] == f"{PUBLIC_URL}/fhir/$bulk-publish"
    assert manifest["error"] == []
    assert {entry["type"] for entry in manifest["output"]} == {
        "Location",
        "HealthcareService",
        "Schedule",
        "Slot",
    }
    assert all(entry["url"].startswith(f"{PUBLIC_URL}/fhir/bulk/") for entry in manifest["output"])


def test_every_published_resource_parses_and_every_reference_resolves(client, placed):
    _, resources = read_publication(client)
    ids = {kind: set() for kind in resources}
    for kind, items in resources.items():
        for resource in items:
            assert resource["resourceType"] == kind
            parsed(resource)
            assert resource["id"] not in ids[kind], f"{kind}/{resource['id']} twice"
            ids[kind].add(resource["id"])
    references = [a["reference"] for s in resources["Schedule"] for a in s["actor"]]
    references += [s["schedule"]["reference"] for s in resources["Slot"]]
    references += [loc["reference"] for h in resources["HealthcareService"] for loc in h.get("location", [])]
    for reference in references:
        kind, _, target = reference.partition("/")
        assert target in ids[kind], f"{reference} is not in the publication"
    assert ids["Location"] == {f"site-{placed.site_id}", f"site-{placed.other_site_id}"}


def test_schedules_are_per_site_and_offered_service(client, placed):
    _, resources = read_publication(client)
    schedules = {s["id"] for s in resources["Schedule"]}
    riverside = placed.site_id
    assert schedules == {
        f"site-{riverside}-DRAW",
        f"site-{riverside}-GTT",
        f"site-{riverside}-UDS",
        f"site-{riverside}-PED",
        f"site-{placed.other_site_id}-DRAW",
    }


def test_free_slots_are_the_slots_the_api_lists(backend, client, placed, clock):
    _, resources = read_publication(client)
    for code in ("DRAW", "GTT"):
        published = sorted(
            datetime.fromisoformat(s["start"])
            for s in resources["Slot"]
            if s["schedule"]["reference"] == f"Schedule/site-{placed.site_id}-{code}"
            and s["status"] == "free"
        )
        listed = client.get(
            f"/api/v1/sites/{placed.site_id}/slots",
            query_string={"service": code, "from": "2026-03-02", "to": "2026-03-08"},
        ).get_json()["slots"]
        assert published == [datetime.fromisoformat(s["starts_at"]) for s in listed]
        assert published[0] >= clock() + timedelta(minutes=30)  # the lead time holds


def test_a_service_that_cannot_be_booked_has_a_schedule_but_no_slots(client, placed):
    _, resources = read_publication(client)
    assert not [s for s in resources["Slot"] if s["schedule"]["reference"].endswith("-PED")]


def test_the_live_wait_on_a_schedule_is_the_wait_the_api_gives(backend, client, placed, clock):
    _, resources = read_publication(client)
    schedule = next(s for s in resources["Schedule"] if s["id"] == f"site-{placed.site_id}-DRAW")
    (extension,) = schedule["extension"]
    assert extension["url"] == f"{PUBLIC_URL}/fhir/StructureDefinition/walk-in-wait"
    parts = {p["url"]: p for p in extension["extension"]}
    wait = client.get(f"/api/v1/sites/{placed.site_id}/wait").get_json()
    assert parts["status"]["valueCoding"]["code"] == wait["status"]["state"] == "open"
    assert parts["asOf"]["valueInstant"] == mapping.instant(clock())
    estimate = next(s["estimate"] for s in wait["services"] if s["service"] == "DRAW")
    for name in ("p10", "p90"):
        minutes = estimate[f"{name}_minutes"]
        if minutes is None:
            assert name not in parts
        else:
            assert parts[name]["valueDuration"]["value"] == round(minutes)


def test_a_schedule_shows_a_midday_break_and_when_it_ends(client, placed, clock):
    clock.set(datetime.fromisoformat("2026-03-02T12:20:00-06:00"))
    _, resources = read_publication(client)
    schedule = next(s for s in resources["Schedule"] if s["id"] == f"site-{placed.site_id}-DRAW")
    parts = {p["url"]: p for p in schedule["extension"][0]["extension"]}
    assert parts["status"]["valueCoding"]["code"] == "midday_break"
    assert parts["until"]["valueInstant"] == "2026-03-02T19:00:00Z"


def test_an_unchanged_file_answers_304_to_its_etag(client, placed):
    manifest = client.get("/fhir/$bulk-publish")
    assert manifest.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/fhir/$bulk-publish", headers={"If-None-Match": manifest.headers["ETag"]})
    assert again.status_code == 304
    slot_url = urlsplit(next(e["url"] for e in manifest.get_json()["output"] if e["type"] == "Slot")).path
    first = client.get(slot_url)
    assert client.get(slot_url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    since = first.headers["Last-Modified"]
    assert client.get(slot_url, headers={"If-Modified-Since": since}).status_code == 304


def test_a_new_generation_answers_200_to_an_old_date(client, placed, clock):
    first = client.get("/fhir/$bulk-publish")
    clock.advance(minutes=6)
    again = client.get("/fhir/$bulk-publish", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 200
    assert again.get_json()["transactionTime"] == mapping.instant(clock())
    assert again.headers["Last-Modified"] == format_datetime(clock(), usegmt=True)


def test_within_the_regeneration_interval_the_same_publication_is_served(client, placed, clock):
    first = client.get("/fhir/$bulk-publish").get_json()
    clock.advance(minutes=2)
    assert client.get("/fhir/$bulk-publish").get_json() == first


def test_a_worker_finding_another_regenerating_serves_the_publication_there_is(client, placed, clock, app):
    first = client.get("/fhir/$bulk-publish").get_json()
    clock.advance(minutes=10)  # due again
    directory = Path(app.config["INSTANCE_DIR"]) / "fhir-publication"
    with open(directory / ".publishing.lock", "a") as lock:  # another worker regenerating now
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert client.get("/fhir/$bulk-publish").get_json() == first
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert client.get("/fhir/$bulk-publish").get_json()["transactionTime"] == mapping.instant(clock())


@pytest.mark.parametrize(
    "name", ["Nothing.ndjson", "Slot-99.ndjson", "Slot-MA-1.ndjson", "..%2Fschedq.sqlite3", "Slot-1.json"]
)
def test_a_file_the_manifest_does_not_name_is_a_404_operation_outcome(client, placed, name):
    client.get("/fhir/$bulk-publish")
    answer = client.get(f"/fhir/bulk/{name}")
    assert answer.status_code == 404
    assert answer.mimetype == "application/fhir+json"
    outcome = parsed(answer.get_json())
    assert outcome.issue[0].code == "not-found"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_file_cannot_be_written_and_says_so_as_an_operation_outcome(client, placed, method):
    client.get("/fhir/$bulk-publish")
    answer = getattr(client, method)("/fhir/bulk/Slot-1.ndjson")
    assert answer.status_code == 405
    assert answer.mimetype == "application/fhir+json"
    assert parsed(answer.get_json()).issue[0].code == "not-supported"
    assert "GET" in answer.headers["Allow"]


def test_files_are_split_by_state_and_say_their_state_in_the_manifest(backend, client, placed, make_uow):
    sites.update_site(make_uow(), site_id=placed.site_id, state="MA")
    manifest, _ = read_publication(client)
    by_name = {urlsplit(e["url"]).path.rsplit("/", 1)[-1]: e for e in manifest["output"]}
    assert set(by_name) == {
        "Location-MA.ndjson",
        "Schedule-MA.ndjson",
        "Slot-MA-1.ndjson",
        "Location.ndjson",
        "Schedule.ndjson",
        "Slot-1.ndjson",
        "HealthcareService.ndjson",
    }
    for name, entry in by_name.items():
        if "-MA" in name:
            assert entry["extension"] == {"state": ["MA"]}
        else:
            assert "extension" not in entry  # no state: the other site, and the services of every state

    def lines(name: str) -> list[dict]:
        return [
            json.loads(line) for line in client.get(f"/fhir/bulk/{name}").get_data(as_text=True).splitlines()
        ]

    (located,) = lines("Location-MA.ndjson")
    assert located["id"] == f"site-{placed.site_id}"
    assert parsed(located).address.state == "MA"
    assert [loc["id"] for loc in lines("Location.ndjson")] == [f"site-{placed.other_site_id}"]
    assert "state" not in lines("Location.ndjson")[0]["address"]
    ma_slots = lines("Slot-MA-1.ndjson")
    assert ma_slots and all(s["id"].startswith(f"site-{placed.site_id}-") for s in ma_slots)
    assert all(s["id"].startswith(f"site-{placed.other_site_id}-") for s in lines("Slot-1.ndjson"))
    assert {s["id"] for s in lines("Schedule-MA.ndjson")} == {
        f"site-{placed.site_id}-{code}" for code in ("DRAW", "GTT", "UDS", "PED")
    }


def test_no_patient_data_is_in_any_file(client, placed):
    body = {
        "service": "DRAW",
        "starts_at": "2026-03-03T09:00:00-06:00",
        "contact": {"name": "Zelda Quintero", "phone": "+1 201 555 0199", "email": "zelda@example.org"},
    }
    booked = client.post(f"/api/v1/sites/{placed.site_id}/appointments", json=body)
    assert booked.status_code == 201
    manifest, _ = read_publication(client)
    everything = "".join(
        client.get(urlsplit(e["url"]).path).get_data(as_text=True) for e in manifest["output"]
    )
    for secret in (
        "Zelda",
        "Quintero",
        "555 0199",
        "5550199",
        "zelda@example.org",
        booked.get_json()["reference"],
    ):
        assert secret not in everything


def test_the_walk_in_wait_definition_is_served_at_its_canonical_url(client):
    answer = client.get("/fhir/StructureDefinition/walk-in-wait")
    assert answer.status_code == 200
    assert answer.mimetype == "application/fhir+json"
    definition = parsed(answer.get_json())
    assert definition.url == f"{PUBLIC_URL}/fhir/StructureDefinition/walk-in-wait"
    assert definition.context[0].expression == "Schedule"
    slices = {e.sliceName for e in definition.differential.element if e.sliceName}
    assert slices == {"status", "asOf", "until", "opensAt", "p10", "p90"}


def test_the_cli_writes_the_publication_for_a_cdn(runner, placed, tmp_path):
    out = tmp_path / "site-root"
    result = runner.invoke(
        args=[
            "fhir",
            "publish",
            "--out",
            str(out),
            "--base-url",
            "https://cdn.example.org/schedq",
            "--days",
            "3",
        ]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "$bulk-publish").read_text())
    assert manifest["request"] == "https://cdn.example.org/schedq/$bulk-publish"
    for entry in manifest["output"]:
        assert entry["url"].startswith("https://cdn.example.org/schedq/")
        path = out / Path(urlsplit(entry["url"]).path).name
        for line in path.read_text().splitlines():
            parsed(json.loads(line))
    days = {s["start"][:10] for s in map(json.loads, (out / "Slot-1.ndjson").read_text().splitlines())}
    assert days == {"2026-03-02", "2026-03-03", "2026-03-04"}


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": "not-a-tag"},
        {"If-None-Match": '"' + "0" * 32 + '"'},
        {"If-Modified-Since": "yesterday"},
        {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
    ],
)
def test_a_stale_or_garbled_condition_gets_the_whole_manifest(client, placed, headers):
    answer = client.get("/fhir/$bulk-publish", headers=headers)
    assert answer.status_code == 200
    assert answer.get_json()["output"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_publication_cannot_be_written_through_http(client, placed, method):
    assert getattr(client, method)("/fhir/$bulk-publish").status_code == 405
