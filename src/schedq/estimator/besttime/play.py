"""The days played: their columns stacked into one batch of arrays and run by the compiled event loop."""

from __future__ import annotations

import math

import numpy as np

from .days import Day
from .keys import walk_in_key

_INF = math.inf


def _pad(parts: list[np.ndarray], width: int, fill: float) -> np.ndarray:
    """Stack per-day (R, n_i) arrays into (sum R, width), padding columns with `fill`."""
    return np.concatenate(
        [np.pad(p, ((0, 0), (0, width - p.shape[1])), constant_values=fill) for p in parts], axis=0
    )


def simulate(days: list[Day], codes: dict[str, int], probe_service: str) -> list[np.ndarray]:
    """Per day, the probes' waits in minutes, shape (replications, half hours); inf: never called."""
    arrays = run_arrays(days, codes, probe_service)
    call = run(**arrays)
    probe_at = arrays["probe_at"]
    wait = np.where(np.isfinite(probe_at), call - np.where(np.isfinite(probe_at), probe_at, 0.0), _INF)
    out, row = [], 0
    for d in days:
        r, h = d.probe_at.shape
        out.append(wait[row : row + r, :h])
        row += r
    return out


def run_arrays(days: list[Day], codes: dict[str, int], probe_service: str) -> dict[str, np.ndarray]:
    """The days' columns stacked into the arrays `_run` plays (rows: replications of each day)."""
    n_days = len(days)
    row_day = np.repeat(np.arange(n_days), [d.arrival.shape[0] for d in days])
    n = max(d.arrival.shape[1] for d in days)
    # Column n is a sentinel that never arrives, so a window may run past the last ticket.
    arrival = _pad([d.arrival for d in days], n + 1, _INF)
    key_before = _pad([d.key_before for d in days], n + 1, _INF)
    key_due = _pad([d.key_due for d in days], n + 1, _INF)
    due_at = _pad([d.due_at for d in days], n + 1, _INF)
    code = _pad([d.code for d in days], n + 1, 0)
    service = _pad([d.service_minutes for d in days], n + 1, 0.0)
    g = max(max(d.probe_at.shape[1] for d in days), 1)
    probe_at = _pad([d.probe_at for d in days], g, _INF)

    s_count = max(max(len(d.slot_skills) for d in days), 1)
    k_max = max([len(iv) for d in days for iv in d.open_intervals] + [0]) + 1
    starts = np.full((n_days, s_count, k_max), _INF)
    ends = np.full((n_days, s_count, k_max), _INF)
    skill_ok = np.zeros((n_days, s_count, len(codes)), dtype=bool)
    for i, d in enumerate(days):
        for j, (skills, intervals) in enumerate(zip(d.slot_skills, d.open_intervals)):
            for k, (a, b) in enumerate(intervals):
                starts[i, j, k], ends[i, j, k] = a, b
            for c in skills:
                if c in codes:
                    skill_ok[i, j, codes[c]] = True
    probe_ok = skill_ok[:, :, codes[probe_service]] & np.isfinite(starts[:, :, 0])
    free = _pad([d.free for d in days], s_count, _INF)

    return {
        "arrival": arrival,
        "key_before": key_before,
        "key_due": key_due,
        "due_at": due_at,
        "code": code,
        "service": service,
        "probe_at": probe_at,
        "row_day": row_day,
        "starts": starts,
        "ends": ends,
        "free": free,
        "skill_ok": skill_ok,
        "probe_ok": probe_ok,
    }


def run(
    *,
    arrival: np.ndarray,
    key_before: np.ndarray,
    key_due: np.ndarray,
    due_at: np.ndarray,
    code: np.ndarray,
    service: np.ndarray,
    probe_at: np.ndarray,
    row_day: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    free: np.ndarray,
    skill_ok: np.ndarray,
    probe_ok: np.ndarray,
) -> np.ndarray:
    """The event loop, compiled (`_compiled.play_days`): the probes' call times (rows x probes).

    Each row plays on its own: the station that frees first acts; outside
    its open periods it goes off until its next one; otherwise it calls the
    lowest key among arrived, uncalled tickets it can serve, and is busy for
    that ticket's service; with nobody eligible it idles until the next such
    ticket or probe arrives. A probe is reached the first time a station with
    its skill acts after it arrived and finds nobody ranked ahead. A row stops
    once all its probes are reached. Columns are in arrival order per row; a
    step looks only at the columns from the first not yet called to the first
    not yet arrived.
    """
    call, _ = _play(locals(), play_out=False, record=False)
    return call


def run_out(
    *,
    arrival: np.ndarray,
    key_before: np.ndarray,
    key_due: np.ndarray,
    due_at: np.ndarray,
    code: np.ndarray,
    service: np.ndarray,
    probe_at: np.ndarray,
    row_day: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    free: np.ndarray,
    skill_ok: np.ndarray,
    probe_ok: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The same loop, each row played until its line is served: probes' and every ticket's call times.

    Returns (rows x probes, rows x columns); a ticket never called (a no-show,
    padding, or nobody left with its skill) has call time inf.
    """
    return _play(locals(), play_out=True, record=True)


def _play(arrays: dict[str, np.ndarray], *, play_out: bool, record: bool) -> tuple[np.ndarray, np.ndarray]:
    from ._compiled import play_days  # imported on first use: compiling or loading it takes a while

    def floats(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float64)

    probe_at = floats(arrays["probe_at"])
    call = np.full(probe_at.shape, _INF)
    ticket_call = np.full(arrays["arrival"].shape if record else (0, 0), _INF)
    play_days(
        floats(arrays["arrival"]),
        floats(arrays["key_before"]),
        floats(arrays["key_due"]),
        floats(arrays["due_at"]),
        np.ascontiguousarray(arrays["code"], dtype=np.int64),
        floats(arrays["service"]),
        probe_at,
        np.ascontiguousarray(arrays["row_day"], dtype=np.int64),
        floats(arrays["starts"]),
        floats(arrays["ends"]),
        floats(arrays["free"]),
        np.ascontiguousarray(arrays["skill_ok"], dtype=np.bool_),
        np.ascontiguousarray(arrays["probe_ok"], dtype=np.bool_),
        float(walk_in_key()),
        call,
        play_out,
        ticket_call,
    )
    return call, ticket_call


def warm_up() -> None:
    """Compile the best-times loop (or load it from the cache) now rather than on the first request."""
    one = np.array([[0.0, _INF]])
    run(
        arrival=one,
        key_before=one,
        key_due=one,
        due_at=np.full((1, 2), _INF),
        code=np.zeros((1, 2), dtype=np.intp),
        service=np.array([[4.0, 0.0]]),
        probe_at=np.array([[1.0]]),
        row_day=np.zeros(1, dtype=np.intp),
        starts=np.array([[[0.0, _INF]]]),
        ends=np.array([[[60.0, _INF]]]),
        free=np.zeros((1, 1)),
        skill_ok=np.ones((1, 1, 1), dtype=bool),
        probe_ok=np.ones((1, 1), dtype=bool),
    )
