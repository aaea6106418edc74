"""Staffing: the stations a weekday needs to meet the service-level target, and what-if."""
