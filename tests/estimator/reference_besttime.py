"""The best-times event loop as it was before it was compiled: numpy, vectorised across rows.

Kept as the reference the compiled loop (`besttime.play.run`, `besttime._compiled.play_days`)
must match exactly; see tests/estimator/test_besttime_kernel.py.
"""

from __future__ import annotations

import math

import numpy as np

from schedq.estimator.besttime.keys import walk_in_key

_INF = math.inf
_ARRIVAL, _KEY_BEFORE, _KEY_DUE, _DUE_AT, _CODE = range(5)


def run_reference(
    *,
    arrival,
    key_before,
    key_due,
    due_at,
    code,
    service,
    probe_at,
    row_day,
    starts,
    ends,
    free,
    skill_ok,
    probe_ok,
) -> np.ndarray:
    """The probes' call times of the loop below (rows stop once their probes are reached)."""
    call, _ = _reference(**locals(), play_out=False)
    return call


def run_out_reference(**arrays) -> tuple[np.ndarray, np.ndarray]:
    """The loop below with rows played until their line is served: probes' and every ticket's call times."""
    return _reference(**arrays, play_out=True)


def _reference(
    *,
    arrival,
    key_before,
    key_due,
    due_at,
    code,
    service,
    probe_at,
    row_day,
    starts,
    ends,
    free,
    skill_ok,
    probe_ok,
    play_out,
) -> tuple[np.ndarray, np.ndarray]:
    """The event loop: each step, in every row, the station that frees first acts.

    A station outside its open periods goes off until its next one; otherwise
    it calls the lowest key among arrived, uncalled tickets it can serve, and
    is busy for that ticket's service; with nobody eligible it idles until the
    next such ticket or probe arrives. A probe is reached the first time a
    station with its skill acts after it arrived and finds nobody ranked ahead.
    Rows stop once all their probes are reached (with `play_out`, once no
    station has anything left to do); finished rows are dropped from the
    arrays as they accumulate. Every ticket's call time is kept too.

    Columns are in arrival order per row. A called ticket (and a no-show) has
    infinite keys. `lo` is each row's first column not called, `hi` its first
    column not arrived; a step looks only at columns lo..max(hi - lo) of its
    row, gathered at once from one packed array.
    """
    n_rows, width = arrival.shape
    last_col = width - 1
    k_max = starts.shape[2]
    n_slots, n_codes = skill_ok.shape[1], skill_ok.shape[2]
    no_show = ~np.isfinite(arrival)
    packed = np.stack(
        [
            arrival,
            np.where(no_show, _INF, key_before),
            np.where(no_show, _INF, key_due),
            due_at,
            code.astype(float),
        ],
        axis=-1,
    )
    skill_flat = skill_ok.ravel()
    walk_in_base = walk_in_key()
    call = np.full(probe_at.shape, _INF)
    ticket_call = np.full(arrival.shape, _INF)
    # A later probe ranks behind an earlier one, so a row's probes are reached in arrival order:
    # keep them sorted (closed half hours, inf, last) with a pointer to the next one.
    probe_order = np.argsort(probe_at, axis=1, kind="stable")
    probes = np.pad(np.take_along_axis(probe_at, probe_order, axis=1), ((0, 0), (0, 1)), constant_values=_INF)
    n_probes = np.where(probe_ok.any(axis=1)[row_day], np.isfinite(probe_at).sum(axis=1), 0)
    next_probe = np.zeros(n_rows, dtype=np.intp)
    row_id = np.arange(n_rows)
    lo = np.zeros(n_rows, dtype=np.intp)
    hi = np.zeros(n_rows, dtype=np.intp)

    while True:
        rows = np.arange(packed.shape[0])
        s = free.argmin(axis=1)
        t = free[rows, s]
        active = np.isfinite(t) & ((next_probe < n_probes) | play_out)
        n_active = int(active.sum())
        if n_active == 0:
            break
        if n_active <= packed.shape[0] // 2:
            keep = np.flatnonzero(active)
            (packed, service, probes, probe_order, n_probes, next_probe, free, lo, hi, row_day, row_id) = (
                x[keep]
                for x in (
                    packed,
                    service,
                    probes,
                    probe_order,
                    n_probes,
                    next_probe,
                    free,
                    lo,
                    hi,
                    row_day,
                    row_id,
                )
            )
            s, t, active = s[keep], t[keep], active[keep]
            rows = np.arange(keep.size)
        k = np.minimum((ends[row_day, s] <= t[:, None]).sum(axis=1), k_max - 1)
        next_start = starts[row_day, s, k]
        is_open = next_start <= t
        closed = active & ~is_open
        if closed.any():
            free[rows[closed], s[closed]] = next_start[closed]
        go = active & is_open
        if not go.any():
            continue

        arr = packed[..., _ARRIVAL]
        while True:  # t only grows, so each row's arrived prefix only grows
            more = go & (arr[rows, hi] <= t)
            if not more.any():
                break
            hi = np.minimum(hi + more, last_col)
        w = int((hi - lo)[go].max()) + 1  # every arrived ticket not called, and the next arrival
        flat = np.minimum(lo[:, None] + np.arange(w), last_col) + (rows * width)[:, None]
        win = packed.reshape(-1, 5).take(flat, axis=0)  # (rows, w, 5)
        a_w = win[..., _ARRIVAL]
        tc = t[:, None]
        can = skill_flat.take(((row_day * n_slots + s) * n_codes)[:, None] + win[..., _CODE].astype(np.intp))
        key = np.where(win[..., _DUE_AT] <= tc, win[..., _KEY_DUE], win[..., _KEY_BEFORE])
        masked = np.where(can & (a_w <= tc), key, _INF)
        jw = masked.argmin(axis=1)
        best = masked[rows, jw]

        station_probe = go & probe_ok[row_day, s]
        while True:
            probe = probes[rows, next_probe]
            reach = station_probe & (probe <= t) & (best > walk_in_base + probe)
            if not reach.any():
                break
            rr = rows[reach]
            call[row_id[rr], probe_order[rr, next_probe[rr]]] = t[rr]
            next_probe = next_probe + reach

        calls = go & np.isfinite(best)
        if calls.any():
            rc, jc = rows[calls], jw[calls]
            col = flat[rc, jc]
            cells = packed.reshape(-1, 5)
            cells[col, _KEY_BEFORE] = _INF
            cells[col, _KEY_DUE] = _INF
            win[rc, jc, _KEY_BEFORE] = _INF
            free[rc, s[calls]] = t[calls] + service.take(col)
            ticket_call[row_id[rc], col - rc * width] = t[calls]
        idle = go & ~np.isfinite(best)
        if idle.any():
            ri, si = rows[idle], s[idle]
            ti = t[ri, None]
            waiting = can[ri] & np.isfinite(win[ri, :, _KEY_BEFORE]) & (a_w[ri] > ti)
            later = np.where(waiting, a_w[ri], _INF).min(axis=1)
            # A station that cannot serve everybody may find its next patient beyond the window.
            beyond = ~np.isfinite(later) & (lo[ri] + w <= last_col)
            if beyond.any():
                rb, sb = ri[beyond], si[beyond]
                cells = packed[rb]
                can_all = skill_flat.take(
                    ((row_day[rb] * n_slots + sb) * n_codes)[:, None] + cells[..., _CODE].astype(np.intp)
                )
                later[beyond] = np.where(
                    can_all & np.isfinite(cells[..., _KEY_BEFORE]) & (cells[..., _ARRIVAL] > t[rb, None]),
                    cells[..., _ARRIVAL],
                    _INF,
                ).min(axis=1)
            # An idle station has reached every probe already here: the next one is still to come.
            probe_next = np.where(station_probe[ri], probes[ri, next_probe[ri]], _INF)
            free[ri, si] = np.minimum(later, probe_next)
        # Slide each row's window past the tickets already called.
        undone = np.isfinite(win[..., _KEY_BEFORE])
        lo = np.minimum(lo + np.where(undone.any(axis=1), undone.argmax(axis=1), w), hi)
    return call, ticket_call
