"""Build a large benchmark organisation fast, by bulk inserts.

    .venv/bin/python -m bench.generate --database-url URL --assets 200000 [--fresh]

Migrates the database, then creates "Bench Maintenance Group" beside any other data: for
200,000 assets about 12 locations, 400 clients, 2,000 projects, 15% of assets components of
another asset in the same project, and users of every role (see USERS below; password
"bench-password"). `--fresh` empties the database first and loads the demo organisation too,
so the demo sign-ins exist. `--assets 0` creates no bench organisation (with `--fresh`: a
demo-only database). Works on SQLite (sqlite:///path) and PostgreSQL (postgresql://...).
"""

import argparse
import datetime
import math
import os
import random
import sys
import time

from peewee import PostgresqlDatabase, fn

import migrations
from models import (
    Asset,
    Client,
    Location,
    ManagerLocation,
    Organisation,
    Project,
    ProjectMember,
    User,
    db,
    open_database,
    utcnow,
)
from models.demo import EQUIPMENT, asset_values, equipment_for, load_demo

BENCH_ORG = "Bench Maintenance Group"
BENCH_PASSWORD = "bench-password"
EMAIL_DOMAIN = "bench.example"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"
LIMITED_MANAGER_EMAIL = f"manager.limited@{EMAIL_DOMAIN}"
TECHNICIANS = 50
PROJECTS_PER_TECHNICIAN = 40
CLIENT_USERS = 20
COMPONENT_SHARE = 0.15
ROWS_PER_INSERT = 1000  # 20 columns x 1000 rows stays under SQLite's 32,766 parameters

LOCATIONS = (
    ("Manchester", "Europe/London"),
    ("Birmingham", "Europe/London"),
    ("London", "Europe/London"),
    ("Glasgow", "Europe/London"),
    ("Dublin", "Europe/Dublin"),
    ("Rotterdam", "Europe/Amsterdam"),
    ("Hamburg", "Europe/Berlin"),
    ("Lyon", "Europe/Paris"),
    ("Boston", "America/New_York"),
    ("Chicago", "America/Chicago"),
    ("Toronto", "America/Toronto"),
    ("Sydney", "Australia/Sydney"),
)
LOCATION_WEIGHTS = (3, 3, 3, 2, 2, 2, 1.5, 1.5, 2, 1.5, 1, 1)

# fmt: off
PLACES = (
    "Northgate", "Ashford", "Beacon", "Cedar-Park", "Clearwater", "Crown-Point", "Elmwood",
    "Fairfield", "Foxhall", "Glenbrook", "Granite", "Greenbank", "Harbour-View", "Hawthorn",
    "Highgate", "Ironbridge", "Juniper", "Kestrel", "Kingsway", "Lakeshore", "Larchmont", "Linden",
    "Maple-Cross", "Meridian", "Millbrook", "Northfield", "Oakwood", "Orchard", "Parkside",
    "Pinewood", "Quayside", "Redbrick", "Riverside", "Rosewood", "Silverdale", "Southbank",
    "Stonebridge", "Summit", "Thornbury", "Union-Square", "Victoria", "Westgate", "Willowbank",
    "Windmill-Hill", "Yardley", "Bluebell"
)
# fmt: on
# (client name suffix, the kinds of contract such a client has: project code suffixes)
SECTORS = (
    ("Mall Ltd", "HV LF FS"),
    ("General Hospital", "PL FS KT HV EL"),
    ("Schools Trust", "HV FS PL"),
    ("Hotels", "HV KT LF FS"),
    ("Data Centres", "EL CO FS"),
    ("Foods", "KT RF PL"),
    ("Office REIT", "HV LF FS"),
    ("University", "PL HV FS LF KT"),
    ("Logistics", "RF EL FS"),
    ("Leisure Centres", "HV PL FS"),
    ("Retail Park", "HV FS RF"),
    ("Housing Association", "PL LF FS"),
)
KIND_NAMES = {
    "HV": "HVAC maintenance",
    "LF": "Lifts and escalators",
    "FS": "Fire safety systems",
    "PL": "Plant rooms",
    "KT": "Kitchen equipment",
    "CO": "Cooling plant",
    "EL": "Critical power",
    "RF": "Refrigeration",
}
SITES = (
    "main site",
    "north campus",
    "south campus",
    "tower A",
    "tower B",
    "head office",
    "distribution centre",
    "city centre",
    "business park",
    "all sites",
)
# fmt: off
FIRST_NAMES = (
    "Aisha", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "James", "Kofi",
    "Lena", "Marco", "Nadia", "Owen", "Petra", "Rahul", "Sofia", "Tariq", "Una", "Victor", "Wen",
    "Yusuf", "Zoe"
)
LAST_NAMES = (
    "Adams", "Baker", "Costa", "Dlamini", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Khan", "Lopez", "Murphy", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Silva", "Taylor",
    "Ueda", "Vega", "Walsh", "Young"
)
# fmt: on

