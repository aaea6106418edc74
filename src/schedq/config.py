"""Settings. Every setting can be given as an environment variable `SCHEDQ_<NAME>`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from schedq.notify import settings as notify_settings

# Settings read from SCHEDQ_* environment variables, with how to parse each.
_ENV_PARSERS: dict[str, type] = {
    "DATABASE_URL": str,
    "REDIS_URL": str,
    "REDIS_PREFIX": str,
    "SECRET_KEY": str,
    "INSTANCE_DIR": str,
    "SEED_DEMO": bool,
    "DEMO_PLAY": bool,
    "DEMO_PLAY_SPEED": float,
    "MODEL_MAX_AGE_HOURS": int,
    "MAX_CONTENT_LENGTH": int,
    "TRUSTED_PROXY_HOPS": int,
    "ESTIMATOR_WARM_UP": bool,
    "TRAVEL_KMH": float,
    "PUBLIC_URL": str,
    "FHIR_PUBLICATION_DIR": str,
    "FHIR_PUBLISH_EVERY_SECONDS": int,
    "NOTIFY_MAX_ATTEMPTS": int,
    "NOTIFY_BACKOFF_SECONDS": float,
    "NOTIFY_LEASE_SECONDS": float,
    "NOTIFY_POLL_SECONDS": float,
    "NOTIFY_LOG_FILE": str,
    # SMTP, SMS and webhook settings (README: "Channels").
    **notify_settings.ENV_PARSERS,
}


def _parse(kind: type, raw: str) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


class Config:
    """Defaults: an embedded SQLite file in the instance directory."""

    INSTANCE_DIR = str(Path.cwd() / "instance")
    DATABASE_URL: str | None = None  # None: sqlite file in INSTANCE_DIR
    REDIS_URL: str | None = None  # None: shared estimates live in the database
    REDIS_PREFIX = "schedq"
    SECRET_KEY: str | None = None  # None: generated once and kept in INSTANCE_DIR
    SEED_DEMO = True
    DEMO_PLAY = False
    DEMO_PLAY_SPEED = 20.0  # simulated minutes per real minute
    MODEL_MAX_AGE_HOURS = 24
    MAX_CONTENT_LENGTH = 64 * 1024
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (README: configuration).
    TRUSTED_PROXY_HOPS = 0
    ESTIMATOR_WARM_UP = True  # compile the estimator's kernel in a background thread at start-up
    # "Where should I go now": travel counted as the straight-line distance at this speed (README: the pages).
    TRAVEL_KMH = 30.0
    # Notifications (README: "Notifications"): links in messages start with PUBLIC_URL; the worker's retries.
    PUBLIC_URL = "http://127.0.0.1:5000"
    # SMART Scheduling Links (README: "FHIR and SMART Scheduling Links"): where the bulk files are kept
    # (None: INSTANCE_DIR/fhir-publication) and the age at which a request regenerates them.
    FHIR_PUBLICATION_DIR: str | None = None
    FHIR_PUBLISH_EVERY_SECONDS = 300
    NOTIFY_MAX_ATTEMPTS = 8
    NOTIFY_BACKOFF_SECONDS = 30.0  # the wait after the first failed try, doubled after each
    NOTIFY_LEASE_SECONDS = 120.0  # a try not marked by then is taken again by another worker
    NOTIFY_POLL_SECONDS = 2.0
    NOTIFY_LOG_FILE: str | None = None  # also append what the LOG channel keeps to this file

    API_TITLE = "schedq"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # /api/v1/docs is served by schedq.web from the packaged Swagger UI (swagger-ui-bundle), not a CDN.
    JSON_SORT_KEYS = False


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then SCHEDQ_* environment variables, then `overrides`."""
    settings = {k: v for k, v in vars(Config).items() if k.isupper()}
    settings.update(notify_settings.DEFAULTS)
    for name, kind in _ENV_PARSERS.items():
        raw = os.environ.get(f"SCHEDQ_{name}")
        if raw is not None:
            settings[name] = _parse(kind, raw)
    settings.update(overrides or {})

    instance = Path(settings["INSTANCE_DIR"])
    if not settings.get("DATABASE_URL"):
        instance.mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'schedq.sqlite3'}"
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _instance_secret(instance)
    return settings


def _instance_secret(instance: Path) -> str:
    """A secret kept beside the embedded database, so patient links survive restarts.

    Production sets SCHEDQ_SECRET_KEY, the same on every worker and host.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
