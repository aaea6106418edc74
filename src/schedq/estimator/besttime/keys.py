"""Times and call-policy ranks as floats: minutes after an origin instant, and `rank` tuples as keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schedq.domain.policy import QueueEntry, rank

_TIER_SPAN = 1.0e6  # minutes; far more than any horizon, so tiers never mix
TIE_MINUTES = 1.0e-6


def minutes_after(t: datetime, origin: datetime) -> float:
    return (t - origin).total_seconds() / 60.0


def policy_key(rank_tuple: tuple[int, datetime, int], origin: datetime) -> float:
    tier, instant, _ = rank_tuple
    return int(tier) * _TIER_SPAN + minutes_after(instant, origin)


def walk_in_key() -> float:
    """Key of a walk-in joining at the origin; one joining x minutes later has key + x."""
    at = datetime(2000, 1, 1, tzinfo=UTC)
    return policy_key(rank(QueueEntry(ticket_id=0, service_code="", joined_at=at), at), at)


def appointment_keys(at: datetime, origin: datetime) -> tuple[float, float]:
    """Keys of a punctual appointment before and once it falls due."""
    entry = QueueEntry(ticket_id=0, service_code="", joined_at=at, appointment_at=at)
    return policy_key(rank(entry, at - timedelta(microseconds=1)), origin), policy_key(
        rank(entry, at), origin
    )
