"""Applying a clean CSV import: new assets inserted, existing ones updated, in one transaction.

Set-based, so that 10,000 rows take seconds at 200,000 assets. What costs time is the
database's index work per written row (asset has some twenty indexes, the search index among
them), so the apply writes as little as it can:

- new rows go in as multi-row INSERTs (no ON CONFLICT: the transaction already knows which
  tags exist);
- an existing row is written only if the file changes it, and only its changed columns, so
  an untouched column's indexes (and, on SQLite, the search triggers of tag, name, serial,
  make and model) are left alone. Rows changing the same columns share one UPDATE per chunk;
- each changed or created asset gets its audit row, all in a few multi-row INSERTs.
"""

import json

from peewee import Case

from .asset import Asset, asset_dependents
from .asset_bulk import with_components
from .audit import AuditEvent, _plain
from .base import db, is_postgres, utcnow

CHUNK = 500  # rows per INSERT / tags per IN (...): under SQLite's 32,766 parameters
FIELD_OF = {"model": "model_name"}  # CSV column -> model field, where they differ
FILE_FIELDS = (
    "tag",
    "name",
    "category",
    "make",
    "model",
    "serial",
    "install_date",
    "warranty_end",
    "status",
    "criticality",
    "description",
)
PLACE = ("project", "client", "location")


def apply(user, preview_result):
    """Create and update every row of a clean preview in one transaction; returns counts.

    A new row gets its parent at insert (a parent of the same file goes in first), an
    existing one once every row exists; an asset the file moves to another project takes
    its components, meters and documents along, as an edit does (Asset.after_update)."""
    if not preview_result.clean:
        raise ValueError("only a clean preview can be imported")
    now = utcnow()
    rows = [values for _line, values, _action in preview_result.rows]
    columns = preview_result.columns
    with db.atomic():
        before = _current(user, [v["tag"] for v in rows], columns)
        ids = {tag: old["id"] for tag, old in before.items()}
        parents = {v["parent_tag"] for v in rows if v.get("parent_tag")}
        ids.update(_ids_of(user, sorted(parents - ids.keys())))  # registered parents
        new = [v for v in rows if v["tag"] not in before]
        _insert_new(user, new, columns, now, ids)
        changes = {}  # asset id -> {field: (old, new)}, existing assets only
        for values in rows:
            old = before.get(values["tag"])
            if old is not None:
                fields = _model_fields(values, columns).items()
                diff = {name: (old[name], value) for name, value in fields if old[name] != value}
                if diff:
                    changes[old["id"]] = diff
        _update_changed(changes, now)
        if "parent_tag" in columns:
            _set_parents(_parent_changes(rows, ids, before, changes))
        moved = {}
        for asset_id, diff in changes.items():
            if "project" in diff:
                moved.setdefault(diff["project"][1], set()).add(asset_id)
        _carry_along(moved)
        _audit(user, rows, ids, before, changes, now)
    return {"created": len(new), "updated": len(rows) - len(new)}


def _insert_new(user, new, columns, now, ids):
    """Insert the new rows, each with its parent: in waves, a component after its parent, so
    that no row is written twice (on PostgreSQL a second write of a row is a new version
    of it in every index). `ids` ({tag: id}, registered parents included) gains the new
    rows."""
    pending = new
    while pending:
        ready = [v for v in pending if not v.get("parent_tag") or v["parent_tag"] in ids]
        if not ready:
            raise ValueError("these parents form a loop")  # the preview refuses such files
        rows = []
        for values in ready:
            row = {"organisation": user.organisation_id, "created_at": now, "updated_at": now}
            row.update(_model_fields(values, columns))
            if "parent_tag" in columns:
                row["parent"] = ids.get(values.get("parent_tag"))
            rows.append(row)
        _insert_all(Asset, rows)
        ids.update(_ids_of(user, [v["tag"] for v in ready]))
        pending = [v for v in pending if v["tag"] not in ids]


