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

The statements themselves are models/bulk_sql.py's: on PostgreSQL one statement per step
whatever the number of rows (each column an array), on SQLite multi-row VALUES.
"""

import json

from peewee import Case

from .asset import Asset, asset_dependents
from .asset_bulk import with_components
from .audit import AuditEvent, _plain
from .base import db, utcnow
from .bulk_sql import CHUNK, by_tags, insert_rows, update_rows

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
        created = insert_rows(Asset, rows, returning=("tag", "id"))
        if created is None:  # no RETURNING (SQLite before 3.35): look the new rows up
            created = _ids_of(user, [v["tag"] for v in ready]).items()
        ids.update(created)
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


def _update_changed(changes, now):
    """Write {asset id: {field: (old, new)}} set-based: one UPDATE for each set of changed
    fields, naming only those columns, so the database maintains only the indexes (and
    search triggers) that cover them."""
    groups = {}  # changed fields -> [(asset id, new value, ...)]
    for asset_id, diff in sorted(changes.items()):
        fields = tuple(sorted(diff))
        groups.setdefault(fields, []).append((asset_id, *(diff[f][1] for f in fields)))
    for fields, rows in groups.items():
        update_rows(Asset, fields, rows, {"updated_at": now})


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
    insert_rows(AuditEvent, sorted(events, key=lambda event: event["entity_id"]))


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
