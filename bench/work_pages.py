"""Work order pages at scale: every list a dispatcher or technician opens, per role.

    .venv/bin/python -m bench.work_pages --database-url URL [--repeat 20] [--roles admin,...]

Run on a database built by `bench.generate` and then `bench.generate_work` (1,000,000 work
orders). Reports median / p95 ms and SQL queries per request, like bench.pages, with the
same sign-ins (admin, the manager limited to two locations, tech01, the client user with
the most assets) and the bar of the issue (50 ms p95 on lists, a constant query count).
"""

import argparse
import os
import re
import statistics
import tempfile
import time

from peewee import PostgresqlDatabase

from .pages import (
    BAR_MS,
    CLOCK,
    Recorder,
    Result,
    measure,
    percentile,
    pick_org,
    pick_users,
    queries_of,
    sign_in,
)

BAR_ORDER_PAGE_MS = 80.0

ROLES = ("admin", "manager", "technician", "client")


def paths_for(user):
    """The pages of each role, with ids picked from what the user can see."""
    from models import WorkOrder
    from models.visibility import visible

    some = visible(WorkOrder, user).order_by(WorkOrder.id.desc()).first()
    project = some.project_id if some else 0
    total = visible(WorkOrder, user).count()
    middle = max(1, total // 25 // 2)
    paths = [
        ("list: active, by due", "/work-orders"),
        ("list: active, htmx", "/work-orders?sort=-priority"),
        ("list: any status, by due, first", "/work-orders?status=all"),
        ("list: any status, middle page", f"/work-orders?status=all&page={middle}"),
        ("list: any status, last page", f"/work-orders?status=all&page={total // 25 + 1}"),
        ("list: any status, newest", "/work-orders?status=all&sort=-created"),
        ("list: closed in a project", f"/work-orders?status=closed&project={project}"),
        ("list: overdue", "/work-orders?overdue=1"),
        ("list: unassigned", "/work-orders?assignee=none"),
        ("search: number", f"/work-orders?status=all&q=WO-{some.number if some else 1}"),
        ("search: title words", "/work-orders?status=all&q=belt"),
        ("order page", f"/work-orders/{some.id if some else 1}"),
        ("home", "/"),
    ]
    if user.role != "client":
        paths += [("board by status", "/work-orders/board")]
        paths += [("board by technician", "/work-orders/board?by=technician")]
    if user.role == "technician":
        paths += [("my work", "/my-work"), ("list: mine", "/work-orders?assignee=me")]
    long_one = long_timeline_order()
    if long_one and visible(WorkOrder, user).where(WorkOrder.id == long_one).exists():
        paths += [("order page, 200 timeline entries", f"/work-orders/{long_one}")]
    return paths


def long_timeline_order():
    """The order bench.generate_work gave 200 timeline entries (None if it did not)."""
    from peewee import SQL, fn

    from models import Activity

    row = (
        Activity.select(Activity.work_order)
        .group_by(Activity.work_order)
        .having(fn.COUNT(SQL("*")) >= 200)
        .first()
    )
    return row.work_order_id if row else None


SERVER_TIMES = re.compile(r"(Planning|Execution) Time: ([\d.]+) ms")


def server_ms(database, events):
    """What PostgreSQL spent planning and running a request's queries, by running each
    SELECT again under EXPLAIN (ANALYZE, TIMING OFF): the server's own clock, without the
    wait for a CPU that round trips pay on a loaded machine (a query that runs in 1 ms took
    60 ms end to end at a load average of 8 on two cores)."""
    total = 0.0
    for event in queries_of(events):
        if not event.sql.lstrip().upper().startswith(("SELECT", "(", "WITH")):
            total += event.duration * 1000
            continue
        rows = database.execute_sql(
            "EXPLAIN (ANALYZE, SUMMARY, TIMING OFF) " + event.sql, event.params
        ).fetchall()
        total += sum(float(ms) for _kind, ms in SERVER_TIMES.findall(rows[-2][0] + rows[-1][0]))
    return total


def measure_server(client, recorder, path, headers, repeat):
    """Like bench.pages.measure, timed by this thread's CPU time plus PostgreSQL's planning
    and execution time of the request's queries (server_ms)."""
    from models import db

    client.get(path, headers=headers)
    times, counts, sql, statuses = [], [], [], set()
    for _ in range(repeat):
        recorder.start()
        started = time.thread_time()
        response = client.get(path, headers=headers)
        cpu = (time.thread_time() - started) * 1000
        events = recorder.stop()
        with db.connection_context():
            spent = server_ms(db.obj, events)
        times.append(cpu + spent)
        sql.append(spent)
        counts.append(len(queries_of(events)))
        statuses.add(response.status_code)
    status = 200 if statuses == {200} else max(statuses - {200})
    return Result(
        status,
        statistics.median(times),
        percentile(times, 0.95),
        max(counts),
        statistics.median(sql),
    )


def run(url, repeat, roles, only=None, show_sql=False, clock="wall", explain_over=None):
    os.environ.setdefault("FETTLE_INSTANCE", tempfile.mkdtemp(prefix="fettle-bench-"))
    from app import create_app
    from models import WorkOrder, db

    CLOCK["name"] = "cpu" if clock == "server" else clock
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    recorder = Recorder()
    db.obj.query_hooks.append(recorder)
    kind = "PostgreSQL" if isinstance(db.obj, PostgresqlDatabase) else "SQLite"
    with db.connection_context():
        org = pick_org("bench")
        users = pick_users(org)
        pages = {role: paths_for(users[role][0]) for role in roles}
        orders = WorkOrder.select().where(WorkOrder.organisation == org.id).count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# {kind}: {org.name}, {orders:,} work orders; load average {load}; {clock} clock")
    print("| role | page | median ms | p95 ms | queries | SQL ms (median) |")
    print("|---|---|---|---|---|---|")
    for role in roles:
        user, password = users[role]
        client = sign_in(app, user, password)
        for label, path in pages[role]:
            if only and only not in label:
                continue
            headers = {"HX-Request": "true"} if "htmx" in label else {}
            if clock == "server":
                result = measure_server(client, recorder, path, headers, repeat)
            else:
                result = measure(client, recorder, path, headers, repeat, show_sql, explain_over)
            bar = BAR_ORDER_PAGE_MS if label.startswith("order page") else BAR_MS
            flag = " **!**" if result.p95 > bar else ""
            status = "" if result.status == 200 else f" (status {result.status})"
            print(
                f"| {role} | {label}{status} | {result.median:.1f} | {result.p95:.1f}{flag} "
                f"| {result.queries} | {result.sql_ms:.1f} |",
                flush=True,
            )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.work_pages", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--only", help="just the pages whose label contains this")
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu", "server"),
        default="wall",
        help="cpu: this thread's CPU time, plus the queries' wall time on PostgreSQL (whose "
        "work runs in the server): steadier than wall time on a loaded machine; server "
        "(PostgreSQL): this thread's CPU time plus the server's planning and execution time "
        "of each query (EXPLAIN ANALYZE), without the waits for a CPU",
    )
    parser.add_argument(
        "--explain-over",
        type=float,
        metavar="MS",
        help="print the plan of every query slower than MS (EXPLAIN ANALYZE on PostgreSQL)",
    )
    args = parser.parse_args(argv)
    run(
        args.database_url,
        args.repeat,
        args.roles.split(","),
        args.only,
        args.sql,
        args.clock,
        args.explain_over,
    )


if __name__ == "__main__":
    main()
