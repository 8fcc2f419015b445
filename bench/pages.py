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

--suite matrix (or all) measures the assets list against its bar (p95 under 50 ms for any
filters, sort and page, full page or HTMX partial; at most 6 queries): every sort key both
ways, each filter alone, combinations, and searches, each on its first, middle and last page,
as a full page and as an HTMX partial (HX-Request: true), for every role. --matrix-out FILE
writes every cell; the summary goes to stdout. --url PATH measures just that path (with
--sql / --explain-over to see why it is slow).

--clock cpu times each request by this thread's CPU time instead of the wall clock (on
PostgreSQL, plus the wall time of its queries, which run in the server): on a shared machine
whose other jobs keep the load average over the CPU count, wall times mostly measure the
wait for a CPU. Quote both. --clock work is the same on SQLite; on PostgreSQL it adds the
CPU time of the server processes that served the request (/proc/<pid>/schedstat, so the
server must run on this machine) instead of the queries' wall time, which under load is
mostly their wait for a CPU.

Query counts leave out SQLite's `PRAGMA optimize`, which the app runs as it closes each
request's connection (about 0.2 ms); the count of those is shown apart.
"""

import argparse
import math
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

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
SORT_KEYS = (
    "tag",
    "name",
    "category",
    "status",
    "criticality",
    "warranty_end",
    "project",
    "client",
)
CLOCK = {"name": "wall"}  # or "cpu", set by --clock
BAR_MS = 50.0
BAR_QUERIES = 6
PER_PAGE = 25


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


def is_maintenance(event):
    """SQLite's `PRAGMA optimize` at connection close: not a query of the page."""
    return event.sql.lstrip().upper().startswith("PRAGMA")


def queries_of(events):
    return [e for e in events if not is_maintenance(e)]


@dataclass
class Result:
    status: int
    median: float
    p95: float
    queries: int
    sql_ms: float
    pragmas: int = 0
    body: str = ""


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


def _most_assets(user, column):
    """The value of `column` shared by the most assets `user` sees (the heaviest filter)."""
    from models import Asset
    from models.visibility import visible

    row = (
        visible(Asset, user, column, fn.COUNT(Asset.id))
        .group_by(column)
        .order_by(fn.COUNT(Asset.id).desc(), column)
        .tuples()
        .first()
    )
    return row[0] if row else None


def matrix_values(user):
    """Filter values for `user`'s matrix, all taken from what the user sees, heaviest first."""
    from models import Asset, Project
    from models.visibility import visible

    category = _most_assets(user, Asset.category) or "Chiller"
    word = max(category.lower().split(), key=len)  # "Air handling unit" -> "handling"
    sample = (
        visible(Asset, user, Asset.tag).where(Asset.category == category).order_by(Asset.id).first()
    )
    tag = sample.tag if sample else "CH-000101"
    project = _most_assets(user, Asset.project)
    place = Project.select(Project.client, Project.location).where(Project.id == project).first()
    busy_project = (
        visible(Asset, user, Asset.category)
        .where(Asset.project == project)
        .group_by(Asset.category)
        .order_by(fn.COUNT(Asset.id).desc())
        .tuples()
        .first()
    )
    in_project = (
        visible(Asset, user, Asset.tag).where(Asset.project == project).order_by(Asset.id).first()
    )
    return {
        "location": _most_assets(user, Asset.location),
        "client": _most_assets(user, Asset.client),
        "project": project,
        "category": category,
        "word": word,
        "prefix": tag[: max(3, len(tag) - 2)],  # "CH-000101" -> "CH-0001": up to 100 tags
        "short": word[:2],
        "project_client": place.client_id if place else None,
        "project_location": place.location_id if place else None,
        "project_category": busy_project[0] if busy_project else category,
        "project_prefix": in_project.tag[:-1] if in_project else tag,  # up to 10 tags
    }


