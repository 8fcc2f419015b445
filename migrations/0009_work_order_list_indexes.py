"""Work order list speed at 1,000,000 orders: an index for each sort of the list, for open
work alone (partial indexes: open work is a few percent of all orders) and for every status,
an index for the board's columns, and a title search index.

Each sort index is (organisation, sort key, id, location): the list pages through it in
order without sorting, and a manager limited to some locations is filtered on the index
itself. The due date sorts by (due_at IS NULL, due_at), and backwards by (due_at IS NOT NULL,
due_at), so undated work comes last both ways with an index on both databases (NULLS LAST
cannot use an index on SQLite); "overdue" is (due_at IS NULL) = FALSE AND due_at < now, a range
of the first. The priority
sorts by a rank, spelt as models/work_order.py priority_rank() writes it, so the
expression index matches.

Search is dialect-specific, like the asset search of 0003: a pg_trgm GIN index on
PostgreSQL, an FTS5 trigram table kept current by triggers on SQLite.
"""

from peewee import PostgresqlDatabase

# Open work, spelt as models/work_order.py is_open() spells it: a NOT IN, which the planner
# cannot turn into lookups by status (those would need a sort), so it reads these in order.
OPEN = "status NOT IN ('completed', 'closed', 'cancelled')"
RANK = (
    "(CASE priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 "
    "WHEN 'urgent' THEN 3 END)"
)
SORT_KEYS = {
    "due": "(due_at IS NULL), due_at, id",
    "due_desc": "(due_at IS NOT NULL), due_at, id",  # read backwards: undated last again
    "priority": f"{RANK}, id",
    "created": "created_at, id",
    "number": "number, id",
    "title": "title, id",
    "status": "status, id",
}


def _indexes():
    """(name, columns, where) of every index this migration adds."""
    found = []
    for key, columns in SORT_KEYS.items():
        # Open work also carries the technician's and client's scope columns (a technician's
        # overdue count checks project_id on the index, not on 20,000 rows), and the board's
        # workload sums estimated hours of open work by due date.
        extra = ", project_id, client_id" + (", estimated_hours" if key == "due" else "")
        found.append(
            (f"wo_list_open_{key}", f"organisation_id, {columns}, location_id{extra}", OPEN)
        )
        found.append((f"wo_list_all_{key}", f"organisation_id, {columns}, location_id", None))
    found.append(
        (
            "wo_list_board",
            f"organisation_id, status, {RANK} DESC, (due_at IS NULL), due_at, id, location_id",
            None,
        )
    )
    # My work: a technician's open work, project by project (a few hundred rows to sort, not
    # the organisation's open work walked in due order and filtered).
    found.append(("wo_list_open_project", "project_id, due_at", OPEN))
    # My work's "recently done": a technician's projects' finished orders by completion time.
    found.append(("wo_list_done", "project_id, completed_at", "completed_at IS NOT NULL"))
    return found


def up(migrator, db):
    for name, columns, where in _indexes():
        condition = f" WHERE {where}" if where else ""
        db.execute_sql(f"CREATE INDEX {name} ON work_order ({columns}){condition}")
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute_sql(
            "CREATE INDEX wo_list_search_trgm ON work_order USING gin (title gin_trgm_ops)"
        )
        return
    for sql in (
        "CREATE VIRTUAL TABLE work_order_search USING fts5(title, content='work_order', "
        "content_rowid='id', tokenize='trigram')",
        "CREATE TRIGGER work_order_search_ai AFTER INSERT ON work_order BEGIN "
        "INSERT INTO work_order_search(rowid, title) VALUES (new.id, new.title); END",
        "CREATE TRIGGER work_order_search_ad AFTER DELETE ON work_order BEGIN "
        "INSERT INTO work_order_search(work_order_search, rowid, title) "
        "VALUES ('delete', old.id, old.title); END",
        "CREATE TRIGGER work_order_search_au AFTER UPDATE OF title ON work_order BEGIN "
        "INSERT INTO work_order_search(work_order_search, rowid, title) "
        "VALUES ('delete', old.id, old.title); "
        "INSERT INTO work_order_search(rowid, title) VALUES (new.id, new.title); END",
        "INSERT INTO work_order_search(work_order_search) VALUES ('rebuild')",
    ):
        db.execute_sql(sql)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP INDEX IF EXISTS wo_list_search_trgm")
    else:
        for sql in (
            "DROP TRIGGER IF EXISTS work_order_search_ai",
            "DROP TRIGGER IF EXISTS work_order_search_ad",
            "DROP TRIGGER IF EXISTS work_order_search_au",
            "DROP TABLE IF EXISTS work_order_search",
        ):
            db.execute_sql(sql)
    for name, _columns, _where in reversed(_indexes()):
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