def _current(user, tags, columns):
    """{tag: row as a dict} of the organisation's assets with these tags: their id, place,
    parent and the fields the file names, to tell what the file changes."""
    names = list(dict.fromkeys(["id", "tag", "parent", *PLACE, *_field_names(columns)]))
    query = Asset.select(*[getattr(Asset, name) for name in names]).where(
        Asset.organisation == user.organisation_id
    )
    return {row[1]: dict(zip(names, row, strict=True)) for row in by_tags(query, tags)}


def _ids_of(user, tags):
    query = Asset.select(Asset.tag, Asset.id).where(Asset.organisation == user.organisation_id)
    return dict(by_tags(query, tags))


def by_tags(query, tags):
    """Rows (tuples of Python values) of an asset `query` narrowed to `tags`, CHUNK tags per
    IN (...). Peewee takes longer to compose a 500-parameter IN than the database takes to
    answer it, so a chunk's SQL is composed once, with marker tags, and reused: each chunk
    only puts its tags in the markers' places."""
    convert = [getattr(column, "python_value", None) for column in query._returning]
    compiled = {}
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
        for row in db.execute_sql(sql, params):
            yield tuple(
                f(value) if f is not None and value is not None else value
                for f, value in zip(convert, row, strict=True)
            )


def _update_changed(changes, now):
    """Write {asset id: {field: (old, new)}} set-based: the new values go into a temporary
    table (one executemany), then one UPDATE ... FROM it per set of changed fields (SQLite
    has UPDATE ... FROM since 3.33). Only the changed columns are named, so the database
    maintains only the indexes (and search triggers) that cover them."""
    if not changes:
        return
    names = sorted({name for diff in changes.values() for name in diff})
    columns = [Asset._meta.fields[name].column_name for name in names]
    groups = {}  # changed fields -> group number
    for diff in changes.values():
        groups.setdefault(tuple(sorted(diff)), len(groups))
    db.execute_sql("DROP TABLE IF EXISTS import_change")
    db.execute_sql(
        f"CREATE TEMPORARY TABLE import_change AS SELECT id, 0 AS grp, {', '.join(columns)} "
        "FROM asset WHERE 1 = 0"
    )
    rows = [
        (
            asset_id,
            groups[tuple(sorted(diff))],
            *(Asset._meta.fields[n].db_value(diff[n][1]) if n in diff else None for n in names),
        )
        for asset_id, diff in sorted(changes.items())
    ]
    marks = ", ".join(["%s" if is_postgres() else "?"] * (len(names) + 2))
    db.cursor().executemany(
        f"INSERT INTO import_change (id, grp, {', '.join(columns)}) VALUES ({marks})", rows
    )
    mark = "%s" if is_postgres() else "?"
    for fields, group in groups.items():
        sets = ", ".join(
            f"{c} = import_change.{c}" for c in (Asset._meta.fields[n].column_name for n in fields)
        )
        db.execute_sql(
            f"UPDATE asset SET {sets}, updated_at = {mark} FROM import_change "
            f"WHERE import_change.id = asset.id AND import_change.grp = {mark}",
            (now, group),
        )
    db.execute_sql("DROP TABLE import_change")


def _parent_changes(rows, ids, before, changes):
    """{asset id: parent id or None} for the existing assets whose parent the file changes
    (new rows got theirs at insert); the change also goes into the asset's audited
    `changes`."""
    new_parent = {}
    for values in rows:
        tag = values["tag"]
        if tag not in before:
            continue
        wanted = ids.get(values["parent_tag"]) if values.get("parent_tag") else None
        old = before[tag]["parent"]
        if wanted != old:
            new_parent[ids[tag]] = wanted
            changes.setdefault(ids[tag], {})["parent"] = (old, wanted)
    return new_parent


