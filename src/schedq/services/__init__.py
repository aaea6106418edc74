"""Use cases. Each takes a unit of work, owns its transaction and is the only place that commits."""
