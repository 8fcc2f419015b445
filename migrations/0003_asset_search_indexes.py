"""Asset list speed at 200,000 assets: substring search by index, counts and "needs attention"
from partial indexes on live rows, components by parent and tag.

Search is dialect-specific: a pg_trgm GIN index on PostgreSQL, an FTS5 trigram table kept
current by triggers on SQLite. Both answer `contains` on tag, name, serial, make and model.
"""

from peewee import PostgresqlDatabase

SEARCH_COLUMNS = "tag, name, serial, make, model"
PG_SEARCH_EXPRESSION = "(tag || ' ' || name || ' ' || serial || ' ' || make || ' ' || model)"


def up(migrator, db):
    for sql in (
        "DROP INDEX IF EXISTS asset_organisation_id",
        "DROP INDEX IF EXISTS asset_project_id",
        "DROP INDEX IF EXISTS asset_client_id",
        "DROP INDEX IF EXISTS asset_location_id",
        "DROP INDEX IF EXISTS asset_organisation_id_status",
        "DROP INDEX IF EXISTS asset_parent_id",
        "CREATE INDEX asset_parent_id_tag ON asset (parent_id, tag)",
        "CREATE INDEX asset_live_org ON asset (organisation_id) WHERE archived_at IS NULL",
        "CREATE INDEX asset_live_status ON asset (organisation_id, status, name) "
        "WHERE archived_at IS NULL",
    ):
        db.execute_sql(sql)
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute_sql(
            f"CREATE INDEX asset_search_trgm ON asset USING gin "
            f"({PG_SEARCH_EXPRESSION} gin_trgm_ops) WHERE archived_at IS NULL"
        )
        return
    cols, new, old = (
        SEARCH_COLUMNS,
        "new.tag, new.name, new.serial, new.make, new.model",
        "old.tag, old.name, old.serial, old.make, old.model",
    )
    for sql in (
        f"CREATE VIRTUAL TABLE asset_search USING fts5({cols}, content='asset', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER asset_search_ai AFTER INSERT ON asset BEGIN "
        f"INSERT INTO asset_search(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER asset_search_ad AFTER DELETE ON asset BEGIN "
        f"INSERT INTO asset_search(asset_search, rowid, {cols}) "
        f"VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER asset_search_au AFTER UPDATE OF {cols} ON asset BEGIN "
        f"INSERT INTO asset_search(asset_search, rowid, {cols}) "
        f"VALUES ('delete', old.id, {old}); "
        f"INSERT INTO asset_search(rowid, {cols}) VALUES (new.id, {new}); END",
        "INSERT INTO asset_search(asset_search) VALUES ('rebuild')",
    ):
        db.execute_sql(sql)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP INDEX IF EXISTS asset_search_trgm")
    else:
        for sql in (
            "DROP TRIGGER IF EXISTS asset_search_ai",
            "DROP TRIGGER IF EXISTS asset_search_ad",
            "DROP TRIGGER IF EXISTS asset_search_au",
            "DROP TABLE IF EXISTS asset_search",
        ):
            db.execute_sql(sql)
    for sql in (
        "DROP INDEX IF EXISTS asset_live_status",
        "DROP INDEX IF EXISTS asset_live_org",
        "DROP INDEX IF EXISTS asset_parent_id_tag",
        "CREATE INDEX asset_parent_id ON asset (parent_id)",
        "CREATE INDEX asset_organisation_id_status ON asset (organisation_id, status)",
        "CREATE INDEX asset_location_id ON asset (location_id)",
        "CREATE INDEX asset_client_id ON asset (client_id)",
        "CREATE INDEX asset_project_id ON asset (project_id)",
        "CREATE INDEX asset_organisation_id ON asset (organisation_id)",
    ):
        db.execute_sql(sql)
