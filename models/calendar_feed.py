"""Private calendar feeds: a secret link per user that calendar apps subscribe to.

The link's token is never stored. It is an HMAC of a random nonce under the app's
SECRET_KEY, so the feed page can show the same link again, while the database holds only
the nonce and the token's SHA-256 (a leaked table alone cannot open any feed). A request
finds its feed by the hash through a unique index: no token comparison in Python, so no
timing leak. "Create new link" replaces the nonce, which revokes the old link at once.
"""

import base64
import datetime
import hashlib
import hmac
import secrets

from peewee import JOIN, CharField, DateTimeField, ForeignKeyField

from .audit import AuditEvent
from .base import BaseModel, db, utcnow
from .organisation import Organisation
from .user import User
from .work_order import WorkOrder

# The calendar's month for organisation-wide users (views/calendar.py) reads each order's
# due time, status, estimated hours and id from this index alone: on PostgreSQL at 600,000
# orders the day query went from ~90 to ~20 ms and the workload's scan from ~80 to ~8 ms.
# Key (organisation_id, due_at); the rest rides along (INCLUDE on PostgreSQL, trailing key
# columns on SQLite, where the id is the rowid every index carries). Created by migration
# 0012_calendar_feed; undated orders are left out (never on a calendar), which makes it a
# partial index, compared with the database by name only.
WorkOrder.add_index(
    WorkOrder.index(
        WorkOrder.organisation,
        WorkOrder.due_at,
        where=WorkOrder.due_at.is_null(False),
        name="work_order_calendar",
    )
)

RECENT_DAYS = 30  # completed or cancelled work stays in the feed this long
MAX_EVENTS = 2000  # a feed is read by a calendar app every few hours: keep it bounded
TOUCH_EVERY = datetime.timedelta(hours=1)  # "last fetched" is written at most this often


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def make_token(secret_key, nonce):
    digest = hmac.new(secret_key.encode(), f"calendar-feed:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


class CalendarFeed(BaseModel):
    """One user's feed; no row means the feed is off."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
    nonce = CharField(max_length=64)
    token_hash = CharField(max_length=64, unique=True)
    last_fetched_at = DateTimeField(null=True)

    def __str__(self):
        return "Calendar feed"

    def token(self, secret_key):
        """The link's token, or None when SECRET_KEY changed since it was made (the old
        link still works, but this server cannot show it again)."""
        token = make_token(secret_key, self.nonce)
        return token if token_hash(token) == self.token_hash else None

    @classmethod
    def of(cls, user):
        return cls.get_or_none(cls.user == user.id)

    @classmethod
    def issue(cls, user, secret_key):
        """A new link for the user; any earlier link stops working in the same transaction."""
        nonce = secrets.token_urlsafe(24)
        with db.atomic():
            replaced = cls.delete().where(cls.user == user.id).execute()
            feed = cls.create(
                organisation=user.organisation_id,
                user=user.id,
                nonce=nonce,
                token_hash=token_hash(make_token(secret_key, nonce)),
            )
            AuditEvent.record(user, "calendar_feed_renew" if replaced else "calendar_feed_on", feed)
        return feed

    @classmethod
    def turn_off(cls, user):
        """Revoke the user's link; True when there was one."""
        with db.atomic():
            feed = cls.of(user)
            if feed is None:
                return False
            feed.delete_instance()
            AuditEvent.record(user, "calendar_feed_off", feed)
        return True

    @classmethod
    def user_for(cls, token):
        """The active user whose live link carries this token, else None."""
        feed = (
            cls.select(cls, User)
            .join(User, on=(cls.user == User.id))
            .where(cls.token_hash == token_hash(token), User.active)
            .first()
        )
        if feed is None:
            return None
        now = utcnow()
        if feed.last_fetched_at is None or now - feed.last_fetched_at > TOUCH_EVERY:
            cls.update(last_fetched_at=now).where(cls.id == feed.id).execute()
        return feed.user


def feed_orders(user, now=None):
    """The work a user's feed lists: their assigned orders that are open, or finished or
    cancelled within RECENT_DAYS (so calendars show what was done and drop what was
    cancelled). A client user has no assignments: their feed lists their client's work.
    Only dated orders, within what the user may still see."""
    from .asset import Asset
    from .client import Client
    from .location import Location
    from .project import Project
    from .visibility import visible
    from .work_order import OPEN_STATUSES, Assignment, WorkOrder

    now = now or utcnow()
    since = now - datetime.timedelta(days=RECENT_DAYS)
    query = visible(
        WorkOrder,
        user,
        WorkOrder,
        Location.id,
        Location.name,
        Client.id,
        Client.name,
        Project.id,
        Project.code,
        Project.name,
        Asset.id,
        Asset.tag,
        Asset.name,
    ).where(
        WorkOrder.due_at.is_null(False),
        WorkOrder.status.in_(OPEN_STATUSES)
        | (WorkOrder.status.in_(("completed", "closed")) & (WorkOrder.completed_at >= since))
        | ((WorkOrder.status == "cancelled") & (WorkOrder.updated_at >= since)),
    )
    if user.role != "client":
        query = query.where(
            WorkOrder.id.in_(
                Assignment.select(Assignment.work_order).where(Assignment.user == user.id)
            )
        )
    return list(
        query.join_from(WorkOrder, Location, on=(WorkOrder.location == Location.id))
        .join_from(WorkOrder, Client, on=(WorkOrder.client == Client.id))
        .join_from(WorkOrder, Project, on=(WorkOrder.project == Project.id))
        .join_from(WorkOrder, Asset, JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id))
        .order_by(WorkOrder.due_at.desc())
        .limit(MAX_EVENTS)
    )
