"""Add a history of work orders to the benchmark organisation, by bulk inserts.

    .venv/bin/python -m bench.generate_work --database-url URL --orders 1000000

Run after `bench.generate` (which builds "Bench Maintenance Group" with its assets). Orders
spread over five years on the organisation's assets: most finished (closed, completed,
cancelled), about 3% open (open, in progress, on hold; some overdue), 90% with one assignee
from the project's team. Numbers continue the organisation's counter.
"""

import argparse
import datetime
import random
import time

from peewee import PostgresqlDatabase

from models import (
    Activity,
    Asset,
    Assignment,
    Counter,
    Organisation,
    ProjectMember,
    User,
    WorkOrder,
    db,
    open_database,
    utcnow,
)

from .generate import BENCH_ORG, CompiledInsert, insert_rows, log

BUSY_TECHNICIAN = "tech01@bench.example"  # the technician bench.work_pages signs in as
BUSY_OPEN_ORDERS = 500
TIMELINE_ENTRIES = 200

FIELDS = (
    "organisation",
    "location",
    "client",
    "project",
    "asset",
    "number",
    "title",
    "type",
    "priority",
    "status",
    "due_at",
    "estimated_hours",
    "started_at",
    "completed_at",
    "closed_at",
    "created_at",
    "updated_at",
    "description",
    "asset_down",
    "status_reason",
    "completion_notes",
    "version",
    "requires_signature",
)
TITLES = (
    "Quarterly service",
    "Monthly check",
    "Annual inspection",
    "Filter change",
    "Leak repair",
    "Not starting",
    "Noisy bearing",
    "Alarm investigation",
    "Belt replacement",
    "Controls fault",
)
TYPES = ("preventive", "preventive", "inspection", "corrective", "corrective", "emergency")
PRIORITIES = ("low", "medium", "medium", "high", "urgent")
CHUNK = 1000  # 23 columns x 1000 rows stays under SQLite's 32,766 parameters


def order_row(org_id, asset, number, now, rng, years=5):
    asset_id, project_id, client_id, location_id = asset
    created = now - datetime.timedelta(days=rng.random() ** 1.5 * 365 * years)
    due = created + datetime.timedelta(days=rng.choice((1, 2, 7, 14, 30)))
    roll = rng.random()
    status = (
        ("open", "in_progress", "on_hold")[int(roll * 100) % 3]
        if roll < 0.03
        else "cancelled"
        if roll < 0.05
        else "completed"
        if roll < 0.08
        else "closed"
    )
    if status in ("open", "in_progress", "on_hold"):
        created = now - datetime.timedelta(days=rng.uniform(0, 40))
        due = created + datetime.timedelta(days=rng.choice((1, 7, 14, 30)))
    started = created + datetime.timedelta(hours=rng.uniform(1, 72))
    done = started + datetime.timedelta(hours=rng.uniform(0.5, 8))
    finished = status in ("completed", "closed")
    return (
        org_id,
        location_id,
        client_id,
        project_id,
        asset_id,
        number,
        f"{rng.choice(TITLES)} {number % 997}",
        rng.choice(TYPES),
        rng.choice(PRIORITIES),
        status,
        due,
        rng.choice((1, 2, 4)),
        started if status not in ("open", "cancelled") else None,
        done if finished else None,
        done + datetime.timedelta(days=2) if status == "closed" else None,
        created,
        created,
        "",
        False,
        "",
        "",
        1,
        False,
    )


