"""Where should I go now: the sites near a place, their wait, and who sees a walk-in soonest (public)."""