def matrix_cases(v):
    """(group, label, query parameters) of the assets list matrix, for one user's values."""
    cases = []
    for key in SORT_KEYS:
        for sort in (key, f"-{key}"):
            cases.append(("sort", f"sort={sort}", {"sort": sort}))
    for name in ("location", "client", "project", "category"):
        cases.append(("filter", f"{name}=<busiest>", {name: v[name]}))
    cases += [
        ("filter", "status=down", {"status": "down"}),
        ("filter", "criticality=critical", {"criticality": "critical"}),
        ("filter", "warranty=90", {"warranty": "90"}),
        ("search", "q=<word>", {"q": v["word"]}),
        ("search", "q=<tag prefix>", {"q": v["prefix"]}),
        ("search", "q=<2 letters>", {"q": v["short"]}),
    ]
    cases += [
        (
            "combined",
            "location + status=operational, sort=-name",
            {"location": v["location"], "status": "operational", "sort": "-name"},
        ),
        (
            "combined",
            "client + category, sort=warranty_end",
            {"client": v["client"], "category": v["category"], "sort": "warranty_end"},
        ),
        (
            "combined",
            "status=degraded + criticality=critical + warranty=90",
            {"status": "degraded", "criticality": "critical", "warranty": "90"},
        ),
        (
            "combined",
            "category + warranty=90, sort=client",
            {"category": v["category"], "warranty": "90", "sort": "client"},
        ),
        (
            "combined",
            "criticality=high, sort=-project",
            {"criticality": "high", "sort": "-project"},
        ),
        (
            "combined",
            "all six selects (one project's)",
            {
                "location": v["project_location"],
                "client": v["project_client"],
                "project": v["project"],
                "category": v["project_category"],
                "status": "operational",
                "criticality": "medium",
            },
        ),
        (
            "search",
            "q=<word> + status=operational, sort=-warranty_end",
            {"q": v["word"], "status": "operational", "sort": "-warranty_end"},
        ),
        (
            "search",
            "q=<word> + location, sort=client",
            {"q": v["word"], "location": v["location"], "sort": "client"},
        ),
        (
            "search",
            "q=<tag prefix> + project, sort=-criticality",
            {"q": v["project_prefix"], "project": v["project"], "sort": "-criticality"},
        ),
    ]
    return [
        (g, label, {k: x for k, x in params.items() if x is not None}) for g, label, params in cases
    ]


_TOTAL = re.compile(r"Download these ([\d,]+)\+? assets")  # "10,000+": a capped count


def list_total(body):
    found = _TOTAL.search(body)
    return int(found.group(1).replace(",", "")) if found else 0


@dataclass
class Cell:
    role: str
    group: str
    case: str
    page: str
    mode: str
    path: str
    result: Result
    total: int = 0


