"""Alerts: an event tells the people who should hear it, in the app and by email, in the
transaction of the change that caused it.

`notify` is the one way in: it keeps only recipients who can see the row (models/visibility
people_who_see: an alert never reaches someone who cannot see its work), never the person
who acted, reads each person's choice for the kind (app, email or both; at once or in the
daily digest), and writes per person a Notification and, for email at once, an outbox row
(models/outbox.py), both unique by (kind, person, occurrence). So a duplicated event, a
retried task or two workers tell nobody twice.

The events themselves (assigned, due date changed, completed, ...) are the small functions
in models/alert_events.py, called once each from the model code that makes the change."""

import contextlib
import contextvars
from typing import NamedTuple

from . import action_token
from .alert_email import absolute, alert_email, unsubscribe_token
from .alert_preferences import KINDS, choices_for
from .base import db, utcnow
from .notification import Notification
from .outbox import email_row, path_for, queue_email, queue_emails
from .user import ProjectMember, User
from .visibility import people_who_see

_quiet = contextvars.ContextVar("alerts_quiet", default=False)


@contextlib.contextmanager
def quiet():
    """No alerts for changes made inside (loading demo data or a bulk import)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


class Alert(NamedTuple):
    kind: str
    occurrence: str
    subject: str  # "Overdue: WO-000123 Chiller 2 service, Northgate Mall Ltd"
    headline: str  # one sentence for the body and the inbox
    facts: list  # [(label, value)], the key facts, in the email and the inbox
    path: str  # the exact page
    work_order: object = None  # the order it is about, if any (for actions)
    actions: tuple = ()  # one-click actions offered in the email: "acknowledge", "start"


def _place(row):
    """Where a row sits: everything visibility looks at."""
    return (row.organisation_id, row.location_id, row.project_id, row.client_id)


def recipients_among(row, user_ids, actor=None):
    """The active people among `user_ids` who can see `row`, less the person who acted."""
    wanted = {u for u in user_ids if u is not None and (actor is None or u != actor.id)}
    if not wanted:
        return []
    query = people_who_see(row).select_extend(User.role, User.timezone, User.organisation)
    return list(query.where(User.id.in_(sorted(wanted))).order_by(User.id))


def managers_of(row):
    """The project's managers: managers on the project's team; else the managers who see
    it (all of the organisation or limited to its location); else its admins."""
    seeing = people_who_see(row).select_extend(User.role)
    managers = [u for u in seeing if u.role == "manager"]
    on_team = {
        m
        for (m,) in ProjectMember.select(ProjectMember.user)
        .where(ProjectMember.project == row.project_id)
        .tuples()
    }
    team = [u.id for u in managers if u.id in on_team]
    if team:
        return team
    if managers:
        return [u.id for u in managers]
    return [u.id for u in seeing if u.role == "admin"]


def notify(alert, row, user_ids, actor=None, now=None):
    """Tell these people (those of them who can see `row`) about `alert`; returns how many
    were told (a repeat of an alert they had counts, and changes nothing)."""
    return notify_many([(alert, row, user_ids)], actor, now)


def notify_many(items, actor=None, now=None):
    """notify() for many (alert, row, user ids) at once, as a periodic pass raises them:
    visibility is read once per place the rows sit in, preferences once per kind, and the
    notifications and the emails are written in one insert each."""
    if _quiet.get():
        return 0
    now = now or utcnow()
    wanted = {}
    for _alert, row, user_ids in items:
        wanted.setdefault(_place(row), (row, set()))[1].update(user_ids)
    seeing = {
        place: {p.id: p for p in recipients_among(row, ids, actor)}
        for place, (row, ids) in wanted.items()
    }
    planned = [
        (alert, row, seeing[_place(row)][uid])
        for alert, row, user_ids in items
        for uid in dict.fromkeys(user_ids)
        if uid in seeing[_place(row)]
    ]
    if not planned:
        return 0
    by_kind = {}
    for alert, row, person in planned:
        by_kind.setdefault((row.organisation_id, alert.kind), set()).add(person.id)
    choices = {key: choices_for(key[0], ids, key[1]) for key, ids in by_kind.items()}
    with db.atomic():
        notes, emails = [], []
        for alert, row, person in planned:
            choice = choices[row.organisation_id, alert.kind][person.id]
            notes.append(_notification_row(alert, row, person, choice, now))
            if choice.email and choice.timing == "immediate":
                emails.append(email_person(alert, person, now))
        for start in range(0, len(notes), 500):
            Notification.insert_many(notes[start : start + 500]).on_conflict_ignore().execute()
        queue_emails(emails)
    return len(planned)


def _notification_row(alert, row, person, choice, now):
    return {
        "created_at": now,
        "updated_at": now,
        "organisation": row.organisation_id,
        "user": person.id,
        "kind": alert.kind,
        "occurrence": alert.occurrence,
        "title": alert.subject[:300],
        "body": alert.headline,
        "url": alert.path,
        "work_order": alert.work_order.id if alert.work_order is not None else None,
        "in_app": choice.in_app,
        "email": ("immediate" if choice.timing == "immediate" else "digest")
        if choice.email
        else "none",
    }


def email_person(alert, person, now=None):
    """The outbox row of the alert's email to one person, with their own action and
    unsubscribe links (for queue_emails)."""
    unsubscribe = absolute(
        path_for("notifications.unsubscribe", token=unsubscribe_token(alert.kind, person.id))
    )
    actions = []
    order = alert.work_order
    if order is not None and person.role in ("admin", "manager", "technician"):
        for action in alert.actions:
            token = action_token.issue(person.id, order, action, now)
            actions.append(
                (_action_label(action), absolute(path_for("actions.confirm", token=token)))
            )
    text, html = alert_email(alert, person.name, unsubscribe, actions)
    return email_row(
        person.email,
        alert.subject,
        text,
        html,
        key=(alert.kind, alert.occurrence),
        organisation=person.organisation_id,
        user=person.id,
        unsubscribe_url=unsubscribe,
        now=now,
    )


def email_contact(alert, organisation_id, address, client_id):
    """The alert's email to a client's contact address (someone without an account)."""
    unsubscribe = absolute(
        path_for(
            "notifications.unsubscribe", token=unsubscribe_token(alert.kind, client_id=client_id)
        )
    )
    text, html = alert_email(alert, "", unsubscribe)
    return queue_email(
        address,
        alert.subject,
        text,
        html,
        key=(alert.kind, alert.occurrence),
        organisation=organisation_id,
        unsubscribe_url=unsubscribe,
    )


def _action_label(action):
    return {"acknowledge": "Acknowledge", "start": "Start the work"}[action]


def subject_for(kind, order, client_name):
    """ "Overdue: WO-000123 Chiller 2 service, Northgate Mall Ltd": what, then where."""
    return f"{KINDS[kind].label}: {order.reference} {order.title}, {client_name}"
