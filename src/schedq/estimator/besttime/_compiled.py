"""The compiled best-times event loop (numba): `play_days`, the loop of `besttime.play.run`.

As in `schedq.estimator._policy_compiled`, the station scan keeps the first
of equal free times and a call the first of equal keys, so a tie goes to the
lower index exactly as numpy's argmin does in the reference loop
(tests/estimator/reference_besttime.py). Every work array is allocated once
per call, not per row. Imported on first use, not with the estimator package:
compiling (or loading the cached machine code) takes seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from ..policy_kernel import use_numba_cache_dir

# Before any @njit(cache=True): numba picks the cache's place when decorating.
use_numba_cache_dir(Path(__file__).parent)


@njit(cache=True)
def play_days(
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
    free_at: np.ndarray,
    skill_ok: np.ndarray,
    probe_ok: np.ndarray,
    walk_in_key: float,
    call: np.ndarray,
    play_out: bool,
    ticket_call: np.ndarray,
) -> None:
    """The best-times event loop (`besttime.play.run`), one row (a replication of a day) after another.

    Columns are in arrival order per row; column `width - 1` is a sentinel
    that never arrives. Each step the station free first acts (lowest index on
    a tie); outside its open periods it goes off until its next start; else it
    calls the lowest key among arrived, uncalled tickets it can serve (lowest
    column on a tie), reaching on the way every probe that has arrived and
    that nobody eligible is ranked ahead of; with nobody eligible it idles
    until the next ticket it could serve or the next probe arrives. A row
    stops once its probes are all reached, or with `play_out` once no station
    has anything left to do (the line served out). Writes `call` (rows x
    probes) and, when `ticket_call` has rows, every ticket's call time in it
    (rows x columns; inf for tickets never called).
    """
    n_rows, width = arrival.shape
    last_col = width - 1
    n_slots = free_at.shape[1]
    k_max = starts.shape[2]
    n_probe_cols = probe_at.shape[1]
    inf = np.inf
    kb = np.empty(width)
    kd = np.empty(width)
    free = np.empty(n_slots)
    probes = np.empty(n_probe_cols + 1)
    record = ticket_call.shape[0] > 0
    for i in range(n_rows):
        d = row_day[i]
        arr = arrival[i]
        due = due_at[i]
        codes = code[i]
        for j in range(width):
            if arr[j] < inf:
                kb[j] = key_before[i, j]
                kd[j] = key_due[i, j]
            else:  # a no-show is never called
                kb[j] = inf
                kd[j] = inf
        for s in range(n_slots):
            free[s] = free_at[i, s]
        # A later probe ranks behind an earlier one, so a row's probes are reached in arrival order.
        order = np.argsort(probe_at[i], kind="mergesort")
        n_probes = 0
        for g in range(n_probe_cols):
            probes[g] = probe_at[i, order[g]]
            if probe_at[i, g] < inf:
                n_probes += 1
        probes[n_probe_cols] = inf
        any_probe_station = False
        for s in range(n_slots):
            if probe_ok[d, s]:
                any_probe_station = True
        if not any_probe_station:
            n_probes = 0
        next_probe = 0
        lo = 0
        hi = 0
        while True:
            s = 0
            t = free[0]
            for q in range(1, n_slots):
                if free[q] < t:
                    t = free[q]
                    s = q
            if not t < inf or (next_probe >= n_probes and not play_out):
                break
            k = 0
            while k < k_max and ends[d, s, k] <= t:
                k += 1
            k = min(k, k_max - 1)
            next_start = starts[d, s, k]
            if not next_start <= t:
                free[s] = next_start
                continue
            while hi < last_col and arr[hi] <= t:
                hi += 1
            best = inf
            best_col = -1
            for j in range(lo, hi):
                if arr[j] <= t and skill_ok[d, s, codes[j]]:
                    key = kd[j] if due[j] <= t else kb[j]
                    if key < best:
                        best = key
                        best_col = j
            if probe_ok[d, s]:
                while probes[next_probe] <= t and best > walk_in_key + probes[next_probe]:
                    call[i, order[next_probe]] = t
                    next_probe += 1
            if best < inf:
                kb[best_col] = inf
                kd[best_col] = inf
                free[s] = t + service[i, best_col]
                if record:
                    ticket_call[i, best_col] = t
            else:
                later = inf
                for j in range(hi, width):
                    if arr[j] > t and kb[j] < inf and skill_ok[d, s, codes[j]]:
                        later = arr[j]
                        break
                probe_next = probes[next_probe] if probe_ok[d, s] else inf
                free[s] = min(later, probe_next)
            while lo < hi and not kb[lo] < inf:
                lo += 1
