"""Many rows in few statements, for the CSV import: lookups by tag, inserts, updates.

PostgreSQL gets each column as one array parameter (`unnest`, `= ANY`): a statement of a
handful of parameters whatever the number of rows. psycopg rewrites the `%s` of every
statement longer than its cache holds, each time it runs: a 500-row INSERT has 10,000 of
them, and rewriting them took more client CPU than anything else in the import (~3 s for
10,000 rows). The server parses and plans one statement instead of twenty.

SQLite works in this process: multi-row VALUES and IN (...) within its 32,766 parameters,
their SQL written once per chunk size (Peewee takes longer to compose a 500-row INSERT than
SQLite takes to run it).
"""

import sqlite3
import time

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    NodeList,
    __exception_wrapper__,
)

from .base import db, is_postgres

CHUNK = 500  # SQLite: rows per INSERT, tags per IN (...)
PG_CHUNK = 5_000  # PostgreSQL: rows per statement (arrays of this many values)
SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35)


def _pg_array(field):
    """The PostgreSQL array type a column's values are sent as."""
    if isinstance(field, ForeignKeyField):
        field = field.rel_field
    if isinstance(field, BooleanField):
        return "boolean[]"
    if isinstance(field, (AutoField, IntegerField)):
        return "bigint[]"
    if isinstance(field, DateTimeField):
        return "timestamp[]"
    if isinstance(field, DateField):
        return "date[]"
    return "text[]"


def _quoted(name):
    return '"' + name.replace('"', '""') + '"'


def _column(field, values):
    """Peewee's db_value of each value, skipped when it would return every value as it is
    (text, numbers, dates: almost always), which is most of the cost."""
    kinds = set(map(type, values)) - {type(None)}
    samples = {kind: next(v for v in values if type(v) is kind) for kind in kinds}
    if all(field.db_value(sample) is sample for sample in samples.values()):
        return values
    return [None if v is None else field.db_value(v) for v in values]


def _python_values(converters, rows):
    """Rows from the driver with each column's python_value applied, where it changes
    anything (SQLite's dates are text; PostgreSQL's rows come typed already)."""
    rows = list(rows)
    if not rows:
        return rows
    columns = list(zip(*rows, strict=True))
    for i, convert in enumerate(converters):
        values = [v for v in columns[i] if v is not None]
        if convert is None or not values or all(convert(v) is v for v in values[:1]):
            continue
        columns[i] = [None if v is None else convert(v) for v in columns[i]]
    return list(zip(*columns, strict=True))


def _execute(sql, params):
    """Run a statement; on PostgreSQL with binary parameters, which psycopg sends without
    escaping every element of an array (text parameters: ~1 s for the import's arrays)."""
    if not is_postgres():
        return db.execute_sql(sql, params)
    database = db.obj
    database._log_query(sql, params)
    start = time.perf_counter()
    try:
        with __exception_wrapper__:  # psycopg's errors as Peewee's, as execute_sql does
            cursor = database.cursor()
            cursor.execute(sql, params, binary=True)
    except Exception as exc:
        database._notify_hooks(sql, params, start, exc)  # counted as execute_sql's are
        raise
    database._notify_hooks(sql, params, start, None)
    return cursor


def by_tags(query, tags):
    """Rows (tuples of Python values) of an Asset `query` narrowed to `tags`."""
    from .asset import Asset

    convert = [getattr(column, "python_value", None) for column in query._returning]

    def rows(sql, params):
        return _python_values(convert, _execute(sql, params).fetchall())

    if not tags:
        return
    if is_postgres():
        any_tag = NodeList((Asset.tag, SQL("= ANY(%s::text[])", [list(tags)])))
        yield from rows(*query.where(any_tag).sql())
        return
    compiled = {}  # chunk size -> (sql, params, places of the marker tags)
    for start in range(0, len(tags), CHUNK):
        chunk = tags[start : start + CHUNK]
        if len(chunk) not in compiled:
            markers = [f"\x00tag {i}\x00" for i in range(len(chunk))]
            sql, params = query.where(Asset.tag.in_(markers)).sql()
            compiled[len(chunk)] = (sql, params, [params.index(m) for m in markers])
        sql, params, slots = compiled[len(chunk)]
        params = list(params)
        for slot, tag in zip(slots, chunk, strict=True):
            params[slot] = tag
        yield from rows(sql, params)


