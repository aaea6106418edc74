"""The compiled call-policy kernel gives exactly the call times of the numpy reference loop."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from schedq.estimator import StaffingBlock, UpcomingAppointment, WaitingTicket
from schedq.estimator.bench import SERVICE_DEFAULTS, busy_site
from schedq.estimator.model import FittedModel
from schedq.estimator.montecarlo import simulation_setup
from schedq.estimator.policy_kernel import PolicyInputs, numba_cache_dir, run_policy

from .builders import NOW, busy, idle, minutes, snapshot
from .reference_policy import run_policy_reference

SERVICES = ("DRAW", "UDS", "GTT")
SKILL_SETS = (frozenset(SERVICES), frozenset({"DRAW"}), frozenset({"DRAW", "UDS"}), frozenset({"GTT"}))


def assert_same_reported_calls(inputs: PolicyInputs) -> None:
    kernel, reference = run_policy(inputs), run_policy_reference(inputs)
    np.testing.assert_array_equal(kernel.tickets[:, inputs.reported], reference.tickets[:, inputs.reported])
    np.testing.assert_array_equal(kernel.ghosts, reference.ghosts)


@st.composite
def waiting_tickets(draw):
    tickets = []
    for i in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["walk_in", "remote", "appointment"]))
        present = kind != "remote" or draw(st.booleans())
        appointment_at = NOW + minutes(draw(st.integers(-20, 40))) if kind == "appointment" else None
        expected = NOW + minutes(draw(st.integers(0, 30))) if not present and draw(st.booleans()) else None
        tickets.append(
            WaitingTicket(
                ticket_id=i + 1,
                service_code=draw(st.sampled_from(SERVICES)),
                kind=kind,
                joined_at=NOW - minutes(draw(st.integers(0, 90))),
                priority=draw(st.integers(0, 6)) == 0,
                present=present,
                appointment_at=appointment_at,
                expected_arrival_at=expected,
            )
        )
    return tickets


@st.composite
def snapshots(draw):
    stations = []
    for i in range(draw(st.integers(0, 4))):
        skills = draw(st.sampled_from(SKILL_SETS))
        if draw(st.booleans()):
            stations.append(busy(f"S{i}", draw(st.floats(0.0, 30.0)), skills, service=min(skills)))
        else:
            stations.append(idle(f"S{i}", skills))
    upcoming = [
        UpcomingAppointment(
            f"A{i}", draw(st.sampled_from(SERVICES)), NOW + minutes(draw(st.integers(-10, 120)))
        )
        for i in range(draw(st.integers(0, 6)))
    ]
    staffing = []
    if draw(st.booleans()):  # a plan with a dip, a closure (gap) and more stations later
        cut, gap, back = (draw(st.integers(5, 60)) for _ in range(3))
        staffing = [
            StaffingBlock(NOW - timedelta(hours=1), NOW + minutes(cut), len(stations)),
            StaffingBlock(NOW + minutes(cut), NOW + minutes(cut + 30), draw(st.integers(0, 2))),
            StaffingBlock(
                NOW + minutes(cut + 30 + gap),
                NOW + minutes(cut + 30 + gap + back),
                draw(st.integers(1, 5)),
                draw(st.sampled_from([None, *SKILL_SETS])),
            ),
        ]
    return snapshot(
        stations,
        draw(waiting_tickets()),
        upcoming_appointments=upcoming,
        staffing=staffing,
        closes_at=NOW + timedelta(hours=4),
    )


MODEL = FittedModel.from_defaults({"DRAW": 8.0, "UDS": 12.0, "GTT": 15.0})


@settings(max_examples=150, deadline=None)
@given(snap=snapshots(), seed=st.integers(0, 2**32 - 1))
def test_kernel_matches_reference_on_random_snapshots(snap, seed):
    setup = simulation_setup(snap, MODEL, replications=40, seed=seed, newcomer_services=SERVICES)
    if setup.inputs is not None:
        assert_same_reported_calls(setup.inputs)


def test_kernel_matches_reference_on_the_demo_site():
    setup = simulation_setup(
        busy_site(),
        FittedModel.from_defaults(SERVICE_DEFAULTS),
        replications=200,
        seed=7,
        newcomer_services=list(SERVICE_DEFAULTS),
    )
    assert_same_reported_calls(setup.inputs)


@st.composite
def raw_inputs(draw):
    """Arrays with many ties (integer times and keys), per-replication open periods, odd skills."""
    r, n, s, g = (
        draw(st.integers(1, 4)),
        draw(st.integers(0, 10)),
        draw(st.integers(1, 4)),
        draw(st.integers(0, 3)),
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    arrival = np.where(rng.random((r, n)) < 0.5, 0.0, rng.integers(0, 30, (r, n)).astype(float))
    arrival[rng.random((r, n)) < 0.15] = np.inf
    key_before = np.broadcast_to(rng.integers(0, 8, n).astype(float), (r, n)).copy()
    key_before[rng.random((r, n)) < 0.1] = 9.5  # per-replication keys, as late check-ins have
    due_at = np.where(rng.random(n) < 0.4, rng.integers(0, 40, n).astype(float), np.inf)
    key_due = np.where(np.isfinite(due_at), rng.integers(0, 8, (r, n)).astype(float), key_before)
    k = draw(st.integers(1, 3))
    bounds = np.sort(rng.integers(0, 80, (r, s, 2 * k)).astype(float), axis=2)
    starts, ends = np.full((r, s, k + 1), np.inf), np.full((r, s, k + 1), np.inf)
    starts[:, :, :k], ends[:, :, :k] = bounds[:, :, 0::2], bounds[:, :, 1::2]
    ends[:, :, k - 1][rng.random((r, s)) < 0.5] = np.inf  # some serve the line out
    return PolicyInputs(
        arrival=arrival,
        key_before=key_before,
        key_due=key_due,
        due_at=due_at,
        service_minutes=rng.integers(0, 12, (r, n)).astype(float),
        station_free_at=rng.integers(0, 10, (r, s)).astype(float),
        open_starts=starts,
        open_ends=ends,
        can_serve=rng.random((s, n)) < 0.7,
        ghost_can_serve=rng.random((s, g)) < 0.7,
        ghost_key=float(rng.integers(0, 9)) + 0.5,
        reported=rng.random(n) < 0.7,
    )


@settings(max_examples=300, deadline=None)
@given(inputs=raw_inputs())
def test_kernel_matches_reference_on_raw_arrays_with_ties(inputs):
    assert_same_reported_calls(inputs)


def test_unreported_tickets_do_not_keep_a_replication_running():
    site = snapshot(
        [idle("S0")], [], upcoming_appointments=[UpcomingAppointment("A", "DRAW", NOW + minutes(30))]
    )
    setup = simulation_setup(site, MODEL, replications=5, seed=0, newcomer_services=["DRAW"])
    calls = run_policy(setup.inputs)
    assert (calls.ghosts == 0.0).all()
    assert np.isinf(calls.tickets).all()  # the appointment changes nothing reported, so it is not played


def test_cache_goes_to_a_temp_directory_when_the_package_directory_is_read_only(monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    read_only = Path("/proc/schedq-read-only-package")  # not writable even by root
    assert numba_cache_dir(read_only) is not None


def test_cache_stays_next_to_the_code_when_writable(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert numba_cache_dir(tmp_path) is None
