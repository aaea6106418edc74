"""Time `estimate` on a busy synthetic site: `python -m schedq.estimator [replications]`."""

from __future__ import annotations

import sys

from .bench import SERVICE_DEFAULTS, busy_site, time_estimate
from .model import FittedModel
from .montecarlo import estimate


def main(argv: list[str]) -> None:
    replications = int(argv[1]) if len(argv) > 1 else 1000
    seconds = time_estimate(replications)
    snapshot = busy_site()
    result = estimate(snapshot, FittedModel.from_defaults(SERVICE_DEFAULTS), replications=replications)
    last = max(result.tickets.values(), key=lambda w: w.p50)
    print(f"{len(snapshot.waiting)} waiting, {len(snapshot.stations)} stations, "
          f"{len(snapshot.upcoming_appointments)} upcoming appointments, {replications} replications: "
          f"median {seconds * 1000:.1f} ms per estimate")
    print(f"longest ticket wait p10/p50/p90: {last.p10:.1f}/{last.p50:.1f}/{last.p90:.1f} min; "
          f"newcomer DRAW p50 {result.newcomer['DRAW'].p50:.1f} min")


if __name__ == "__main__":
    main(sys.argv)
