"""Who hears about what, and how: per kind of alert, in the app, by email or both, at once
or in a daily digest; the organisation's defaults (set by managers), each person's own
choices over them, and the organisation's alert settings (how long before due is "due
soon", how long overdue before the project's managers hear).

A row with no user is the organisation's; a person's row overrides it. Every alert reaches
its person somewhere: there is no "off", and unsubscribing from a kind's email leaves it in
the app."""

from typing import NamedTuple

from peewee import CharField, Check, ForeignKeyField, IntegerField, IntegrityError

from .base import BaseModel, choice_check, db
from .organisation import Organisation
from .user import User

CHANNELS = ("app", "email", "both")
CHANNEL_LABELS = {"app": "In the app", "email": "By email", "both": "App and email"}
TIMINGS = ("immediate", "digest")
TIMING_LABELS = {"immediate": "At once", "digest": "Daily digest"}


class Kind(NamedTuple):
    label: str  # the subject's first word(s): "Overdue: WO-000123 ..."
    description: str
    channel: str = "both"
    timing: str = "immediate"


KINDS = {
    "assigned": Kind("Assigned to you", "A work order is assigned or reassigned to you"),
    "unassigned": Kind("Reassigned", "You are taken off a work order", "app"),
    "due_changed": Kind("Due date changed", "A work order assigned to you gets a new due date"),
    "due_soon": Kind("Due soon", "Your work order is due soon"),
    "overdue": Kind("Overdue", "Your work order is past its due time"),
    "escalation": Kind("Still overdue", "Work in your projects is still overdue (managers)"),
    "pm_generated": Kind("Preventive work", "A schedule generated a work order assigned to you"),
    "completed": Kind(
        "Completed", "A work order is completed (managers, client)", "both", "digest"
    ),
    "mention": Kind("Mentioned", "Someone @mentions you in a comment"),
    "warranty": Kind("Warranty ending", "An asset's warranty ends within 30 days (managers)"),
    "meter_limit": Kind("Meter reading", "A meter reading is outside its limits (managers)"),
}

# The kinds that can reach each role (the preferences page shows only these).
ROLE_KINDS = {
    "admin": tuple(KINDS),
    "manager": tuple(KINDS),
    "technician": (
        "assigned", "unassigned", "due_changed", "due_soon", "overdue", "pm_generated", "mention",
    ),
    "client": ("completed", "mention"),
}  # fmt: skip

DEFAULT_DUE_SOON_HOURS = 24
DEFAULT_ESCALATE_AFTER_HOURS = 24
DEFAULT_DIGEST_HOUR = 7


class AlertPreference(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, null=True, on_delete="CASCADE", index=False)
    kind = CharField(max_length=30, constraints=[choice_check("kind", tuple(KINDS))])
    channel = CharField(max_length=10, constraints=[choice_check("channel", CHANNELS)])
    timing = CharField(max_length=10, constraints=[choice_check("timing", TIMINGS)])


class AlertSettings(BaseModel):
    """The organisation's row (no user): due-soon lead, escalation delay, default digest
    hour. A person's row: their digest hour (in their time zone)."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, null=True, on_delete="CASCADE", index=False)
    digest_hour = IntegerField(null=True, constraints=[Check("digest_hour BETWEEN 0 AND 23")])
    due_soon_hours = IntegerField(null=True)
    escalate_after_hours = IntegerField(null=True)


# One organisation row and one row per person (a unique index treats NULLs as distinct).
for _model, _columns in ((AlertPreference, ("kind",)), (AlertSettings, ())):
    _cols = [getattr(_model, c) for c in _columns]
    _name = _model._meta.table_name
    _model.add_index(
        _model.index(
            _model.organisation,
            *_cols,
            unique=True,
            where=_model.user.is_null(),
            name=f"{_name}_org",
        )
    )
    _model.add_index(
        _model.index(
            _model.user, *_cols, unique=True, where=_model.user.is_null(False), name=f"{_name}_user"
        )
    )


class Choice(NamedTuple):
    channel: str
    timing: str

    @property
    def in_app(self):
        return self.channel in ("app", "both")

    @property
    def email(self):
        return self.channel in ("email", "both")


def organisation_defaults(organisation_id):
    """{kind: Choice} for the organisation: its rows over the built-in defaults."""
    found = {k: Choice(v.channel, v.timing) for k, v in KINDS.items()}
    rows = AlertPreference.select().where(
        AlertPreference.organisation == organisation_id, AlertPreference.user.is_null()
    )
    found.update({r.kind: Choice(r.channel, r.timing) for r in rows})
    return found


def choices_for(organisation_id, user_ids, kind):
    """{user id: Choice} for one kind of alert: each person's choice, else the
    organisation's, else the built-in default. One query whatever the number of people."""
    rows = list(
        AlertPreference.select(
            AlertPreference.user, AlertPreference.channel, AlertPreference.timing
        ).where(
            AlertPreference.kind == kind,
            (AlertPreference.organisation == organisation_id)
            & (AlertPreference.user.is_null() | AlertPreference.user.in_(list(user_ids))),
        )
    )
    default = Choice(KINDS[kind].channel, KINDS[kind].timing)
    for row in rows:
        if row.user_id is None:
            default = Choice(row.channel, row.timing)
    found = dict.fromkeys(user_ids, default)
    found.update({r.user_id: Choice(r.channel, r.timing) for r in rows if r.user_id})
    return found


