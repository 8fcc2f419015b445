"""The Huey instance: on Redis when REDIS_URL is set, otherwise on SQLite in instance/.

Every task module is imported at the bottom so the consumer registers its tasks.
"""

import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey

ROOT = Path(__file__).resolve().parent.parent


def make_huey():
    if os.environ.get("REDIS_URL"):
        return RedisHuey("fettle", url=os.environ["REDIS_URL"])
    instance = Path(os.environ.get("FETTLE_INSTANCE", ROOT / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("fettle", filename=str(instance / "huey.db"))


huey = make_huey()

from . import alerts, housekeeping, mail, reports, schedules  # noqa: E402,F401  (registers the tasks)