ASSET_FIELDS = [
    Asset.id,
    Asset.created_at,
    Asset.updated_at,
    Asset.archived_at,
    Asset.organisation,
    Asset.location,
    Asset.client,
    Asset.project,
    Asset.parent,
    Asset.tag,
    Asset.name,
    Asset.category,
    Asset.make,
    Asset.model_name,
    Asset.serial,
    Asset.install_date,
    Asset.warranty_end,
    Asset.status,
    Asset.criticality,
    Asset.description,
]


def log(message, started=None):
    suffix = f" ({time.perf_counter() - started:.1f}s)" if started is not None else ""
    print(f"{message}{suffix}", flush=True)


def insert_rows(model, rows, fields=None, chunk=ROWS_PER_INSERT):
    """Bulk insert in chunks (the caller holds the transaction); returns the number of rows."""
    done = 0
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        model.insert_many(part, fields=fields).execute()
        done += len(part)
    return done


class CompiledInsert:
    """Model.insert_many for many same-shaped chunks, with the SQL built once per chunk size.

    Peewee's query builder costs ~20 ms per 1,000-row chunk of assets (85% of the run), so
    the SQL text that insert_many produces for a full chunk is kept and executed with the
    next chunk's values. The first chunk of each size is checked to bind exactly the values
    insert_many would bind (true for the plain column types used here).
    """

    def __init__(self, model, fields):
        self.model, self.fields, self.sql = model, fields, {}
        self.seconds = 0.0  # spent executing (driver and server), for the log

    def execute(self, rows):
        params = [value for row in rows for value in row]
        if len(rows) not in self.sql:
            sql, built = self.model.insert_many(rows, fields=self.fields).sql()
            if built != params:
                raise RuntimeError("insert_many converts these values: cannot reuse its SQL")
            self.sql[len(rows)] = sql
        started = time.perf_counter()
        db.execute_sql(self.sql[len(rows)], params)
        self.seconds += time.perf_counter() - started


def scaled(assets):
    """Locations, clients and projects for an asset count, in the 200,000-asset proportions."""
    clients = max(1, round(assets / 500))
    projects = max(clients, round(assets / 100))
    return max(1, min(len(LOCATIONS), clients)), clients, projects


def make_locations(org, count, now):
    rows = [
        dict(
            organisation=org.id,
            name=name,
            timezone=tz,
            address=f"Unit {i + 3}, {name} Trade Park\n{name}",
            created_at=now,
            updated_at=now,
        )
        for i, (name, tz) in enumerate(LOCATIONS[:count])
    ]
    insert_rows(Location, rows)
    return list(
        Location.select(Location.id, Location.name)
        .where(Location.organisation == org.id)
        .order_by(Location.id)
    )


def _initials(words):
    letters = "".join(w[0] for w in words.replace("-", " ").split() if w[0].isalpha())
    return (letters.upper() + "XXX")[:3]


