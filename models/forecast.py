"""The forecast: schedule occurrences not generated yet, kept as rows for the next 13 months.

The calendar shows forecast occurrences beside work orders for up to 12 months ahead. Worked
out per request, that meant running every visible schedule's rule (100,000 schedules: tens of
seconds). Kept as rows carrying their organisation and ancestors, a day's forecast is an
indexed range read under the same visibility rule as everything else. The rows follow the
schedules:

- a new, edited, paused, resumed, archived or restored schedule is rebuilt
  (`rebuild_forecast`), as is one whose open order was done (floating: its next date is
  known only then);
- generation moves a schedule along its grid, so its rows before the new next due time
  are dropped (`trim_forecast`, one statement per batch of schedules);
- as days pass the 13-month horizon moves on: `extend_forecast` (a periodic task) adds the
  new dates, refreshes the asset counts of group schedules, and builds any schedule that
  has no rows yet (e.g. after the upgrade that created the table).

What is forecast: a fixed calendar schedule's dates from its next due time on; a floating
one's (or one waiting for its open order) next date only; meter schedules have no dates. A
group schedule has one row per date with the number of its live assets then.
"""

import datetime

from peewee import JOIN, DateTimeField, ForeignKeyField, IntegerField, PostgresqlDatabase, fn

from .asset import Asset
from .base import BaseModel, db, utcnow
from .calendar_days import first_per_period, per_period_in_one_read, tally
from .client import Client
from .location import Location
from .organisation import Organisation
from .project import Project
from .recurrence import add_months, due_at, local_date, occurrences_between
from .schedule import Schedule, ScheduleAssignee
from .user import User

HORIZON_MONTHS = 13  # kept; the calendar shows 12 (a month of slack for the periodic task)
SHOWN_MONTHS = 12
CHUNK = 1000  # schedules per statement (IN lists) and rows per insert


