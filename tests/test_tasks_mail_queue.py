"""Exactly once, for real: Huey consumers on Redis deliver the outbox to an SMTP server on
loopback (aiosmtpd), and we count what the server received. A worker killed in the middle
of a batch of 1,000 and restarted, two workers at once, an SMTP server down for a while:
nothing is lost and nothing arrives twice.

Redis: TEST_REDIS_URL, else database 13 (SQLite suite) or 12 (PostgreSQL suite), apart
from tests/test_tasks.py's 15 and 14, since CI runs both suites side by side."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models import OutboxEmail, db
from models.outbox import queue_email

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get(
    "TEST_REDIS_URL",
    f"redis://127.0.0.1:6379/{12 if os.environ.get('TEST_DATABASE_URL') else 13}",
)


@pytest.fixture
def redis_queue():
    redis = pytest.importorskip("redis")
    conn = redis.Redis.from_url(REDIS_URL)
    try:
        conn.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not running at {REDIS_URL} (.ci/run starts it)")
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


class Worker:
    """A Huey consumer process (two worker threads) on Redis, as in production."""

    def __init__(self, env, log_path, name="worker"):
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.name = name
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "huey.bin.huey_consumer",
                "tasks.huey",
                "--workers",
                "2",
                "--worker-type",
                "thread",
                "--no-periodic",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self):
        """SIGKILL: no shutdown, no cleanup, exactly like a crashed machine."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def workers(app, database_url, smtp_sink, redis_queue, tmp_path):
    """Start consumers with `start(**env)`; all are stopped after the test."""
    started = []
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": database_url,
        "SMTP_URL": smtp_sink.url,
        "SECRET_KEY": "test-secret",
        "BASE_URL": "http://localhost",
        "FETTLE_INSTANCE": str(tmp_path),
        "OUTBOX_LEASE_SECONDS": "3",
        "OUTBOX_RETRY_SECONDS": "1",
    }

    def start(name="worker", **extra):
        worker = Worker({**env, **extra}, tmp_path / f"{name}.log", name)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    if not db.is_closed():
        db.close()


def queue_batch(n, event="bench"):
    with db.atomic():
        for i in range(n):
            queue_email(
                f"person{i:04d}@example.com", f"Alert {i}", f"Body {i}", key=(event, f"o{i}")
            )
    db.close()  # no connection of ours holds SQLite's lock while the workers write


def delivered_exactly_once(sink, n):
    """What the SMTP server received: each email once, none missing."""
    ids = sink.message_ids()
    expected = {m for (m,) in OutboxEmail.select(OutboxEmail.message_id).tuples()}
    assert len(expected) == n
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} duplicates"
    assert set(ids) == expected, f"{len(expected - set(ids))} missing"
    assert {s for (s,) in OutboxEmail.select(OutboxEmail.status).tuples()} == {"sent"}


def test_a_worker_killed_mid_batch_and_restarted_loses_nothing_and_repeats_nothing(
    workers, smtp_sink
):
    n = 1000
    queue_batch(n)
    first = workers("first")
    # Killed while the server is taking message 300: the worker is waiting for the
    # server's answer to that message, the other thread is somewhere in another.
    smtp_sink.on_message = lambda count: first.kill() if count == 300 else None
    smtp_sink.wait_for(300, timeout=60)
    first.proc.wait(timeout=10)
    smtp_sink.on_message = None
    at_kill = smtp_sink.count()
    in_flight = OutboxEmail.select().where(OutboxEmail.status == "sending").count()
    db.close()
    assert 300 <= at_kill < n and in_flight > 0  # it died holding claimed rows
    workers("restarted")
    assert smtp_sink.wait_for(n, timeout=90, settle=4) == n
    delivered_exactly_once(smtp_sink, n)


def test_two_workers_share_the_outbox_and_never_send_the_same_mail(workers, smtp_sink):
    n = 1000
    queue_batch(n)
    workers("a", MAIL_FROM="Worker A <a@fettle.test>")
    workers("b", MAIL_FROM="Worker B <b@fettle.test>")
    assert smtp_sink.wait_for(n, timeout=90, settle=3) == n
    delivered_exactly_once(smtp_sink, n)
    senders = {m.mail_from for m in smtp_sink.messages}
    assert senders == {"a@fettle.test", "b@fettle.test"}  # both took part


def test_smtp_down_for_a_while_then_the_mail_goes_once(workers, smtp_sink):
    n = 200
    smtp_sink.stop()
    queue_batch(n)
    workers("worker")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the worker has tried, and failed, at least twice
        tried = OutboxEmail.select().where(OutboxEmail.attempts >= 2).count()
        db.close()
        if tried == n:
            break
        time.sleep(0.5)
    assert tried == n
    assert {s for (s,) in OutboxEmail.select(OutboxEmail.status).tuples()} == {"pending"}
    db.close()
    smtp_sink.start()
    assert smtp_sink.wait_for(n, timeout=90, settle=3) == n
    delivered_exactly_once(smtp_sink, n)
