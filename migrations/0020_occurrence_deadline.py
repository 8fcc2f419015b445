"""PM compliance: each occurrence keeps its deadline, the end of its due date at the site, so
"completed by the due date" is one comparison in SQL on both databases.

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

import datetime
import zoneinfo
from collections import defaultdict

from peewee import *


def _deadlines(db):
    """Occurrence ids grouped by their deadline (UTC), from the due moment and the site's zone."""
    rows = db.execute_sql(
        "SELECT o.id, o.due_at, l.timezone FROM occurrence o"
        " JOIN schedule s ON s.id = o.schedule_id JOIN location l ON l.id = s.location_id"
    )
    groups = defaultdict(list)
    for row_id, due_at, tz in rows:
        if isinstance(due_at, str):
            due_at = datetime.datetime.fromisoformat(due_at)
        local = due_at.replace(tzinfo=datetime.UTC).astimezone(zoneinfo.ZoneInfo(tz or "UTC"))
        midnight = datetime.datetime.combine(
            local.date() + datetime.timedelta(days=1),
            datetime.time(),
            zoneinfo.ZoneInfo(tz or "UTC"),
        )
        groups[midnight.astimezone(datetime.UTC).replace(tzinfo=None)].append(row_id)
    return groups


def up(migrator, db):
    migrator.migrate(migrator.add_column("occurrence", "deadline_at", DateTimeField(null=True)))
    for deadline, ids in _deadlines(db).items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join([db.param] * len(chunk))
            db.execute_sql(
                f"UPDATE occurrence SET deadline_at = {db.param} WHERE id IN ({marks})",
                [deadline, *chunk],
            )
    migrator.migrate(
        migrator.add_not_null("occurrence", "deadline_at"),
        migrator.add_index("occurrence", ("organisation_id", "due_at"), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("occurrence", "occurrence_organisation_id_due_at"),
        migrator.drop_column("occurrence", "deadline_at"),
    )
