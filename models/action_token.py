"""One-click actions from an email (acknowledge an assignment, start the work): a signed,
expiring, single-use token per person, order and action.

The link carries the row's id and a random nonce, signed with SECRET_KEY; the row says who
may act, on what, until when, and whether it was used. Following the link only shows a
confirmation page (a GET changes nothing, so link scanners cannot act); the POST uses the
token up in the same transaction as the action, so it acts once."""

import datetime
import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from peewee import CharField, DateTimeField, ForeignKeyField

from .audit import AuditEvent
from .base import BaseModel, choice_check, db, utcnow
from .organisation import Organisation
from .outbox import setting
from .user import User
from .visibility import can_work_on
from .work_order import Activity, Assignment, TransitionError, WorkOrder

ACTIONS = {"acknowledge": "Acknowledge the assignment", "start": "Start the work"}
LIFETIME = datetime.timedelta(days=7)


class ActionError(ValueError):
    """A token that cannot act; the message is shown on the page, nothing is changed."""


class ActionToken(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, on_delete="CASCADE", index=False)
    work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
    action = CharField(max_length=20, constraints=[choice_check("action", tuple(ACTIONS))])
    nonce = CharField(max_length=32, unique=True)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)

    @property
    def label(self):
        return ACTIONS[self.action]

    @classmethod
    def issue(cls, user_id, order, action, now=None):
        """A new token and the string for its link."""
        row = cls.create(
            organisation=order.organisation_id,
            user=user_id,
            work_order=order.id,
            action=action,
            nonce=secrets.token_hex(16),
            expires_at=(now or utcnow()) + LIFETIME,
        )
        return row, _serializer().dumps([row.id, row.nonce])

    @classmethod
    def find(cls, token, now=None):
        """The token's row; ActionError says why it cannot be used (forged, expired, used)."""
        try:
            row_id, nonce = _serializer().loads(token)
        except (BadSignature, ValueError, TypeError):
            row_id, nonce = None, None
        valid = type(row_id) is int and 0 < row_id < 2**31
        row = cls.get_or_none(cls.id == row_id) if valid else None
        if row is None or not isinstance(nonce, str) or row.nonce != nonce:
            raise ActionError("This link is not valid. Open Fettle and find the work there.")
        if row.used_at is not None:
            raise ActionError("This link has been used already: each one works once.")
        if row.expires_at < (now or utcnow()):
            raise ActionError("This link has expired. Open the work order in Fettle instead.")
        return row

    def use(self, now=None):
        """Do the action as the person the email was sent to, once; returns a message."""
        now = now or utcnow()
        user = User.get_or_none(User.id == self.user_id, User.active == True)  # noqa: E712
        order = WorkOrder.get_or_none(WorkOrder.id == self.work_order_id)
        if user is None or order is None or not can_work_on(user, order):
            raise ActionError("You no longer have access to this work order.")
        with db.atomic():
            taken = (
                type(self)
                .update(used_at=now)
                .where(type(self).id == self.id, type(self).used_at.is_null())
                .execute()
            )
            if not taken:
                raise ActionError("This link has been used already: each one works once.")
            if self.action == "acknowledge":
                return _acknowledge(user, order)
            return _start(user, order)


def _acknowledge(user, order):
    if (
        not Assignment.select()
        .where(Assignment.work_order == order.id, Assignment.user == user.id)
        .exists()
    ):
        raise ActionError(f"You are no longer assigned to {order.reference}.")
    Activity.note(order, user, "acknowledge", f"{user.name} acknowledged the assignment")
    AuditEvent.record(user, "acknowledge", order)
    return f"{order.reference} is acknowledged. Thank you."


def _start(user, order):
    if order.status == "in_progress":
        raise ActionError(f"{order.reference} is already in progress.")
    if order.status not in ("open", "on_hold"):
        raise ActionError(f"{order.reference} is {order.status_label.lower()}: it cannot start.")
    try:
        order.transition(user, "in_progress", order.status)
    except TransitionError as error:
        raise ActionError(str(error)) from error
    return f"{order.reference} is now in progress."


def _serializer():
    return URLSafeSerializer(setting("SECRET_KEY") or "", salt="work-order-action")
