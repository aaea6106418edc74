"""Command line: `schedq serve`, `schedq worker`, `schedq db upgrade`, `schedq tokens …`, `schedq seed-demo`."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from schedq.db import migrate
from schedq.domain.enums import Role
from schedq.services import access
from schedq.web_context import database, uow


def init_app(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(tokens_group)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(model_group)
    app.cli.add_command(serve_command)
    app.cli.add_command(queue_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(fhir_group)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@click.group("db", help="Database schema.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply migrations up to the latest.")
@with_appcontext
def db_upgrade() -> None:
    migrate.upgrade(database().url)
    click.echo("database is up to date")


@db_group.command("revision", help="Autogenerate a migration from the models (developers).")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    migrate.make_revision(database().url, message)


@click.group("tokens", help="API tokens: create, list, revoke.")
def tokens_group() -> None:
    pass


@tokens_group.command("create", help="Create a token; its text is shown once.")
@click.option("--name", required=True, help="who or what holds it, e.g. 'front desk'")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--site",
    "site_ids",
    type=int,
    multiple=True,
    help="site id in scope (repeat); none: all sites (admin only)",
)
@with_appcontext
def tokens_create(name: str, role: str, site_ids: tuple[int, ...]) -> None:
    from schedq.domain.errors import DomainError

    try:
        plain, token = access.create_token(
            uow(), name=name, role=Role(role), site_ids=site_ids, now=_utcnow()
        )
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"token {token.id} ({token.role.value}, {_scope(token)}): {plain}")


@tokens_group.command("list", help="List tokens (never their text).")
@with_appcontext
def tokens_list() -> None:
    for token in access.list_tokens(uow(write=False)):
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}Z" if token.revoked_at else "active"
        click.echo(f"{token.id}\t{token.role.value}\t{_scope(token)}\t{state}\t{token.name}")


@tokens_group.command("revoke", help="Revoke a token by id.")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    from schedq.domain.errors import DomainError

    try:
        access.revoke_token(uow(), token_id=token_id, now=_utcnow())
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"token {token_id} revoked")


def _scope(token) -> str:
    return "sites " + ",".join(str(s.id) for s in token.sites) if token.sites else "all sites"


@click.group("queue", help="The walk-in queue.")
def queue_group() -> None:
    pass


@queue_group.command("sweep", help="Mark calls not started in time as no-shows, at every site.")
@with_appcontext
def queue_sweep() -> None:
    from schedq.services.queue import no_shows

    swept = no_shows.sweep_all(uow(write=False), now=(current_app.config.get("CLOCK") or _utcnow)())
    click.echo(f"{sum(swept.values())} no-show(s) recorded")


@click.group("model", help="Each site's wait model, learned from its own history.")
def model_group() -> None:
    pass


@model_group.command("refit", help="Refit the wait model of one site (--site) or of every site now.")
@click.option("--site", "site_id", type=int, help="site id; default: every site")
@with_appcontext
def model_refit(site_id: int | None) -> None:
    from schedq.services import sites
    from schedq.services.estimates.models import refit

    targets = [site_id] if site_id is not None else [s.id for s in sites.list_sites(uow(write=False))]
    for target in targets:
        stored = refit(uow(), site_id=target, now=_utcnow())
        click.echo(f"site {target}: refit from {stored.visit_count} visits")


@click.command("seed-demo", help="Add the demo site, services and tokens if the database is empty.")
@with_appcontext
def seed_demo_command() -> None:
    from schedq import demo

    created = demo.seed_if_empty(uow, now=_utcnow())
    if created is None:
        click.echo("the database already has sites; nothing seeded")
    else:
        _print_demo(created)


def _print_demo(created) -> None:
    click.echo(f"seeded demo site {created.site_id}: {created.site_name}")
    for role, plain in created.tokens.items():
        click.echo(f"  {role} token: {plain}")


@click.command("serve", help="Apply migrations, seed the demo when empty, and serve.")
@click.option("--host", default=lambda: os.environ.get("SCHEDQ_HOST", "127.0.0.1"))
@click.option("--port", type=int, default=lambda: int(os.environ.get("SCHEDQ_PORT", "5000")))
@click.option("--workers", type=int, default=lambda: int(os.environ.get("SCHEDQ_WORKERS", "1")))
@click.option("--play", is_flag=True, help="play sped-up simulated days at the demo site (SCHEDQ_DEMO_PLAY)")
@with_appcontext
def serve_command(host: str, port: int, workers: int, play: bool) -> None:
    from schedq import demo
    from schedq.web import demo_play

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # current_app: a proxy typed as Flask
    if play:
        app.config["DEMO_PLAY"] = True
        demo_play.install(app)
    migrate.upgrade(database().url)
    if app.config["SEED_DEMO"]:
        created = demo.seed_if_empty(uow, now=_utcnow())
        if created is not None:
            _print_demo(created)
    base = f"http://{host}:{port}"
    click.echo(f"schedq on {database().engine.url.render_as_string(hide_password=True)}")
    for label, path in demo.urls(uow, now=_utcnow()):
        click.echo(f"  {label}: {base}{path}")
    _run(app, host=host, port=port, workers=workers)


def _run(app: Flask, *, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from schedq import access_log

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 8)
            self.cfg.set("accesslog", "-")
            self.cfg.set("logger_class", access_log.gunicorn_logger_class())

        def load(self):
            return app

    app.extensions["schedq.database"].dispose()  # workers open their own connections
    Server().run()


@click.command("worker", help="Deliver the outbox: messages to patients and webhooks to site systems.")
@click.option(
    "--once", is_flag=True, help="write the scheduled events due, deliver what is due now, then stop"
)
@click.option("--poll-seconds", type=float, default=None, help="idle time between empty batches")
@with_appcontext
def worker_command(once: bool, poll_seconds: float | None) -> None:
    import signal
    import threading

    from schedq.notify import delivery

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # current_app: a proxy typed as Flask
    settings = delivery.Settings.from_config(app.config)
    channels = delivery.channels_from_config(app.config, database())
    clock = app.config.get("CLOCK") or _utcnow
    worker = delivery.worker_name()
    names = ", ".join(sorted(name.value for name in channels))
    click.echo(f"schedq worker {worker}: channels {names} (the others go to log)")
    if once:
        from schedq.notify import scheduler

        scheduler.write_reminders(database(), now=clock())
        scheduler.write_turn_events(database(), now=clock())
        tries = 0
        while (done := delivery.run_once(database(), channels, settings, clock=clock, worker=worker)) > 0:
            tries += done
        click.echo(f"{tries} tr{'y' if tries == 1 else 'ies'} made")
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    delivery.run(
        database(),
        channels,
        settings,
        stop=stop,
        poll_seconds=poll_seconds if poll_seconds is not None else app.config["NOTIFY_POLL_SECONDS"],
        clock=clock,
        worker=worker,
    )


@click.group("fhir", help="FHIR and SMART Scheduling Links: the bulk publication.")
def fhir_group() -> None:
    pass


@fhir_group.command("publish", help="Write the $bulk-publish manifest and its NDJSON files to a directory.")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="the directory to write")
@click.option(
    "--base-url",
    default=None,
    help="where the directory will be served (a CDN or bucket); by default schedq's own /fhir/bulk",
)
@click.option("--days", type=click.IntRange(1, 31), default=7, show_default=True, help="local days of slots")
@click.option("--no-live-waits", is_flag=True, help="leave out the walk-in wait (no estimate per site)")
@click.option(
    "--every", type=click.IntRange(min=10), default=None, help="regenerate every N seconds until stopped"
)
@with_appcontext
def fhir_publish(out: str, base_url: str | None, days: int, no_live_waits: bool, every: int | None) -> None:
    import time
    from pathlib import Path

    from schedq.fhir import publication

    clock = current_app.config.get("CLOCK") or _utcnow
    while True:
        started = time.monotonic()
        made = publication.publish(
            uow,
            Path(out),
            public_url=current_app.config["PUBLIC_URL"],
            now=clock(),
            days=days,
            live_waits=not no_live_waits,
            files_url=base_url,
        )
        counts = ", ".join(f"{count} {kind}" for kind, count in sorted(made.counts.items()))
        click.echo(f"published {counts} to {out} in {time.monotonic() - started:.1f} s")
        if every is None:
            return
        time.sleep(max(every - (time.monotonic() - started), 0))


def main() -> None:
    from schedq import create_app

    FlaskGroup(create_app=lambda: create_app(), add_default_commands=False)(prog_name="schedq")
