"""schedq: appointments, walk-in queue and honest wait-time estimates for collection sites."""

from __future__ import annotations

from typing import Any

from flask import Flask

from schedq import config as settings
from schedq.db.engine import Database


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides defaults and SCHEDQ_* environment variables."""
    values = settings.load(config)
    app = Flask(__name__, instance_path=values["INSTANCE_DIR"])
    app.config.update(values)
    app.json.sort_keys = False

    database = Database(values["DATABASE_URL"], **values.get("ENGINE_OPTIONS", {}))
    app.extensions["schedq.database"] = database

    from schedq import api, cli

    api.init_app(app)
    cli.init_app(app)
    return app
