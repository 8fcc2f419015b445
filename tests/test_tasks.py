"""The Huey instance: SQLite by default, Redis when REDIS_URL is set, and tasks run."""

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
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    huey = tasks.make_huey()
    assert isinstance(huey, RedisHuey)
    huey.flush()
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
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