def run_matrix(client, recorder, role, values, repeat, only=None):
    """Every case on its first, middle and last page, full and HTMX partial."""
    cells = []
    for group, label, params in matrix_cases(values):
        if only and not any(word in label or word == group for word in only):
            continue
        base = "/assets" + ("?" + urlencode(params) if params else "")
        first = client.get(base)
        total = list_total(first.get_data(as_text=True))
        pages = max(1, math.ceil(total / PER_PAGE))
        targets = [("first", params)]
        targets.append(("middle", {**params, "page": max(1, (pages + 1) // 2)}))
        targets.append(("last", {**params, "page": pages}))
        for page_label, page_params in targets:
            path = "/assets" + ("?" + urlencode(page_params) if page_params else "")
            for mode, headers in (("full", {}), ("htmx", {"HX-Request": "true"})):
                result = measure(client, recorder, path, headers, repeat)
                cells.append(Cell(role, group, label, page_label, mode, path, result, total))
    return cells


def _cell_text(r):
    flag = " **!**" if r.p95 > BAR_MS or r.queries > BAR_QUERIES or r.status != 200 else ""
    status = "" if r.status == 200 else f" **{r.status}**"
    return f"{r.median:.1f} / {r.p95:.1f} · {r.queries}q{status}{flag}"


def matrix_tables(cells, roles):
    """The full matrix (one row per case, page and mode) and the summary per role."""
    rows = {}
    for cell in cells:
        rows.setdefault((cell.group, cell.case, cell.page, cell.mode), {})[cell.role] = cell
    head = "| group | case | page | mode | "
    head += " | ".join(ROLE_TITLES[r] for r in roles) + " |"
    full = [head, "|---" * (len(roles) + 4) + "|"]
    for (group, case, page, mode), by_role in rows.items():
        texts = [_cell_text(by_role[r].result) if r in by_role else "" for r in roles]
        full.append(f"| {group} | {case} | {page} | {mode} | " + " | ".join(texts) + " |")

    def summary_line(name, chosen):
        if not chosen:
            return None
        parts = []
        for role in roles:
            mine = [c for c in chosen if c.role == role]
            if not mine:
                parts.append("")
                continue
            worst = max(mine, key=lambda c: c.result.p95)
            over = sum(1 for c in mine if c.result.p95 > BAR_MS)
            median = statistics.median(c.result.median for c in mine)
            most = max(c.result.queries for c in mine)
            parts.append(
                f"{median:.1f} · **{worst.result.p95:.1f}** · {over}/{len(mine)} · {most}q"
            )
        return f"| {name} | " + " | ".join(parts) + " |"

    head = "| cells | " + " | ".join(ROLE_TITLES[r] for r in roles) + " |"
    summary = [head, "|---" * (len(roles) + 1) + "|"]
    summary.append(summary_line("all", cells))
    for mode in ("full", "htmx"):
        summary.append(summary_line(f"all, {mode}", [c for c in cells if c.mode == mode]))
    for group in ("sort", "filter", "combined", "search"):
        summary.append(summary_line(f"{group}", [c for c in cells if c.group == group]))
    active = [c for c in cells if c.group == "search" and c.mode == "htmx"]
    summary.append(summary_line("active search (search, htmx)", active))
    for page in ("first", "middle", "last"):
        summary.append(summary_line(f"{page} page", [c for c in cells if c.page == page]))
    summary = [line for line in summary if line]

    worst = sorted(cells, key=lambda c: c.result.p95, reverse=True)
    over = [c for c in worst if c.result.p95 > BAR_MS or c.result.queries > BAR_QUERIES]
    listing = ["| role | case | rows | page | mode | median / p95 · q | path |"]
    listing.append("|---|---|---|---|---|---|---|")
    for c in over:
        listing.append(
            f"| {ROLE_TITLES[c.role]} | {c.case} | {c.total:,} | {c.page} | {c.mode} | "
            f"{_cell_text(c.result)} | `{c.path}` |"
        )
    totals = {}
    for c in cells:
        totals.setdefault(c.case, {})[c.role] = c.total
    head = "| case: rows matched | " + " | ".join(ROLE_TITLES[r] for r in roles) + " |"
    counts = [head, "|---" * (len(roles) + 1) + "|"]
    for case, by_role in totals.items():
        texts = [f"{by_role[r]:,}" if r in by_role else "" for r in roles]
        counts.append(f"| {case} | " + " | ".join(texts) + " |")
    return full, summary, listing, counts


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
            if explain_over is not None and ms > explain_over and not is_maintenance(event):
                print(f"  -- {ms:.1f} ms: {event.sql}\n     {event.params}")
                print("     " + explain(db.obj, event).replace("\n", "\n     "))
    body = response.get_data(as_text=True)
    times, counts, pragmas, sql_ms, statuses = [], [], [], [], {response.status_code}
    for _ in range(repeat):
        recorder.start()
        server_started = server_times(db.obj) if CLOCK["name"] == "work" else {}
        started, cpu_started = time.perf_counter(), time.thread_time()
        response = client.get(path, headers=headers)
        wall, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        events = recorder.stop()
        if CLOCK["name"] == "work":
            server = server_times(db.obj)  # a backend may be new (the pool replaced one)
            server = sum(ns - server_started.get(pid, 0) for pid, ns in server.items())
            times.append((cpu + server / 1e9) * 1000)
        elif CLOCK["name"] == "cpu":
            server = isinstance(db.obj, PostgresqlDatabase)
            times.append((cpu + (sum(e.duration for e in events) if server else 0)) * 1000)
        else:
            times.append(wall * 1000)
        counts.append(len(queries_of(events)))
        pragmas.append(len(events) - counts[-1])
        sql_ms.append(sum(e.duration for e in events) * 1000)
        statuses.add(response.status_code)
    status = 200 if statuses == {200} else max(statuses - {200})
    return Result(
        status,
        statistics.median(times),
        percentile(times, 0.95),
        max(counts),
        statistics.median(sql_ms),
        max(pragmas),
        body,
    )


def server_pids(database):
    """The process ids of the PostgreSQL backends behind `database`'s connections (its pool's
    idle and busy ones); none for SQLite, which works in this thread."""
    if not isinstance(database, PostgresqlDatabase):
        return ()
    connections = [conn for _ts, _n, conn in getattr(database, "_connections", [])]
    connections += [entry.connection for entry in getattr(database, "_in_use", {}).values()]
    if not connections and not database.is_closed():
        connections = [database.connection()]
    return tuple(conn.info.backend_pid for conn in connections if not conn.closed)


def _on_cpu(pid):
    """Nanoseconds process `pid` has spent on a CPU, not counting its wait for one
    (/proc/<pid>/schedstat: the server must run on this machine); None once it has ended."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0])
    except FileNotFoundError:
        return None


def server_times(database):
    """{backend pid: nanoseconds on a CPU} for `database`'s connections."""
    times = {pid: _on_cpu(pid) for pid in server_pids(database)}
    return {pid: ns for pid, ns in times.items() if ns is not None}


def server_cpu(pids):
    """Seconds of CPU the processes `pids` have had (those still running)."""
    return sum(ns for ns in map(_on_cpu, pids) if ns is not None) / 1e9


def per_page_counts(client, recorder, path):
    counts = []
    for size in (25, 100):
        recorder.start()
        response = client.get(f"{path}?per_page={size}")
        counts.append((len(queries_of(recorder.stop())), response.status_code))
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


def pages_suite(app, recorder, users, pages, roles, repeat, only, show_sql, explain_over):
    """Every page per role, then the per_page check; returns the failures."""
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
    pragmas = max((r.pragmas for r in results.values()), default=0)
    if pragmas:
        print(f"\n(plus {pragmas} `PRAGMA optimize` per request, not counted above)")

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
    return failures


def matrix_suite(app, recorder, users, roles, repeat, only, out):
    """The assets list against its bar; the summary to stdout, every cell to `out`."""
    from models import db

    cells, values = [], {}
    for role in roles:
        user, password = users[role]
        with db.connection_context():
            values[role] = matrix_values(user)
        print(f"# matrix values, {role}: {values[role]}", flush=True)
        client = sign_in(app, user, password)
        started = time.perf_counter()
        cells += run_matrix(client, recorder, role, values[role], repeat, only)
        print(f"# {role}: {time.perf_counter() - started:.0f}s", flush=True)
    full, summary, over, counts = matrix_tables(cells, roles)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n# assets list matrix: {len(cells)} cells; load average at the end {load}")
    print("# each cell: median ms · worst p95 ms · cells with p95 over 50 ms · most queries\n")
    print("\n".join(summary))
    print(f"\nCells over the bar (p95 > {BAR_MS:.0f} ms or more than {BAR_QUERIES} queries):\n")
    print("\n".join(over))
    if out:
        with open(out, "w") as handle:
            handle.write("Every cell: median / p95 ms · queries (`**!**`: over the bar)\n\n")
            handle.write("\n".join(full) + "\n\nRows matched per case and role:\n\n")
            handle.write("\n".join(counts) + "\n")
        print(f"\n# every cell written to {out}")
    return [f"{c.role} {c.path}: {c.result.status}" for c in cells if c.result.status != 200]


def run(
    url,
    repeat,
    org_name="auto",
    roles=ROLES,
    only=None,
    show_sql=False,
    explain_over=None,
    suite="pages",
    matrix_repeat=20,
    matrix_out=None,
    paths=(),
):
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
    if paths:
        pages = {role: [(p, p, {}) for p in paths] for role in roles}
    print(f"# {kind}: {described}", flush=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    timed = matrix_repeat if suite == "matrix" and not paths else repeat
    clock = {
        "wall": "wall clock",
        "cpu": "CPU time (+ query time on PostgreSQL)",
        "work": "CPU time of this thread and of the PostgreSQL backends",
    }[CLOCK["name"]]
    print(f"# median / p95 ms ({clock}) of {timed} requests after 1 warm-up; q = queries")
    print(f"# {os.cpu_count()} CPUs, load average at start {load}")
    print("# signed in: " + ", ".join(f"{role} {users[role][0].email}" for role in roles))

    failures = []
    if suite in ("pages", "all") or paths:
        failures += pages_suite(
            app, recorder, users, pages, roles, repeat, only, show_sql, explain_over
        )
    if suite in ("matrix", "all") and not paths:
        failures += matrix_suite(app, recorder, users, roles, matrix_repeat, only, matrix_out)
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
    parser.add_argument("--suite", choices=("pages", "matrix", "all"), default="pages")
    parser.add_argument("--matrix-repeat", type=int, default=20, help="timed requests per cell")
    parser.add_argument("--matrix-out", metavar="FILE", help="write every matrix cell here")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu", "work"),
        default="wall",
        help="time requests by (see above)",
    )
    parser.add_argument("--url", action="append", default=[], help="measure just this path")
    args = parser.parse_args(argv)
    CLOCK["name"] = args.clock
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    aliases = {"manager_limited": "manager", "limited": "manager", "client_user": "client"}
    roles = tuple(aliases.get(r, r) for r in args.roles.split(",") if r)
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        parser.error(f"unknown role(s) {', '.join(unknown)}: choose from {', '.join(ROLES)}")
    sys.exit(
        run(
            args.database_url,
            args.repeat,
            args.org,
            roles,
            args.only,
            args.sql,
            args.explain_over,
            args.suite,
            args.matrix_repeat,
            args.matrix_out,
            tuple(args.url),
        )
    )


if __name__ == "__main__":
    main()
