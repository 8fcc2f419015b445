"""Fixtures: the app on a real database (SQLite file, or PostgreSQL with TEST_DATABASE_URL),
a clean database for every test, factories that return callables, and sign-in helpers."""

import os
import tempfile

_INSTANCE = tempfile.mkdtemp(prefix="fettle-test-instance-")
os.environ["FETTLE_INSTANCE"] = _INSTANCE  # keep tests away from the developer's instance/
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("ARGON2_TIME_COST", "1")  # real argon2, at a cost tests can afford
os.environ.setdefault("ARGON2_MEMORY_KIB", "8192")

import itertools  # noqa: E402

import pytest  # noqa: E402
from peewee import PostgresqlDatabase  # noqa: E402

import migrations  # noqa: E402
from app import create_app  # noqa: E402
from models import (  # noqa: E402
    MODELS,
    Asset,
    Client,
    Location,
    ManagerLocation,
    Organisation,
    Project,
    ProjectMember,
    User,
    db,
    open_database,
)
from models.user import _hasher  # noqa: E402

PASSWORD = "correct horse battery"
PASSWORD_HASH = _hasher.hash(PASSWORD)  # hashed once: argon2 is slow on purpose
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_report_header(config):
    return f"database: {TEST_DATABASE_URL or 'SQLite (temporary file)'}"


def reset_schema(database):
    """An empty database, then every migration applied."""
    if isinstance(database, PostgresqlDatabase):
        database.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
        database.execute_sql("CREATE SCHEMA public")
    migrations.upgrade(database)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def migrated(database_url):
    database = open_database(database_url)
    db.initialize(database)
    with database.connection_context():
        reset_schema(database)
    return database


def empty_tables(database):
    tables = [m._meta.table_name for m in MODELS]
    with database.connection_context():
        if isinstance(database, PostgresqlDatabase):
            # DELETE, not TRUNCATE: on tables this small a TRUNCATE of 30 tables costs
            # ~0.4 s (new files for every table), which made it most of the suite's time.
            # Foreign keys are not checked meanwhile (replica role: the test user is the
            # superuser), and the id sequences start again at 1 as on SQLite.
            with database.atomic():
                database.execute_sql("SET LOCAL session_replication_role = replica")
                for table in tables:
                    database.execute_sql(f'DELETE FROM "{table}"')
                restart = ", ".join(
                    f"setval(pg_get_serial_sequence('\"{t}\"', 'id'), 1, false)" for t in tables
                )
                database.execute_sql(f"SELECT {restart}")
        else:
            database.execute_sql("PRAGMA foreign_keys = OFF")
            for table in reversed(tables):
                database.execute_sql(f'DELETE FROM "{table}"')
            database.execute_sql("PRAGMA foreign_keys = ON")


@pytest.fixture(scope="session")
def _shared_app(migrated, database_url):
    """One app for the session: building one per test recompiles every template."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret",
            "BASE_URL": "http://localhost",
        }
    )


@pytest.fixture
def app(_shared_app, migrated):
    """The app on an empty database; config changed by a test is put back after it."""
    saved = dict(_shared_app.config)
    db.initialize(migrated)
    yield _shared_app
    _shared_app.config.clear()
    _shared_app.config.update(saved)
    if not db.is_closed():
        db.close()
    empty_tables(migrated)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_seq = itertools.count(1)


@pytest.fixture
def make_org(app):
    def make(**kw):
        return Organisation.create(**{"name": f"Org {next(_seq)}", **kw})

    return make


@pytest.fixture
def make_location(make_org):
    def make(organisation=None, **kw):
        organisation = organisation or make_org()
        n = next(_seq)
        return Location.create(
            organisation=organisation,
            **{"name": f"Location {n}", "timezone": "Europe/London", **kw},
        )

    return make


@pytest.fixture
def make_client(make_location):
    def make(location=None, **kw):
        location = location or make_location()
        return Client.create(
            organisation=location.organisation_id,
            location=location,
            **{"name": f"Client {next(_seq)}", **kw},
        )

    return make


@pytest.fixture
def make_project(make_client):
    def make(client=None, **kw):
        client = client or make_client()
        n = next(_seq)
        return Project.create(
            organisation=client.organisation_id,
            client=client,
            **{"code": f"P-{n}", "name": f"Project {n}", **kw},
        )

    return make


@pytest.fixture
def make_asset(make_project):
    def make(project=None, **kw):
        project = project or make_project()
        n = next(_seq)
        return Asset.create(
            organisation=project.organisation_id,
            project=project,
            **{"tag": f"A-{n:05d}", "name": f"Asset {n}", **kw},
        )

    return make


@pytest.fixture
def make_user(make_org):
    """A user with PASSWORD; scope by `locations=` (manager) or `projects=` (technician)."""

    def make(role="admin", organisation=None, locations=(), projects=(), **kw):
        if organisation is None:
            source = (
                kw.get("client")
                or (projects[0] if projects else None)
                or (locations[0] if locations else None)
            )
            organisation = source.organisation_id if source else make_org()
        n = next(_seq)
        user = User.create(
            organisation=organisation,
            role=role,
            password_hash=PASSWORD_HASH,
            **{"email": f"user{n}@example.com", "name": f"User {n}", **kw},
        )
        for location in locations:
            ManagerLocation.create(organisation=organisation, user=user, location=location)
        for project in projects:
            ProjectMember.create(organisation=organisation, user=user, project=project)
        return user

    return make


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password=PASSWORD, follow=False):
        email = getattr(user_or_email, "email", user_or_email)
        return self.client.post(
            "/login", data={"email": email, "password": password}, follow_redirects=follow
        )

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def smtp_sink():
    """A real SMTP server on a loopback port (aiosmtpd) that keeps what it receives."""
    from bench.smtp_sink import SmtpSink

    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def worker_app(app, monkeypatch):
    """Tasks run in this process use the test app (its database and settings)."""
    from tasks import housekeeping

    monkeypatch.setattr(housekeeping, "_app", app)
    return app


@pytest.fixture
def scene(make_location, make_client, make_project, make_asset, make_user):
    """An organisation for alerts: a project's manager (on its team) and technician, a
    manager limited to another location, a technician elsewhere, and a client user."""
    from types import SimpleNamespace

    location = make_location()
    org = location.organisation_id
    other_location = make_location(organisation=org)
    client = make_client(location, name="Northgate Mall Ltd", email="facilities@northgate.example")
    project = make_project(client)
    other_project = make_project(make_client(location))
    manager = make_user("manager", organisation=org, projects=[project], name="Maria Santos")
    tech = make_user("technician", projects=[project], name="Tom Becker")
    return SimpleNamespace(
        org=org,
        location=location,
        client=client,
        project=project,
        asset=make_asset(project, tag="CH-2", name="Chiller 2"),
        manager=manager,
        tech=tech,
        admin=make_user("admin", organisation=org, name="Alex Morgan"),
        far_manager=make_user("manager", locations=[other_location], name="Dana Far"),
        other_tech=make_user("technician", projects=[other_project], name="Sam Elsewhere"),
        client_user=make_user("client", client=client, name="Claire Dubois"),
    )
