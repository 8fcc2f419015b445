"""Fettle: the Flask application factory and its configuration from the environment."""

import gc
import os
import secrets
from pathlib import Path

from flask import Flask, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from models import User, db, open_database
from models.audit import request_ip
from models.base import close_connection
from models.outbox import configure as configure_mail

ROOT = Path(__file__).resolve().parent
login_manager = LoginManager()
csrf = CSRFProtect()


def _secret_key(instance_path, production):
    """SECRET_KEY from the environment; in development one generated once into instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set when FETTLE_ENV=production")
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path):
    """Every setting comes from an environment variable with an embedded default."""
    production = os.environ.get("FETTLE_ENV", "development") == "production"
    instance = Path(instance_path)
    return dict(
        ENV_NAME="production" if production else "development",
        SECRET_KEY=_secret_key(instance, production),
        DATABASE_URL=os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'fettle.db'}"),
        REDIS_URL=os.environ.get("REDIS_URL"),
        SMTP_URL=os.environ.get("SMTP_URL"),
        # The sender of every email Fettle sends.
        MAIL_FROM=os.environ.get("MAIL_FROM", "Fettle <fettle@localhost>"),
        # Uploaded files: instance/uploads by default, or s3://bucket[/prefix].
        STORAGE_URL=os.environ.get("STORAGE_URL"),
        BASE_URL=os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        HUEY_SQLITE_PATH=str(instance / "huey.db"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_NAME="fettle_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        # The CSRF token lives as long as the session, so a page left open all day still posts.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=production,
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
    )


def create_app(test_config=None):
    app = Flask(__name__, instance_path=os.environ.get("FETTLE_INSTANCE", str(ROOT / "instance")))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)

    database = open_database(app.config["DATABASE_URL"])
    db.initialize(database)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "basic"
    csrf.init_app(app)

    @login_manager.user_loader
    def load_user(session_id):
        return User.load_session(session_id)

    @app.before_request
    def open_connection():
        db.connect(reuse_if_open=True)
        request_ip.set(request.remote_addr)

    @app.teardown_request
    def close_request_connection(exc):
        close_connection(db.obj)

    from views import register_views

    register_views(app)
    configure_mail(app)  # settings and links for mail written outside a request
    # What exists now (modules, routes, compiled templates) lives as long as the process:
    # kept out of the collector's full passes, which otherwise walk it every few dozen
    # requests (tens of ms each, the slowest requests of every page).
    gc.freeze()
    return app
