"""The compiled best-times loop gives exactly the probes' call times of the former numpy loop."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from schedq.estimator.bench import busy_site_days
from schedq.estimator.besttime.days import build_days
from schedq.estimator.besttime.play import run, run_arrays, run_out

from .reference_besttime import run_out_reference, run_reference


def assert_same_calls(arrays: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(run(**arrays), run_reference(**arrays))
    call, ticket_call = run_out(**arrays)
    reference_call, reference_ticket_call = run_out_reference(**arrays)
    np.testing.assert_array_equal(call, reference_call)
    np.testing.assert_array_equal(ticket_call, reference_ticket_call)


def test_the_busy_week_gives_the_same_call_times():
    plans, model, today = busy_site_days(stations=6)
    built, codes, _ = build_days(plans, model, "DRAW", ZoneInfo("UTC"), 30, 4, today)
    assert_same_calls(run_arrays([b for _, b in built], codes, "DRAW"))


@st.composite
def raw_arrays(draw):
    """Rows of several days with many ties: integer times and keys, closures, odd skills, absent probes."""
    days, per_day, n, slots, codes, g = (
        draw(st.integers(1, 3)),
        draw(st.integers(1, 4)),
        draw(st.integers(0, 12)),
        draw(st.integers(1, 4)),
        draw(st.integers(1, 3)),
        draw(st.integers(0, 5)),
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = days * per_day
    arrival = np.sort(rng.integers(0, 60, (rows, n)).astype(float), axis=1)
    arrival[rng.random((rows, n)) < 0.1] = np.inf  # no-shows (the loop sees them as never arriving)
    arrival = np.sort(arrival, axis=1)
    key_before = rng.integers(0, 8, (rows, n)).astype(float)
    due_at = np.where(rng.random((rows, n)) < 0.3, rng.integers(0, 60, (rows, n)).astype(float), np.inf)
    key_due = np.where(np.isfinite(due_at), rng.integers(0, 8, (rows, n)).astype(float), key_before)
    sentinel = np.full((rows, 1), np.inf)
    k = draw(st.integers(1, 3))
    bounds = np.sort(rng.integers(0, 120, (days, slots, 2 * k)).astype(float), axis=2)
    starts, ends = np.full((days, slots, k + 1), np.inf), np.full((days, slots, k + 1), np.inf)
    starts[:, :, :k], ends[:, :, :k] = bounds[:, :, 0::2], bounds[:, :, 1::2]
    ends[:, :, k - 1][rng.random((days, slots)) < 0.5] = np.inf  # some serve the line out
    probe_at = rng.integers(0, 90, (rows, max(g, 1))).astype(float) + 0.5 * (
        rng.random((rows, max(g, 1))) < 0.3
    )
    probe_at[rng.random(probe_at.shape) < 0.2] = np.inf  # closed half hours
    skill_ok = rng.random((days, slots, codes)) < 0.7
    return {
        "arrival": np.hstack([arrival, sentinel]),
        "key_before": np.hstack([key_before, sentinel]),
        "key_due": np.hstack([key_due, sentinel]),
        "due_at": np.hstack([due_at, sentinel]),
        "code": np.hstack([rng.integers(0, codes, (rows, n)), np.zeros((rows, 1), dtype=int)]),
        "service": np.hstack([rng.integers(0, 12, (rows, n)).astype(float), np.zeros((rows, 1))]),
        "probe_at": probe_at,
        "row_day": np.repeat(np.arange(days), per_day),
        "starts": starts,
        "ends": ends,
        "free": np.where(
            rng.random((rows, slots)) < 0.1, np.inf, rng.integers(0, 10, (rows, slots)).astype(float)
        ),
        "skill_ok": skill_ok,
        "probe_ok": skill_ok[:, :, 0] & np.isfinite(starts[:, :, 0]),
    }


@settings(max_examples=300, deadline=None)
@given(arrays=raw_arrays())
def test_compiled_loop_matches_the_numpy_loop_on_raw_arrays_with_ties(arrays):
    assert_same_calls(arrays)


def test_a_row_played_out_calls_every_ticket_after_its_probes_are_reached():
    plans, model, today = busy_site_days(stations=6)
    built, codes, _ = build_days(plans, model, "DRAW", ZoneInfo("UTC"), 10, 4, today)
    arrays = run_arrays([b for _, b in built], codes, "DRAW")
    probe_calls, ticket_call = run_out(**arrays)
    np.testing.assert_array_equal(probe_calls, run(**arrays))  # the probes' figures do not change
    came = np.isfinite(arrays["arrival"])
    assert np.isfinite(ticket_call[came]).all()
    assert (ticket_call[came] >= arrays["arrival"][came]).all()
