"""Time the list and detail pages, per role, through the Flask test client.

    .venv/bin/python -m bench.pages --database-url URL [--repeat 30]

Signs in as an admin, a manager limited to some locations, a technician and a client user
of the bench organisation (made by bench.generate; the demo organisation when there is no
bench organisation, or with --org demo), then requests every page once to warm up and
--repeat more times. For each page and role it reports the median and 95th percentile of
the server time (the time around client.get: routing, queries, rendering) and the number of
SQL queries per request, counted by a hook on db.obj.query_hooks. Every response must be
200. A second table checks that no list page's query count grows with its page size.

--sql prints the queries of each page; --explain-over MS prints the plan (EXPLAIN ANALYZE on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite) of every query slower than MS milliseconds.
"""

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field

from peewee import PostgresqlDatabase, fn

from bench.generate import ADMIN_EMAIL, BENCH_ORG, BENCH_PASSWORD, LIMITED_MANAGER_EMAIL
from models.demo import DEMO_PASSWORD

ROLES = ("admin", "manager", "technician", "client")
ROLE_TITLES = {
    "admin": "admin",
    "manager": "limited manager",
    "technician": "technician",
    "client": "client user",
}
DEMO_USERS = {
    "admin": "admin@example.com",
    "manager": "dana.kowalski@example.com",  # limited to Boston
    "technician": "tech@example.com",
    "client": "client@example.com",
}
LIST_PAGES = ("/locations", "/clients", "/projects", "/assets")


@dataclass
class Recorder:
    """Counts (and keeps) the queries the app runs while `on` is set."""

    on: bool = False
    events: list = field(default_factory=list)

    def __call__(self, event):
        if self.on:
            self.events.append(event)

    def start(self):
        self.events = []
        self.on = True

    def stop(self):
        self.on = False
        return self.events


@dataclass
class Result:
    status: int
    median: float
    p95: float
    queries: int
    sql_ms: float


def percentile(values, share):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def pick_org(org_name):
    from models import Organisation

    if org_name == "auto":
        bench = Organisation.get_or_none(Organisation.name == BENCH_ORG)
        return bench if bench is not None else Organisation.select().order_by(Organisation.id).get()
    if org_name == "bench":
        return Organisation.get(Organisation.name == BENCH_ORG)
    return (
        Organisation.select().where(Organisation.name != BENCH_ORG).order_by(Organisation.id).get()
    )


def pick_users(org):
    """The signed-in user of each role, with its password."""
    from models import Asset, User

    if org.name != BENCH_ORG:
        return {
            role: (User.get(User.email == email), DEMO_PASSWORD)
            for role, email in DEMO_USERS.items()
        }
    by_email = lambda email: User.get(User.email == email)  # noqa: E731
    # The client user whose client has the most assets: the heaviest client view.
    client_user = (
        User.select(User)
        .join(Asset, on=(Asset.client == User.client))
        .where(User.organisation == org.id, User.role == "client")
        .group_by(User.id)
        .order_by(fn.COUNT(Asset.id).desc(), User.id)
        .first()
    )
    users = {
        "admin": by_email(ADMIN_EMAIL),
        "manager": by_email(LIMITED_MANAGER_EMAIL),
        "technician": by_email("tech01@bench.example"),
        "client": client_user,
    }
    return {role: (user, BENCH_PASSWORD) for role, user in users.items()}


def _biggest(model, child_column, user):
    """The visible row of `model` with the most visible children (the heaviest detail page)."""
    from models.visibility import visible

    child = child_column.model
    row = (
        visible(child, user, child_column, fn.COUNT(child.id).alias("n"))
        .group_by(child_column)
        .order_by(fn.COUNT(child.id).desc(), child_column)
        .first()
    )
    wanted = getattr(row, child_column.name + "_id", None) if row else None
    if wanted is None:
        first = visible(model, user, model.id).order_by(model.id).first()
        return first.id if first else None
    return wanted


def pages_for(user):
    """(label, path, headers) for every page measured, with row ids this user can see."""
    from models import Asset, Client, Location, Project
    from models.visibility import visible

    parent = (
        visible(Asset, user, Asset.id, Asset.tag)
        .where(Asset.id.in_(Asset.select(Asset.parent).where(Asset.parent.is_null(False))))
        .order_by(Asset.id)
        .first()
    ) or visible(Asset, user, Asset.id, Asset.tag).order_by(Asset.id).first()
    pages = [
        ("home", "/", {}),
        ("locations", "/locations", {}),
        ("clients", "/clients", {}),
        ("projects", "/projects", {}),
        ("assets", "/assets", {}),
        ("assets ?q=chiller", "/assets?q=chiller", {}),
        ("assets ?q=<tag>", f"/assets?q={parent.tag if parent else 'AHU-000001'}", {}),
        ("assets ?status=down", "/assets?status=down", {}),
        ("assets ?sort=-name", "/assets?sort=-name", {}),
        ("assets ?page=500", "/assets?page=500", {}),
        ("assets (HTMX partial)", "/assets", {"HX-Request": "true"}),
    ]
    details = (
        ("asset", "/assets/{}", parent.id if parent else None),
        ("project", "/projects/{}", _biggest(Project, Asset.project, user)),
        ("client", "/clients/{}", _biggest(Client, Project.client, user)),
        ("location", "/locations/{}", _biggest(Location, Client.location, user)),
    )
    for label, pattern, row_id in details:
        if row_id is not None:
            pages.append((f"{label} detail", pattern.format(row_id), {}))
    return pages


def explain(database, event):
    postgres = isinstance(database, PostgresqlDatabase)
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with database.connection_context():
        rows = database.execute_sql(prefix + event.sql, event.params).fetchall()
    return "\n".join(str(r[0]) if postgres else f"{r[1]:>4} {r[3]}" for r in rows)