def _audit(user, rows, ids, before, changes, now):
    """One audit row per created asset and per existing asset the file changed (an
    unchanged row is not an event, as with an edit that changes nothing)."""
    events = []
    for values in rows:
        asset_id = ids[values["tag"]]
        existed = values["tag"] in before
        if existed and asset_id not in changes:
            continue
        diff = changes.get(asset_id, {})
        events.append(
            dict(
                organisation=user.organisation_id,
                user=user.id,
                entity_type="asset",
                entity_id=asset_id,
                summary=f"{values['tag']} {values['name']}"[:300],
                action="import_update" if existed else "import_create",
                changes=json.dumps(
                    {k: [_plain(old), _plain(new)] for k, (old, new) in diff.items()}, default=str
                ),
                created_at=now,
                updated_at=now,
            )
        )
    # In asset order: the audit index led by the asset id is then filled page by page,
    # not at 5,000 random places (updated assets' ids are scattered).
    _insert_all(AuditEvent, sorted(events, key=lambda event: event["entity_id"]))


def _insert_all(model, rows, **on_conflict):
    """insert_many (with ON CONFLICT when given) of dict rows in chunks, composing the SQL of
    a full chunk once: Peewee takes longer to build a 500-row INSERT than the database takes
    to run it. The first chunk checks that the values are bound exactly as Peewee binds them;
    if not, every chunk goes through insert_many."""
    if not rows:
        return
    # Complete every row with the defaults Peewee would add, so the columns are the same.
    defaults = {
        field.name: (default() if callable(default) else default)
        for field, default in model._meta.defaults.items()
        if field.name not in rows[0]
    }
    fields = [model._meta.fields[name] for name in [*rows[0], *defaults]]
    compiled, same = {}, set()
    for start in range(0, len(rows), CHUNK):
        chunk = [{**row, **defaults} for row in rows[start : start + CHUNK]]
        query = model.insert_many(chunk, fields=fields)
        if on_conflict:
            query = query.on_conflict(**on_conflict)
        if compiled.get("unsafe"):
            query.execute()
            continue
        params = [
            value if (field, type(value)) in same else field.db_value(value)
            for row in chunk
            for field, value in zip(fields, (row[f.name] for f in fields), strict=True)
        ]
        if not same:  # which (field, type) pairs Peewee binds as they are: no call for them
            same.update(
                (field, type(row[field.name]))
                for row in chunk
                for field in fields
                if field.db_value(row[field.name]) is row[field.name]
            )
        if len(chunk) not in compiled:
            sql, built = query.sql()
            if built != params:
                compiled["unsafe"] = True
                query.execute()
                continue
            compiled[len(chunk)] = sql
        db.execute_sql(compiled[len(chunk)], params)


def _set_parents(new_parent):
    """Set {asset id: parent id or None} with one UPDATE per chunk, not one per row."""
    cleared = sorted(asset_id for asset_id, parent in new_parent.items() if parent is None)
    for start in range(0, len(cleared), CHUNK):
        Asset.update(parent=None).where(Asset.id.in_(cleared[start : start + CHUNK])).execute()
    pairs = sorted((a, p) for a, p in new_parent.items() if p is not None)
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        Asset.update(parent=Case(Asset.id, chunk)).where(
            Asset.id.in_([asset_id for asset_id, _ in chunk])
        ).execute()


def _carry_along(moved):
    """Components, meters and documents follow an asset the file moved to another project
    ({project id: asset ids}), as they do when the asset is edited (Asset.after_update)."""
    from .project import Project

    for project_id, asset_ids in moved.items():
        project = Project.get_by_id(project_id)
        everything = sorted(with_components(asset_ids))
        place = dict(project=project.id, client=project.client_id, location=project.location_id)
        for start in range(0, len(everything), CHUNK):
            chunk = everything[start : start + CHUNK]
            Asset.update(**place).where(Asset.id.in_(chunk)).execute()
            for model in asset_dependents():
                model.update(**place).where(model.asset.in_(chunk)).execute()


def _field_names(columns):
    return [FIELD_OF.get(column, column) for column in columns if column in FILE_FIELDS]


def _model_fields(values, columns):
    """The asset fields a row sets: its project's place, and each file column it has."""
    project = values["_project"]
    fields = {"project": project.id, "client": project.client_id, "location": project.location_id}
    for column in columns:
        if column in FILE_FIELDS:
            fields[FIELD_OF.get(column, column)] = values.get(column)
    return fields
