"""A site's lobby display settings (README: "The lobby display"): set by its admin, checked, and
carried by the display feed, whose ETag changes with them."""

from __future__ import annotations

import pytest


def test_a_new_site_displays_english_and_spanish_and_stays_silent(client, site):
    shown = client.get(f"/api/v1/sites/{site.site_id}").json
    assert (shown["display_languages"], shown["display_announce"]) == (["en", "es"], "off")
    feed = client.get(f"/api/v1/sites/{site.site_id}/display").json
    assert (feed["display_languages"], feed["display_announce"]) == (["en", "es"], "off")


def test_the_admin_sets_the_languages_and_the_announcement_and_the_feed_follows_with_a_new_etag(client, site):
    path = f"/api/v1/sites/{site.site_id}"
    before = client.get(f"{path}/display")
    assert client.get(f"{path}/display", headers={"If-None-Match": before.headers["ETag"]}).status_code == 304

    changed = client.patch(
        path,
        json={"display_languages": ["es", "en"], "display_announce": "chime_and_speech"},
        headers=site.headers("admin"),
    )
    assert changed.status_code == 200, changed.json
    assert (changed.json["display_languages"], changed.json["display_announce"]) == (
        ["es", "en"],
        "chime_and_speech",
    )

    after = client.get(f"{path}/display", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert (after.json["display_languages"], after.json["display_announce"]) == (
        ["es", "en"],
        "chime_and_speech",
    )


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("display_languages", []),
        ("display_languages", ["en", "xx"]),
        ("display_languages", ["es", "es"]),
        ("display_languages", "en"),
        ("display_announce", "speech"),
        ("display_announce", None),
    ],
)
def test_display_settings_that_make_no_sense_are_refused(client, site, setting, value):
    path = f"/api/v1/sites/{site.site_id}"
    refused = client.patch(path, json={setting: value}, headers=site.headers("admin"))
    assert refused.status_code == 422 and setting in str(refused.json)
    shown = client.get(path).json
    assert (shown["display_languages"], shown["display_announce"]) == (["en", "es"], "off")


def test_only_the_sites_admin_changes_its_display(client, site):
    refused = client.patch(
        f"/api/v1/sites/{site.site_id}", json={"display_announce": "chime"}, headers=site.headers("staff")
    )
    assert refused.status_code == 403
