"""Versioned schema migrations, applied by Peewee's built-in runner (playhouse.migrations)."""

from pathlib import Path

from playhouse.migrations import Runner

DIRECTORY = str(Path(__file__).resolve().parent)


def runner(database):
    return Runner(database, directory=DIRECTORY)


def upgrade(database):
    """Apply every pending migration; returns the names applied."""
    return runner(database).up()


def downgrade(database, steps=1):
    """Revert the last `steps` applied migrations, newest first; returns the names reverted."""
    reverted = []
    for _ in range(steps):
        done = runner(database).down()
        if not done:
            break
        reverted.extend(done)
    return reverted
