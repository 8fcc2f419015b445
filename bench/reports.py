"""Reports at scale: the period report for the client with the most work, over a range that
holds 5,000 of its orders (HTML, PDF, one CSV table), and the home page of each role.

    .venv/bin/python -m bench.reports --database-url URL [--prepare] [--repeat 20]

Run on a copy of the bench dataset (`bench.generate` + `bench.generate_work`: 1,000,000
orders), migrated. `--prepare` (once per copy) gives that client's orders what a real history
has and the generator leaves out: time entries, parts, downtime on repairs, and a monthly
schedule per project whose occurrences are its preventive orders (so PM compliance counts
thousands of them). The bars are the issue's: the period report under 500 ms p95, its PDF
under 5 s, the manager's home page under 150 ms p95.
"""

import argparse
import datetime
import os
import random
import statistics
import tempfile
import time

from peewee import SQL, PostgresqlDatabase, fn

from .generate import ADMIN_EMAIL, BENCH_PASSWORD, EMAIL_DOMAIN, LIMITED_MANAGER_EMAIL
from .pages import CLOCK, Recorder, measure, percentile, pick_org, sign_in

TARGET_ORDERS = 5_000
BARS = {"report": 500.0, "pdf": 5_000.0, "home": 150.0}


def biggest_client(org):
    from models import WorkOrder

    return (
        WorkOrder.select(WorkOrder.client, fn.COUNT(SQL("*")))
        .where(WorkOrder.organisation == org.id)
        .group_by(WorkOrder.client)
        .order_by(fn.COUNT(SQL("*")).desc())
        .tuples()
        .first()[0]
    )


def report_range(client_id, tz):
    """From the day of the 5,000th newest order raised before the end of last month, to the
    end of last month (local days)."""
    from models import WorkOrder
    from models.clock import local_day_bounds
    from models.periods import last_complete_month

    last = last_complete_month(datetime.date.today()).last
    end = local_day_bounds(last, tz)[1]
    nth = (
        WorkOrder.select(WorkOrder.created_at)
        .where(WorkOrder.client == client_id, WorkOrder.created_at < end)
        .order_by(WorkOrder.created_at.desc())
        .offset(TARGET_ORDERS - 1)
        .limit(1)
        .scalar()
    )
    return nth.date(), last