class ForecastOccurrence(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    location = ForeignKeyField(Location, on_delete="CASCADE", index=False)
    client = ForeignKeyField(Client, on_delete="CASCADE", index=False)
    project = ForeignKeyField(Project, on_delete="CASCADE", index=False)
    schedule = ForeignKeyField(Schedule, on_delete="CASCADE", index=False)
    asset = ForeignKeyField(Asset, null=True, on_delete="CASCADE", index=False)
    assets = IntegerField(default=1)  # a group schedule: its live assets when counted
    due_at = DateTimeField()

    class Meta:
        table_name = "forecast_occurrence"
        # A day of the calendar is one range read on the index of the viewer's scope or
        # filter; the id rides along, so the read needs no table access. One row per
        # schedule and date, whoever writes it.
        indexes = (
            (("organisation", "due_at", "id"), False),
            (("location", "due_at", "id"), False),
            (("client", "due_at", "id"), False),
            (("project", "due_at", "id"), False),
            (("schedule", "due_at"), True),
        )


def _horizon_day(now):
    """13 months from today, or from `now` when that is later: a schedule saved with a
    back-dated clock (the demo's history) still plans the real months ahead."""
    return add_months(max(now, utcnow()).date(), HORIZON_MONTHS)


def _active(query):
    return query.where(
        Schedule.paused == False,  # noqa: E712
        Schedule.archived_at.is_null(),
        Schedule.next_due_at.is_null(False),
        Schedule.trigger != "meter",
    )


def _schedules(ids=None, after_id=0, limit=None):
    query = _active(
        Schedule.select(Schedule, Location.id, Location.timezone).join(
            Location, on=(Schedule.location == Location.id)
        )
    )
    if ids is not None:
        query = query.where(Schedule.id.in_(ids))
    if limit:
        query = query.where(Schedule.id > after_id).order_by(Schedule.id).limit(limit)
    return list(query)


def dates_of(schedule, until_day, since_day=None):
    """The forecast due times (naive UTC) of a schedule up to local day `until_day`."""
    tz = schedule.location.timezone
    rule = schedule.rule(tz)
    first = local_date(schedule.next_due_at, tz)
    if schedule.floating or schedule.waiting:
        return [schedule.next_due_at] if since_day is None and first <= until_day else []
    first = max(first, since_day) if since_day else first
    return [due_at(rule, day) for day in occurrences_between(rule, first, until_day, limit=500)]


def _group_sizes(schedules):
    """{(project, category): live assets} for the group schedules among `schedules`."""
    groups = {(s.project_id, s.category) for s in schedules if not s.asset_id}
    if not groups:
        return {}
    rows = (
        Asset.select(Asset.project, Asset.category, fn.COUNT(Asset.id))
        .where(
            Asset.project.in_({p for p, _ in groups}),
            Asset.category.in_({c for _, c in groups}),
            Asset.archived_at.is_null(),
            Asset.status != "retired",
        )
        .group_by(Asset.project, Asset.category)
        .tuples()
    )
    return {(p, c): n for p, c, n in rows if (p, c) in groups}


def _rows(schedules, until_day, since=None):
    sizes = _group_sizes(schedules)
    now = utcnow()
    for schedule in schedules:
        assets = 1 if schedule.asset_id else sizes.get((schedule.project_id, schedule.category))
        if not assets:
            continue
        since_day = since.get(schedule.id) if since else None
        for due in dates_of(schedule, until_day, since_day):
            yield (
                schedule.organisation_id, schedule.location_id, schedule.client_id,
                schedule.project_id, schedule.id, schedule.asset_id, assets, due, now, now,
            )  # fmt: skip


INSERT_FIELDS = (
    ForecastOccurrence.organisation, ForecastOccurrence.location, ForecastOccurrence.client,
    ForecastOccurrence.project, ForecastOccurrence.schedule, ForecastOccurrence.asset,
    ForecastOccurrence.assets, ForecastOccurrence.due_at, ForecastOccurrence.created_at,
    ForecastOccurrence.updated_at,
)  # fmt: skip


def _insert(rows):
    rows, done = list(rows), 0
    for start in range(0, len(rows), CHUNK):
        ForecastOccurrence.insert_many(
            rows[start : start + CHUNK], fields=INSERT_FIELDS
        ).on_conflict_ignore().execute()  # unique per schedule and date: a racing run adds none
        done += len(rows[start : start + CHUNK])
    return done


def rebuild_forecast(schedule_ids, now=None):
    """Replace the forecast rows of these schedules (any state) with what they plan now."""
    until = _horizon_day(now or utcnow())
    ids, made = list(schedule_ids), 0
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        with db.atomic():
            ForecastOccurrence.delete().where(ForecastOccurrence.schedule.in_(part)).execute()
            made += _insert(_rows(_schedules(part), until))
    return made


FAR = datetime.datetime(9999, 12, 31)


def trim_forecast(schedule_ids):
    """After generation moved these schedules on: drop their rows before the next due time,
    all of them when there is none (waiting, ended, paused), and those after it when the
    schedule now plans one date only (floating, or waiting for its open order). One read of
    the schedules, then one DELETE joined to their cut-offs (a VALUES list) per chunk."""
    ids = list(schedule_ids)
    for start in range(0, len(ids), CHUNK):
        cuts = []
        for sid, next_due, active, one_date in (
            Schedule.select(
                Schedule.id,
                Schedule.next_due_at,
                (Schedule.paused == False)  # noqa: E712
                & Schedule.archived_at.is_null()
                & (Schedule.trigger != "meter"),
                Schedule.waiting | (Schedule.mode == "floating") | (Schedule.trigger == "either"),
            )
            .where(Schedule.id.in_(ids[start : start + CHUNK]))
            .tuples()
        ):
            if not active or next_due is None:
                cuts.append((sid, FAR, FAR))  # everything goes
            else:
                cuts.append((sid, next_due, next_due if one_date else FAR))
        if cuts:
            _delete_outside(cuts)


def _delete_outside(cuts):
    """Delete each schedule's rows due before its cut or after its keep-until."""
    stamp = "CAST(%s AS TIMESTAMP)" if isinstance(db.obj, PostgresqlDatabase) else "%s"
    stamp = stamp.replace("%s", db.obj.param)
    row = f"({db.obj.param}, {stamp}, {stamp})"
    sql = (
        f"WITH cut(sid, before, after) AS (VALUES {', '.join([row] * len(cuts))}) "
        "DELETE FROM forecast_occurrence WHERE id IN (SELECT f.id FROM forecast_occurrence f "
        "JOIN cut ON f.schedule_id = cut.sid WHERE f.due_at < cut.before OR f.due_at > cut.after)"
    )
    db.execute_sql(sql, [value for cut in cuts for value in cut])


def extend_forecast(now=None):
    """The periodic top-up: the dates that entered the horizon since the last run, group
    sizes brought up to date, and schedules with no rows built. Returns rows added."""
    until = _horizon_day(now or utcnow())
    F = ForecastOccurrence
    last = dict(F.select(F.schedule, fn.MAX(F.due_at)).group_by(F.schedule).tuples())
    made, after_id = 0, 0
    while True:
        batch = _schedules(after_id=after_id, limit=CHUNK)
        if not batch:
            return made
        after_id = batch[-1].id
        fresh = [s.id for s in batch if s.id not in last or not s.asset_id]
        if fresh:
            made += rebuild_forecast(fresh, now)
        grown = [s for s in batch if s.id in last and s.asset_id]
        since = {
            s.id: local_date(last[s.id], s.location.timezone) + datetime.timedelta(days=1)
            for s in grown
        }
        with db.atomic():
            made += _insert(_rows(grown, until, since))


def _day_query(user, filters):
    from .visibility import visible

    F = ForecastOccurrence
    query = visible(F, user, F.id, F.due_at)
    for name in ("location", "client", "project"):
        if filters.get(name):
            query = query.where(getattr(F, name) == filters[name])
    if filters.get("technician"):
        query = query.where(
            F.schedule.in_(
                ScheduleAssignee.select(ScheduleAssignee.schedule).where(
                    ScheduleAssignee.user == filters["technician"]
                )
            )
        )
    return query


def forecast_by_day(user, bounds, filters, shown=3, cap=100, now=None):
    """The forecast the calendar draws: for each period [bounds[i], bounds[i+1]) (naive UTC)
    up to 12 months ahead, its first `shown` occurrences (by due time) that `user` may see
    and the filters leave, and how many there are, counted up to `cap`.

    Returns [(entries, count)] per period; an entry has .due_at, .title, .asset_tag,
    .category, .assets, .schedule_id and .assignees (names). One capped range read per day,
    in one statement (models/calendar_days.py), then the shown rows' details: three queries.
    """
    now = now or utcnow()
    horizon = datetime.datetime.combine(add_months(now.date(), SHOWN_MONTHS), now.time())
    F = ForecastOccurrence
    read = per_period_in_one_read if filters.get("technician") else first_per_period
    rows = read(_day_query(user, filters), F.due_at, F.id, [min(b, horizon) for b in bounds], cap)
    first, counts = tally(rows, len(bounds) - 1, shown)
    days = [[] for _ in counts]
    for entry in _details(first):
        days[first[entry.id]].append(entry)
    return list(zip(days, counts, strict=True))


def _details(first):
    """The shown rows with their schedule's title, asset tag and assignees (two queries)."""
    if not first:
        return []
    F = ForecastOccurrence
    rows = list(
        F.select(
            F.id,
            F.due_at,
            F.assets,
            F.project,
            F.schedule,
            Schedule.title.alias("title"),
            Schedule.category.alias("category"),
            Asset.tag.alias("asset_tag"),
        )  # fmt: skip
        .join(Schedule, on=(F.schedule == Schedule.id))
        .join_from(F, Asset, JOIN.LEFT_OUTER, on=(F.asset == Asset.id))
        .where(F.id.in_(list(first)))
        .order_by(F.due_at, F.id)
        .objects()
    )
    people = {}
    for schedule_id, name in (
        ScheduleAssignee.select(ScheduleAssignee.schedule, User.name)
        .join(User, on=(ScheduleAssignee.user == User.id))
        .where(ScheduleAssignee.schedule.in_({r.schedule_id for r in rows}))
        .order_by(User.name)
        .tuples()
    ):
        people.setdefault(schedule_id, []).append(name)
    for row in rows:
        row.assignees = people.get(row.schedule_id, [])
    return rows
