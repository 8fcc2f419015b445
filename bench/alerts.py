"""Alerts end to end: events raised as the app raises them, delivered by a Huey consumer
(two worker threads) to an SMTP server on loopback; and the bell's unread-count poll.

    .venv/bin/python -m bench.alerts --database-url URL [--redis-url URL] [--alerts 10000]

THE DATABASE IS WIPED (schema public on PostgreSQL, the file on SQLite) and migrated. One
organisation: a project with a manager and --technicians technicians, --alerts open work
orders without assignees. Then, timed:

- events (--scenario overdue, the default): the orders are assigned and overdue, and the
  periodic due-date pass (tasks.alerts.detect_due_work) is queued: it runs on one of the
  consumer's two threads and raises the 10,000 overdue alerts, a batch at a time, while
  the other thread starts delivering; the morning burst of a real organisation;
- events (--scenario assign): the manager assigns each order to one technician
  (WorkOrder.set_assignees, one transaction each, as a request would), from --producers
  threads of this process;
- delivery: a `huey_consumer tasks.huey --workers 2 --worker-type thread` process (on
  --redis-url, else Huey on SQLite in a temporary instance) sends them to an aiosmtpd
  server in this process, which keeps what arrives;
- reported: the time from the first event to the last message received, the rate, each
  alert's latency (its commit to its arrival), and a check that every Message-ID arrived
  exactly once.

Then the poll: a technician with --unread unread notifications (and as many read) asks for
/notifications/count through the Flask test client, --polls times with the ETag of the
previous answer (the 304 path, as the bell polls) and --polls times without (200, rendered);
median and p95 of the server time around client.get, by the wall clock and by this
thread's CPU time (on a shared machine whose load average is over its CPU count the wall
time mostly measures the wait for a CPU; SQLite runs its queries in this thread, so they
are in the CPU time), and the SQL queries per request.
"""

import argparse
import datetime
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values, share):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def setup(url, n_orders, n_techs, overdue=False):
    """Wipe, migrate, and make the organisation; returns (manager, technicians, order ids).
    With `overdue`, the orders are assigned (one technician each) and went overdue in the
    last hours, without alerts yet."""
    import migrations
    from models import (
        Assignment,
        Client,
        Location,
        Organisation,
        Project,
        ProjectMember,
        User,
        WorkOrder,
    )
    from models import db as proxy
    from models.base import is_postgres
    from models.counter import Counter
    from models.user import _hasher

    if is_postgres():
        proxy.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
        proxy.execute_sql("CREATE SCHEMA public")
    migrations.upgrade(proxy.obj)
    password = _hasher.hash("bench-password")
    with proxy.atomic():
        org = Organisation.create(name="Alert Bench", timezone="Europe/London")
        loc = Location.create(organisation=org, name="Manchester", timezone="Europe/London")
        client = Client.create(organisation=org, location=loc, name="Northgate Mall Ltd")
        project = Project.create(organisation=org, client=client, code="NGM-HV", name="HVAC")
        manager = User.create(
            organisation=org, role="manager", email="manager@bench.example",
            name="Maria Santos", password_hash=password,
        )  # fmt: skip
        ProjectMember.create(organisation=org, project=project, user=manager)
        techs = []
        for i in range(n_techs):
            tech = User.create(
                organisation=org, role="technician", email=f"tech{i:02d}@bench.example",
                name=f"Tech {i:02d}", password_hash=password, timezone="Europe/London",
            )  # fmt: skip
            ProjectMember.create(organisation=org, project=project, user=tech)
            techs.append(tech)
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        rows = [
            dict(
                organisation=org.id, location=loc.id, client=client.id, project=project.id,
                number=i + 1, title=f"Chiller {i % 9 + 1} service", created_at=now,
                updated_at=now,
                due_at=now - datetime.timedelta(minutes=30 + i % 300)
                if overdue else now + datetime.timedelta(days=3 + i % 20),
            )
            for i in range(n_orders)
        ]  # fmt: skip
        for start in range(0, len(rows), 1000):
            WorkOrder.insert_many(rows[start : start + 1000]).execute()
        Counter.create(organisation=org, name="work_order", value=n_orders)
        ids = [i for (i,) in WorkOrder.select(WorkOrder.id).order_by(WorkOrder.id).tuples()]
        if overdue:
            assigned = [
                dict(organisation=org.id, work_order=order_id, user=techs[n % len(techs)].id,
                     created_at=now, updated_at=now)
                for n, order_id in enumerate(ids)
            ]  # fmt: skip
            for start in range(0, len(assigned), 1000):
                Assignment.insert_many(assigned[start : start + 1000]).execute()
    return manager, techs, ids


