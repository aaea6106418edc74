"""`schedq serve` with its clock moved to a weekday morning, so browser tests run at any hour.

Run as `python -m tests.browser.server --port N --workers 2` (or `... worker --once`: the
worker on the same shifted clock). It is the real serve command
(migrations, demo seed, gunicorn with several workers); only the app's CLOCK is set: real
time shifted by SCHEDQ_TEST_CLOCK_OFFSET_SECONDS, the same in every forked worker and
across restarts.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta

from flask.cli import FlaskGroup

from schedq import create_app

OFFSET_VARIABLE = "SCHEDQ_TEST_CLOCK_OFFSET_SECONDS"


class ShiftedClock:
    """Real time plus a fixed offset: it ticks, so waits and no-show timers behave as in life."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def main() -> None:
    clock = ShiftedClock(timedelta(seconds=float(os.environ.get(OFFSET_VARIABLE, "0"))))
    group = FlaskGroup(create_app=lambda: create_app({"CLOCK": clock}), add_default_commands=False)
    # `... server worker --once` runs the worker on the same clock; anything else is passed to serve.
    args = sys.argv[1:] if sys.argv[1:2] == ["worker"] else ["serve", *sys.argv[1:]]
    group(args=args, prog_name="schedq")


if __name__ == "__main__":
    main()