def make_clients(org, locations, count, rng, now):
    combos = [(p, s) for p in PLACES for s in range(len(SECTORS))]
    rng.shuffle(combos)
    rows, kinds = [], {}
    weights = LOCATION_WEIGHTS[: len(locations)]
    for i in range(count):
        place, sector = combos[i % len(combos)]
        round_ = i // len(combos)
        suffix, sector_kinds = SECTORS[sector]
        name = f"{place.replace('-', ' ')} {suffix}" + (f" {round_ + 1}" if round_ else "")
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        slug = place.lower().replace("-", "")
        rows.append(
            dict(
                organisation=org.id,
                location=rng.choices(locations, weights)[0].id,
                name=name,
                contact_name=person,
                email=f"facilities@{slug}{i}.example",
                phone=f"+44 161 555 {i:04d}",
                address=f"{rng.randint(1, 250)} {place.replace('-', ' ')} Road",
                created_at=now,
                updated_at=now,
            )
        )
        kinds[name] = sector_kinds.split()
    insert_rows(Client, rows)
    clients = list(
        Client.select(Client.id, Client.name, Client.location)
        .where(Client.organisation == org.id)
        .order_by(Client.id)
    )
    return clients, {c.id: kinds[c.name] for c in clients}


def make_projects(org, clients, client_kinds, count, rng, today, now):
    # Every client has a project; the rest go to clients unevenly, as contracts do.
    owners = list(clients) + rng.choices(
        clients, [rng.uniform(0.2, 2.0) for _ in clients], k=count - len(clients)
    )
    owners.sort(key=lambda c: c.id)
    seen = {}
    rows = []
    position = {c.id: i for i, c in enumerate(clients, start=1)}
    width = max(3, len(str(len(clients))))
    for client in owners:
        j = seen[client.id] = seen.get(client.id, -1) + 1
        kinds = client_kinds[client.id]
        kind, round_ = kinds[j % len(kinds)], j // len(kinds)
        base = f"{_initials(client.name)}{position[client.id]:0{width}d}"
        code = f"{base}-{kind}" if not round_ else f"{base}.{round_ + 1}-{kind}"
        start = today.replace(day=1) - datetime.timedelta(days=rng.randint(30, 3000))
        status = rng.choices(("active", "planned", "on_hold", "closed"), (85, 5, 4, 6))[0]
        end = start + datetime.timedelta(days=365 * rng.choice((3, 5, 10)))
        rows.append(
            dict(
                organisation=org.id,
                location=client.location_id,
                client=client.id,
                code=code,
                name=f"{KIND_NAMES[kind]}, {rng.choice(SITES)}",
                status=status,
                start_date=start,
                end_date=end if rng.random() < 0.6 else None,
                description=f"Planned and reactive maintenance: {KIND_NAMES[kind].lower()}.",
                created_at=now,
                updated_at=now,
            )
        )
    insert_rows(Project, rows)
    return list(
        Project.select(Project.id, Project.code, Project.client, Project.location)
        .where(Project.organisation == org.id)
        .order_by(Project.id)
    )


def _asset_counts(projects, total, rng):
    """Assets per project: uneven (a few big sites, many small), summing to `total`."""
    weights = [rng.lognormvariate(0, 0.8) for _ in projects]
    scale = total / sum(weights)
    counts = [math.floor(w * scale) for w in weights]
    by_remainder = sorted(range(len(projects)), key=lambda i: weights[i] * scale - counts[i])
    for i in by_remainder[::-1][: total - sum(counts)]:
        counts[i] += 1
    return counts