def raise_events(manager, techs, ids, producers):
    """Assign each order to one technician, from `producers` threads; returns per-event
    times in seconds."""
    from models import WorkOrder
    from models import db as proxy

    times, lock = [], threading.Lock()

    def work(part):
        mine = []
        with proxy.connection_context():
            for n, order_id in part:
                order = WorkOrder.get_by_id(order_id)
                start = time.perf_counter()
                order.set_assignees(manager, [techs[n % len(techs)]])
                mine.append(time.perf_counter() - start)
        with lock:
            times.extend(mine)

    items = list(enumerate(ids))
    threads = [threading.Thread(target=work, args=(items[i::producers],)) for i in range(producers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def start_consumer(env, log_path):
    cmd = [
        sys.executable, "-m", "huey.bin.huey_consumer", "tasks.huey",
        "--workers", "2", "--worker-type", "thread", "--no-periodic", "--flush-locks",
    ]  # fmt: skip
    log = open(log_path, "ab")  # noqa: SIM115 - the process keeps it
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def bench_delivery(args, env, sink, instance):
    from models import OutboxEmail
    from models import db as proxy

    overdue = args.scenario == "overdue"
    manager, techs, ids = setup(args.database_url, args.alerts, args.technicians, overdue)
    proxy.close()
    arrivals = {}
    sink.on_message = lambda count: arrivals.setdefault(count, time.time())
    consumer = start_consumer(env, Path(instance) / "consumer.log")
    time.sleep(3)  # the consumer is up and has found nothing to do
    event_times = []
    try:
        start = time.time()
        if overdue:  # the periodic pass, run now on one of the consumer's two threads
            from tasks.alerts import detect_due_work

            detect_due_work()
            _wait_for_alerts(args.alerts, args.timeout)
        else:
            event_times = raise_events(manager, techs, ids, args.producers)
        events_done = time.time()
        received = sink.wait_for(args.alerts, timeout=args.timeout, settle=2)
        done = arrivals.get(args.alerts, time.time())
    finally:
        consumer.send_signal(2)
        consumer.wait(timeout=30)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the consumer's CPU, all threads
    with proxy.connection_context():
        rows = {
            m: c
            for m, c in OutboxEmail.select(OutboxEmail.message_id, OutboxEmail.created_at).tuples()
        }
    ids_seen = sink.message_ids()
    latencies = [
        sink_time - created.replace(tzinfo=datetime.UTC).timestamp()
        for message, sink_time in zip(ids_seen, sink.arrival_times, strict=True)
        for created in [rows.get(message)]
        if created is not None
    ]
    return {
        "alerts": args.alerts,
        "received": received,
        "unique": len(set(ids_seen)),
        "expected_ids_match": set(ids_seen) == set(rows),
        "events_s": events_done - start,
        "event_ms_median": statistics.median(event_times) * 1000 if event_times else 0,
        "event_ms_p95": percentile(event_times, 0.95) * 1000 if event_times else 0,
        "total_s": done - start,
        "rate": args.alerts / (done - start),
        "consumer_cpu_s": usage.ru_utime + usage.ru_stime,
        "latency_s_median": statistics.median(latencies) if latencies else float("nan"),
        "latency_s_p95": percentile(latencies, 0.95) if latencies else float("nan"),
    }


def _wait_for_alerts(n, timeout):
    """Until the pass has written all its alerts (Huey keeps no result for a periodic
    task, so the notifications are counted)."""
    from models import Notification
    from models import db as proxy

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with proxy.connection_context():
            if Notification.select().count() >= n:
                return
        time.sleep(0.05)


def bench_poll(args, app):
    """The bell's poll for a technician with unread and read notifications."""
    from models import Notification, User
    from models import db as proxy
    from models.base import utcnow

    with proxy.connection_context():
        tech = User.get(User.email == "tech00@bench.example")
        extra = [
            dict(
                organisation=tech.organisation_id, user=tech.id, kind="mention",
                occurrence=f"poll{i}", title=f"Mentioned {i}", created_at=utcnow(),
                updated_at=utcnow(), read_at=utcnow() if i % 2 else None,
            )
            for i in range(args.unread * 2)
        ]  # fmt: skip
        for start in range(0, len(extra), 1000):
            Notification.insert_many(extra[start : start + 1000]).execute()
        unread = Notification.unread_count(tech.id)
    queries = []
    proxy.obj.query_hooks.append(lambda event: queries.append(event))
    client = app.test_client()
    client.post("/login", data={"email": tech.email, "password": "bench-password"})
    results = {}
    for name, conditional in (("304 (unchanged)", True), ("200 (rendered)", False)):
        etag, times, cpus, counts, statuses = None, [], [], [], set()
        for i in range(args.polls + 50):
            headers = {"HX-Request": "true"}
            if conditional and etag:
                headers["If-None-Match"] = etag
            del queries[:]
            start, cpu = time.perf_counter(), time.thread_time()
            response = client.get("/notifications/count", headers=headers)
            elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu
            etag = response.headers.get("ETag")
            if i >= 50:  # warmed up
                times.append(elapsed * 1000)
                cpus.append(cpu * 1000)
                counts.append(len([q for q in queries if not q.sql.startswith("PRAGMA")]))
                statuses.add(response.status_code)
        results[name] = {
            "median": statistics.median(times),
            "p95": percentile(times, 0.95),
            "cpu_median": statistics.median(cpus),
            "cpu_p95": percentile(cpus, 0.95),
            "queries": max(counts),
            "statuses": sorted(statuses),
        }
    return unread, results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default=None, help="Huey on Redis (else SQLite)")
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument(
        "--scenario",
        choices=("overdue", "assign"),
        default="overdue",
        help="overdue: the periodic pass finds --alerts orders overdue at once (one assignee "
        "each); assign: the manager assigns --alerts orders one request at a time",
    )
    parser.add_argument("--technicians", type=int, default=50)
    parser.add_argument("--producers", type=int, default=1, help="threads raising events")
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--unread", type=int, default=150)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="fettle-bench-alerts-")
    os.environ.update(FETTLE_INSTANCE=instance, ARGON2_TIME_COST="1", ARGON2_MEMORY_KIB="8192")
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
    else:
        os.environ.pop("REDIS_URL", None)
    if args.database_url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(args.database_url[len("sqlite:///") :] + suffix).unlink(missing_ok=True)

    from bench.smtp_sink import SmtpSink

    sink = SmtpSink().start()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "SMTP_URL": sink.url,
        "SECRET_KEY": "bench-secret",
        "BASE_URL": "https://fettle.example",
    }
    from app import create_app

    app = create_app(
        {"DATABASE_URL": args.database_url, "SECRET_KEY": "bench-secret",
         "BASE_URL": "https://fettle.example", "SMTP_URL": sink.url, "WTF_CSRF_ENABLED": False}
    )  # fmt: skip
    from models import db as proxy

    with app.app_context():
        proxy.connect(reuse_if_open=True)
        delivery = bench_delivery(args, env, sink, instance)
        proxy.close()
    sink.stop()
    unread, poll = bench_poll(args, app)
    load = os.getloadavg()[0]
    print(f"database: {args.database_url.split('@')[-1]}  huey: {args.redis_url or 'SQLite'}")
    print(f"load average at the end: {load:.1f}")
    d = delivery
    source = (
        "the overdue pass on the consumer"
        if args.scenario == "overdue"
        else f"{args.producers} producer thread(s) assigning"
    )
    print(f"\n{d['alerts']:,} alerts, raised by {source}; consumer with 2 threads")
    line = f"  events raised in      {d['events_s']:7.1f} s"
    if d["event_ms_median"]:
        line += (
            f"  (per event median {d['event_ms_median']:.1f} ms, p95 {d['event_ms_p95']:.1f} ms)"
        )
    print(line)
    print(f"  event to delivery     {d['total_s']:7.1f} s  ({d['rate']:.0f} alerts/s)")
    what = "raising and sending" if args.scenario == "overdue" else "sending"
    per_alert = d["consumer_cpu_s"] / d["alerts"] * 1000
    print(
        f"  consumer CPU time     {d['consumer_cpu_s']:7.1f} s  "
        f"({per_alert:.2f} ms an alert: {what})"
    )
    print(f"  latency per alert     median {d['latency_s_median']:.2f} s, "
          f"p95 {d['latency_s_p95']:.2f} s")  # fmt: skip
    print(f"  received {d['received']:,}, unique Message-IDs {d['unique']:,}, "
          f"all and only the outbox's: {d['expected_ids_match']}")  # fmt: skip
    print(f"\nunread-count poll ({unread} unread shown as 99+), {args.polls} requests each")
    for name, r in poll.items():
        print(f"  {name:16} wall median {r['median']:.2f} ms  p95 {r['p95']:.2f} ms;  "
              f"CPU median {r['cpu_median']:.2f} ms  p95 {r['cpu_p95']:.2f} ms;  "
              f"queries {r['queries']}  status {r['statuses']}")  # fmt: skip


if __name__ == "__main__":
    main()