def user_choices(user):
    """{kind: Choice} for one person, and whether each is their own or the default."""
    found = {k: (c, False) for k, c in organisation_defaults(user.organisation_id).items()}
    for row in AlertPreference.select().where(AlertPreference.user == user.id):
        found[row.kind] = (Choice(row.channel, row.timing), True)
    return found


def _upsert(model, fields, organisation_id, user_id, **key):
    """Insert or update the organisation's (user None) or a person's row; of two people
    saving at once, the second's update wins (the unique index refuses a second row)."""
    mine = model.user.is_null() if user_id is None else model.user == user_id
    query = model.select().where(model.organisation == organisation_id, mine)
    for name, value in key.items():
        query = query.where(getattr(model, name) == value)
    row = query.first()
    if row is None:
        try:
            with db.atomic():
                return model.create(organisation=organisation_id, user=user_id, **key, **fields)
        except IntegrityError:
            row = query.first()
    model.update(**fields).where(model.id == row.id).execute()
    return row


def save_choices(actor, choices, user=None):
    """Save {kind: Choice} as a person's choices (user) or the organisation's defaults."""
    from .audit import AuditEvent

    target = user.id if user is not None else None
    with db.atomic():
        for kind, choice in choices.items():
            _upsert(
                AlertPreference,
                {"channel": choice.channel, "timing": choice.timing},
                actor.organisation_id,
                target,
                kind=kind,
            )
        AuditEvent.record(
            actor,
            "alert_preferences",
            user or actor,
            {k: (None, f"{c.channel}/{c.timing}") for k, c in choices.items()},
            summary="Alert preferences" if user else "Organisation alert defaults",
        )


def stop_email(user, kind):
    """Unsubscribe: this kind reaches the person in the app only, from now on."""
    current = choices_for(user.organisation_id, [user.id], kind)[user.id]
    channel = "app"
    with db.atomic():
        _upsert(
            AlertPreference,
            {"channel": channel, "timing": current.timing},
            user.organisation_id,
            user.id,
            kind=kind,
        )
    return current.email


def unsubscribe_person(user, kind):
    """An unsubscribe link followed: this kind's email (or, for "digest", the kinds held for
    the digest) stops at once: in the app only from now on, and its mail still waiting in
    the outbox is not sent. Returns True."""
    from .audit import AuditEvent
    from .outbox import OutboxEmail

    kinds = [kind]
    if kind == "digest":
        kinds = [k for k, (c, _own) in user_choices(user).items() if c.timing == "digest"]
    with db.atomic():
        for each in kinds:
            stop_email(user, each)
        OutboxEmail.update(status="cancelled").where(
            OutboxEmail.user == user.id,
            OutboxEmail.event.in_(kinds + (["digest"] if kind == "digest" else [])),
            OutboxEmail.status == "pending",
        ).execute()
        AuditEvent.record(user, "unsubscribe", user, {"email": (", ".join(kinds), "app only")})
    return True


def unsubscribe_contact(client):
    """A client's contact stops the completed-work emails: the client's opt-in ends."""
    from .audit import AuditEvent
    from .client import Client
    from .outbox import OutboxEmail

    with db.atomic():
        if client.completion_alerts:
            Client.update(completion_alerts=False).where(Client.id == client.id).execute()
            AuditEvent.record(
                None,
                "unsubscribe",
                client,
                {"completion_alerts": (True, False)},
                organisation_id=client.organisation_id,
            )
        OutboxEmail.update(status="cancelled").where(
            OutboxEmail.recipient == client.email,
            OutboxEmail.user.is_null(),
            OutboxEmail.event == "completed",
            OutboxEmail.status == "pending",
        ).execute()
    return True


def settings_for(organisation_id, user_id=None):
    """(due soon hours, escalate after hours, digest hour) for the organisation, with the
    person's own digest hour when they chose one."""
    rows = AlertSettings.select().where(
        AlertSettings.organisation == organisation_id,
        AlertSettings.user.is_null() | (AlertSettings.user == user_id),
    )
    org, own = None, None
    for row in rows:
        if row.user_id is None:
            org = row
        else:
            own = row
    due_soon = org.due_soon_hours if org and org.due_soon_hours else DEFAULT_DUE_SOON_HOURS
    escalate = (
        org.escalate_after_hours
        if org and org.escalate_after_hours
        else DEFAULT_ESCALATE_AFTER_HOURS
    )
    hour = DEFAULT_DIGEST_HOUR
    if org and org.digest_hour is not None:
        hour = org.digest_hour
    if own and own.digest_hour is not None:
        hour = own.digest_hour
    return due_soon, escalate, hour


def save_settings(actor, user=None, **fields):
    """The organisation's settings (user None), or a person's digest hour."""
    from .audit import AuditEvent

    with db.atomic():
        row = _upsert(AlertSettings, fields, actor.organisation_id, user.id if user else None)
        AuditEvent.record(
            actor,
            "alert_settings",
            user or actor,
            {k: (None, v) for k, v in fields.items()},
            summary=f"Alert settings (row {row.id})",
        )
