"""The compiled parts of `policy_kernel.run_policy` (numba).

See that module for the design. Heaps and orders compare (key, index)
pairs, and the station scan keeps the first of equal free times, so a tie
goes to the lower index exactly as numpy's argmin does in the reference
loops. Every work array is allocated once per call, not per replication.
Imported on first use, not with the estimator package: compiling (or loading
the cached machine code) takes seconds, and creating the app must stay cheap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from .policy_kernel import use_numba_cache_dir

# Before any @njit(cache=True): numba picks the cache's place when decorating.
use_numba_cache_dir(Path(__file__).parent)


@njit(cache=True, inline="always")
def _before(key_a: float, index_a: int, key_b: float, index_b: int) -> bool:
    return key_a < key_b or (key_a == key_b and index_a < index_b)


@njit(cache=True)
def _push(keys: np.ndarray, cols: np.ndarray, base: int, size: int, key: float, col: int) -> int:
    """Push (key, col) on the heap stored at keys[base:], cols[base:]; returns the new size."""
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        if _before(key, col, keys[base + parent], cols[base + parent]):
            keys[base + pos] = keys[base + parent]
            cols[base + pos] = cols[base + parent]
            pos = parent
        else:
            break
    keys[base + pos] = key
    cols[base + pos] = col
    return size + 1


@njit(cache=True)
def _pop(keys: np.ndarray, cols: np.ndarray, base: int, size: int) -> int:
    """Remove the top of the heap at keys[base:], cols[base:]; returns the new size."""
    size -= 1
    if size == 0:
        return 0
    key = keys[base + size]
    col = cols[base + size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        right = child + 1
        if right < size and _before(
            keys[base + right], cols[base + right], keys[base + child], cols[base + child]
        ):
            child = right
        if _before(keys[base + child], cols[base + child], key, col):
            keys[base + pos] = keys[base + child]
            cols[base + pos] = cols[base + child]
            pos = child
        else:
            break
    keys[base + pos] = key
    cols[base + pos] = col
    return size


@njit(cache=True)
def play(
    arrival: np.ndarray,
    key_before: np.ndarray,
    key_due: np.ndarray,
    due_at: np.ndarray,
    service_minutes: np.ndarray,
    station_free_at: np.ndarray,
    open_starts: np.ndarray,
    open_ends: np.ndarray,
    class_of: np.ndarray,
    class_can_serve: np.ndarray,
    static_order: np.ndarray,
    static_key: np.ndarray,
    static_offsets: np.ndarray,
    leaves_at: np.ndarray,
    due_order: np.ndarray,
    due_key: np.ndarray,
    due_offsets: np.ndarray,
    dynamic_cols: np.ndarray,
    dynamic_offsets: np.ndarray,
    dynamic_due_order: np.ndarray,
    ghost_can_serve: np.ndarray,
    ghost_key: float,
    reported: np.ndarray,
    calls: np.ndarray,
    ghost_calls: np.ndarray,
) -> None:
    replications, n = arrival.shape
    s_count = station_free_at.shape[1]
    k_count = open_starts.shape[2]
    n_classes = class_can_serve.shape[1]
    n_ghosts = ghost_can_serve.shape[1]
    n_dynamic = dynamic_cols.shape[0]
    n_due = dynamic_due_order.shape[0]
    inf = np.inf

    # Work arrays, allocated once for all replications.
    called = np.zeros(n, dtype=np.bool_)
    arrived = np.zeros(n, dtype=np.bool_)
    is_due = np.zeros(n, dtype=np.bool_)
    free = np.empty(s_count)
    period = np.zeros(s_count, dtype=np.int64)
    static_next = np.empty(n_classes, dtype=np.int64)
    due_next = np.empty(
        n_classes, dtype=np.int64
    )  # first switching ticket not called, in its class's due order
    due_front = np.empty(n_classes, dtype=np.int64)  # first not yet due
    coming_cols = np.empty(n_dynamic, dtype=np.int64)  # per class: tickets still to arrive, by arrival
    coming_at = np.empty(n_dynamic)
    arrival_next = np.empty(n_classes, dtype=np.int64)
    arrival_end = np.empty(n_classes, dtype=np.int64)
    heap_keys = np.empty(2 * n_dynamic)  # each dynamic ticket is pushed at most twice
    heap_cols = np.empty(2 * n_dynamic, dtype=np.int64)
    heap_size = np.zeros(n_classes, dtype=np.int64)
    ghost_waiting = np.empty(n_ghosts, dtype=np.bool_)
    serves = np.empty((s_count, n_classes), dtype=np.int64)  # per station: the classes it serves
    serves_count = np.zeros(s_count, dtype=np.int64)
    for s in range(s_count):
        for c in range(n_classes):
            if class_can_serve[s, c]:
                serves[s, serves_count[s]] = c
                serves_count[s] += 1

    for r in range(replications):
        arr = arrival[r]
        kb = key_before[r]
        kd = key_due[r]
        called[:] = False
        arrived[:] = False
        is_due[:] = False
        period[:] = 0
        heap_size[:] = 0
        ghost_waiting[:] = True
        ghosts_left = n_ghosts
        first_act = inf
        for s in range(s_count):
            free[s] = station_free_at[r, s]
            first_act = min(first_act, free[s])
        # Dynamic tickets in the building when the first station acts enter their class's heap
        # now; the others still to come are sorted by arrival (inf: never, left out).
        for c in range(n_classes):
            static_next[c] = static_offsets[c]
            due_next[c] = due_offsets[c]
            due_front[c] = due_offsets[c]
            lo, hi = dynamic_offsets[c], dynamic_offsets[c + 1]
            base = 2 * lo
            m = lo
            for i in range(lo, hi):
                j = dynamic_cols[i]
                if arr[j] <= first_act:
                    arrived[j] = True
                    heap_size[c] = _push(heap_keys, heap_cols, base, heap_size[c], kb[j], j)
                elif arr[j] < inf:
                    coming_cols[m] = j
                    coming_at[m] = arr[j]
                    m += 1
            if m - lo > 32:
                order = np.argsort(coming_at[lo:m])
                coming_cols[lo:m] = coming_cols[lo:m][order]
                coming_at[lo:m] = coming_at[lo:m][order]
            else:  # a few: insertion sort, no allocation
                for i in range(lo + 1, m):
                    at, j = coming_at[i], coming_cols[i]
                    p = i
                    while p > lo and coming_at[p - 1] > at:
                        coming_at[p] = coming_at[p - 1]
                        coming_cols[p] = coming_cols[p - 1]
                        p -= 1
                    coming_at[p] = at
                    coming_cols[p] = j
            arrival_next[c] = lo
            arrival_end[c] = m
        reported_left = 0
        for j in range(n):
            if reported[j] and arr[j] < inf:
                reported_left += 1
        dynamic_due_next = 0

        while True:
            # The station free first acts (lowest index on a tie): a scan of a few tens of
            # stations beats a heap, whose branches the processor cannot predict.
            s = 0
            t = free[0]
            for q in range(1, s_count):
                if free[q] < t:
                    t = free[q]
                    s = q
            if not t < inf or (reported_left == 0 and ghosts_left == 0):
                break
            # Open periods: a station outside one goes off until its next start.
            k = period[s]
            while k < k_count and open_ends[r, s, k] <= t:
                k += 1
            period[s] = k
            next_start = open_starts[r, s, k] if k < k_count else inf
            if not next_start <= t:
                free[s] = next_start
                continue
            # Appointments falling due switch key: re-enter them with the due key.
            while dynamic_due_next < n_due and due_at[dynamic_due_order[dynamic_due_next]] <= t:
                j = dynamic_due_order[dynamic_due_next]
                is_due[j] = True
                if arrived[j] and not called[j]:
                    c = class_of[j]
                    heap_size[c] = _push(heap_keys, heap_cols, 2 * dynamic_offsets[c], heap_size[c], kd[j], j)
                dynamic_due_next += 1
            # The best eligible ticket among the classes this station serves.
            best_key, best_col, best_class, best_is_static = inf, n, -1, False
            next_arrival = inf
            for ci in range(serves_count[s]):
                c = serves[s, ci]
                base = 2 * dynamic_offsets[c]
                p, end = arrival_next[c], arrival_end[c]
                while p < end and coming_at[p] <= t:
                    j = coming_cols[p]
                    arrived[j] = True
                    key = kd[j] if is_due[j] else kb[j]
                    heap_size[c] = _push(heap_keys, heap_cols, base, heap_size[c], key, j)
                    p += 1
                arrival_next[c] = p
                if p < end and coming_at[p] < next_arrival:
                    next_arrival = coming_at[p]
                # Static order: skip tickets called or fallen due (neither ever comes back).
                head, end = static_next[c], static_offsets[c + 1]
                while head < end and (called[static_order[head]] or leaves_at[static_order[head]] <= t):
                    head += 1
                static_next[c] = head
                if head < end and _before(static_key[head], static_order[head], best_key, best_col):
                    best_key, best_col, best_class, best_is_static = (
                        static_key[head],
                        static_order[head],
                        c,
                        True,
                    )
                # Due order: switching tickets fall due in it in key order, so those due are a prefix.
                front, end = due_front[c], due_offsets[c + 1]
                while front < end and due_at[due_order[front]] <= t:
                    front += 1
                due_front[c] = front
                head = due_next[c]
                while head < front and called[due_order[head]]:
                    head += 1
                due_next[c] = head
                if head < front and _before(due_key[head], due_order[head], best_key, best_col):
                    best_key, best_col, best_class, best_is_static = due_key[head], due_order[head], c, True
                while heap_size[c] > 0:  # drop entries of called tickets and superseded keys
                    j = heap_cols[base]
                    current = kd[j] if is_due[j] else kb[j]
                    if called[j] or heap_keys[base] != current:
                        heap_size[c] = _pop(heap_keys, heap_cols, base, heap_size[c])
                    else:
                        break
                if heap_size[c] > 0 and _before(heap_keys[base], heap_cols[base], best_key, best_col):
                    best_key, best_col, best_class, best_is_static = (
                        heap_keys[base],
                        heap_cols[base],
                        c,
                        False,
                    )
            if ghosts_left > 0 and best_key > ghost_key:
                for g in range(n_ghosts):
                    if ghost_waiting[g] and ghost_can_serve[s, g]:
                        ghost_calls[r, g] = t
                        ghost_waiting[g] = False
                        ghosts_left -= 1
            if best_key < inf:
                calls[r, best_col] = t
                called[best_col] = True
                if not best_is_static:  # a static or switching ticket is skipped when next looked at
                    base = 2 * dynamic_offsets[best_class]
                    heap_size[best_class] = _pop(heap_keys, heap_cols, base, heap_size[best_class])
                if reported[best_col]:
                    reported_left -= 1
                free[s] = t + service_minutes[r, best_col]
            else:
                free[s] = next_arrival  # idle until the next ticket it could serve arrives


@njit(cache=True)
def same_in_every_replication(
    arrival: np.ndarray, key_before: np.ndarray, key_due: np.ndarray, due_at: np.ndarray, first_act: float
) -> np.ndarray:
    """(N,) bool: the ticket is in the building by `first_act` with the same keys in every replication
    (the key once due only matters when it falls due)."""
    replications, n = arrival.shape
    out = np.ones(n, dtype=np.bool_)
    for r in range(replications):
        for j in range(n):
            if out[j] and (
                not arrival[r, j] <= first_act
                or key_before[r, j] != key_before[0, j]
                or (due_at[j] < np.inf and key_due[r, j] != key_due[0, j])
            ):
                out[j] = False
    return out
