"""In-app notifications: one row per alert and person, the inbox and the bell's count.

Each row carries its idempotency key (kind, occurrence) for its person, unique in the
database, so a duplicated event, a retried task or two workers never tell anyone twice.
The row is written in the transaction of the change that caused it; `email` says what
became of the email side (none, sent at once through the outbox, or held for the digest).
"""

from peewee import SQL, BooleanField, CharField, DateTimeField, ForeignKeyField, TextField, fn

from .base import BaseModel, choice_check, db, utcnow
from .organisation import Organisation
from .user import User
from .work_order import WorkOrder

EMAIL_MODES = ("none", "immediate", "digest")
UNREAD_CAP = 99  # the bell says "99+" beyond this: a count that never walks a long list


class Notification(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, on_delete="CASCADE", index=False)
    kind = CharField(max_length=30)
    occurrence = CharField(max_length=120)
    title = CharField(max_length=300)
    body = TextField(default="")
    url = CharField(max_length=500, default="")
    work_order = ForeignKeyField(WorkOrder, null=True, on_delete="CASCADE", index=False)
    in_app = BooleanField(default=True)
    email = CharField(
        max_length=10, default="none", constraints=[choice_check("email", EMAIL_MODES)]
    )
    digested_at = DateTimeField(null=True)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("user", "kind", "occurrence"), True),
            (("user", "in_app", "read_at"), False),
            (("user", "created_at"), False),
            (("work_order",), False),
        )

    @property
    def is_read(self):
        return self.read_at is not None

    @classmethod
    def inbox(cls, user):
        """The person's in-app notifications, newest first."""
        return (
            cls.select()
            .where(cls.user == user.id, cls.in_app == True)  # noqa: E712
            .order_by(cls.created_at.desc(), cls.id.desc())
        )

    @classmethod
    def unread_count(cls, user_id):
        """Unread in-app notifications, counted up to UNREAD_CAP + 1 (the bell shows 99+)."""
        capped = (
            cls.select(SQL("1"))
            .where(cls.user == user_id, cls.in_app == True, cls.read_at.is_null())  # noqa: E712
            .limit(UNREAD_CAP + 1)
        )
        return cls.select(fn.COUNT(SQL("*"))).from_(capped.alias("unread")).scalar()

    @classmethod
    def mark_read(cls, user, ids):
        """Mark some of this person's notifications read; others' ids are ignored."""
        with db.atomic():
            return (
                cls.update(read_at=utcnow())
                .where(cls.user == user.id, cls.id.in_(list(ids)), cls.read_at.is_null())
                .execute()
            )

    @classmethod
    def mark_all_read(cls, user):
        with db.atomic():
            return (
                cls.update(read_at=utcnow())
                .where(cls.user == user.id, cls.read_at.is_null())
                .execute()
            )
