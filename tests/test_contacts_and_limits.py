"""Contacts kept in one form, and the site's limits on bookings and remote joins (README: limits)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedq import create_app
from schedq.db.models import Appointment, Ticket
from schedq.domain.contact import Contact, normal_email, normal_phone, normalised
from schedq.domain.errors import InvalidInput
from schedq.services import rate_limits, sites
from tests.conftest import MONDAY_8AM

API = "/api/v1"
REDIS_URL = os.environ.get("SCHEDQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def remote_join(client, site, phone="+1 201 555 0100", *, clock, email=None, headers=None):
    contact = {"name": "Remo Te", "phone": phone} if phone else {"name": "Remo Te"}
    if email:
        contact["email"] = email
    body = {
        "service": "DRAW",
        "contact": contact,
        "expected_arrival_at": (clock() + timedelta(minutes=20)).isoformat(),
    }
    return client.post(f"{API}/sites/{site.site_id}/remote-tickets", json=body, headers=headers or {})


def book(client, site, starts_at: str, phone="+1 201 555 0100", *, headers=None):
    body = {"service": "DRAW", "starts_at": starts_at, "contact": {"name": "Ann Example", "phone": phone}}
    return client.post(f"{API}/sites/{site.site_id}/appointments", json=body, headers=headers or {})


def tuesday_slot(n: int) -> str:
    """The n-th 15-minute slot on Tuesday from 07:00 Chicago time (two seats each)."""
    return (datetime(2026, 3, 3, 13, 0, tzinfo=UTC) + timedelta(minutes=15 * n)).isoformat()


# One form for a phone number and an email ---------------------------------------------

US_NUMBERS = st.builds(
    lambda area, exchange, line: phonenumbers.parse(f"+1{area}{exchange}{line:04d}"),
    st.sampled_from(["201", "312", "415", "617", "773", "907"]),
    st.integers(200, 999).map(str),
    st.integers(0, 9999),
).filter(phonenumbers.is_valid_number)


@settings(max_examples=200, deadline=None)
@given(number=US_NUMBERS)
def test_a_number_written_any_common_way_is_kept_as_one_e164_number(number):
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    digits = e164[2:]
    writings = [
        e164,
        national,
        international,
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966),
        digits,  # no country code: the site's country
        "1 " + digits,  # the trunk prefix
        "011 1 " + digits,  # dialled from the US to an international number
        f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
    ]
    assert {normal_phone(w, country="US") for w in writings} == {e164}


@pytest.mark.parametrize("phone", ["((((((", "-- -- --", "+1 555 0100", "001 1 201 555 0100", "12345"])
def test_a_phone_that_is_not_a_valid_number_is_refused(phone):
    with pytest.raises(InvalidInput) as refused:
        normal_phone(phone, country="US")
    assert refused.value.field == "contact.phone"


def test_the_sites_country_reads_numbers_without_a_country_code():
    assert normal_phone("020 7946 0991", country="GB") == "+442079460991"
    assert normal_phone("+1 201 555 0100", country="GB") == "+12015550100"


def test_an_email_is_kept_normalised_and_lower_cased():
    assert normal_email("Ann.Example@Example.ORG") == "ann.example@example.org"
    assert normalised(Contact("Ann", None, " ann@example.org"), country="US").email == "ann@example.org"


@pytest.mark.parametrize("email", ["not-mail", "ann@", "ann@@example.org", "ann@example"])
def test_an_email_with_bad_syntax_is_refused_by_the_api(client, site, clock, email):
    answer = remote_join(client, site, phone=None, email=email, clock=clock)
    assert answer.status_code == 422 and "email" in answer.json["errors"]["json"]["contact"]


def test_a_phone_without_digits_is_refused_by_the_api(client, site, clock):
    answer = remote_join(client, site, phone="(((( ))))", clock=clock)
    assert answer.status_code == 422 and "phone" in answer.json["errors"]["json"]["contact"]


def test_tickets_and_appointments_keep_the_phone_in_e164(client, site, clock, database):
    assert remote_join(client, site, phone="(201) 555-0100", clock=clock).status_code == 201
    assert book(client, site, tuesday_slot(0), phone="201.555.0100").status_code == 201
    with database.session(write=False) as session:
        assert session.query(Ticket.contact_phone).scalar() == "+12015550100"
        assert session.query(Appointment.contact_phone).scalar() == "+12015550100"


# Per contact ---------------------------------------------------------------------------


def test_the_same_phone_written_three_ways_is_one_contact(client, site, clock):
    assert remote_join(client, site, phone="+1 201 555 0100", clock=clock).status_code == 201
    assert remote_join(client, site, phone="201 555 0100", clock=clock).status_code == 201
    answer = remote_join(client, site, phone="011 1 (201) 555-0100", clock=clock)
    assert answer.status_code == 429 and "remote joins" in answer.json["message"]


def test_a_contact_that_joined_two_hours_ago_still_counts(client, site, clock):
    first = clock()
    assert remote_join(client, site, clock=clock).status_code == 201
    clock.advance(hours=2)
    assert remote_join(client, site, clock=clock).status_code == 201
    refused = remote_join(client, site, clock=clock)
    assert refused.status_code == 429
    # Free again when the first join leaves the 24 hours.
    assert int(refused.headers["Retry-After"]) == (first + timedelta(days=1) - clock()).total_seconds()
    # The body says which limit held and when, for a page to say it in words.
    assert refused.json["limit"] == {"per": "contact", "count": 2}
    assert refused.json["retry_after_seconds"] == int(refused.headers["Retry-After"])


def test_a_contact_may_join_again_a_day_after(client, site, clock):
    assert remote_join(client, site, clock=clock).status_code == 201
    assert remote_join(client, site, clock=clock).status_code == 201
    clock.advance(days=1)
    assert remote_join(client, site, clock=clock).status_code == 201


def test_a_contact_that_booked_two_hours_ago_still_counts(client, site, clock):
    first = clock()
    for n in range(3):
        assert book(client, site, tuesday_slot(n)).status_code == 201
        clock.advance(hours=1)
    refused = book(client, site, tuesday_slot(5), phone="2015550100")
    assert refused.status_code == 429 and "bookings" in refused.json["message"]
    assert int(refused.headers["Retry-After"]) == (first + timedelta(days=1) - clock()).total_seconds()


def test_a_cancelled_booking_does_not_count_against_its_contact(client, site):
    booked = [book(client, site, tuesday_slot(n)).json for n in range(3)]
    client.post(
        f"{API}/appointments/{booked[0]['reference']}/cancel",
        headers={"X-Patient-Token": booked[0]["manage_token"]},
    )
    assert book(client, site, tuesday_slot(4)).status_code == 201


def test_the_per_contact_limits_are_site_settings(client, site, clock):
    answer = client.patch(
        f"{API}/sites/{site.site_id}",
        json={"remote_joins_per_contact_per_day": 1, "bookings_per_contact_per_day": 1},
        headers=site.headers("admin"),
    )
    assert answer.status_code == 200 and answer.json["remote_joins_per_contact_per_day"] == 1
    assert remote_join(client, site, clock=clock).status_code == 201
    assert remote_join(client, site, clock=clock).status_code == 429
    assert book(client, site, tuesday_slot(0)).status_code == 201
    assert book(client, site, tuesday_slot(1)).status_code == 429


def test_a_site_abroad_reads_local_numbers_with_its_country(client, site, clock, database):
    answer = client.patch(
        f"{API}/sites/{site.site_id}", json={"country": "GB"}, headers=site.headers("admin")
    )
    assert answer.status_code == 200 and answer.json["country"] == "GB"
    assert remote_join(client, site, phone="020 7946 0991", clock=clock).status_code == 201
    with database.session(write=False) as session:
        assert session.query(Ticket.contact_phone).scalar() == "+442079460991"


# Per client address --------------------------------------------------------------------


@pytest.mark.usefixtures("backend")
def test_one_address_cannot_book_a_whole_day(client, site, clock):
    answers = [book(client, site, tuesday_slot(n // 2), phone=f"+1 201 555 01{n:02d}") for n in range(11)]
    assert [a.status_code for a in answers] == [201] * 10 + [429]
    assert "bookings from this address" in answers[-1].json["message"]
    # The hour's window ends at 09:00 Chicago time: one hour after the 08:00 clock.
    assert answers[-1].headers["Retry-After"] == "3600"
    assert answers[-1].json["limit"] == {"per": "address", "count": 10}
    assert answers[-1].json["retry_after_seconds"] == 3600
    clock.advance(hours=1)
    assert book(client, site, tuesday_slot(6), phone="+1 201 555 0199").status_code == 201


def test_remote_joins_per_address_are_limited_with_retry_after(client, site, clock):
    client.patch(
        f"{API}/sites/{site.site_id}",
        json={"remote_joins_per_address_per_hour": 3},
        headers=site.headers("admin"),
    )
    clock.advance(minutes=15)
    answers = [remote_join(client, site, phone=f"+1 201 555 02{n:02d}", clock=clock) for n in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[-1].headers["Retry-After"] == str(45 * 60)


def test_the_per_address_limit_counts_at_each_site_apart(client, site, clock):
    client.patch(
        f"{API}/sites/{site.site_id}",
        json={"bookings_per_address_per_hour": 1},
        headers=site.headers("admin"),
    )
    assert book(client, site, tuesday_slot(0), phone="+1 201 555 0101").status_code == 201
    assert book(client, site, tuesday_slot(1), phone="+1 201 555 0102").status_code == 429
    other = client.post(
        f"{API}/sites/{site.other_site_id}/appointments",
        json={
            "service": "DRAW",
            "starts_at": tuesday_slot(1),
            "contact": {"name": "Ann", "phone": "+1 201 555 0103"},
        },
    )
    assert other.status_code == 201


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(client, site):
    client.patch(
        f"{API}/sites/{site.site_id}",
        json={"bookings_per_address_per_hour": 1},
        headers=site.headers("admin"),
    )
    assert book(client, site, tuesday_slot(0), phone="+1 201 555 0101").status_code == 201
    spoofed = book(
        client, site, tuesday_slot(1), phone="+1 201 555 0102", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert spoofed.status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_count(database_url, clock, tmp_path, make_uow, site):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_DIR": str(tmp_path / "instance-proxied"),
            "SECRET_KEY": "test-secret",
            "SEED_DEMO": False,
            "CLOCK": clock,
            "TRUSTED_PROXY_HOPS": 1,
        }
    )
    try:
        sites.update_site(make_uow(), site_id=site.site_id, bookings_per_address_per_hour=1)
        client = app.test_client()

        def from_(address: str, n: int):
            headers = {"X-Forwarded-For": f"198.51.100.7, {address}"}
            return book(client, site, tuesday_slot(n), phone=f"+1 201 555 01{n:02d}", headers=headers)

        assert from_("203.0.113.1", 0).status_code == 201
        assert from_("203.0.113.2", 1).status_code == 201
        # One hop trusted: the address the proxy saw counts, not what the client claimed before it.
        assert from_("203.0.113.1", 2).status_code == 429
    finally:
        app.extensions["schedq.database"].dispose()


# Shared counts -------------------------------------------------------------------------


def two_apps_on(database_url, clock, tmp_path):
    return [
        create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "INSTANCE_DIR": str(tmp_path / f"instance-{n}"),
                "SECRET_KEY": "test-secret",
                "SEED_DEMO": False,
                "CLOCK": clock,
            }
        )
        for n in range(2)
    ]


@pytest.mark.usefixtures("backend")
def test_workers_on_one_database_count_together(app, site, clock, tmp_path):
    """Two app instances (two workers, or two hosts) on one database share the per-address counts."""
    client = app.test_client()
    client.patch(
        f"{API}/sites/{site.site_id}",
        json={"bookings_per_address_per_hour": 2},
        headers=site.headers("admin"),
    )
    others = two_apps_on(app.config["DATABASE_URL"], clock, tmp_path)
    try:
        answers = [
            book(worker.test_client(), site, tuesday_slot(n), phone=f"+1 201 555 01{n:02d}")
            for n, worker in enumerate(others + [others[0]])
        ]
        assert [a.status_code for a in answers] == [201, 201, 429]
    finally:
        for worker in others:
            worker.extensions["schedq.database"].dispose()


@pytest.fixture
def redis_counters():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as error:
        message = f"Redis not reachable at {REDIS_URL}: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"schedq-test-{os.getpid()}-{datetime.now(UTC).timestamp()}"
    yield lambda: rate_limits.RedisCounters(REDIS_URL, prefix=prefix)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.mark.redis
def test_redis_counters_are_shared_between_workers_and_refuse_past_the_limit(redis_counters):
    first, second = redis_counters(), redis_counters()
    hits = [
        counter.take(None, key="booking:1:abc", limit=3, window=timedelta(hours=1), now=MONDAY_8AM)
        for counter in (first, second, first, second, second)
    ]
    window_end = MONDAY_8AM + timedelta(hours=1)
    assert hits == [None, None, None, window_end, window_end]
    assert first.take(None, key="booking:1:abc", limit=3, window=timedelta(hours=1), now=window_end) is None


@pytest.mark.redis
def test_with_redis_the_api_counts_there(database_url, clock, tmp_path, redis_counters, make_uow, site):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_DIR": str(tmp_path / "instance-redis"),
            "SECRET_KEY": "test-secret",
            "SEED_DEMO": False,
            "CLOCK": clock,
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": redis_counters().prefix,
        }
    )
    try:
        assert isinstance(app.extensions["schedq.counters"], rate_limits.RedisCounters)
        sites.update_site(make_uow(), site_id=site.site_id, bookings_per_address_per_hour=1)
        client = app.test_client()
        assert book(client, site, tuesday_slot(0), phone="+1 201 555 0101").status_code == 201
        refused = book(client, site, tuesday_slot(1), phone="+1 201 555 0102")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    finally:
        app.extensions["schedq.database"].dispose()


def test_address_counts_are_kept_hashed_and_only_while_their_window_lasts(client, site, clock, database):
    from schedq.db.models import RateCounter

    assert book(client, site, tuesday_slot(0)).status_code == 201
    with database.session(write=False) as session:
        keys = list(session.query(RateCounter.key))
    assert len(keys) == 1 and "127.0.0.1" not in keys[0][0]
    clock.advance(hours=1)
    assert book(client, site, tuesday_slot(1), phone="+1 201 555 0199").status_code == 201
    with database.session(write=False) as session:
        windows = [w for (w,) in session.query(RateCounter.window_start)]
    assert windows == [MONDAY_8AM + timedelta(hours=1)]


@pytest.mark.usefixtures("backend")
def test_concurrent_writers_never_count_past_the_limit(make_uow):
    from concurrent.futures import ThreadPoolExecutor

    counters = rate_limits.TableCounters()

    def take(_: int) -> bool:
        with make_uow() as uow:
            ends = counters.take(
                uow, key="booking:1:same", limit=10, window=timedelta(hours=1), now=MONDAY_8AM
            )
            uow.commit()
            return ends is None

    with ThreadPoolExecutor(max_workers=8) as pool:
        counted = list(pool.map(take, range(40)))
    assert sum(counted) == 10
