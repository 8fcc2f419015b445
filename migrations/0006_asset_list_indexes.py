"""Asset list at 200,000 assets for organisation-wide users: one covering index on live rows
per sort, so a deep page's OFFSET walks an index and never the table.

The list picks a page's ids with `WHERE organisation_id = ? [AND location_id IN (...)] AND
archived_at IS NULL ORDER BY <sort>, id LIMIT n OFFSET m`. Each index below holds exactly
that: the organisation, the sort column and the id in order, then the location (a limited
manager's scope is checked in the index) and, on SQLite, archived_at (SQLite reads an index
alone only when it holds every column the query names, even one its WHERE already implies;
PostgreSQL does not need it, and carries the location as an INCLUDE column). Sorting by
project or client walks the organisation's projects (clients) in order and, under each, its
assets by id: those two indexes are led by project_id (client_id).

asset_list_location serves the list's count: the organisation's live rows, or a limited
manager's locations' live rows, from the index alone.
"""

from peewee import PostgresqlDatabase

LIVE = "WHERE archived_at IS NULL"
SORT_COLUMNS = ("tag", "name", "category", "status", "criticality", "warranty_end")


def _indexes(postgres):
    """(name, key columns, extra columns) of every index this migration adds."""
    extra = "location_id" if postgres else "location_id, archived_at"
    indexes = [
        (f"asset_list_{column}", f"organisation_id, {column}, id", extra) for column in SORT_COLUMNS
    ]
    indexes += [
        ("asset_list_project", "project_id, organisation_id, id", extra),
        ("asset_list_client", "client_id, organisation_id, id", extra),
        ("asset_list_location", "organisation_id, location_id", "" if postgres else "archived_at"),
    ]
    return indexes


def up(migrator, db):
    postgres = isinstance(db, PostgresqlDatabase)
    for name, key, extra in _indexes(postgres):
        if not extra:
            columns = key
        elif postgres:
            columns = f"{key}) INCLUDE ({extra}"
        else:
            columns = f"{key}, {extra}"
        db.execute_sql(f"CREATE INDEX {name} ON asset ({columns}) {LIVE}")
    if not postgres and "sqlite_stat1" in db.get_tables():
        # A database with statistics gets them for the new indexes too, or SQLite's planner
        # guesses at them (PostgreSQL keeps no statistics per plain index).
        db.execute_sql("ANALYZE asset")


def down(migrator, db):
    for name, _, _ in reversed(_indexes(isinstance(db, PostgresqlDatabase))):
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
