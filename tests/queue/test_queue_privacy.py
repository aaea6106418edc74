"""No personal data in any public or display response."""

from __future__ import annotations

from tests.queue.test_queue_api import API, call_next, open_station

PEOPLE = [
    {"name": "Zebulon Quixotefeather", "phone": "+1 312 867 5309", "email": "zebulon.quixote@example.org"},
    {"name": "Xanthippe Marvelwood", "phone": "+44 20 7946 0991", "email": "xanthippe.marvel@example.net"},
    {"name": "Ignatius Pemberthwaite", "phone": "+1 (773) 555-0142", "email": "ignatius.p@example.com"},
]


def _needles() -> list[str]:
    found = []
    for person in PEOPLE:
        digits = "".join(ch for ch in person["phone"] if ch.isdigit())
        found += [
            person["name"],
            *person["name"].split(),
            person["email"],
            person["phone"],
            digits,
            digits[-7:],
        ]
    return found


def test_no_personal_data_in_public_or_display_responses(client, site, clock):
    answers = []
    booked = []
    for index, person in enumerate(PEOPLE[:2]):
        body = {"service": "DRAW", "starts_at": f"2026-03-02T09:{15 * index:02d}:00-06:00", "contact": person}
        booked.append(client.post(f"{API}/sites/{site.site_id}/appointments", json=body).json)
    remote_body = {
        "service": "DRAW",
        "contact": PEOPLE[2],
        "expected_arrival_at": "2026-03-02T08:40:00-06:00",
    }
    remote = client.post(f"{API}/sites/{site.site_id}/remote-tickets", json=remote_body)
    answers.append(remote)
    clock.advance(minutes=55)
    display = site.headers("display")
    answers.append(
        client.post(
            f"{API}/sites/{site.site_id}/check-ins",
            json={"reference": booked[0]["reference"]},
            headers=display,
        )
    )
    answers.append(
        client.post(
            f"{API}/sites/{site.site_id}/check-ins",
            json={"reference": booked[1]["reference"]},
            headers=display,
        )
    )
    answers.append(
        client.post(f"{API}/sites/{site.site_id}/tickets", json={"service": "DRAW"}, headers=display)
    )
    answers.append(
        client.post(
            f"{API}/tickets/{remote.json['id']}/present", headers={"X-Patient-Token": remote.json["token"]}
        )
    )
    answers.append(client.get(f"{API}/tickets/{remote.json['id']}?token={remote.json['token']}"))
    open_station(client, site)
    call_next(client, site)
    for headers in ({}, display):
        for path in (
            "/sites",
            f"/sites/{site.site_id}",
            f"/sites/{site.site_id}/stations",
            f"/sites/{site.site_id}/capacity-plan",
            f"/sites/{site.site_id}/slots?service=DRAW&from=2026-03-02",
            "/services",
            f"/sites/{site.site_id}/display",
        ):
            answers.append(client.get(f"{API}{path}", headers=headers))
    # The display token reaches nothing more: staff reads are refused without a body of data.
    for path in (
        f"/sites/{site.site_id}/queue",
        f"/sites/{site.site_id}/events",
        f"/sites/{site.site_id}/feedback",
    ):
        answers.append(client.get(f"{API}{path}", headers=display))

    assert [a.status_code for a in answers[:6]] == [201, 201, 201, 201, 200, 200]
    assert all(a.status_code == 200 for a in answers[6:20])
    assert client.get(f"{API}/sites/{site.site_id}/display").json["now_called"]
    for answer in answers:
        body = answer.get_data(as_text=True)
        for needle in _needles():
            assert needle not in body, f"{needle!r} leaked in {answer.request.path}"


def test_staff_do_see_contacts(client, site):
    body = {"service": "DRAW", "contact": PEOPLE[2], "expected_arrival_at": "2026-03-02T08:40:00-06:00"}
    client.post(f"{API}/sites/{site.site_id}/remote-tickets", json=body)
    queue = client.get(f"{API}/sites/{site.site_id}/queue", headers=site.headers("staff"))
    assert PEOPLE[2]["name"] in queue.get_data(as_text=True)
