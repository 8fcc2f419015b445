"""Changes to many assets at once, each in one transaction with its audit rows.

Components go with their parent: moving or archiving an asset moves or archives everything
under it, so a component never sits in another project than its parent.
"""

from peewee import Case

from .asset import ASSET_STATUSES, Asset
from .audit import AuditEvent
from .base import db, utcnow


class BulkError(ValueError):
    pass


def with_components(asset_ids):
    """The ids plus every component under them, at any depth."""
    found, frontier = set(asset_ids), set(asset_ids)
    while frontier:
        children = set()
        for start in range(0, len(frontier), 500):
            chunk = sorted(frontier)[start : start + 500]
            children.update(Asset.select(Asset.id).where(Asset.parent.in_(chunk)).tuples())
        frontier = {c for (c,) in children} - found
        found |= frontier
    return found


def _audit_many(actor, ids, action, changes="{}", summary=""):
    now = utcnow()
    rows = [
        dict(
            organisation=actor.organisation_id,
            user=actor.id,
            action=action,
            entity_type="asset",
            entity_id=i,
            summary=summary[:300],
            changes=changes,
            created_at=now,
            updated_at=now,
        )
        for i in sorted(ids)
    ]
    for start in range(0, len(rows), 500):
        AuditEvent.insert_many(rows[start : start + 500]).execute()


def _update(ids, **fields):
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        Asset.update(updated_at=utcnow(), **fields).where(
            Asset.id.in_(ordered[start : start + 500])
        ).execute()


def set_status(actor, asset_ids, status):
    if status not in ASSET_STATUSES:
        raise BulkError("Choose a status.")
    with db.atomic():
        _update(asset_ids, status=status)
        _audit_many(
            actor,
            asset_ids,
            "update",
            f'{{"status": [null, "{status}"]}}',
            f"Status set to {status} in bulk",
        )
    return len(asset_ids)


def move_plan(asset_ids):
    """What a move takes along: (all ids including components, components detached)."""
    everything = with_components(asset_ids)
    detached = {
        a.id
        for a in Asset.select(Asset.id, Asset.parent).where(
            Asset.id.in_(sorted(asset_ids)), Asset.parent.is_null(False)
        )
        if a.parent_id not in everything
    }
    return everything, detached


def move(actor, asset_ids, project):
    """Move assets (and their components) to another project, its client and location."""
    from .document import Document
    from .meter import Meter

    everything, detached = move_plan(asset_ids)
    with db.atomic():
        ordered = sorted(everything)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            Asset.update(
                project=project.id,
                client=project.client_id,
                location=project.location_id,
                parent=Case(None, [(Asset.id.in_(sorted(detached)), None)], Asset.parent),
                updated_at=utcnow(),
            ).where(Asset.id.in_(chunk)).execute()
            for model in (Meter, Document):
                model.update(
                    project=project.id, client=project.client_id, location=project.location_id
                ).where(model.asset.in_(chunk)).execute()
        _audit_many(
            actor,
            everything,
            "update",
            f'{{"project": [null, {project.id}]}}',
            f"Moved to {project.code}",
        )
    return len(everything)


def archive(actor, asset_ids):
    everything = with_components(asset_ids)
    with db.atomic():
        live = {
            i
            for (i,) in Asset.select(Asset.id)
            .where(Asset.id.in_(sorted(everything)), Asset.archived_at.is_null())
            .tuples()
        }
        _update(live, archived_at=utcnow())
        _audit_many(actor, live, "archive", summary="Archived in bulk")
    return len(live)
