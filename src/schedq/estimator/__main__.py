"""Time `estimate` on busy synthetic sites: `python -m schedq.estimator [replications]`."""

from __future__ import annotations

import sys

from .bench import SERVICE_DEFAULTS, busy_site, time_reference_operation, time_sizes
from .model import FittedModel
from .montecarlo import estimate


def main(argv: list[str]) -> None:
    replications = int(argv[1]) if len(argv) > 1 else 1000
    reference = time_reference_operation()
    timings = time_sizes(replications)
    reference_after = time_reference_operation()
    snapshot = busy_site()
    result = estimate(snapshot, FittedModel.from_defaults(SERVICE_DEFAULTS), replications=replications)
    last = max(result.tickets.values(), key=lambda w: w.p50)
    demo = timings[0]
    print(
        f"{len(snapshot.waiting)} waiting, {len(snapshot.stations)} stations, "
        f"{len(snapshot.upcoming_appointments)} upcoming appointments, {replications} replications: "
        f"median {demo.seconds * 1000:.1f} ms per estimate"
    )
    print(
        f"longest ticket wait p10/p50/p90: {last.p10:.1f}/{last.p50:.1f}/{last.p90:.1f} min; "
        f"newcomer DRAW p50 {result.newcomer['DRAW'].p50:.1f} min"
    )
    print(
        f"reference operation (numpy sort of 10^6 floats): {reference * 1000:.1f} ms before, "
        f"{reference_after * 1000:.1f} ms after the estimates"
    )
    print()
    print("| stations | waiting | ms per estimate | µs per waiting ticket | × reference |")
    print("|---:|---:|---:|---:|---:|")
    for timing in timings:
        print(
            f"| {timing.stations} | {timing.waiting} | {timing.seconds * 1000:.1f} | "
            f"{timing.microseconds_per_waiting:.0f} | {timing.seconds / reference:.2f} |"
        )


if __name__ == "__main__":
    main(sys.argv)
