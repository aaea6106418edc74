"""Wait-time estimator: pure (numpy; numba for the policy's inner loop) — snapshot in, estimates out; fitting.

Never imports Flask, SQLAlchemy or marshmallow; the service layer builds
snapshots and stores fitted models.
"""

from .baselines import erlang_c_mean, last_called_wait, past_waits_mean, position_times_mean
from .besttime.plan import BookedAppointment, DayPlan
from .besttime.waits import HalfHourWait, best_times
from .fit import VisitRecord, fit
from .model import FittedModel, LatenessModel, ServiceTimeModel
from .montecarlo import estimate
from .result import SiteEstimate, WaitEstimate
from .snapshot import (
    InService,
    SiteSnapshot,
    StaffingBlock,
    StationState,
    UpcomingAppointment,
    WaitingTicket,
)

__all__ = [
    "BookedAppointment",
    "DayPlan",
    "FittedModel",
    "HalfHourWait",
    "InService",
    "LatenessModel",
    "ServiceTimeModel",
    "SiteEstimate",
    "SiteSnapshot",
    "StaffingBlock",
    "StationState",
    "UpcomingAppointment",
    "VisitRecord",
    "WaitEstimate",
    "WaitingTicket",
    "best_times",
    "erlang_c_mean",
    "estimate",
    "fit",
    "last_called_wait",
    "past_waits_mean",
    "position_times_mean",
]
