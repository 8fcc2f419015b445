"""Every migration goes up, all the way down, and up again; the result matches the models."""

import pytest
from conftest import TEST_DATABASE_URL
from peewee import PostgresqlDatabase
from playhouse.schema_diff import diff_models

import migrations
from models import MODELS
from models.base import _build_database


@pytest.fixture
def scratch_database(tmp_path):
    """A database of its own, so the suite's database is left alone."""
    # A scratch database named after the test database, so runs against different test
    # databases on one server (CI and a developer, say) do not drop each other's.
    scratch = TEST_DATABASE_URL.rsplit("/", 1)[1] + "_migrations" if TEST_DATABASE_URL else ""
    if TEST_DATABASE_URL:
        admin = _build_database(TEST_DATABASE_URL, pooled=False)
        with admin.connection_context():
            admin.execute_sql(f"DROP DATABASE IF EXISTS {scratch}")
            admin.execute_sql(f"CREATE DATABASE {scratch}")
        base = TEST_DATABASE_URL.rsplit("/", 1)[0]
        database = _build_database(f"{base}/{scratch}", pooled=False)
    else:
        database = _build_database(f"sqlite:///{tmp_path / 'migrations.db'}", pooled=False)
    database.connect()
    yield database
    database.close()
    if TEST_DATABASE_URL:
        with admin.connection_context():
            admin.execute_sql(f"DROP DATABASE IF EXISTS {scratch}")


# Search structures that only one dialect has and the models cannot declare.
DIALECT_SEARCH_TABLE = "asset_search"  # SQLite FTS5 and its shadow tables
DIALECT_SEARCH_INDEX = "asset_search_trgm"  # PostgreSQL pg_trgm
# The work order list's indexes (migration 0009): partial and on expressions, which the
# models cannot declare, and its search structures (FTS5 on SQLite, pg_trgm on PostgreSQL).
LIST_INDEX_PREFIX = "wo_list_"
REPORT_INDEX_PREFIX = "wo_report_"  # the reports' indexes (migration 0015), partial ones too
WORKLOAD_INDEX = "assignment_open_work"  # the board's partial index (migration 0021)
WORK_ORDER_SEARCH_TABLE = "work_order_search"


def app_tables(database):
    return {
        t
        for t in database.get_tables()
        if t != "schema_migration"
        and not t.startswith((DIALECT_SEARCH_TABLE, WORK_ORDER_SEARCH_TABLE))
    }


def schema_diff(database):
    """Differences between the migrated schema and models/, less the dialect's search index."""
    with database.bind_ctx(MODELS):
        diff = diff_models(database, MODELS)
    drops = [
        i
        for i in diff.drop_indexes
        if i.name not in (DIALECT_SEARCH_INDEX, WORKLOAD_INDEX)
        and not i.name.startswith((LIST_INDEX_PREFIX, REPORT_INDEX_PREFIX))
    ]
    return diff._replace(drop_indexes=drops)


def test_search_structures_exist(scratch_database):
    migrations.upgrade(scratch_database)
    if TEST_DATABASE_URL:
        names = {i.name for i in scratch_database.get_indexes("asset")}
        assert DIALECT_SEARCH_INDEX in names
        names = {i.name for i in scratch_database.get_indexes("work_order")}
        assert "wo_list_search_trgm" in names
        statistics = scratch_database.execute_sql("SELECT stxname FROM pg_statistic_ext")
        assert "asset_search_text" in {name for (name,) in statistics}
    else:
        assert DIALECT_SEARCH_TABLE in scratch_database.get_tables()
        assert WORK_ORDER_SEARCH_TABLE in scratch_database.get_tables()


def test_up_down_up_matches_models(scratch_database):
    database = scratch_database
    names = [m.name for m in migrations.runner(database).migrations()]
    assert names, "no migrations found"

    assert migrations.upgrade(database) == names
    assert app_tables(database) == {m._meta.table_name for m in MODELS}
    assert not schema_diff(database), str(schema_diff(database))

    assert migrations.downgrade(database, steps=len(names)) == list(reversed(names))
    assert app_tables(database) == set()
    assert all(m.applied is None for m in migrations.runner(database).status())

    assert migrations.upgrade(database) == names
    assert not schema_diff(database), str(schema_diff(database))
    assert migrations.upgrade(database) == []  # nothing left to apply


def test_downgrade_one_step_at_a_time(scratch_database):
    database = scratch_database
    names = [m.name for m in migrations.runner(database).migrations()]
    migrations.upgrade(database)
    for name in reversed(names):
        assert migrations.downgrade(database, steps=1) == [name]
    assert migrations.downgrade(database, steps=1) == []


def test_postgres_is_used_when_asked(scratch_database):
    assert isinstance(scratch_database, PostgresqlDatabase) == bool(TEST_DATABASE_URL)


def test_occurrence_deadlines_are_filled_in_from_the_site_zone(scratch_database):
    """0020 gives existing occurrences the end of their due date at the site."""
    import datetime as dt

    from models import Asset, Client, Location, Occurrence, Organisation, Project, Schedule

    database = scratch_database
    migrations.upgrade(database)
    with database.bind_ctx(MODELS):
        org = Organisation.create(name="Org")
        site = Location.create(organisation=org, name="Sydney", timezone="Australia/Sydney")
        client = Client.create(organisation=org, location=site, name="Client")
        project = Project.create(organisation=org, client=client, code="P", name="Project")
        asset = Asset.create(organisation=org, project=project, tag="A-1", name="Pump")
        schedule = Schedule.create(
            organisation=org, location=site, client=client, project=project, asset=asset,
            title="Service", start_date=dt.date(2025, 6, 1),
        )  # fmt: skip
        due = dt.datetime(2025, 6, 1, 22, 0)  # 08:00 on the 2nd in Sydney (UTC+10)
        Occurrence.create(
            organisation=org, schedule=schedule, asset=asset, key="2025-06-02", due_at=due,
            deadline_at=due,
        )  # fmt: skip
    reverted = migrations.runner(database).down("0020_occurrence_deadline")  # and any later
    assert reverted[-1] == "0020_occurrence_deadline"
    migrations.upgrade(database)
    with database.bind_ctx(MODELS):
        assert Occurrence.get().deadline_at == dt.datetime(2025, 6, 2, 14, 0)  # midnight there


