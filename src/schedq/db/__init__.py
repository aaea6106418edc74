"""Persistence: SQLAlchemy 2 models, the unit of work, queries and migrations."""
