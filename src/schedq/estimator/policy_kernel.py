"""The call policy played per replication, compiled with numba: arrays in, call times out.

`simulate_call_times` (montecarlo.py) builds the inputs (draws, ranks as float
keys, station open intervals); `run_policy` plays the policy and returns when
each ticket and each newcomer ("ghost") is called. The rules are those of
docs/estimator.md ("Algorithm"): the station that frees first acts (lowest
station index on a tie); outside its open periods it goes off until its next
start; else it calls the lowest current key among arrived, uncalled tickets it
can serve (lowest column on a tie); a ghost is reached when a station with its
skill acts and nobody eligible is ranked ahead of it; with nobody eligible the
station idles until the next arrival it could serve.

Why it is linear in the line: a replication never scans the line. Tickets
present from the start whose key never changes ("static", most of a line) sit
in one order per skill class (tickets that the same stations can serve),
sorted once for all replications; a call from them is the head of that order.
The other tickets (not arrived yet, appointments whose key switches when due,
late check-ins) enter a small binary heap per class when they arrive and again
when they fall due (an entry whose key is no longer current is dropped when it
reaches the top). Stations sit in a heap ordered by (free time, index). A run
stops once every reported ticket (those waiting now) and every ghost is
called: later events cannot change a call that has happened.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
from numba import njit

CACHE_DIR_ENV = "NUMBA_CACHE_DIR"


def numba_cache_dir(package_dir: Path) -> Path | None:
    """Where compiled kernels are cached: None for numba's own choice, else a per-user temp directory.

    numba caches next to the source (`__pycache__`) when it can write there,
    else under the user's cache directory, and refuses `cache=True` when it
    can do neither. An installed package is often read-only, and a service
    account's home may be too; a per-user directory under the system temp
    directory always works. `NUMBA_CACHE_DIR`, when set, is left to numba.
    """
    if os.environ.get(CACHE_DIR_ENV):
        return None
    pycache = package_dir / "__pycache__"
    try:
        pycache.mkdir(exist_ok=True)
        with tempfile.TemporaryFile(dir=pycache):
            pass
        return None
    except OSError:
        return Path(tempfile.gettempdir()) / f"schedq-numba-cache-{os.getuid()}"


def _configure_numba_cache() -> None:
    fallback = numba_cache_dir(Path(__file__).parent)
    if fallback is not None:
        fallback.mkdir(mode=0o700, parents=True, exist_ok=True)
        numba.config.CACHE_DIR = str(fallback)


_configure_numba_cache()  # before any @njit(cache=True): numba picks the cache's place when decorating


@dataclass(frozen=True, slots=True)
class PolicyInputs:
    """Everything the call policy needs, as arrays; R replications, N tickets, S stations, G ghosts.

    Times are minutes after now; `inf` means never. Keys are the call
    policy's order as floats (lower is called first).
    """

    arrival: np.ndarray  # (R, N) when the ticket is in the building; inf: never (no-show, not drawn)
    key_before: np.ndarray  # (R, N) key before the ticket's appointment falls due
    key_due: np.ndarray  # (R, N) key once due
    due_at: np.ndarray  # (N,) when the key switches; inf: never
    service_minutes: np.ndarray  # (R, N)
    station_free_at: np.ndarray  # (R, S) when each station is first free
    open_starts: np.ndarray  # (R, S, K) open periods, in time order, padded with inf (at least one pad)
    open_ends: np.ndarray  # (R, S, K)
    can_serve: np.ndarray  # (S, N) bool: station can do the ticket's service
    ghost_can_serve: np.ndarray  # (S, G) bool
    ghost_key: float  # the key of every ghost (a walk-in joining now)
    reported: np.ndarray  # (N,) bool: tickets whose call times are wanted (the run stops once all are called)


@dataclass(frozen=True, slots=True)
class PolicyCalls:
    """Call times (minutes after now; inf: never): tickets (R, N) and ghosts (R, G).

    Only reported tickets are followed to the end: an unreported ticket not
    yet called when the run stopped has inf.
    """

    tickets: np.ndarray
    ghosts: np.ndarray


@dataclass(frozen=True, slots=True)
class _SkillClasses:
    """Tickets grouped by which stations can serve them, and split into static and dynamic."""

    class_of: np.ndarray  # (N,) class index of each ticket
    class_can_serve: np.ndarray  # (S, C) bool
    static_order: np.ndarray  # static tickets by class, then key, then column
    static_key: np.ndarray  # their keys
    static_offsets: np.ndarray  # (C + 1,) class c's static tickets are static_order[off[c]:off[c+1]]
    dynamic_cols: np.ndarray  # dynamic tickets by class, then column
    dynamic_offsets: np.ndarray  # (C + 1,)
    due_order: np.ndarray  # dynamic tickets whose key switches, by due time


def _skill_classes(inputs: PolicyInputs) -> _SkillClasses:
    n = inputs.arrival.shape[1]
    columns = np.arange(n)
    if n:
        patterns, class_of = np.unique(inputs.can_serve.T, axis=0, return_inverse=True)
        class_of = class_of.reshape(n)
    else:
        patterns, class_of = np.zeros((0, inputs.can_serve.shape[0]), dtype=bool), np.zeros(0, dtype=np.int64)
    n_classes = patterns.shape[0]
    # Static: in the building before any station acts, with a key that is the same in every
    # replication and never switches. The rest is followed per replication.
    first_act = inputs.station_free_at.min() if inputs.station_free_at.size else 0.0
    there_from_start = (inputs.arrival <= first_act).all(axis=0)
    same_key = (inputs.key_before == inputs.key_before[:1]).all(axis=0)
    never_switches = ~np.isfinite(inputs.due_at) | (inputs.key_due == inputs.key_before).all(axis=0)
    static = there_from_start & same_key & never_switches
    static_cols = columns[static]
    static_key = inputs.key_before[0, static_cols] if static_cols.size else np.zeros(0)
    order = np.lexsort((static_cols, static_key, class_of[static_cols]))
    static_order = static_cols[order]
    dynamic_cols = columns[~static]
    dynamic_cols = dynamic_cols[np.argsort(class_of[dynamic_cols], kind="stable")]
    switching = dynamic_cols[np.isfinite(inputs.due_at[dynamic_cols])]
    due_order = switching[np.argsort(inputs.due_at[switching], kind="stable")]

    def offsets(cols: np.ndarray) -> np.ndarray:
        counts = np.bincount(class_of[cols], minlength=n_classes)
        return np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    return _SkillClasses(
        class_of=np.ascontiguousarray(class_of, dtype=np.int64),
        class_can_serve=np.ascontiguousarray(patterns.T, dtype=np.bool_),
        static_order=np.ascontiguousarray(static_order, dtype=np.int64),
        static_key=np.ascontiguousarray(static_key[order], dtype=np.float64),
        static_offsets=offsets(static_order),
        dynamic_cols=np.ascontiguousarray(dynamic_cols, dtype=np.int64),
        dynamic_offsets=offsets(dynamic_cols),
        due_order=np.ascontiguousarray(due_order, dtype=np.int64),
    )


def run_policy(inputs: PolicyInputs) -> PolicyCalls:
    """Play the call policy in every replication; see the module docstring for the rules."""
    r, n = inputs.arrival.shape
    s_count, g = inputs.ghost_can_serve.shape
    calls = np.full((r, n), np.inf)
    ghost_calls = np.full((r, g), np.inf)
    if r == 0 or s_count == 0 or (n == 0 and g == 0):
        return PolicyCalls(calls, ghost_calls)
    classes = _skill_classes(inputs)

    def floats(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float64)

    def flags(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.bool_)

    _play(
        floats(inputs.arrival), floats(inputs.key_before), floats(inputs.key_due), floats(inputs.due_at),
        floats(inputs.service_minutes), floats(inputs.station_free_at),
        floats(inputs.open_starts), floats(inputs.open_ends),
        classes.class_of, classes.class_can_serve, classes.static_order, classes.static_key,
        classes.static_offsets, classes.dynamic_cols, classes.dynamic_offsets, classes.due_order,
        flags(inputs.ghost_can_serve), float(inputs.ghost_key), flags(inputs.reported),
        calls, ghost_calls,
    )
    return PolicyCalls(calls, ghost_calls)


# ---------------------------------------------------------------------------
# The compiled part. Heaps compare (key, index) pairs, so a tie goes to the
# lower index exactly as numpy's argmin does in the reference loop.


@njit(cache=True, inline="always")
def _before(key_a: float, index_a: int, key_b: float, index_b: int) -> bool:
    return key_a < key_b or (key_a == key_b and index_a < index_b)


@njit(cache=True)
def _push(keys, cols, base, size, key, col):
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
def _pop(keys, cols, base, size):
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
        if right < size and _before(keys[base + right], cols[base + right], keys[base + child], cols[base + child]):
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
def _station_moved_later(heap, free):
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
def _play(arrival, key_before, key_due, due_at, service_minutes, station_free_at, open_starts, open_ends,
          class_of, class_can_serve, static_order, static_key, static_offsets,
          dynamic_cols, dynamic_offsets, due_order, ghost_can_serve, ghost_key, reported,
          calls, ghost_calls):
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
                    heap_size[c] = _push(heap_keys, heap_cols, 2 * dynamic_offsets[c], heap_size[c],
                                         key_due[r, j], j)
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
                if head < static_offsets[c + 1] and _before(static_key[head], static_order[head],
                                                              best_key, best_col):
                    best_key, best_col, best_class, best_is_static = (
                        static_key[head], static_order[head], c, True)
                while heap_size[c] > 0:  # drop entries of called tickets and superseded keys
                    j = heap_cols[base]
                    current = key_due[r, j] if is_due[j] else key_before[r, j]
                    if called[j] or heap_keys[base] != current:
                        heap_size[c] = _pop(heap_keys, heap_cols, base, heap_size[c])
                    else:
                        break
                if heap_size[c] > 0 and _before(heap_keys[base], heap_cols[base], best_key, best_col):
                    best_key, best_col, best_class, best_is_static = (
                        heap_keys[base], heap_cols[base], c, False)
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


_warm_up_started = threading.Event()


def _tiny_inputs() -> PolicyInputs:
    return PolicyInputs(
        arrival=np.array([[0.0, 5.0]]),
        key_before=np.array([[1.0, 2.0]]),
        key_due=np.array([[1.0, 0.5]]),
        due_at=np.array([np.inf, 3.0]),
        service_minutes=np.array([[4.0, 4.0]]),
        station_free_at=np.zeros((1, 1)),
        open_starts=np.array([[[0.0, np.inf]]]),
        open_ends=np.array([[[60.0, np.inf]]]),
        can_serve=np.ones((1, 2), dtype=bool),
        ghost_can_serve=np.ones((1, 1), dtype=bool),
        ghost_key=1.5,
        reported=np.ones(2, dtype=bool),
    )


def warm_up() -> None:
    """Compile the kernel (or load it from the cache) now rather than on the first estimate."""
    run_policy(_tiny_inputs())


def warm_up_in_background() -> None:
    """Start `warm_up` once per process in a daemon thread (the first estimate then waits less or not at all)."""
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()
    threading.Thread(target=warm_up, name="schedq-estimator-warm-up", daemon=True).start()