def make_assets(org, projects, total, rng, today, now):
    """Stream asset rows into chunked inserts; ids are assigned here so components can point
    at their parent. Returns (rows, of which components, seconds spent executing)."""
    next_id = (Asset.select(fn.MAX(Asset.id)).scalar() or 0) + 1
    counters = {}
    buffer, made, components = [], 0, 0
    categories_by_kind = {}

    insert = CompiledInsert(Asset, ASSET_FIELDS)

    def flush(everything=False):
        while len(buffer) >= ROWS_PER_INSERT or (everything and buffer):
            insert.execute(buffer[:ROWS_PER_INSERT])
            del buffer[:ROWS_PER_INSERT]

    for project, count in zip(projects, _asset_counts(projects, total, rng), strict=True):
        kind = project.code.split("-")[-1]
        categories = categories_by_kind.setdefault(kind, equipment_for(project.code))
        ancestry = (org.id, project.location_id, project.client_id, project.id)
        left = count
        while left > 0:
            category = rng.choice(categories)
            prefix, _stem, _makes, parts, _kinds = EQUIPMENT[category]
            counters[category] = counters.get(category, 0) + 1
            values = asset_values(rng, category, counters[category], today)
            parent_id = next_id
            want_parts = (
                parts[: rng.randint(1, len(parts))]
                if parts and components < COMPONENT_SHARE * (made + 1)
                else []
            )[: left - 1]
            archived = (
                now
                if values["status"] == "retired" and not want_parts and rng.random() < 0.5
                else None
            )
            buffer.append(
                (
                    next_id, now, now, archived, *ancestry, None,
                    f"{prefix}-{counters[category]:06d}", values["name"], category,
                    values["make"], values["model_name"], values["serial"],
                    values["install_date"], values["warranty_end"], values["status"],
                    values["criticality"], "",
                )
            )  # fmt: skip
            next_id += 1
            for part in want_parts:
                counters[category] += 1
                status = rng.choices(("operational", "degraded", "down"), (92, 5, 3))[0]
                buffer.append(
                    (
                        next_id, now, now, None, *ancestry, parent_id,
                        f"{prefix}-{counters[category]:06d}",
                        f"{part}, {values['name']}",
                        category, values["make"], "", f"{rng.randint(100000, 999999)}",
                        values["install_date"], None, status, values["criticality"], "",
                    )
                )  # fmt: skip
                next_id += 1
            made += 1 + len(want_parts)
            components += len(want_parts)
            left -= 1 + len(want_parts)
            if len(buffer) >= ROWS_PER_INSERT:
                flush()
    flush(everything=True)
    if isinstance(db.obj, PostgresqlDatabase):
        # Ids were given explicitly: move the sequence past them for the app's own inserts.
        db.execute_sql(
            "SELECT setval(pg_get_serial_sequence('asset', 'id'), (SELECT MAX(id) FROM asset))"
        )
    return made, components, insert.seconds


def _person(rng, used):
    while True:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in used:
            used.add(name)
            return name


def make_users(org, locations, clients, projects, rng, now):
    from models.user import _hasher

    password_hash = _hasher.hash(BENCH_PASSWORD)  # once: argon2 is slow on purpose
    used = set()
    base = dict(organisation=org.id, password_hash=password_hash, created_at=now, updated_at=now)
    people = [(ADMIN_EMAIL, "admin", None)]
    people += [(f"manager{i}@{EMAIL_DOMAIN}", "manager", None) for i in (1, 2)]
    people += [(LIMITED_MANAGER_EMAIL, "manager", None)]
    people += [(f"tech{i:02d}@{EMAIL_DOMAIN}", "technician", None) for i in range(1, 51)]
    client_rows = rng.sample(clients, min(CLIENT_USERS, len(clients)))
    people += [
        (f"client{i:02d}@{EMAIL_DOMAIN}", "client", c.id)
        for i, c in enumerate(client_rows, start=1)
    ]
    rows = [
        dict(
            base,
            email=email,
            name=_person(rng, used),
            role=role,
            client=client_id,
            timezone=locations[n % len(locations)].timezone,
        )
        for n, (email, role, client_id) in enumerate(people)
    ]
    insert_rows(User, rows)
    ids = dict(User.select(User.email, User.id).where(User.organisation == org.id).tuples())

    limited = [
        dict(organisation=org.id, user=ids[LIMITED_MANAGER_EMAIL], location=loc.id)
        for loc in locations[:2]
    ]
    insert_rows(ManagerLocation, [dict(r, created_at=now, updated_at=now) for r in limited])

    by_location = {}
    for project in projects:
        by_location.setdefault(project.location_id, []).append(project.id)
    members = []
    for i in range(1, TECHNICIANS + 1):
        home = locations[(i - 1) % len(locations)].id
        pool = by_location.get(home) or [p.id for p in projects]
        if len(pool) < PROJECTS_PER_TECHNICIAN:
            pool = [p.id for p in projects]
        chosen = rng.sample(pool, min(PROJECTS_PER_TECHNICIAN, len(pool)))
        user_id = ids[f"tech{i:02d}@{EMAIL_DOMAIN}"]
        members += [
            dict(organisation=org.id, project=p, user=user_id, created_at=now, updated_at=now)
            for p in chosen
        ]
    insert_rows(ProjectMember, members)
    return len(rows), len(members)


