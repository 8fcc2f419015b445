"""The Huey instance: SQLite by default, Redis when REDIS_URL is set, and tasks run."""

import os

import pytest
from huey import RedisHuey, SqliteHuey

import tasks
from tasks.housekeeping import heartbeat, last_heartbeat


def test_sqlite_huey_by_default():
    assert isinstance(tasks.huey, SqliteHuey)


def test_heartbeat_is_recorded():
    stamp = heartbeat.call_local()
    assert last_heartbeat() == stamp


def test_redis_huey_runs_a_task_through_a_real_consumer(monkeypatch):
    redis = pytest.importorskip("redis")
    # A Redis database of its own per suite: the SQLite and PostgreSQL runs of CI run side
    # by side and each flushes its queue.
    url = f"redis://127.0.0.1:6379/{14 if os.environ.get('TEST_DATABASE_URL') else 15}"
    monkeypatch.setenv("REDIS_URL", url)
    huey = tasks.make_huey()
    assert isinstance(huey, RedisHuey)
    huey.flush()
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")

    @huey.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    consumer = huey.create_consumer(workers=1, periodic=False, worker_type="thread")
    consumer.start()  # worker threads without signal handlers (not in the main thread)
    try:
        assert result.get(blocking=True, timeout=10) == 5
    finally:
        consumer.stop(graceful=True)
        huey.flush()
