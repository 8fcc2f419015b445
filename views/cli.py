"""Command-line tasks: migrations, organisations, demo data, and running everything at once."""

import os
import signal
import subprocess
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

import migrations
from models import Organisation, User, db
from models.base import refresh_statistics
from models.demo import DEMO_PASSWORD, DEMO_USERS, demo_loaded, load_demo
from models.forecast import extend_forecast
from models.storage import get_storage


def _storage():
    return get_storage(current_app.config.get("STORAGE_URL"), current_app.instance_path)


def register(app):
    app.cli.add_command(db_group)
    app.cli.add_command(create_org)
    app.cli.add_command(demo_command)
    app.cli.add_command(serve)
    app.cli.add_command(forecast_command)


FORECAST_MIGRATION = "0017_forecast"


def _upgrade():
    """Apply pending migrations; the one that adds the forecast table also fills it, so the
    calendar shows existing schedules' forecast at once."""
    applied = migrations.upgrade(db.obj)
    if FORECAST_MIGRATION in applied:
        extend_forecast()
    return applied


@click.group("db", help="Apply, revert and list schema migrations.")
def db_group():
    pass


@db_group.command("upgrade")
def db_upgrade():
    """Apply every pending migration."""
    with db.connection_context():
        applied = _upgrade()
        refresh_statistics(db.obj)
    click.echo("\n".join(f"applied {n}" for n in applied) or "Already up to date.")


@db_group.command("downgrade")
@click.argument("steps", default=1, type=click.IntRange(min=1))
def db_downgrade(steps):
    """Revert the last STEPS migrations (default 1)."""
    with db.connection_context():
        reverted = migrations.downgrade(db.obj, steps)
    click.echo("\n".join(f"reverted {n}" for n in reverted) or "Nothing to revert.")


@db_group.command("status")
def db_status():
    """List migrations and whether each is applied."""
    with db.connection_context():
        for m in migrations.runner(db.obj).status():
            click.echo(f"{'applied' if m.applied else 'pending':8} {m.name}")


@click.command("create-org")
@click.option("--name", prompt="Organisation name")
@click.option("--admin-email", prompt="Admin email")
@click.option("--admin-name", prompt="Admin name")
@click.password_option("--admin-password", prompt="Admin password")
def create_org(name, admin_email, admin_name, admin_password):
    """Create an organisation and its first admin."""
    email = admin_email.strip().lower()
    if len(admin_password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    with db.connection_context(), db.atomic():
        if User.select().where(User.email == email).exists():
            raise click.BadParameter(f"{email} already has an account", param_hint="email")
        org = Organisation.create(name=name.strip()[:200])
        admin = User(organisation=org, email=email, name=admin_name.strip()[:120], role="admin")
        admin.set_password(admin_password)
        admin.save()
    click.echo(f"Created {org.name} with admin {email}.")


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the demo organisation unless it is already there."""
    with db.connection_context():
        if demo_loaded():
            click.echo("Demo data already loaded.")
            return
        load_demo(storage=_storage())
    click.echo("Demo data loaded.")


@click.command("forecast")
@with_appcontext
def forecast_command():
    """Build the calendar's forecast of schedules that have none and extend every schedule's
    to the horizon (what the periodic task does every hour)."""
    with db.connection_context():
        added = extend_forecast()
    click.echo(f"{added:,} forecast occurrences added.")


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", 5000)), type=int)
def serve(host, port):
    """Migrate, load the demo on first start, then run web server, worker and scheduler."""
    with db.connection_context():
        _upgrade()
        if not User.select().exists():
            click.echo("First start: loading demo data...")
            load_demo(storage=_storage())
        refresh_statistics(db.obj)
    consumer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "huey.bin.huey_consumer",
            "tasks.huey",
            "--workers",
            "2",
            "--worker-type",
            "thread",
            "--flush-locks",
            "--quiet",
        ],
        env={**os.environ, "FETTLE_INSTANCE": current_app.instance_path},
    )
    url = f"http://{host}:{port}"
    click.echo(f"\n  Fettle is running at {url}\n")
    click.echo(f"  Demo sign-ins (password: {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_USERS:
        click.echo(f"    {email:24} {role}")
    click.echo("\n  Worker and scheduler are running. Press Ctrl-C to stop.\n")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        if consumer.poll() is None:
            consumer.send_signal(signal.SIGINT)
            try:
                consumer.wait(timeout=10)
            except subprocess.TimeoutExpired:
                consumer.kill()
