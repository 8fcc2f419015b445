"""The database handle, the base model, and the fields every table shares."""

import contextlib
import datetime
import os
from urllib.parse import parse_qsl, urlparse

from peewee import (
    AutoField,
    Check,
    DatabaseProxy,
    DateTimeField,
    Model,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
)
from playhouse.pool import PooledPostgresqlDatabase

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -64000,
    "synchronous": "normal",
}


def utcnow():
    """Naive UTC: every timestamp in the database is UTC, shown in a zone on the way out."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


_databases = {}


def open_database(url, pooled=True):
    """The Peewee database for DATABASE_URL (sqlite:///path or postgresql://...), one per URL
    and process so that every app built in a process shares its connection pool."""
    key = (url, pooled)
    if key not in _databases:
        _databases[key] = _build_database(url, pooled)
    return _databases[key]


def _build_database(url, pooled):
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if path in ("", ":memory:"):
            raise ValueError("Fettle needs an SQLite file, not :memory:")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # Transactions take the write lock when they begin: a read that later writes would
        # otherwise fail at once ("database is locked") instead of waiting its turn.
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE")
    if parsed.scheme in ("postgres", "postgresql"):
        kwargs = dict(
            database=parsed.path.lstrip("/"),
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port or 5432,
        )
        kwargs.update(parse_qsl(parsed.query))
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        # Never switch to server-side prepared statements: their generic plans cannot see
        # the organisation or filter values, and list counts got ten times slower.
        kwargs["prepare_threshold"] = None
        # No JIT compilation: it costs 20-25 ms a query and pays off only on analytical
        # queries of seconds; the planner turned it on for the board's workload sums (an
        # estimated cost over jit_above_cost) that run in a few milliseconds.
        kwargs.setdefault("options", "-c jit=off")
        if pooled:
            return PooledPostgresqlDatabase(
                max_connections=int(os.environ.get("DATABASE_POOL_SIZE", 20)),
                stale_timeout=300,
                timeout=10,
                **kwargs,
            )
        return PostgresqlDatabase(**kwargs)
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme!r}")


def is_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


def refresh_statistics(database):
    """Planner statistics: SQLite has none until ANALYZE, and then picks poor indexes."""
    database.execute_sql("ANALYZE")


def close_connection(database):
    """Close a request's or task's connection; SQLite first refreshes stale statistics
    (cheap when nothing changed much)."""
    if database.is_closed():
        return
    if getattr(database._state, "ctx", None):
        return  # an enclosing connection_context owns it (a task rendering a page)
    if isinstance(database, SqliteDatabase) and not database.in_transaction():
        # Its ANALYZE needs the write lock, and a worker's commit in between makes SQLite
        # refuse at once (WAL: a stale snapshot cannot write): skip it, the next close runs it.
        with contextlib.suppress(OperationalError):
            database.execute_sql("PRAGMA optimize")
    database.close()


class BaseModel(Model):
    id = AutoField()
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        database = db
        legacy_table_names = False

    def save(self, *args, **kwargs):
        if self.id is not None:
            self.updated_at = utcnow()
        return super().save(*args, **kwargs)


def choice_check(column, choices):
    """A CHECK constraint that keeps an enumeration column to its known values."""
    values = ", ".join(f"'{c}'" for c in choices)
    return Check(f"{column} IN ({values})")


def _audit(actor, action, row, changes=None):
    from .audit import AuditEvent  # audit rows reference users, defined after this module

    AuditEvent.record(actor, action, row, changes)


class AuditedModel(BaseModel):
    """A row of the hierarchy: created, edited, archived and restored with an audit trail."""

    archived_at = DateTimeField(null=True)

    def _changes(self, data):
        changed = {}
        for name, value in data.items():
            old = (
                getattr(self, name + "_id", None)
                if name in self._fk_names()
                else getattr(self, name)
            )
            new = value.id if isinstance(value, BaseModel) else value
            if old != new:
                changed[name] = (old, new)
        return changed

    @classmethod
    def _fk_names(cls):
        return {f.name for f in cls._meta.refs}

    @classmethod
    def create_audited(cls, actor, **data):
        with db.atomic():
            row = cls.create(organisation=actor.organisation_id, **data)
            _audit(actor, "create", row, {k: (None, v) for k, v in data.items()})
        return row

    def update_audited(self, actor, **data):
        """Apply the changed fields and audit them; nothing is written when nothing changed."""
        changed = self._changes(data)
        if not changed:
            return changed
        with db.atomic():
            for name, value in data.items():
                setattr(self, name, value)
            self.save()
            self.after_update(changed)
            _audit(actor, "update", self, changed)
        return changed

    def after_update(self, changed):
        """Hook for keeping denormalised descendants in step (same transaction)."""

    def archive(self, actor):
        if self.archived_at is None:
            with db.atomic():
                self.archived_at = utcnow()
                self.save()
                _audit(actor, "archive", self)

    def restore(self, actor):
        if self.archived_at is not None:
            with db.atomic():
                self.archived_at = None
                self.save()
                _audit(actor, "restore", self)
