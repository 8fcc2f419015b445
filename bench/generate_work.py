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
    Asset,
    Assignment,
    Counter,
    Organisation,
    ProjectMember,
    WorkOrder,
    db,
    open_database,
    utcnow,
)

from .generate import BENCH_ORG, CompiledInsert, log

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
CHUNK = 1000  # 22 columns x 1000 rows stays under SQLite's 32,766 parameters


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
        step = time.perf_counter()
        database.execute_sql(
            "VACUUM ANALYZE" if isinstance(database, PostgresqlDatabase) else "ANALYZE"
        )
        log("statistics", step)
    log("done", started)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate_work", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    generate(args.database_url, args.orders, args.seed)


if __name__ == "__main__":
    main()
