"""The compiled part of `policy_kernel.run_policy` (numba); see that module for the design.

Heaps compare (key, index) pairs, so a tie goes to the lower index exactly as
numpy's argmin does in the reference loop. Imported on first use, not with
the estimator package: compiling (or loading the cached machine code) takes
seconds, and creating the app must stay cheap.
"""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
from numba import njit

from .policy_kernel import numba_cache_dir


def _configure_numba_cache() -> None:
    fallback = numba_cache_dir(Path(__file__).parent)
    if fallback is not None:
        fallback.mkdir(mode=0o700, parents=True, exist_ok=True)
        numba.config.CACHE_DIR = str(fallback)  # type: ignore[attr-defined]  # numba.config fills itself at run time


_configure_numba_cache()  # before any @njit(cache=True): numba picks the cache's place when decorating


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
def _station_moved_later(heap: np.ndarray, free: np.ndarray) -> None:
    """The top station's free time grew: sift it down the (free time, station) heap."""
    size = heap.shape[0]
    station = heap[0]
    at = free[station]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        right = child + 1
        if right < size and _before(free[heap[right]], heap[right], free[heap[child]], heap[child]):
            child = right
        if _before(free[heap[child]], heap[child], at, station):
            heap[pos] = heap[child]
            pos = child
        else:
            break
    heap[pos] = station


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
    dynamic_cols: np.ndarray,
    dynamic_offsets: np.ndarray,
    due_order: np.ndarray,
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
    n_due = due_order.shape[0]
    inf = np.inf

    called = np.zeros(n, dtype=np.bool_)
    arrived = np.zeros(n, dtype=np.bool_)
    is_due = np.zeros(n, dtype=np.bool_)
    free = np.empty(s_count)
    period = np.zeros(s_count, dtype=np.int64)
    static_next = np.empty(n_classes, dtype=np.int64)
    by_arrival = np.empty(n_dynamic, dtype=np.int64)  # dynamic tickets by class, then arrival
    arrival_next = np.empty(n_classes, dtype=np.int64)
    heap_keys = np.empty(2 * n_dynamic)  # each dynamic ticket is pushed at most twice
    heap_cols = np.empty(2 * n_dynamic, dtype=np.int64)
    heap_size = np.zeros(n_classes, dtype=np.int64)
    ghost_waiting = np.empty(n_ghosts, dtype=np.bool_)

    for r in range(replications):
        called[:] = False
        arrived[:] = False
        is_due[:] = False
        period[:] = 0
        heap_size[:] = 0
        ghost_waiting[:] = True
        ghosts_left = n_ghosts
        for c in range(n_classes):
            static_next[c] = static_offsets[c]
            lo, hi = dynamic_offsets[c], dynamic_offsets[c + 1]
            arrival_next[c] = lo
            if hi > lo:
                members = dynamic_cols[lo:hi]
                times = np.empty(hi - lo)
                for i in range(hi - lo):
                    times[i] = arrival[r, members[i]]
                by_arrival[lo:hi] = members[np.argsort(times)]
        reported_left = 0
        for j in range(n):
            if reported[j] and arrival[r, j] < inf:
                reported_left += 1
        for s in range(s_count):
            free[s] = station_free_at[r, s]
        stations = np.argsort(free, kind="mergesort")  # a sorted array is a heap; ties by index
        due_next = 0

        while True:
            s = stations[0]
            t = free[s]
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
                _station_moved_later(stations, free)
                continue
            # Appointments falling due switch key: re-enter them with the due key.
            while due_next < n_due and due_at[due_order[due_next]] <= t:
                j = due_order[due_next]
                is_due[j] = True
                if arrived[j] and not called[j]:
                    c = class_of[j]
                    heap_size[c] = _push(
                        heap_keys, heap_cols, 2 * dynamic_offsets[c], heap_size[c], key_due[r, j], j
                    )
                due_next += 1
            # The best eligible ticket among the classes this station serves.
            best_key, best_col, best_class, best_is_static = inf, n, -1, False
            next_arrival = inf
            for c in range(n_classes):
                if not class_can_serve[s, c]:
                    continue
                base = 2 * dynamic_offsets[c]
                p, end = arrival_next[c], dynamic_offsets[c + 1]
                while p < end and arrival[r, by_arrival[p]] <= t:
                    j = by_arrival[p]
                    arrived[j] = True
                    key = key_due[r, j] if is_due[j] else key_before[r, j]
                    heap_size[c] = _push(heap_keys, heap_cols, base, heap_size[c], key, j)
                    p += 1
                arrival_next[c] = p
                if p < end and arrival[r, by_arrival[p]] < next_arrival:
                    next_arrival = arrival[r, by_arrival[p]]
                head = static_next[c]
                if head < static_offsets[c + 1] and _before(
                    static_key[head], static_order[head], best_key, best_col
                ):
                    best_key, best_col, best_class, best_is_static = (
                        static_key[head],
                        static_order[head],
                        c,
                        True,
                    )
                while heap_size[c] > 0:  # drop entries of called tickets and superseded keys
                    j = heap_cols[base]
                    current = key_due[r, j] if is_due[j] else key_before[r, j]
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
                if best_is_static:
                    static_next[best_class] += 1
                else:
                    base = 2 * dynamic_offsets[best_class]
                    heap_size[best_class] = _pop(heap_keys, heap_cols, base, heap_size[best_class])
                if reported[best_col]:
                    reported_left -= 1
                free[s] = t + service_minutes[r, best_col]
            else:
                free[s] = next_arrival  # idle until the next ticket it could serve arrives
            _station_moved_later(stations, free)
