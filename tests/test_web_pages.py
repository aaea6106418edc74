"""The pages as the server sends them: they render, carry no personal data, and suit a strict CSP."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from schedq.services import tickets
from schedq.services.rate_limits import TableCounters

WEB = Path(__file__).parents[1] / "src" / "schedq" / "web"
PAGES = ["/", "/sites/{site}", "/staff", "/display/{site}", "/staff/{site}", "/ticket/{ticket}"]
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
# A script element runs unless it has a src (ours) or is a JSON island, which the browser never runs.
INLINE_SCRIPT = re.compile(r'<script(?![^>]*\ssrc=)(?![^>]*type="application/json")[^>]*>', re.IGNORECASE)


@pytest.fixture
def remote_ticket(make_uow, clock, site):
    """A patient with a name, a phone and an email, who must never show up in public HTML."""
    return tickets.join_remote(
        make_uow(),
        site_id=site.site_id,
        service_code="DRAW",
        contact=tickets.Contact("Rosalind Privateperson", "+1 201 555 0142", "rosalind@example.org"),
        expected_arrival_at=clock() + timedelta(minutes=20),
        client_address="10.0.0.9",
        counters=TableCounters(),
        now=clock(),
        secret_key="test-secret",
    )


def url(template: str, site, ticket) -> str:
    return template.format(site=site.site_id, ticket=ticket.id)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders_with_no_personal_data(client, site, remote_ticket, page):
    answer = client.get(url(page, site, remote_ticket))
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    for secret in ("Rosalind", "Privateperson", "5550142", "rosalind@example.org"):
        assert secret not in html


@pytest.mark.parametrize("page", PAGES)
def test_pages_have_no_inline_scripts_or_handlers_and_send_a_strict_policy(client, site, remote_ticket, page):
    answer = client.get(url(page, site, remote_ticket))
    html = answer.get_data(as_text=True)
    assert INLINE_HANDLER.search(html) is None
    assert INLINE_SCRIPT.search(html) is None
    assert " style=" not in html
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_the_staff_entry_page_lists_sites_with_links_to_their_display_and_console(client, site):
    html = client.get("/staff").get_data(as_text=True)
    assert "Riverside PSC" in html and "Hillside PSC" in html
    assert f'href="/display/{site.site_id}"' in html
    assert f'href="/staff/{site.site_id}"' in html


def test_the_start_page_is_the_patients_and_leads_staff_to_theirs(client, site):
    html = client.get("/").get_data(as_text=True)
    assert f'href="/sites/{site.site_id}"' in html
    assert f'href="/display/{site.site_id}"' not in html and f'href="/staff/{site.site_id}"' not in html
    assert 'href="/staff"' in html


def test_the_display_and_console_name_their_site(client, site):
    for page in (f"/display/{site.site_id}", f"/staff/{site.site_id}"):
        html = client.get(page).get_data(as_text=True)
        assert "Riverside PSC" in html
        assert f'data-site-id="{site.site_id}"' in html


def test_an_unknown_site_is_a_404(client, site):
    assert client.get("/display/999").status_code == 404
    assert client.get("/staff/999").status_code == 404
    assert client.get("/sites/999").status_code == 404


def test_the_ticket_page_is_never_cached_and_leaks_no_token(client, site, remote_ticket):
    answer = client.get(f"/ticket/{remote_ticket.id}?token=secret-in-the-address")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "secret-in-the-address" not in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("common.js", "text/javascript"),
        ("display.js", "text/javascript"),
        ("ticket.js", "text/javascript"),
        ("staff.js", "text/javascript"),
        ("schedq.css", "text/css"),
    ],
)
def test_static_assets_are_served(client, name, mimetype):
    answer = client.get(f"/static/web/{name}")
    assert answer.status_code == 200
    assert answer.mimetype == mimetype
    answer.close()


def test_every_asset_a_page_links_is_served(client, site, remote_ticket):
    for page in PAGES:
        html = client.get(url(page, site, remote_ticket)).get_data(as_text=True)
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            answer = client.get(asset)
            assert answer.status_code == 200, asset
            answer.close()


def test_scripts_build_pages_from_text_never_from_html():
    for script in (WEB / "static").glob("*.js"):
        source = script.read_text()
        for risky in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ):
            assert risky not in source, f"{script.name} uses {risky}"


def test_the_pages_load_nothing_from_other_hosts():
    """Scripts, styles and pictures come from schedq itself; a link a patient follows (a map) may leave."""
    for path in [*(WEB / "templates").rglob("*.html"), *(WEB / "static").glob("*")]:
        assert not re.search(r"src=\"(?:https?:)?//", path.read_text()), path.name
        assert not re.search(r"<link[^>]+href=\"(?:https?:)?//", path.read_text()), path.name
        assert "@import" not in path.read_text(), path.name


def test_the_display_respects_reduced_motion():
    assert "prefers-reduced-motion: reduce" in (WEB / "static" / "schedq.css").read_text()