def insert_rows(model, rows, returning=()):
    """INSERT dict rows (each with the same keys) in as few statements as the database
    allows; the `returning` columns of the new rows, or None where SQLite is too old for
    RETURNING (3.35)."""
    if not rows:
        return []
    # The defaults Peewee would add (they live in Python, not in the database).
    defaults = {
        field.name: (default() if callable(default) else default)
        for field, default in model._meta.defaults.items()
        if field.name not in rows[0]
    }
    if defaults:
        rows = [{**row, **defaults} for row in rows]
    fields = [model._meta.fields[name] for name in rows[0]]
    head = f"INSERT INTO {_quoted(model._meta.table_name)} ("
    head += ", ".join(_quoted(f.column_name) for f in fields) + ")"
    back = " RETURNING " + ", ".join(map(_quoted, returning)) if returning else ""
    if not is_postgres() and not SQLITE_RETURNING:
        back = ""
    found = []
    if is_postgres():
        arrays = ", ".join(f"%s::{_pg_array(f)}" for f in fields)
        sql = f"{head} SELECT * FROM unnest({arrays}){back}"
        for start in range(0, len(rows), PG_CHUNK):
            chunk = rows[start : start + PG_CHUNK]
            params = [_column(f, [row[f.name] for row in chunk]) for f in fields]
            cursor = _execute(sql, params)
            found += cursor.fetchall() if back else []
        return found
    group = "(" + ", ".join("?" * len(fields)) + ")"
    per_chunk = min(CHUNK, 32_000 // len(fields))
    for start in range(0, len(rows), per_chunk):
        chunk = rows[start : start + per_chunk]
        sql = f"{head} VALUES " + ", ".join([group] * len(chunk)) + back
        columns = [_column(f, [row[f.name] for row in chunk]) for f in fields]
        params = [value for row in zip(*columns, strict=True) for value in row]
        cursor = db.execute_sql(sql, params)
        found += cursor.fetchall() if back else []
    return found if back or not returning else None


def update_rows(model, names, rows, extra):
    """UPDATE the columns `names` of the rows [(id, value, ...)] to those values, and set
    the `extra` {column: value} on them too: one statement on PostgreSQL (unnest), a
    temporary table of the values and one UPDATE ... FROM on SQLite (3.33 or later)."""
    if not rows:
        return
    fields = [model._meta.fields[name] for name in names]
    columns = [f.column_name for f in fields]
    table = _quoted(model._meta.table_name)
    sets = [f"{_quoted(c)} = change.{_quoted(c)}" for c in columns]
    sets += [f"{_quoted(c)} = %s" if is_postgres() else f"{_quoted(c)} = ?" for c in extra]
    values = [_column(f, [row[i + 1] for row in rows]) for i, f in enumerate(fields)]
    ids = [row[0] for row in rows]
    if is_postgres():
        arrays = ", ".join(["%s::bigint[]"] + [f"%s::{_pg_array(f)}" for f in fields])
        names_sql = ", ".join(["id"] + [_quoted(c) for c in columns])
        _execute(
            f"UPDATE {table} SET {', '.join(sets)} FROM unnest({arrays}) AS change({names_sql}) "
            f"WHERE {table}.id = change.id",
            [*extra.values(), ids, *values],  # in the order of their places: SET, then FROM
        )
        return
    db.execute_sql("DROP TABLE IF EXISTS temp.import_change")
    db.execute_sql(
        f"CREATE TEMPORARY TABLE import_change AS SELECT id, {', '.join(map(_quoted, columns))} "
        f"FROM {table} WHERE 1 = 0"
    )
    marks = ", ".join("?" * (len(columns) + 1))
    db.cursor().executemany(
        f"INSERT INTO temp.import_change VALUES ({marks})", list(zip(ids, *values, strict=True))
    )
    db.execute_sql(
        f"UPDATE {table} SET {', '.join(sets)} FROM temp.import_change AS change "
        f"WHERE {table}.id = change.id",
        list(extra.values()),
    )
    db.execute_sql("DROP TABLE temp.import_change")
