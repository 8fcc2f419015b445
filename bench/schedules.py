"""Preventive maintenance at scale: the generation pass and the calendar, per role.

    .venv/bin/python -m bench.schedules --database-url URL [--repeat 20] [--passes 5]
        [--due 10000] [--skip-generation] [--only LABEL]

Run on a database built by `bench.generate`, `bench.generate_work` and
`bench.generate_schedules` (100,000 schedules). It WRITES to the database (the passes
create orders): run it on a copy. In order:

1. a catch-up pass at the current time (whatever came due since the schedules were made);
2. --passes more passes with nothing to create (the periodic task's usual run): median,
   p95 and queries per pass;
3. one pass at the moment by which --due more schedules have come due (the time of the
   --due-th earliest `generate_at`), timed with the orders it created (a group schedule
   makes one per asset, a daily one with "create every missed" several); then the same with
   alerts off, to show their share;
4. the month and week calendars (this month, next month, six months on, this week), the
   schedule list and page and the project page with compliance, per role: median and p95 of
   the server time and the queries per request, as bench.pages measures them.
"""

import argparse
import datetime
import os
import statistics
import tempfile
import time

from peewee import PostgresqlDatabase, fn

from .generate import BENCH_ORG, BENCH_PASSWORD
from .pages import Recorder, measure, percentile, queries_of, sign_in

ROLES = ("admin", "manager", "limited", "technician", "client")
EMAILS = {
    "admin": "admin@bench.example",
    "manager": "manager1@bench.example",
    "limited": "manager.limited@bench.example",
    "technician": "tech01@bench.example",
}
CALENDAR_BAR_MS = 150.0


def users(org):
    from models import Asset, User

    found = {role: User.get(User.email == email) for role, email in EMAILS.items()}
    found["client"] = (
        User.select(User)
        .join(Asset, on=(Asset.client == User.client))
        .where(User.organisation == org.id, User.role == "client")
        .group_by(User.id)
        .order_by(fn.COUNT(Asset.id).desc(), User.id)
        .first()
    )
    return found


def timed_pass(recorder, now=None):
    from models.generation import run_pass

    recorder.start()
    started = time.perf_counter()
    created = run_pass(now)
    seconds = time.perf_counter() - started
    return created, seconds, len(queries_of(recorder.stop()))


def generation(recorder, passes, due):

    created, seconds, queries = timed_pass(recorder)
    print(f"catch-up pass: {created:,} orders in {seconds:.2f} s, {queries:,} queries")
    times, counts = [], []
    for _ in range(passes):
        created, seconds, queries = timed_pass(recorder)
        assert created == 0, f"a pass after the catch-up created {created}"
        times.append(seconds * 1000)
        counts.append(queries)
    print(
        f"pass with nothing to create, {passes} runs: median {statistics.median(times):.0f} ms, "
        f"p95 {percentile(times, 0.95):.0f} ms, {max(counts)} queries"
    )
    for quiet in (False, True):
        _due_pass(recorder, due, quiet)


def _due_pass(recorder, due, quiet):
    """A pass at the moment the next `due` schedules have come due; with `quiet`, alerts
    are off (the share of the pass that is the alerts' notifications and emails)."""
    from models import Schedule
    from models.alerts import quiet as alerts_quiet

    active = Schedule.select().where(
        Schedule.paused == False,  # noqa: E712
        Schedule.archived_at.is_null(),
        Schedule.generate_at.is_null(False),
    )
    moment = (
        active.select(Schedule.generate_at)
        .order_by(Schedule.generate_at)
        .offset(due - 1)
        .limit(1)
        .scalar()
    )
    schedules = active.where(Schedule.generate_at <= moment).count()
    if quiet:
        with alerts_quiet():
            created, seconds, queries = timed_pass(recorder, moment)
    else:
        created, seconds, queries = timed_pass(recorder, moment)
    print(
        f"pass at {moment:%Y-%m-%d %H:%M} UTC ({schedules:,} schedules due"
        f"{', alerts off' if quiet else ''}): {created:,} orders in {seconds:.1f} s "
        f"({created / seconds:.0f} orders/s), {queries:,} queries",
        flush=True,
    )


def pages_for(role, user):
    from models import Project, Schedule
    from models.visibility import visible

    today = datetime.date.today()
    month = today.replace(day=1)
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    later = (month + datetime.timedelta(days=31 * 6 + 1)).replace(day=1)
    schedule = visible(Schedule, user).order_by(Schedule.id).first()
    project = (
        visible(Project, user)
        .where(Project.id.in_(visible(Schedule, user, Schedule.project)))
        .order_by(Project.id)
        .first()
    )
    pages = [
        ("calendar: month", "/calendar"),
        ("calendar: next month", f"/calendar?date={next_month}"),
        ("calendar: month in 6 months", f"/calendar?date={later}"),
        ("calendar: week", "/calendar?view=week"),
        ("calendar: month, htmx", f"/calendar?date={next_month}"),
    ]
    if role == "technician":
        pages.append(("calendar: month, everyone", "/calendar?technician=all"))
    pages += [
        ("schedules: list", "/schedules"),
        ("schedules: list, next due", "/schedules?sort=next"),
    ]
    if schedule:
        pages.append(("schedule page", f"/schedules/{schedule.id}"))
    if project:
        pages.append(("project page (compliance)", f"/projects/{project.id}?period=365"))
    return pages


def run(url, repeat, passes, due, skip_generation, only, show_sql, explain_over=None):
    os.environ.setdefault("FETTLE_INSTANCE", tempfile.mkdtemp(prefix="fettle-bench-"))
    from app import create_app
    from models import Organisation, Schedule, WorkOrder, db

    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    recorder = Recorder()
    db.obj.query_hooks.append(recorder)
    kind = "PostgreSQL" if isinstance(db.obj, PostgresqlDatabase) else "SQLite"
    with db.connection_context():
        org = Organisation.get(Organisation.name == BENCH_ORG)
        schedules = Schedule.select().where(Schedule.organisation == org.id).count()
        orders = WorkOrder.select().where(WorkOrder.organisation == org.id).count()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"# {kind}: {org.name}, {schedules:,} schedules, {orders:,} work orders; load {load}")
        if not skip_generation:
            with app.app_context():
                generation(recorder, passes, due)
        people = users(org)
        pages = {role: pages_for(role, people[role]) for role in ROLES}
    print("| role | page | median ms | p95 ms | queries |")
    print("|---|---|---|---|---|")
    for role in ROLES:
        client = sign_in(app, people[role], BENCH_PASSWORD)
        for label, path in pages[role]:
            if only and only not in label:
                continue
            headers = {"HX-Request": "true"} if "htmx" in label else {}
            result = measure(
                client,
                recorder,
                path,
                headers,
                repeat,
                show_sql=show_sql,
                explain_over=explain_over,
            )
            flag = " **!**" if label.startswith("calendar") and result.p95 > CALENDAR_BAR_MS else ""
            status = "" if result.status == 200 else f" (status {result.status})"
            print(
                f"| {role} | {label}{status} | {result.median:.1f} | {result.p95:.1f}{flag} "
                f"| {result.queries} |",
                flush=True,
            )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.schedules", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--skip-generation", action="store_true")
    parser.add_argument("--only", help="just the pages whose label contains this")
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    parser.add_argument("--explain-over", type=float, help="print the plans of slower queries")
    args = parser.parse_args(argv)
    run(
        args.database_url,
        args.repeat,
        args.passes,
        args.due,
        args.skip_generation,
        args.only,
        args.sql,
        args.explain_over,
    )


if __name__ == "__main__":
    main()
