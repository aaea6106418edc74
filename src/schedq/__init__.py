"""schedq: appointments, walk-in queue and honest wait-time estimates for collection sites.

Importing the package loads nothing else: the pure `schedq.domain` and
`schedq.estimator` packages can be used without Flask or SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides defaults and SCHEDQ_* environment variables."""
    import logging

    from flask import Flask
    from flask.json.provider import DefaultJSONProvider

    from schedq import access_log, api, cli, web
    from schedq import config as settings
    from schedq.db.engine import Database

    values = settings.load(config)
    app = Flask(__name__, instance_path=values["INSTANCE_DIR"])
    app.config.update(values)
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own, unless the app names another
    app.json.sort_keys = False
    database = Database(values["DATABASE_URL"], **values.get("ENGINE_OPTIONS", {}))
    app.extensions["schedq.database"] = database
    from schedq.services import rate_limits

    if values.get("REDIS_URL"):
        from schedq.services import estimate_store

        prefix = estimate_store.redis_prefix(values["REDIS_PREFIX"], values["DATABASE_URL"])
        estimate_store.use(database, estimate_store.RedisEstimateStore(values["REDIS_URL"], prefix=prefix))
        app.extensions["schedq.counters"] = rate_limits.RedisCounters(values["REDIS_URL"], prefix=prefix)
    else:
        app.extensions["schedq.counters"] = rate_limits.TableCounters()
    hops = int(values["TRUSTED_PROXY_HOPS"])
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Believe this many proxies' X-Forwarded-For/-Proto/-Host, no more: the client
        # address the per-address limits count is the one the nearest trusted proxy saw.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    access_log.install(logging.getLogger("werkzeug"))
    api.init_app(app)
    from schedq.api.fhir import server as fhir_api

    fhir_api.init_app(app)
    cli.init_app(app)
    app.register_blueprint(web.bp)
    from schedq.fhir import routes as fhir_bulk

    fhir_bulk.init_app(app)
    if values["ESTIMATOR_WARM_UP"]:
        # Compiling the estimator's kernel takes seconds (loading it from numba's cache well under
        # one): done beside start-up in each worker process, not in the first request.
        from schedq.estimator.policy_kernel import warm_up_in_background

        warm_up_in_background()
    return app
