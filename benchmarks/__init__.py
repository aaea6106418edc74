"""Benchmarks: they print their figures; tests do not time anything."""
