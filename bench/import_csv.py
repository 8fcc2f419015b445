"""Time the CSV import of 10,000 assets: models.asset_io.preview and apply, as the bench admin.

    .venv/bin/python -m bench.import_csv --database-url URL [--rows 10000] [--updates 5000]

Needs a database made by bench.generate. Two files are built from the database with the
import template's columns (models.asset_io.COLUMNS):

  create  --rows new tags in existing bench projects; ~15% are components whose parent_tag
          is a row earlier in the file (same project);
  mixed   --rows rows of which --updates are existing live assets (as an export edited by
          hand: same project and parent, new status, serial, warranty and description) and
          the rest new tags as above.

Each file is previewed (what the upload does) and then applied (what the confirm does after
a second preview), with the time, the number of SQL queries and their time. The database
is never changed: the work is done on a copy (SQLite: a backup of the file into a temporary
directory; PostgreSQL: `CREATE DATABASE <name>_import TEMPLATE <name>`, which needs no
other session on the source database), and the copy is removed afterwards (--keep-copy
keeps it). --write-csv DIR saves the two files.
"""

import argparse
import datetime
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from urllib.parse import urlparse, urlunparse

import psycopg
from peewee import JOIN

from bench.generate import ADMIN_EMAIL, BENCH_ORG
from bench.pages import Recorder, queries_of, server_cpu, server_pids

COMPONENT_SHARE = 0.15
TARGET_SECONDS = 10.0


def _copy_sqlite(url, directory):
    source = url[len("sqlite:///") :]
    target = os.path.join(directory, "import-copy.db")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return "sqlite:///" + target, lambda: None


def _admin_url(url, database):
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + database))


