"""Cost of a cold estimate by line length, and of a site's best times: CPU time, with a yardstick.

    .venv/bin/python -m benchmarks.estimator_cost           # prints the report
    .venv/bin/python -m benchmarks.estimator_cost --write   # also rewrites its section of RESULTS.md

Synthetic lines from `schedq.estimator.bench.busy_site(waiting, stations)`;
best times on `busy_site_days` (the demo site's week). Figures are CPU
seconds of this process (`time.process_time`), medians of a few repeats,
since the machine is shared: compare them as ratios to the yardstick (a numpy
sort of 10⁶ floats) timed in the same run, never as wall time across runs.
Targets (issue 10, point 3): the demo-sized estimate ≤ 10 ms, 40 stations ×
800 waiting < 100 ms, and a cost growing no faster than linearly in the line.
"""

from __future__ import annotations

import argparse
import os

from benchmarks.results import RESULTS, replace_section
from schedq.estimator.bench import (
    BEST_TIME_DAYS,
    BEST_TIME_REPLICATIONS,
    best_times_cpu_seconds,
    cpu_per_estimate,
    cpu_reference_operation,
)

HEADING = "# Cost of a cold estimate, by line length"
SIZES = ((8, 60), (3, 30), (10, 150), (20, 400), (40, 800))
"""(stations, waiting): the demo site first, then lines from short to long."""
DEMO_TARGET_MS = 10.0
LARGE_TARGET_MS = 100.0
LINEAR_SLACK = 1.5
"""Linear: µs per waiting ticket at 800 waiting at most this times its value at 30 waiting."""


def report(replications: int = 1000, repeats: int = 5) -> str:
    load_before = os.getloadavg()[0]
    yardstick = cpu_reference_operation()
    # Short lines cost little: more seeds for them steady the medians on a busy machine.
    seeds = {(s, w): max(repeats, min(4 * repeats, 6000 // w)) for s, w in SIZES}
    rows = [(s, w, *cpu_per_estimate(s, w, replications, seeds[s, w])) for s, w in SIZES]
    every = {
        (s, w): cpu_per_estimate(s, w, replications, seeds[s, w], stop_when_stable=False)[0] for s, w in SIZES
    }
    best = {s: best_times_cpu_seconds(s) for s in (8, 3)}
    yardstick_after = cpu_reference_operation()
    load_after = os.getloadavg()[0]
    ms = {(s, w): whole * 1000 for s, w, whole, _, _ in rows}
    per_ticket = {(s, w): whole * 1e6 / w for s, w, whole, _, _ in rows}
    lines = [
        "Command: `.venv/bin/python -m benchmarks.estimator_cost --write`",
        "",
        f"Settings: {replications} replications asked for, CPU time of the process (`time.process_time`), "
        f"median of {repeats} to {4 * repeats} seeds per size (more for short lines) after a warm-up; load average {load_before:.1f} at the start, "
        f"{load_after:.1f} at the end. Yardstick: a numpy sort of 10⁶ floats, "
        f"{yardstick * 1000:.1f} ms CPU before the estimates and {yardstick_after * 1000:.1f} ms after. "
        "Inputs: drawing them (`simulation_setup`, every replication asked for); played: replications "
        "the stopping rule played (median); every replication: the same estimate with "
        "`stop_when_stable=False`.",
        "",
        "| stations | waiting | ms CPU | µs per waiting ticket | ÷ yardstick | inputs ms | played | "
        "every replication ms CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s, w, whole, inputs, played in rows:
        demo = " (demo)" if (s, w) == SIZES[0] else ""
        lines.append(
            f"| {s}{demo} | {w} | {whole * 1000:.1f} | {whole * 1e6 / w:.0f} | {whole / yardstick:.2f} | "
            f"{inputs * 1000:.1f} | {played} | {every[(s, w)] * 1000:.1f} |"
        )
    growth = per_ticket[(40, 800)] / per_ticket[(3, 30)]
    demo_ms, large_ms = ms[SIZES[0]], ms[(40, 800)]
    lines += [
        "",
        f"Best times of one site ({BEST_TIME_DAYS} days, {BEST_TIME_REPLICATIONS} replications, the demo "
        f"site's week): 8 stations {best[8] * 1000:.0f} ms CPU ({best[8] / yardstick:.1f} × yardstick), "
        f"3 stations {best[3] * 1000:.0f} ms CPU.",
        "",
        "Targets of issue 10, point 3:",
        "",
        f"- demo-sized estimate (8 × 60) ≤ {DEMO_TARGET_MS:.0f} ms: "
        f"{'PASS' if demo_ms <= DEMO_TARGET_MS else 'FAIL'}, {demo_ms:.1f} ms CPU",
        f"- 40 stations × 800 waiting < {LARGE_TARGET_MS:.0f} ms: "
        f"{'PASS' if large_ms < LARGE_TARGET_MS else 'FAIL'}, {large_ms:.1f} ms CPU",
        f"- cost linear in the line: {'PASS' if growth <= LINEAR_SLACK else 'FAIL'}, µs per waiting ticket "
        f"at 800 waiting ÷ at 30 waiting = {growth:.2f} (≤ {LINEAR_SLACK})",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite '{HEADING}' in {RESULTS.name}")
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    body = report(args.replications, args.repeats)
    print(body)
    if args.write:
        replace_section(RESULTS, HEADING, body)


if __name__ == "__main__":
    main()
