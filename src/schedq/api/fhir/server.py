"""Registers the FHIR API on the app: its resources, then the /fhir blueprint."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from schedq.api.fhir import booking, resources  # noqa: F401  (they register their resources)
    from schedq.api.fhir.routes import bp

    app.register_blueprint(bp)
