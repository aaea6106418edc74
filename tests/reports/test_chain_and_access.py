"""Who reads which report, and the sites side by side (README: "Reports")."""

from __future__ import annotations

import csv
import io

import pytest

from schedq.domain.enums import Role
from schedq.services import access
from tests.reports.conftest import MONDAY, TUESDAY

RANGE = {"from": MONDAY.isoformat(), "to": TUESDAY.isoformat()}


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/reports", RANGE),
        ("/reports.csv", {**RANGE, "table": "days"}),
        ("/reports/chart.svg", {**RANGE, "chart": "waits"}),
    ],
)
def test_staff_of_one_site_cannot_read_anothers_report(client, site, path, query):
    url = f"/api/v1/sites/{site.site_id}{path}"
    assert client.get(url, query_string=query).status_code == 401
    assert client.get(url, query_string=query, headers=site.headers("other_staff")).status_code == 403
    assert client.get(url, query_string=query, headers=site.headers("display")).status_code == 403
    assert client.get(url, query_string=query, headers=site.headers("staff")).status_code == 200
    assert client.get(url, query_string=query, headers=site.headers("admin")).status_code == 200


def test_only_admins_read_across_sites(client, site):
    assert client.get("/api/v1/reports", query_string=RANGE).status_code == 401
    assert client.get("/api/v1/reports", query_string=RANGE, headers=site.headers("staff")).status_code == 403
    answer = client.get("/api/v1/reports", query_string=RANGE, headers=site.headers("admin"))
    assert answer.status_code == 200
    assert sorted(row["site_id"] for row in answer.get_json()["sites"]) == sorted(
        [site.site_id, site.other_site_id]
    )


def test_a_site_admin_sees_only_its_sites_side_by_side(client, site, make_uow, clock):
    token = access.create_token(
        make_uow(), name="north admin", role=Role.ADMIN, site_ids=[site.site_id], now=clock()
    )[0]
    answer = client.get("/api/v1/reports", query_string=RANGE, headers={"Authorization": f"Bearer {token}"})
    assert [row["site_id"] for row in answer.get_json()["sites"]] == [site.site_id]


def test_a_region_groups_sites_set_through_the_api(client, site):
    admin = site.headers("admin")
    changed = client.patch(f"/api/v1/sites/{site.other_site_id}", json={"region": "North"}, headers=admin)
    assert changed.status_code == 200 and changed.get_json()["region"] == "North"
    north = client.get("/api/v1/reports", query_string={**RANGE, "region": "north"}, headers=admin).get_json()
    assert [row["site_id"] for row in north["sites"]] == [site.other_site_id]
    cleared = client.patch(f"/api/v1/sites/{site.other_site_id}", json={"region": ""}, headers=admin)
    assert cleared.get_json()["region"] is None


@pytest.mark.usefixtures("backend")
def test_sites_side_by_side_match_each_sites_own_report(client, site, history):
    admin = site.headers("admin")
    chain = client.get("/api/v1/reports", query_string=RANGE, headers=admin).get_json()
    own = client.get(f"/api/v1/sites/{site.site_id}/reports", query_string=RANGE, headers=admin).get_json()
    row = next(r for r in chain["sites"] if r["site_id"] == site.site_id)
    assert row["summary"] == own["summary"]
    answer = client.get("/api/v1/reports.csv", query_string=RANGE, headers=admin)
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    mine = next(r for r in rows if r["site_id"] == str(site.site_id))
    assert int(mine["arrivals"]) == own["summary"]["arrivals"]
    assert float(mine["within_target_percent"]) == own["summary"]["target"]["percent"]
    assert mine["target_met"] == "FALSE"