def test_the_calendar_index_carries_each_orders_scope(scratch_database):
    """0023: a limited manager's or a filtered calendar reads its days from the index alone."""
    migrations.upgrade(scratch_database)
    if TEST_DATABASE_URL:
        sql = "SELECT indexdef FROM pg_indexes WHERE indexname = 'work_order_calendar'"
    else:
        sql = "SELECT sql FROM sqlite_master WHERE name = 'work_order_calendar'"
    (definition,) = scratch_database.execute_sql(sql).fetchone()
    assert all(column in definition for column in ("location_id", "project_id", "client_id"))
    migrations.runner(scratch_database).down("0023_calendar_index_scope")  # and any later
    (definition,) = scratch_database.execute_sql(sql).fetchone()
    assert "location_id" not in definition


def test_assignment_copies_are_filled_in_and_taken_away(scratch_database):
    """0021 gives existing assignments their order's open flag, and an open order's due date
    and estimate, and its rollback takes the columns, triggers and index away again."""
    import datetime as dt

    from models import Assignment, Client, Location, Organisation, Project, User, WorkOrder

    database = scratch_database
    migrations.upgrade(database)
    with database.bind_ctx(MODELS):
        org = Organisation.create(name="Org")
        site = Location.create(organisation=org, name="Leeds", timezone="UTC")
        client = Client.create(organisation=org, location=site, name="Client")
        project = Project.create(organisation=org, client=client, code="P", name="Project")
        tech = User.create(
            organisation=org, email="t@example.com", name="Tech", password_hash="-",
            role="technician",
        )  # fmt: skip
        orders = [
            WorkOrder.create(
                organisation=org,
                location=site,
                client=client,
                project=project,
                number=n,
                title="Job",
            )
            for n in (1, 2)
        ]
        for order in orders:
            Assignment.create(organisation=org, work_order=order, user=tech)
    reverted = migrations.runner(database).down("0021_assignment_workload")  # and any later
    assert reverted[-1] == "0021_assignment_workload"
    columns = {c.name for c in database.get_columns("assignment")}
    assert not columns & {"is_open", "open_due_at", "open_hours"}
    assert WORKLOAD_INDEX not in {i.name for i in database.get_indexes("assignment")}
    due = dt.datetime(2030, 1, 2, 3, 4, 5)
    with database.bind_ctx([WorkOrder]):  # a trigger left behind would fail on the columns
        WorkOrder.update(due_at=due, estimated_hours=2).where(WorkOrder.number == 1).execute()
        WorkOrder.update(status="completed").where(WorkOrder.number == 2).execute()
    migrations.upgrade(database)
    with database.bind_ctx(MODELS):
        rows = (
            Assignment.select(WorkOrder.number, Assignment.is_open, Assignment.open_due_at)
            .join(WorkOrder)
            .order_by(WorkOrder.number)
            .tuples()
        )
        assert list(rows) == [(1, True, due), (2, False, None)]
        hours = Assignment.select(Assignment.open_hours).join(WorkOrder)
        assert float(hours.where(WorkOrder.number == 1).scalar()) == 2.0
        WorkOrder.update(status="in_progress").where(WorkOrder.number == 2).execute()
        assert Assignment.get(Assignment.work_order == orders[1].id).is_open  # triggers again


def test_the_asset_tag_index_carries_the_searched_columns(scratch_database):
    """0024: a short search walks the list in tag order from the index alone."""
    migrations.upgrade(scratch_database)
    if TEST_DATABASE_URL:
        sql = "SELECT indexdef FROM pg_indexes WHERE indexname = 'asset_list_tag'"
    else:
        sql = "SELECT sql FROM sqlite_master WHERE name = 'asset_list_tag'"
    (definition,) = scratch_database.execute_sql(sql).fetchone()
    assert all(column in definition for column in ("name", "serial", "make", "model"))
    migrations.runner(scratch_database).down("0024_asset_list_tag_search")  # and any later
    (definition,) = scratch_database.execute_sql(sql).fetchone()
    assert "serial" not in definition and "warranty_end" in definition


def test_the_asset_search_index_leads_with_the_location_on_postgresql(scratch_database):
    """0025: a limited manager's search reads only their locations' entries."""
    migrations.upgrade(scratch_database)
    if not TEST_DATABASE_URL:
        assert DIALECT_SEARCH_TABLE in scratch_database.get_tables()  # SQLite: FTS5, unchanged
        return
    sql = f"SELECT indexdef FROM pg_indexes WHERE indexname = '{DIALECT_SEARCH_INDEX}'"
    (definition,) = scratch_database.execute_sql(sql).fetchone()
    assert "gin (location_id," in definition
    migrations.runner(scratch_database).down("0025_asset_search_by_location")  # and any later
    (definition,) = scratch_database.execute_sql(sql).fetchone()
    assert "location_id" not in definition and "gin_trgm_ops" in definition