def _copy_postgres(url):
    parts = urlparse(url)
    source = parts.path.lstrip("/")
    copy = f"{source}_import"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", copy):
        sys.exit(f"unexpected database name {source!r}")
    maintenance = _admin_url(url, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {copy}")
        conn.execute(f"CREATE DATABASE {copy} TEMPLATE {source}")

    def drop():
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {copy}")

    return _admin_url(url, copy), drop


def _csv_line(values):
    import csv
    import io

    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def build_files(org, rows, updates, seed=11):
    """(create file, mixed file) as CSV bytes, from the bench organisation's projects."""
    from models import Asset, Project
    from models.asset_io import COLUMNS
    from models.demo import EQUIPMENT, asset_values, equipment_for

    rng = random.Random(seed)
    today = datetime.date.today()
    projects = list(
        Project.select(Project.id, Project.code)
        .where(Project.organisation == org.id, Project.archived_at.is_null())
        .order_by(Project.id)
    )
    # A batch of new sites: 100 projects, uneven, as an onboarding spreadsheet would be.
    chosen = rng.sample(projects, min(100, len(projects)))
    weights = [rng.lognormvariate(0, 0.8) for _ in chosen]
    # New tags continue each category's numbering after the highest one in the database.
    highest = {}
    for (tag,) in Asset.select(Asset.tag).where(Asset.organisation == org.id).tuples():
        prefix, _, number = tag.rpartition("-")
        if number.isdigit():
            highest[prefix] = max(highest.get(prefix, 0), int(number))

    def new_rows(count):
        made, parents = [], {}  # parents: project code -> tags of earlier rows
        while len(made) < count:
            project = rng.choices(chosen, weights)[0]
            category = rng.choice(equipment_for(project.code))
            prefix, _stem, _makes, parts, _kinds = EQUIPMENT[category]
            highest[prefix] = highest.get(prefix, 0) + 1
            values = asset_values(rng, category, highest[prefix], today)
            tag = f"{prefix}-{highest[prefix]:06d}"
            earlier = parents.get(project.code)
            parent_tag, name = "", values["name"]
            components = sum(1 for r in made[-200:] if r[3])  # the recent share
            if earlier and parts and components < COMPONENT_SHARE * min(len(made) + 1, 200):
                parent_tag = rng.choice(earlier)
                name = f"{rng.choice(parts)}, {values['name']}"
            else:
                parents.setdefault(project.code, []).append(tag)
            made.append(
                [
                    tag,
                    name,
                    project.code,
                    parent_tag,
                    category,
                    values["make"],
                    values["model_name"],
                    values["serial"],
                    values["install_date"].isoformat(),
                    values["warranty_end"].isoformat(),
                    values["status"],
                    values["criticality"],
                    "",
                ]
            )
        return made

    def updated_rows(count):
        parent = Asset.alias("parent")
        live = (
            Asset.select(
                Asset.tag,
                Asset.name,
                Project.code,
                parent.tag,
                Asset.category,
                Asset.make,
                Asset.model_name,
                Asset.serial,
                Asset.install_date,
                Asset.warranty_end,
                Asset.criticality,
            )
            .join(Project, on=(Asset.project == Project.id))
            .join_from(Asset, parent, JOIN.LEFT_OUTER, on=(Asset.parent == parent.id))
            .where(
                Asset.organisation == org.id,
                Asset.archived_at.is_null(),
                Project.archived_at.is_null(),
            )
            .order_by(Asset.id)
            .tuples()
        )
        everything = list(live)
        made = []
        for row in rng.sample(everything, min(count, len(everything))):
            tag, name, code, parent_tag, category, make, model, serial, installed, ends, crit = row
            made.append(
                [
                    tag,
                    name,
                    code,
                    parent_tag or "",
                    category,
                    make,
                    model,
                    f"{serial[:60]}-R{rng.randint(1, 9)}",
                    installed.isoformat() if installed else "",
                    (today + datetime.timedelta(days=rng.randint(30, 1500))).isoformat(),
                    rng.choices(("operational", "degraded", "down"), (85, 10, 5))[0],
                    crit,
                    "Surveyed on site visit; serial re-read from the plate.",
                ]
            )
        return made

    header = _csv_line(COLUMNS)
    create = header + "".join(_csv_line(r) for r in new_rows(rows))
    # Updates and new rows interleaved at random, each in its own order, so a new component
    # still comes after its new parent.
    old, new = updated_rows(updates), new_rows(rows - updates)
    rng.shuffle(old)
    picks = [0] * len(old) + [1] * len(new)
    rng.shuffle(picks)
    sources = (iter(old), iter(new))
    mixed = header + "".join(_csv_line(next(sources[pick])) for pick in picks)
    return create.encode(), mixed.encode()


SLOWEST = {"count": 0}  # --slowest N: print each step's N slowest statements


def timed(recorder, action):
    """(value, wall seconds, queries, their seconds, CPU seconds): the CPU is this process's
    and, on PostgreSQL, its server process's (the time spent working, not waiting for a CPU
    on a busy machine)."""
    from models import db

    recorder.start()
    pids = server_pids(db.obj)
    started, cpu, server = time.perf_counter(), time.process_time(), server_cpu(pids)
    value = action()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu + server_cpu(pids) - server
    events = queries_of(recorder.stop())
    for event in sorted(events, key=lambda e: e.duration, reverse=True)[: SLOWEST["count"]]:
        print(f"#   {event.duration * 1000:8.1f} ms  {event.sql[:160]}", flush=True)
    return value, seconds, len(events), sum(e.duration for e in events), cpu


def run_one(url, label, data, recorder):
    """Preview then apply one file on the database at `url`; returns a result row."""
    from models import Asset, AuditEvent, Organisation, Project, User, db
    from models.asset_io import apply, preview
    from models.visibility import visible

    with db.connection_context():
        org = Organisation.get(Organisation.name == BENCH_ORG)
        user = User.get(User.email == ADMIN_EMAIL, User.organisation == org.id)
        before = Asset.select().where(Asset.organisation == org.id).count()

        def check():
            return preview(user, data, visible(Asset, user, archived=True), visible(Project, user))

        result, preview_s, preview_q, preview_sql, preview_cpu = timed(recorder, check)
        if not result.clean:
            sys.exit(f"{label}: the preview is not clean: {result.errors[:5]}")
        counts, apply_s, apply_q, apply_sql, apply_cpu = timed(
            recorder, lambda: apply(user, result)
        )
        after = Asset.select().where(Asset.organisation == org.id).count()
        # The search index followed the new and changed rows (SQLite: by its triggers).
        last = result.rows[-1][1]
        found = Asset.select(Asset.tag).where(Asset.organisation == org.id)
        found = {a.tag for a in found.where(Asset.matching(last["serial"]))}
        if last["tag"] not in found:
            sys.exit(f"{label}: search does not find {last['tag']} by its new serial")
        events = AuditEvent.select().where(AuditEvent.action.startswith("import_")).count()
        with_parent = sum(1 for _line, values, _ in result.rows if values.get("parent_tag"))
    if after - before != counts["created"]:
        sys.exit(f"{label}: {after - before} assets added, expected {counts['created']}")
    return {
        "file": label,
        "rows": len(result.rows),
        "creates": result.creates,
        "updates": result.updates,
        "with parent": with_parent,
        "preview": (preview_s, preview_q, preview_sql, preview_cpu),
        "apply": (apply_s, apply_q, apply_sql, apply_cpu),
        "audit rows": events,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.import_csv", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each file, on a fresh copy")
    parser.add_argument("--keep-copy", action="store_true")
    parser.add_argument("--slowest", type=int, default=0, help="print each step's N slowest")
    parser.add_argument("--write-csv", metavar="DIR", help="save the two CSV files here")
    args = parser.parse_args(argv)
    SLOWEST["count"] = args.slowest
    os.environ.setdefault("FETTLE_INSTANCE", tempfile.mkdtemp(prefix="fettle-bench-"))

    from models import Organisation, db, open_database

    source = open_database(args.database_url, pooled=False)
    db.initialize(source)
    with db.connection_context():
        org = Organisation.get_or_none(Organisation.name == BENCH_ORG)
        if org is None:
            sys.exit(f"no {BENCH_ORG!r} here: run bench.generate first")
        started = time.perf_counter()
        create, mixed = build_files(org, args.rows, args.updates)
    source.close()
    print(f"# files built in {time.perf_counter() - started:.1f}s", flush=True)
    if args.write_csv:
        os.makedirs(args.write_csv, exist_ok=True)
        for name, data in (("create", create), ("mixed", mixed)):
            with open(os.path.join(args.write_csv, f"import-{name}.csv"), "wb") as handle:
                handle.write(data)

    postgres = not args.database_url.startswith("sqlite:")
    kind = "PostgreSQL" if postgres else "SQLite"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# {kind}, {os.cpu_count()} CPUs, load average at start {load}")
    results = []
    with tempfile.TemporaryDirectory(prefix="fettle-import-") as directory:
        for label, data in (("create", create), ("mixed", mixed)):
            for _ in range(args.repeat):
                step = time.perf_counter()
                if postgres:
                    url, drop = _copy_postgres(args.database_url)
                else:
                    url, drop = _copy_sqlite(args.database_url, directory)
                copied = time.perf_counter() - step
                database = open_database(url, pooled=False)
                db.initialize(database)
                recorder = Recorder()
                database.query_hooks.append(recorder)
                try:
                    row = run_one(url, label, data, recorder)
                finally:
                    database.close()
                    if not args.keep_copy:
                        drop()
                row["copy"] = copied
                results.append(row)
                print(f"# {label}: {row}", flush=True)

    print(f"\n{kind}: {args.rows:,}-row files, as {ADMIN_EMAIL}; load average at the end ", end="")
    print(", ".join(f"{x:.1f}" for x in os.getloadavg()))
    print("\n| file | rows (new / updated / with parent) | preview | apply | total | CPU |")
    print("|---|---|---|---|---|---|")
    for label in dict.fromkeys(r["file"] for r in results):
        mine = [r for r in results if r["file"] == label]
        r = mine[0]

        def cell(step, mine=mine):
            seconds = statistics.median(x[step][0] for x in mine)
            queries = mine[0][step][1]
            sql = statistics.median(x[step][2] for x in mine)
            return f"{seconds:.2f} s · {queries:,}q ({sql:.2f} s SQL)", seconds

        preview_text, p = cell("preview")
        apply_text, a = cell("apply")
        flag = "" if p + a < TARGET_SECONDS else " **over 10 s**"
        cpu = statistics.median(x["preview"][3] + x["apply"][3] for x in mine)
        print(
            f"| {label} | {r['rows']:,} ({r['creates']:,} / {r['updates']:,} / "
            f"{r['with parent']:,}) | {preview_text} | {apply_text} | {p + a:.2f} s{flag} "
            f"| {cpu:.2f} s |"
        )
    print("\n(median of --repeat runs; the confirm request runs the preview again before apply;")
    print("CPU: this process's and, on PostgreSQL, its server process's, for preview + apply)")


if __name__ == "__main__":
    main()