def prepare(org, client_id, seed=5):
    """Records and occurrences for the client's orders (idempotent: skipped when present)."""
    from models import (
        Downtime,
        Occurrence,
        PartUsed,
        Project,
        Schedule,
        TimeEntry,
        User,
        WorkOrder,
        db,
    )

    orders = WorkOrder.select().where(WorkOrder.client == client_id)
    if TimeEntry.select().join(WorkOrder).where(WorkOrder.client == client_id).exists():
        print("# already prepared")
        return
    rng = random.Random(seed)
    tech = User.get(User.email == f"tech01@{EMAIL_DOMAIN}")
    time_rows, part_rows, down_rows, occurrences = [], [], [], []
    schedules = {}
    with db.atomic():
        for project in Project.select().where(Project.client == client_id):
            schedules[project.id] = Schedule.create(
                organisation=org.id,
                location=project.location_id,
                client=client_id,
                project=project.id,
                title="Monthly planned maintenance visit",
                start_date=datetime.date(2021, 1, 1),
            )
        for order in orders.iterator():
            if order.completed_at is not None:
                minutes = rng.choice((30, 45, 60, 90, 120, 180))
                time_rows.append(
                    dict(
                        organisation=org.id,
                        work_order=order.id,
                        user=tech.id,
                        source="manual",
                        started_at=order.completed_at - datetime.timedelta(minutes=minutes),
                        ended_at=order.completed_at,
                        minutes=minutes,
                    )
                )
                if rng.random() < 0.4:
                    part_rows.append(
                        dict(
                            organisation=org.id,
                            work_order=order.id,
                            description="Filter",
                            quantity=rng.choice((1, 2, 4)),
                            unit_cost="12.50",
                        )
                    )
                if order.type in ("corrective", "emergency") and order.asset_id:
                    down_rows.append(
                        dict(
                            organisation=org.id,
                            work_order=order.id,
                            asset=order.asset_id,
                            started_at=order.created_at,
                            ended_at=order.completed_at,
                            minutes=max(
                                1,
                                int((order.completed_at - order.created_at).total_seconds() // 60),
                            ),
                        )
                    )
            if order.type == "preventive" and order.due_at and order.asset_id:
                occurrences.append(
                    dict(
                        organisation=org.id,
                        schedule=schedules[order.project_id].id,
                        asset=order.asset_id,
                        key=f"b:{order.id}",
                        due_at=order.due_at,
                        deadline_at=order.due_at + datetime.timedelta(hours=12),
                        work_order=order.id,
                    )
                )
        for model, rows in (
            (TimeEntry, time_rows),
            (PartUsed, part_rows),
            (Downtime, down_rows),
            (Occurrence, occurrences),
        ):
            for start in range(0, len(rows), 500):
                model.insert_many(rows[start : start + 500]).execute()
    print(
        f"# prepared: {len(time_rows):,} time entries, {len(part_rows):,} parts, "
        f"{len(down_rows):,} downtime periods, {len(occurrences):,} occurrences"
    )
    db.execute_sql("VACUUM ANALYZE" if isinstance(db.obj, PostgresqlDatabase) else "ANALYZE")


def timed(client, path, repeat):
    """Median and p95 time of a download (the PDF: few repeats, seconds each), by the wall
    clock or this thread's CPU clock (--clock cpu: what it costs on a machine not shared)."""
    client.get(path)
    times = []
    clock = time.thread_time if CLOCK["name"] == "cpu" else time.perf_counter
    for _ in range(repeat):
        started = clock()
        response = client.get(path)
        times.append((clock() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), percentile(times, 0.95), len(response.data)


def run(url, repeat, pdf_repeat, do_prepare, show_sql, clock="wall"):
    os.environ.setdefault("FETTLE_INSTANCE", tempfile.mkdtemp(prefix="fettle-bench-"))
    from app import create_app
    from models import Client, User, WorkOrder, db
    from models.periods import Period

    CLOCK["name"] = clock
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    recorder = Recorder()
    db.obj.query_hooks.append(recorder)
    kind = "PostgreSQL" if isinstance(db.obj, PostgresqlDatabase) else "SQLite"
    with db.connection_context():
        org = pick_org("bench")
        client_id = biggest_client(org)
        client_row = Client.get_by_id(client_id)
        tz = client_row.location.timezone
        if do_prepare:
            prepare(org, client_id)
        first, last = report_range(client_id, tz)
        start, end = Period("range", first, last).bounds(tz)
        in_range = (
            WorkOrder.select()
            .where(
                WorkOrder.client == client_id,
                WorkOrder.created_at >= start,
                WorkOrder.created_at < end,
            )
            .count()
        )
        total = WorkOrder.select().where(WorkOrder.organisation == org.id).count()
        people = {
            "admin": User.get(User.email == ADMIN_EMAIL),
            "manager": User.get(User.email == f"manager1@{EMAIL_DOMAIN}"),
            "manager (limited)": User.get(User.email == LIMITED_MANAGER_EMAIL),
            "technician": User.get(User.email == f"tech01@{EMAIL_DOMAIN}"),
            "client": User.get(User.organisation == org.id, User.role == "client"),
        }
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    query = f"client={client_id}&period=range&from={first}&to={last}"
    print(
        f"# {kind}: {total:,} work orders; {client_row.name}: {in_range:,} raised from "
        f"{first} (range {first} to {last}); load average {load}"
    )
    print("| who | page | median ms | p95 ms | queries |")
    print("|---|---|---|---|---|")
    manager = sign_in(app, people["manager"], BENCH_PASSWORD)
    for label, path in (
        ("period report, HTML", f"/reports/period?{query}"),
        ("period report, CSV of work done", f"/reports/period?{query}&format=csv&table=work"),
        ("period report, one month", f"/reports/period?client={client_id}&period=month"),
    ):
        result = measure(manager, recorder, path, {}, repeat, show_sql=show_sql)
        flag = " **!**" if result.p95 > BARS["report"] else ""
        print(
            f"| manager | {label} | {result.median:.1f} | {result.p95:.1f}{flag} | "
            f"{result.queries} |",
            flush=True,
        )
    median, p95, size = timed(manager, f"/reports/period?{query}&format=pdf", pdf_repeat)
    flag = " **!**" if p95 > BARS["pdf"] else ""
    print(
        f"| manager | period report, PDF ({size // 1024} KB, {pdf_repeat} runs) | {median:.0f} | "
        f"{p95:.0f}{flag} | |",
        flush=True,
    )
    for role, user in people.items():
        browser = sign_in(app, user, BENCH_PASSWORD)
        result = measure(browser, recorder, "/", {}, repeat, show_sql=show_sql)
        flag = " **!**" if result.p95 > BARS["home"] else ""
        print(
            f"| {role} | home (dashboard) | {result.median:.1f} | {result.p95:.1f}{flag} | "
            f"{result.queries} |",
            flush=True,
        )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.reports", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pdf-repeat", type=int, default=5)
    parser.add_argument("--prepare", action="store_true", help="add records once (see above)")
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args(argv)
    run(args.database_url, args.repeat, args.pdf_repeat, args.prepare, args.sql, args.clock)


if __name__ == "__main__":
    main()
