"""Audit events, and the base class for rows whose changes are audited."""

import contextvars
import datetime
import decimal
import json

from peewee import CharField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .organisation import Organisation
from .user import User

# The client address of the request being served, set by the app for each request.
request_ip = contextvars.ContextVar("request_ip", default=None)


def _plain(value):
    if isinstance(value, BaseModel):
        return value.id
    if isinstance(value, (datetime.date, datetime.datetime, decimal.Decimal)):
        return str(value)
    return value


class AuditEvent(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    action = CharField(max_length=40)
    entity_type = CharField(max_length=40)
    entity_id = IntegerField(null=True)
    summary = CharField(max_length=300, default="")
    changes = TextField(default="{}")
    ip = CharField(max_length=64, null=True)

    class Meta:
        indexes = (
            (("organisation", "entity_type", "entity_id", "created_at"), False),
            (("organisation", "created_at"), False),
        )

    @classmethod
    def record(cls, actor, action, entity=None, changes=None, organisation_id=None, summary=""):
        """Write one audit row; called inside the transaction of the change it describes."""
        changes = {k: [_plain(old), _plain(new)] for k, (old, new) in (changes or {}).items()}
        org_id = organisation_id or (actor.organisation_id if actor else entity.organisation_id)
        return cls.create(
            organisation=org_id,
            user=actor.id if actor else None,
            action=action,
            entity_type=type(entity).__name__.lower() if entity is not None else "",
            entity_id=entity.id if entity is not None else None,
            summary=summary or (str(entity) if entity is not None else "")[:300],
            changes=json.dumps(changes, default=str),
            ip=request_ip.get(),
        )

    def change_list(self):
        return json.loads(self.changes or "{}")

    def describe(self):
        """One line for a history list: what happened, in words."""
        verbs = {
            "create": "created it",
            "archive": "archived it",
            "restore": "restored it",
            "import_create": "imported it from CSV",
            "import_update": "updated it from CSV",
            "sign_in": "signed in",
            "sign_out": "signed out",
        }
        if self.action in verbs and not self.summary.startswith(("Uploaded", "Deleted")):
            return verbs[self.action]
        if self.action in ("reading", "upload", "delete_document") or (
            self.summary and self.action not in ("update",)
        ):
            return self.summary
        changes = self.change_list()
        if not changes:
            return self.summary or self.action.replace("_", " ")
        parts = []
        for name, (old, new) in list(changes.items())[:4]:
            label = name.replace("_", " ")
            parts.append(f"{label}: {old} → {new}" if old not in (None, "") else f"{label}: {new}")
        more = f" and {len(changes) - 4} more" if len(changes) > 4 else ""
        return "changed " + "; ".join(parts) + more
