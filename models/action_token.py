"""One-click actions from an email (acknowledge an assignment, start the work): a signed,
expiring, single-use token per person, order and action.

The link carries who may act, on what, until when, and a random nonce, signed with
SECRET_KEY: issuing one writes nothing, so an alert email costs no extra rows. Using one
writes its nonce, unique, in the same transaction as the action, so it acts once; a row
here is a token that has been used. Following the link only shows a confirmation page (a
GET changes nothing, so link scanners cannot act); only the POST acts."""

import datetime
import secrets
from typing import NamedTuple

from itsdangerous import BadSignature, URLSafeSerializer
from peewee import CharField, DateTimeField, ForeignKeyField, IntegrityError

from .audit import AuditEvent
from .base import BaseModel, choice_check, db, utcnow
from .organisation import Organisation
from .outbox import setting
from .user import User
from .visibility import can_work_on
from .work_order import Activity, Assignment, TransitionError, WorkOrder

ACTIONS = {"acknowledge": "Acknowledge the assignment", "start": "Start the work"}
LIFETIME = datetime.timedelta(days=7)
NOT_VALID = "This link is not valid. Open Fettle and find the work there."
USED = "This link has been used already: each one works once."


class ActionError(ValueError):
    """A token that cannot act; the message is shown on the page, nothing is changed."""


class ActionToken(BaseModel):
    """A used token: its nonce, who used it on what, when."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, on_delete="CASCADE", index=False)
    work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
    action = CharField(max_length=20, constraints=[choice_check("action", tuple(ACTIONS))])
    nonce = CharField(max_length=32, unique=True)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class Action(NamedTuple):
    """What a token says: who may do which action on which order, until when."""

    user_id: int
    work_order_id: int
    action: str
    nonce: str
    expires_at: datetime.datetime

    @property
    def label(self):
        return ACTIONS[self.action]

    def use(self, now=None):
        """Do the action as the person the email was sent to, once; returns a message."""
        now = now or utcnow()
        user = User.get_or_none(User.id == self.user_id, User.active == True)  # noqa: E712
        order = WorkOrder.get_or_none(WorkOrder.id == self.work_order_id)
        if user is None or order is None or not can_work_on(user, order):
            raise ActionError("You no longer have access to this work order.")
        with db.atomic():
            try:
                with db.atomic():
                    ActionToken.create(
                        organisation=order.organisation_id,
                        user=user.id,
                        work_order=order.id,
                        action=self.action,
                        nonce=self.nonce,
                        expires_at=self.expires_at,
                        used_at=now,
                    )
            except IntegrityError:
                raise ActionError(USED) from None
            if self.action == "acknowledge":
                return _acknowledge(user, order)
            return _start(user, order)


def issue(user_id, order, action, now=None):
    """The token for a link: signed, expiring in LIFETIME, good for one use."""
    expires = int(((now or utcnow()) + LIFETIME).replace(tzinfo=datetime.UTC).timestamp())
    payload = [user_id, order.id, action, secrets.token_hex(16), expires]
    return _serializer().dumps(payload)


def read(token, now=None):
    """The Action a token stands for; ActionError says why it cannot be used (forged,
    expired, used)."""
    try:
        user_id, order_id, action, nonce, expires = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise ActionError(NOT_VALID) from None
    if not (_id(user_id) and _id(order_id) and action in ACTIONS and isinstance(nonce, str)):
        raise ActionError(NOT_VALID)
    if type(expires) is not int or expires > 2**40:
        raise ActionError(NOT_VALID)
    expires_at = datetime.datetime.fromtimestamp(expires, datetime.UTC).replace(tzinfo=None)
    if ActionToken.select().where(ActionToken.nonce == nonce).exists():
        raise ActionError(USED)
    if expires_at < (now or utcnow()):
        raise ActionError("This link has expired. Open the work order in Fettle instead.")
    return Action(user_id, order_id, action, nonce, expires_at)


def _id(value):
    return type(value) is int and 0 < value < 2**31


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