def settle(database):
    """After a bulk load: statistics, as the app and autovacuum would have them."""
    step = time.perf_counter()
    if isinstance(database, PostgresqlDatabase):
        # What autovacuum does shortly after a bulk load: statistics and the visibility
        # map (index-only scans), so the first measurements match the steady state.
        database.execute_sql("VACUUM ANALYZE")
        log("VACUUM ANALYZE", step)
    else:
        # What the app does at start (flask db upgrade, make run) and PRAGMA optimize after.
        database.execute_sql("ANALYZE")
        log("ANALYZE (SQLite statistics)", step)


def reset_database(url):
    """Drop everything: the schema on PostgreSQL, the file on SQLite."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    database = open_database(url)
    with database.connection_context():
        database.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
        database.execute_sql("CREATE SCHEMA public")


def generate(url, assets, fresh=False, seed=2024):
    started = time.perf_counter()
    if fresh:
        reset_database(url)
        # The demo's alerts write mail with links: the outbox needs the app's URL map.
        from app import create_app

        create_app({"DATABASE_URL": url})
    database = open_database(url)
    db.initialize(database)
    rng = random.Random(seed)
    today = datetime.date.today()
    now = utcnow()
    with database.connection_context():
        applied = migrations.upgrade(database)
        log(f"migrated: {', '.join(applied) or 'up to date'}", started)
        if fresh:
            step = time.perf_counter()
            load_demo()
            log("demo organisation loaded", step)
        if assets <= 0:
            log("no bench organisation (--assets 0)", started)
            return
        if Organisation.select().where(Organisation.name == BENCH_ORG).exists():
            sys.exit(f"{BENCH_ORG!r} already exists in this database: use --fresh to rebuild.")

        n_locations, n_clients, n_projects = scaled(assets)
        with db.atomic():
            step = time.perf_counter()
            org = Organisation.create(name=BENCH_ORG, timezone="Europe/London")
            locations = make_locations(org, n_locations, now)
            clients, client_kinds = make_clients(org, locations, n_clients, rng, now)
            projects = make_projects(org, clients, client_kinds, n_projects, rng, today, now)
            log(
                f"{len(locations)} locations, {len(clients)} clients, {len(projects)} projects",
                step,
            )

            step = time.perf_counter()
            made, components, inserting = make_assets(org, projects, assets, rng, today, now)
            share = f"{components:,} components, {components / made:.1%}"
            log(f"{made:,} assets ({share}; {inserting:.1f}s of it executing INSERTs)", step)

            step = time.perf_counter()
            located = list(
                Location.select().where(Location.organisation == org.id).order_by(Location.id)
            )
            users, members = make_users(org, located, clients, projects, rng, now)
            log(f"{users} users, {members} project memberships", step)

        settle(database)
    log(f"done: {BENCH_ORG}, password {BENCH_PASSWORD!r}, admin {ADMIN_EMAIL}", started)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", required=True, help="sqlite:///path or postgresql://...")
    parser.add_argument("--assets", type=int, default=200_000, help="assets in the bench org")
    parser.add_argument(
        "--fresh", action="store_true", help="drop everything first, then load the demo org too"
    )
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    generate(args.database_url, args.assets, args.fresh, args.seed)


if __name__ == "__main__":
    main()
