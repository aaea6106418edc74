"""The call policy played per replication, compiled with numba: arrays in, call times out.

`simulation_setup` (montecarlo.py) builds the inputs (draws, ranks as float
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
Tickets present from the start whose key switches when their appointment
falls due ("switching", same keys in every replication) are in that order
until due, then in a second per-class order by their key once due, which
they enter in that order. The other tickets (not arrived yet, late
check-ins, classes whose switching tickets would fall due out of key order)
enter a small binary heap per class when they arrive and again when they
fall due (an entry whose key is no longer current is dropped when it reaches
the top). The station that acts is found by a scan of the stations' free
times. A run stops once every reported ticket (those waiting now) and every
ghost is called: later events cannot change a call that has happened.
`PreparedPolicy` builds these orders once and plays replications in blocks
(the estimate's stopping rule, docs/estimator.md "Speed").
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CACHE_DIR_ENV = "NUMBA_CACHE_DIR"


def numba_cache_dir(package_dir: Path) -> Path | None:
    """Where the compiled kernel is cached: None for numba's own choice, else a per-user temp directory.

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


def use_numba_cache_dir(package_dir: Path) -> None:
    """Point numba's cache at `numba_cache_dir(package_dir)` when that is not numba's own choice.

    Called by each compiled module before its first `@njit(cache=True)`: numba picks the cache's
    place when decorating.
    """
    import numba  # here: importing the estimator must not import numba

    fallback = numba_cache_dir(package_dir)
    if fallback is not None:
        fallback.mkdir(mode=0o700, parents=True, exist_ok=True)
        numba.config.CACHE_DIR = str(fallback)  # type: ignore[attr-defined]  # numba.config fills itself at run time


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
    """Tickets grouped by which stations can serve them, and split into static, switching and dynamic."""

    class_of: np.ndarray  # (N,) class index of each ticket
    class_can_serve: np.ndarray  # (S, C) bool
    static_order: np.ndarray  # static and switching tickets by class, then key (before due), then column
    static_key: np.ndarray  # their keys
    static_offsets: np.ndarray  # (C + 1,) class c's are static_order[off[c]:off[c+1]]
    leaves_at: np.ndarray  # (N,) when a ticket leaves the static order (its due time if switching; else inf)
    due_order: np.ndarray  # switching tickets by class, then key once due, then column
    due_key: np.ndarray  # their keys once due
    due_offsets: np.ndarray  # (C + 1,)
    dynamic_cols: np.ndarray  # dynamic tickets by class, then column
    dynamic_offsets: np.ndarray  # (C + 1,)
    dynamic_due_order: np.ndarray  # dynamic tickets whose key switches, by due time


def _skill_classes(inputs: PolicyInputs) -> _SkillClasses:
    from ._policy_compiled import same_in_every_replication

    n = inputs.arrival.shape[1]
    columns = np.arange(n)
    s_count = inputs.can_serve.shape[0]
    if n and s_count <= 62:  # each ticket's stations as the bits of one integer: unique integers are quick
        bits = inputs.can_serve.T.astype(np.int64) @ (np.int64(1) << np.arange(s_count, dtype=np.int64))
        _, first, class_of = np.unique(bits, return_index=True, return_inverse=True)
        patterns = inputs.can_serve.T[first]
    elif n:
        patterns, class_of = np.unique(inputs.can_serve.T, axis=0, return_inverse=True)
        class_of = class_of.reshape(n)
    else:
        patterns, class_of = np.zeros((0, s_count), dtype=bool), np.zeros(0, dtype=np.int64)
    n_classes = patterns.shape[0]
    # Fixed: in the building before any station acts, with keys that are the same in every
    # replication. Static: fixed, and the key never switches. Switching: fixed, with a key that
    # switches when due, in a class where falling due goes in the order of the keys once due (as
    # appointments do): such a ticket is in the static order until due, then in its class's due
    # order, both walked with a pointer. The rest is followed per replication (dynamic).
    first_act = inputs.station_free_at.min() if inputs.station_free_at.size else 0.0
    fixed = same_in_every_replication(
        np.ascontiguousarray(inputs.arrival, dtype=np.float64),
        np.ascontiguousarray(inputs.key_before, dtype=np.float64),
        np.ascontiguousarray(inputs.key_due, dtype=np.float64),
        np.ascontiguousarray(inputs.due_at, dtype=np.float64),
        float(first_act),
    )
    key_before, key_due = inputs.key_before[0], inputs.key_due[0]
    never_switches = ~np.isfinite(inputs.due_at) | (key_due == key_before)
    static = fixed & never_switches
    switching = fixed & ~never_switches
    switching_cols = columns[switching]
    due_sorted = switching_cols[
        np.lexsort((switching_cols, key_due[switching_cols], class_of[switching_cols]))
    ]
    due_times = inputs.due_at[due_sorted]
    same_class = class_of[due_sorted][1:] == class_of[due_sorted][:-1]
    out_of_order = np.unique(class_of[due_sorted][1:][same_class & (due_times[1:] < due_times[:-1])])
    if out_of_order.size:  # falling due out of key order in these classes: followed per replication
        switching &= ~np.isin(class_of, out_of_order)
        due_sorted = due_sorted[~np.isin(class_of[due_sorted], out_of_order)]
    in_order = columns[static | switching]
    order = np.lexsort((in_order, key_before[in_order], class_of[in_order]))
    static_order = in_order[order]
    leaves_at = np.where(switching, inputs.due_at, np.inf)
    dynamic_cols = columns[~(static | switching)]
    dynamic_cols = dynamic_cols[np.argsort(class_of[dynamic_cols], kind="stable")]
    dynamic_switching = dynamic_cols[np.isfinite(inputs.due_at[dynamic_cols])]
    dynamic_due_order = dynamic_switching[np.argsort(inputs.due_at[dynamic_switching], kind="stable")]

    def offsets(cols: np.ndarray) -> np.ndarray:
        counts = np.bincount(class_of[cols], minlength=n_classes)
        return np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def ints(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.int64)

    def floats(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float64)

    return _SkillClasses(
        class_of=ints(class_of),
        class_can_serve=np.ascontiguousarray(patterns.T, dtype=np.bool_),
        static_order=ints(static_order),
        static_key=floats(key_before[static_order]),
        static_offsets=offsets(static_order),
        leaves_at=floats(leaves_at),
        due_order=ints(due_sorted),
        due_key=floats(key_due[due_sorted]),
        due_offsets=offsets(due_sorted),
        dynamic_cols=ints(dynamic_cols),
        dynamic_offsets=offsets(dynamic_cols),
        dynamic_due_order=ints(dynamic_due_order),
    )