def generate(url, orders, seed=7):
    started = time.perf_counter()
    database = open_database(url)
    db.initialize(database)
    rng = random.Random(seed)
    now = utcnow()
    with database.connection_context():
        org = Organisation.get(Organisation.name == BENCH_ORG)
        assets = list(
            Asset.select(Asset.id, Asset.project, Asset.client, Asset.location)
            .where(Asset.organisation == org.id)
            .tuples()
        )
        teams = {}
        for project_id, user_id in (
            ProjectMember.select(ProjectMember.project, ProjectMember.user)
            .where(ProjectMember.organisation == org.id)
            .tuples()
        ):
            teams.setdefault(project_id, []).append(user_id)
        with db.atomic():
            first = Counter.next_value(org.id, "work_order")
            Counter.update(value=first + orders - 1).where(
                Counter.organisation == org.id, Counter.name == "work_order"
            ).execute()
            insert = CompiledInsert(WorkOrder, [getattr(WorkOrder, f) for f in FIELDS])
            chunk = []
            for number in range(first, first + orders):
                chunk.append(order_row(org.id, rng.choice(assets), number, now, rng))
                if len(chunk) == CHUNK:
                    insert.execute(chunk)
                    chunk = []
            if chunk:
                insert.execute(chunk)
            log(f"{orders:,} work orders", started)
            step = time.perf_counter()
            assign = CompiledInsert(
                Assignment,
                [
                    Assignment.organisation,
                    Assignment.work_order,
                    Assignment.user,
                    Assignment.created_at,
                    Assignment.updated_at,
                ],
            )
            rows = []
            cursor = (
                WorkOrder.select(WorkOrder.id, WorkOrder.project)
                .where(WorkOrder.organisation == org.id, WorkOrder.number >= first)
                .tuples()
                .iterator()
            )
            for order_id, project_id in cursor:
                team = teams.get(project_id)
                if team and rng.random() < 0.9:
                    rows.append((org.id, order_id, rng.choice(team), now, now))
                if len(rows) == CHUNK:
                    assign.execute(rows)
                    rows = []
            if rows:
                assign.execute(rows)
            log("assignments", step)
        add_cases(org)
        step = time.perf_counter()
        database.execute_sql(
            "VACUUM ANALYZE" if isinstance(database, PostgresqlDatabase) else "ANALYZE"
        )
        log("statistics", step)
    log("done", started)


def add_cases(org, email=BUSY_TECHNICIAN):
    """The issue's two detail cases: a technician with exactly 500 open orders assigned (the
    technician's open orders are topped up from their projects' unassigned-to-them open
    work), and a work order (their oldest open one) with 200 timeline entries."""
    started = time.perf_counter()
    tech = User.get(User.email == email)
    is_open = WorkOrder.status.in_(("open", "in_progress", "on_hold"))
    mine = Assignment.select(Assignment.work_order).where(Assignment.user == tech.id)
    with db.atomic():
        have = WorkOrder.select().where(is_open, WorkOrder.id.in_(mine)).count()
        extra = (
            WorkOrder.select(WorkOrder.id)
            .where(
                is_open,
                WorkOrder.organisation == org.id,
                WorkOrder.project.in_(
                    ProjectMember.select(ProjectMember.project).where(ProjectMember.user == tech.id)
                ),
                WorkOrder.id.not_in(mine),
            )
            .order_by(WorkOrder.id)
            .limit(max(0, BUSY_OPEN_ORDERS - have))
        )
        now = utcnow()
        rows = [(org.id, order_id, tech.id, now, now) for (order_id,) in extra.tuples()]
        fields = [Assignment.organisation, Assignment.work_order, Assignment.user]
        insert_rows(Assignment, rows, fields + [Assignment.created_at, Assignment.updated_at])
        order = (
            WorkOrder.select().where(is_open, WorkOrder.id.in_(mine)).order_by(WorkOrder.id).get()
        )
        missing = TIMELINE_ENTRIES - Activity.select().where(Activity.work_order == order).count()
        entries = [
            (org.id, order.id, tech.id, "comment", f"Note {i}: checked, all fine.", now, now)
            for i in range(max(0, missing))
        ]
        insert_rows(
            Activity,
            entries,
            [
                Activity.organisation,
                Activity.work_order,
                Activity.user,
                Activity.kind,
                Activity.body,
                Activity.created_at,
                Activity.updated_at,
            ],
        )
    log(
        f"{email}: {len(rows)} more open orders; WO-{order.number:06d}: {TIMELINE_ENTRIES} "
        "timeline entries",
        started,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate_work", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cases-only",
        action="store_true",
        help="only add the busy technician and the long timeline to existing bench data",
    )
    args = parser.parse_args(argv)
    if args.cases_only:
        db.initialize(open_database(args.database_url))
        with db.connection_context():
            add_cases(Organisation.get(Organisation.name == BENCH_ORG))
        return
    generate(args.database_url, args.orders, args.seed)


if __name__ == "__main__":
    main()
