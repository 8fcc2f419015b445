"""Periodic housekeeping, and the database connection every task uses."""

import functools

from huey import crontab

from models import db, utcnow

from . import huey

_app = None


def app_context():
    """The Flask app's configuration (database, settings) for code run by the worker."""
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app.app_context()


def with_database(fn):
    """Open one connection for the task and close it after, like a request."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with app_context(), db.connection_context():
            return fn(*args, **kwargs)

    return wrapper


@huey.periodic_task(crontab(minute="*"))
def heartbeat():
    """Lets the app show that the worker and scheduler are alive."""
    stamp = utcnow().isoformat(timespec="seconds")
    huey.storage.put_data("heartbeat", stamp.encode())
    return stamp


def last_heartbeat():
    value = huey.storage.peek_data("heartbeat")
    from huey.constants import EmptyData

    return None if value is EmptyData else value.decode()
