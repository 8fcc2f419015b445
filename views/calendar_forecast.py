"""Schedule occurrences not generated yet, in the shape the calendar draws them."""

import datetime
from dataclasses import dataclass, field


def forecast_entries(user, start, end):
    """Schedule occurrences not generated yet (models.schedule.forecast), due between the
    naive UTC times `start` (inclusive) and `end` (exclusive), that `user` may see, in the
    shape ForecastEntry.of reads: drawn dashed and labelled "forecast"."""
    from models import ScheduleAssignee, User
    from models.schedule import forecast

    found = forecast(user, start, end)
    people = {}
    if found:
        rows = (
            ScheduleAssignee.select(ScheduleAssignee.schedule, User.id, User.name)
            .join(User, on=(ScheduleAssignee.user == User.id))
            .where(ScheduleAssignee.schedule.in_({f.schedule.id for f in found}))
        )
        for row in rows:
            people.setdefault(row.schedule_id, []).append(row.user)
    return [
        {
            "title": f.schedule.title,
            "due_at": f.due_at,
            "asset": f.asset,
            "location_id": f.schedule.location_id,
            "client_id": f.schedule.client_id,
            "project_id": f.schedule.project_id,
            "assignees": people.get(f.schedule.id, []),
        }
        for f in found
    ]


@dataclass
class ForecastEntry:
    """A forecast occurrence as the calendar shows it, whatever shape the engine gives."""

    title: str
    due_at: datetime.datetime
    asset: str = ""
    project: str = ""
    assignees: list = field(default_factory=list)
    ids: dict = field(default_factory=dict)  # location/client/project/assignee ids, to filter

    @classmethod
    def of(cls, item):
        get = item.get if isinstance(item, dict) else (lambda name: getattr(item, name, None))
        people = get("assignees") or []
        ids = {
            name: _id_of(get(name)) or get(name + "_id")
            for name in ("location", "client", "project")
        }
        ids["assignees"] = {_id_of(p) for p in people}
        return cls(
            title=str(get("title") or get("schedule_title") or get("schedule") or "Scheduled"),
            due_at=get("due_at"),
            asset=_label(get("asset")),
            project=_label(get("project")),
            assignees=[getattr(p, "name", p) for p in people],
            ids=ids,
        )

    def matches(self, filters):
        for name in ("location", "client", "project"):
            if filters[name] and self.ids.get(name) not in (None, filters[name]):
                return False
        tech = filters["technician"]
        return not tech or tech in self.ids["assignees"]


def _id_of(value):
    return getattr(value, "id", value if isinstance(value, int) else None)


def _label(value):
    if value is None:
        return ""
    return str(getattr(value, "tag", None) or getattr(value, "code", None) or value)