def run_policy(inputs: PolicyInputs) -> PolicyCalls:
    """Play the call policy in every replication; see the module docstring for the rules."""
    return PreparedPolicy(inputs).play(0, inputs.arrival.shape[0])


class PreparedPolicy:
    """The kernel's arrays built once (skill classes, contiguous copies), to play replications in blocks.

    A replication plays on its own, so playing rows start..stop - 1 gives
    exactly those rows of `run_policy`; the static and switching orders are
    found over all rows, and hold for any of them.
    """

    def __init__(self, inputs: PolicyInputs) -> None:
        self.inputs = inputs
        r, n = inputs.arrival.shape
        s_count, g = inputs.ghost_can_serve.shape
        self._nothing_to_play = r == 0 or s_count == 0 or (n == 0 and g == 0)
        if self._nothing_to_play:
            return

        def floats(a: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(a, dtype=np.float64)

        def flags(a: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(a, dtype=np.bool_)

        classes = _skill_classes(inputs)
        per_row = (
            inputs.arrival,
            inputs.key_before,
            inputs.key_due,
            inputs.service_minutes,
            inputs.station_free_at,
            inputs.open_starts,
            inputs.open_ends,
        )
        self._per_row = [floats(a) for a in per_row]
        self._due_at = floats(inputs.due_at)
        self._shared = (
            classes.class_of,
            classes.class_can_serve,
            classes.static_order,
            classes.static_key,
            classes.static_offsets,
            classes.leaves_at,
            classes.due_order,
            classes.due_key,
            classes.due_offsets,
            classes.dynamic_cols,
            classes.dynamic_offsets,
            classes.dynamic_due_order,
            flags(inputs.ghost_can_serve),
            float(inputs.ghost_key),
            flags(inputs.reported),
        )

    def play(self, start: int, stop: int) -> PolicyCalls:
        """Call times of replications start..stop - 1."""
        n = self.inputs.arrival.shape[1]
        g = self.inputs.ghost_can_serve.shape[1]
        calls = np.full((stop - start, n), np.inf)
        ghost_calls = np.full((stop - start, g), np.inf)
        if self._nothing_to_play or stop <= start:
            return PolicyCalls(calls, ghost_calls)
        from ._policy_compiled import play  # imported on first use: compiling or loading it takes a while

        arrival, key_before, key_due, service, free_at, open_starts, open_ends = (
            a[start:stop] for a in self._per_row
        )
        play(
            arrival,
            key_before,
            key_due,
            self._due_at,
            service,
            free_at,
            open_starts,
            open_ends,
            *self._shared,
            calls,
            ghost_calls,
        )
        return PolicyCalls(calls, ghost_calls)


_warm_up_lock = threading.Lock()
_warm_up_thread: threading.Thread | None = None


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
    """Compile the kernels (or load them from the cache) now rather than on the first estimate:
    the call policy and the best-times loop."""
    # Imported here: besttime imports this module through montecarlo.
    from .besttime.play import warm_up as warm_up_best_times

    run_policy(_tiny_inputs())
    warm_up_best_times()


def warm_up_in_background() -> threading.Thread:
    """Start `warm_up` once per process in a daemon thread, so the first estimate waits less or not at all."""
    global _warm_up_thread
    with _warm_up_lock:
        if _warm_up_thread is None:
            _warm_up_thread = threading.Thread(target=warm_up, name="schedq-estimator-warm-up", daemon=True)
            _warm_up_thread.start()
            # A process forked mid-compile (`schedq serve` forks its workers from the process that
            # built the app) would inherit numba's compiler lock held by a thread it does not have:
            # a fork waits for the warm-up instead, and the children inherit the compiled kernel.
            os.register_at_fork(before=_wait_for_warm_up)
        return _warm_up_thread


def _wait_for_warm_up() -> None:
    if _warm_up_thread is not None and _warm_up_thread is not threading.current_thread():
        _warm_up_thread.join()
