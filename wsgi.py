"""WSGI entry point: `gunicorn wsgi:app` (settings from SCHEDQ_* environment variables)."""

from schedq import create_app

app = create_app()