def measure(client, recorder, path, headers, repeat, show_sql=False, explain_over=None):
    from models import db

    recorder.start()
    response = client.get(path, headers=headers)
    warm = recorder.stop()
    if show_sql or explain_over is not None:
        for event in warm:
            ms = event.duration * 1000
            if show_sql:
                print(f"    {ms:7.1f} ms  {event.sql}  {event.params}")
            if explain_over is not None and ms > explain_over:
                print(f"  -- {ms:.1f} ms: {event.sql}\n     {event.params}")
                print("     " + explain(db.obj, event).replace("\n", "\n     "))
    times, counts, sql_ms, statuses = [], [], [], {response.status_code}
    for _ in range(repeat):
        recorder.start()
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        events = recorder.stop()
        counts.append(len(events))
        sql_ms.append(sum(e.duration for e in events) * 1000)
        statuses.add(response.status_code)
    status = 200 if statuses == {200} else max(statuses - {200})
    return Result(
        status,
        statistics.median(times),
        percentile(times, 0.95),
        max(counts),
        statistics.median(sql_ms),
    )


def per_page_counts(client, recorder, path):
    counts = []
    for size in (25, 100):
        recorder.start()
        response = client.get(f"{path}?per_page={size}")
        counts.append((len(recorder.stop()), response.status_code))
    return counts


def sign_in(app, user, password):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": password})
    if response.status_code != 302:
        sys.exit(f"could not sign in as {user.email}: {response.status_code}")
    return client


def dataset(org):
    from models import Asset, Client, Location, Project, ProjectMember, User

    def count(model):
        return model.select().where(model.organisation == org.id).count()

    components = Asset.select().where(Asset.organisation == org.id, Asset.parent.is_null(False))
    return (
        f"{org.name}: {count(Location)} locations, {count(Client)} clients, "
        f"{count(Project):,} projects, {count(Asset):,} assets ({components.count():,} "
        f"components), {count(User)} users, {count(ProjectMember):,} project memberships"
    )


def run(url, repeat, org_name="auto", roles=ROLES, only=None, show_sql=False, explain_over=None):
    os.environ.setdefault("FETTLE_INSTANCE", tempfile.mkdtemp(prefix="fettle-bench-"))
    from app import create_app
    from models import db

    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    recorder = Recorder()
    db.obj.query_hooks.append(recorder)
    kind = "PostgreSQL" if isinstance(db.obj, PostgresqlDatabase) else "SQLite"

    with db.connection_context():
        org = pick_org(org_name)
        users = pick_users(org)
        pages = {role: pages_for(users[role][0]) for role in roles}
        described = dataset(org)
    print(f"# {kind}: {described}", flush=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# median / p95 ms of {repeat} requests after 1 warm-up; q = SQL queries per request")
    print(f"# {os.cpu_count()} CPUs, load average at start {load}")
    print("# signed in: " + ", ".join(f"{role} {users[role][0].email}" for role in roles))

    results, scaling, failures = {}, {}, []
    for role in roles:
        user, password = users[role]
        client = sign_in(app, user, password)
        for label, path, headers in pages[role]:
            if only and not any(word in label for word in only):
                continue
            if show_sql or explain_over is not None:
                print(f"\n## {role} {label}: {path}")
            result = measure(client, recorder, path, headers, repeat, show_sql, explain_over)
            results[(label, role)] = result
            if result.status != 200:
                failures.append(f"{role} {path}: {result.status}")
        for path in LIST_PAGES:
            scaling[(path, role)] = per_page_counts(client, recorder, path)

    labels = list(dict.fromkeys(label for label, _role in results))
    head = "| page | " + " | ".join(ROLE_TITLES[r] for r in roles) + " |"
    lines = [head, "|---" * (len(roles) + 1) + "|"]
    for label in labels:
        cells = []
        for role in roles:
            r = results.get((label, role))
            if r is None:
                cells.append("")
                continue
            mark = "" if r.status == 200 else f" **{r.status}**"
            cells.append(f"{r.median:.1f} / {r.p95:.1f} · {r.queries}q{mark}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    print("\n" + "\n".join(lines))

    print("\nSQL time inside those requests (median ms, execute only; on SQLite rows are")
    print("fetched after execute, so this undercounts):\n")
    lines = [head, "|---" * (len(roles) + 1) + "|"]
    for label in labels:
        cells = [
            f"{results[(label, r)].sql_ms:.1f}" if (label, r) in results else "" for r in roles
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    print("\n".join(lines))

    print("\nQueries per list page at per_page=25 and per_page=100 (must be equal):\n")
    lines = ["| list | " + " | ".join(ROLE_TITLES[r] for r in roles) + " |"]
    lines.append("|---" * (len(roles) + 1) + "|")
    for path in LIST_PAGES:
        cells = []
        for role in roles:
            (small, s1), (large, s2) = scaling[(path, role)]
            flag = "ok" if small == large else "**grows**"
            cells.append(f"{small} → {large} {flag}")
            if {s1, s2} != {200}:
                failures.append(f"{role} {path}?per_page: {s1}, {s2}")
        lines.append(f"| {path} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    if failures:
        print("\nNot 200: " + "; ".join(failures))
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--org", choices=("auto", "bench", "demo"), default="auto")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated subset")
    parser.add_argument("--only", action="append", help="measure pages whose label has this")
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    parser.add_argument("--explain-over", type=float, metavar="MS", help="EXPLAIN slow queries")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    roles = tuple(r for r in args.roles.split(",") if r in ROLES)
    sys.exit(
        run(
            args.database_url,
            args.repeat,
            args.org,
            roles,
            args.only,
            args.sql,
            args.explain_over,
        )
    )


if __name__ == "__main__":
    main()
