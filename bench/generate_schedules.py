"""Give the benchmark organisation 100,000 active preventive maintenance schedules.

    .venv/bin/python -m bench.generate_schedules --database-url URL --schedules 100000

Run after `bench.generate` (and `bench.generate_work`). The mix follows what maintenance
companies run: most schedules are for one asset (monthly filter changes, quarterly
inspections, yearly certifications, weekly checks, every-N-days rounds), a few per cent are
a group (an asset category in a project, e.g. every extinguisher, yearly). About one in ten
floats from the last completion and one in five keeps at most one open order. Each
schedule's next occurrence is worked out by the app's own recurrence rules, from now plus
its lead time, so nothing is due yet: `bench.schedules` chooses the moment it generates at.
The project's technician (if any) is the assignee. The forecast rows (13 months) are built
by the app's `rebuild_forecast`, as saving a schedule does.
"""

import argparse
import datetime
import random
import time

from models import (
    Asset,
    Location,
    Organisation,
    Project,
    ProjectMember,
    User,
    db,
    open_database,
    utcnow,
)
from models.forecast import rebuild_forecast
from models.recurrence import Rule, after, due_at, local_date, on_or_after
from models.schedule import Schedule, ScheduleAssignee

from .generate import BENCH_ORG, insert_rows, log, settle

GROUP_SHARE = 0.03
FLOATING_SHARE = 0.10
ONE_OPEN_SHARE = 0.20
ROWS_PER_INSERT = 500  # 37 columns: under SQLite's 32,766 parameters
# (weight, unit, intervals, title)
KINDS = (
    (40, "month", (1,), "Monthly filter change"),
    (20, "month", (3,), "Quarterly inspection"),
    (10, "month", (6,), "Six-monthly service"),
    (12, "year", (1,), "Yearly certification"),
    (10, "week", (1, 2), "Weekly check"),
    (8, "day", (10, 14, 30), "Round"),
)
LEAD_DAYS = (0, 0, 3, 7, 14)


def _kind(rng):
    weights = [k[0] for k in KINDS]
    _, unit, intervals, title = rng.choices(KINDS, weights)[0]
    return unit, rng.choice(intervals), title


def _next_due(rule, lead_days, now):
    """The first occurrence whose order is not due to be created yet."""
    lead = datetime.timedelta(days=lead_days)
    day = on_or_after(rule, local_date(now + lead, rule.tz))
    if day is not None and due_at(rule, day) - lead < now:
        day = after(rule, day)
    if day is None:
        return None, None
    due = due_at(rule, day)
    return due, due - lead


def _targets(org, count, rng):
    """(asset row or None, project row, category) for each schedule."""
    projects = {
        p.id: p
        for p in Project.select(Project, Location.id, Location.timezone)
        .join(Location, on=(Project.location == Location.id))
        .where(Project.organisation == org.id)
    }
    assets = list(
        Asset.select(Asset.id, Asset.project, Asset.category, Asset.name)
        .where(Asset.organisation == org.id, Asset.archived_at.is_null())
        .tuples()
    )
    groups = sorted({(project_id, category) for _, project_id, category, _ in assets})
    n_groups = min(len(groups), round(count * GROUP_SHARE))
    targets = [(None, projects[p], c) for p, c in rng.sample(groups, n_groups)]
    singles = rng.sample(assets, min(len(assets), count - n_groups))
    targets += [(a, projects[a[1]], a[2]) for a in singles]
    rng.shuffle(targets)
    return targets


def _row(org, target, rng, today, now):
    asset, project, category = target
    unit, interval, title = _kind(rng)
    floating = asset is not None and rng.random() < FLOATING_SHARE
    weekdays = ""
    if unit == "week" and rng.random() < 0.5:
        weekdays = ",".join(str(d) for d in sorted(rng.sample(range(5), 2)))
    start = today - datetime.timedelta(days=rng.randint(0, 730))
    time_of_day = datetime.time(rng.choice((7, 8, 9, 13)), 0)
    lead_days = rng.choice(LEAD_DAYS)
    tz = project.location.timezone
    rule = Rule(unit, interval, start, None, tuple(int(d) for d in weekdays.split(",") if d),
                None, time_of_day, tz)  # fmt: skip
    next_due, generate_at = _next_due(rule, lead_days, now)
    name = asset[3] if asset else f"every {category.lower()}"
    return dict(
        organisation=org.id, location=project.location_id, client=project.client_id,
        project=project.id, asset=asset[0] if asset else None,
        category="" if asset else category, title=f"{title}: {name}"[:200],
        description="Follow the procedure; record readings.", procedure=None,
        estimated_hours=rng.choice((0.5, 1, 1.5, 2, 4)), priority=rng.choice(("low", "medium")),
        requires_signature=rng.random() < 0.1, lead_days=lead_days, missed_policy="latest",
        one_open=rng.random() < ONE_OPEN_SHARE, paused=False, trigger="calendar", unit=unit,
        interval=interval, weekdays=weekdays, month_day=None,
        mode="floating" if floating else "fixed", time_of_day=time_of_day, start_date=start,
        end_date=None, meter=None, meter_interval=None, next_meter_at=None,
        next_due_at=next_due, generate_at=generate_at, waiting=False, last_order=None,
        created_by=None, archived_at=None, created_at=now, updated_at=now,
    )  # fmt: skip


def _assign(org, now):
    """Each schedule's project technicians (those on the team) as its assignees."""
    technicians = {}
    for project_id, user_id in (
        ProjectMember.select(ProjectMember.project, ProjectMember.user)
        .join(User, on=(ProjectMember.user == User.id))
        .where(ProjectMember.organisation == org.id, User.role == "technician")
        .tuples()
    ):
        technicians.setdefault(project_id, []).append(user_id)
    rows = [
        dict(schedule=schedule_id, user=user_id, created_at=now, updated_at=now)
        for schedule_id, project_id in Schedule.select(Schedule.id, Schedule.project)
        .where(Schedule.organisation == org.id)
        .tuples()
        for user_id in technicians.get(project_id, [])[:1]
    ]
    return insert_rows(ScheduleAssignee, rows, chunk=ROWS_PER_INSERT)


def generate(url, count, seed):
    started = time.perf_counter()
    database = open_database(url)
    db.initialize(database)
    rng = random.Random(seed)
    now = utcnow()
    today = now.date()
    with database.connection_context():
        org = Organisation.get(Organisation.name == BENCH_ORG)
        step = time.perf_counter()
        targets = _targets(org, count, rng)
        rows = [_row(org, target, rng, today, now) for target in targets]
        log(f"{len(rows):,} schedules worked out", step)
        step = time.perf_counter()
        with db.atomic():
            insert_rows(Schedule, rows, chunk=ROWS_PER_INSERT)
            assigned = _assign(org, now)
        log(f"inserted, {assigned:,} assignees", step)
        step = time.perf_counter()
        ids = [
            i
            for (i,) in Schedule.select(Schedule.id).where(Schedule.organisation == org.id).tuples()
        ]
        made = 0
        for start in range(0, len(ids), 10_000):
            made += rebuild_forecast(ids[start : start + 10_000], now)
            log(f"forecast: {start + 10_000:,} schedules, {made:,} rows", step)
        settle(database)
    log(f"done: {len(rows):,} schedules in {BENCH_ORG}", started)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate_schedules", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--schedules", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    generate(args.database_url, args.schedules, args.seed)


if __name__ == "__main__":
    main()
