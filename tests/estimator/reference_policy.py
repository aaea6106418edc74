"""The call policy as a numpy loop over events: the reference the compiled kernel must match exactly.

This is the estimator's former event loop, vectorised across replications
(arrays replications x tickets, a masked argmin over every ticket per step:
cost replications x tickets²). It follows every replication until nobody is
left to call, so it is slow on long lines; tests only.
"""

from __future__ import annotations

import numpy as np

from schedq.estimator.policy_kernel import PolicyCalls, PolicyInputs

_INF = np.inf


def run_policy_reference(inputs: PolicyInputs) -> PolicyCalls:
    arrival = inputs.arrival
    r, n = arrival.shape
    s_count, g = inputs.ghost_can_serve.shape
    call = np.full((r, n), _INF)
    ghost_call = np.full((r, g), _INF)
    if r == 0 or s_count == 0 or (n == 0 and g == 0):
        return PolicyCalls(call, ghost_call)

    free = inputs.station_free_at.astype(float).copy()
    starts, ends = inputs.open_starts, inputs.open_ends
    k_max = starts.shape[2]
    skill_ok, ghost_skill = inputs.can_serve, inputs.ghost_can_serve
    svc = inputs.service_minutes
    appt_cols = np.flatnonzero(np.isfinite(inputs.due_at))
    due_at = inputs.due_at[appt_cols]
    key_before_appt = inputs.key_before[:, appt_cols]
    key_due_appt = inputs.key_due[:, appt_cols]
    pending_key = inputs.key_before.astype(float).copy()  # the policy key while pending, inf once called
    pending = np.isfinite(arrival).sum(axis=1)
    ghost_pending = np.ones((r, g), dtype=bool)
    ghost_left = np.full(r, g)
    rows = np.arange(r)
    active = np.ones(r, dtype=bool)

    while True:
        s = free.argmin(axis=1)
        t = free[rows, s]
        active &= np.isfinite(t) & ((pending > 0) | (ghost_left > 0))
        if not active.any():
            break
        k = np.minimum((ends[rows, s] <= t[:, None]).sum(axis=1), k_max - 1)
        next_start = starts[rows, s, k]
        is_open = next_start <= t
        closed = active & ~is_open
        free[rows[closed], s[closed]] = next_start[closed]
        go = active & is_open
        if appt_cols.size:
            became_due = due_at <= t[:, None]
            key_now = np.where(became_due, key_due_appt, key_before_appt)
            pending_key[:, appt_cols] = np.where(np.isfinite(pending_key[:, appt_cols]), key_now, _INF)
        station_skill = skill_ok[s]
        if n:
            eligible = station_skill & (arrival <= t[:, None])
            masked = np.where(eligible, pending_key, _INF)
            j = masked.argmin(axis=1)
            best = masked[rows, j]
        else:
            j, best = np.zeros(r, dtype=int), np.full(r, _INF)
        if g:
            reach = ghost_pending & ghost_skill[s] & (go & (best > inputs.ghost_key))[:, None]
            if reach.any():
                ghost_call[reach] = np.broadcast_to(t[:, None], (r, g))[reach]
                ghost_pending &= ~reach
                ghost_left -= reach.sum(axis=1)
        calls = go & np.isfinite(best)
        if calls.any():
            rc, jc, sc = rows[calls], j[calls], s[calls]
            call[rc, jc] = t[calls]
            pending_key[rc, jc] = _INF
            pending[rc] -= 1
            free[rc, sc] = t[calls] + svc[rc, jc]
        idle = go & ~np.isfinite(best)
        if idle.any():
            ri, si = rows[idle], s[idle]
            later = station_skill[ri] & np.isfinite(pending_key[ri]) & (arrival[ri] > t[ri, None])
            free[ri, si] = np.where(later, arrival[ri], _INF).min(axis=1, initial=_INF)
    return PolicyCalls(call, ghost_call)
