"""Procedures: reusable checklist templates an organisation keeps for its kinds of work
("AHU quarterly service"). A work order gets a copy of a procedure's items, so editing a
procedure later never changes the work already recorded against it."""

from decimal import Decimal

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .audit import AuditEvent
from .base import BaseModel, choice_check, db, utcnow
from .organisation import Organisation

ITEM_KINDS = ("checkbox", "passfail", "number", "text", "photo")
KIND_LABELS = {
    "checkbox": "Tick when done",
    "passfail": "Pass / fail / n/a",
    "number": "Number (reading)",
    "text": "Text",
    "photo": "Photo",
}
SPEC_FIELDS = ("kind", "label", "guidance", "required", "unit", "lower_limit", "upper_limit")
LIMIT = Decimal("1e9")  # readings and limits stay well inside the column's 12 digits


class ProcedureError(ValueError):
    """A procedure or item we refuse to save; the message says what to change."""


class ItemSpec(BaseModel):
    """What one checklist item asks for; shared by template items and order items (no table
    of its own: each subclass gets these columns)."""

    position = IntegerField(default=0)
    kind = CharField(max_length=20, constraints=[choice_check("kind", ITEM_KINDS)])
    label = CharField(max_length=200)
    guidance = CharField(max_length=300, default="")
    required = BooleanField(default=False)
    unit = CharField(max_length=20, default="")
    lower_limit = DecimalField(max_digits=12, decimal_places=3, null=True)
    upper_limit = DecimalField(max_digits=12, decimal_places=3, null=True)

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def has_limits(self):
        return self.lower_limit is not None or self.upper_limit is not None

    def limits_text(self):
        """The allowed range in words: "18 – 24 °C", "≤ 250 Pa", "≥ 2 bar"."""
        unit = f" {self.unit}" if self.unit else ""
        low, high = (plain_number(v) for v in (self.lower_limit, self.upper_limit))
        if low is not None and high is not None:
            return f"{low} – {high}{unit}"
        if low is not None:
            return f"≥ {low}{unit}"
        if high is not None:
            return f"≤ {high}{unit}"
        return ""

    def spec(self):
        return {name: getattr(self, name) for name in SPEC_FIELDS}


def plain_number(value):
    """A decimal without trailing zeros (12.500 -> 12.5), or None."""
    if value is None:
        return None
    return f"{Decimal(value).normalize():f}"


def check_spec(spec):
    """Refuse an item that cannot work: no label, an unknown kind, limits on a non-number,
    limits the wrong way round."""
    if not (spec.get("label") or "").strip():
        raise ProcedureError("Every item needs a label.")
    if spec.get("kind") not in ITEM_KINDS:
        raise ProcedureError("Choose what kind of answer the item takes.")
    low, high = spec.get("lower_limit"), spec.get("upper_limit")
    if spec["kind"] != "number" and (low is not None or high is not None or spec.get("unit")):
        raise ProcedureError("Only number items have a unit and limits.")
    for value in (low, high):
        if value is not None and not (-LIMIT < value < LIMIT):
            raise ProcedureError("Limits must be under a billion.")
    if low is not None and high is not None and low > high:
        raise ProcedureError("The lower limit must not be above the upper limit.")


class Procedure(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    name = CharField(max_length=160)
    description = TextField(default="")
    archived_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("organisation", "name"), True),)

    def __str__(self):
        return self.name

    def breadcrumbs(self):
        return [self]

    @classmethod
    def of(cls, user):
        """Procedures are the organisation's: everyone in it may read them."""
        return cls.select().where(cls.organisation == user.organisation_id)

    @classmethod
    def choices_for(cls, user):
        """(id, name) of the procedures that can be put on an order now."""
        rows = cls.of(user).where(cls.archived_at.is_null()).order_by(cls.name)
        return [(p.id, p.name) for p in rows.select(cls.id, cls.name)]

    def item_list(self):
        return list(
            ProcedureItem.select()
            .where(ProcedureItem.procedure == self.id)
            .order_by(ProcedureItem.position, ProcedureItem.id)
        )

    @classmethod
    def create_with_items(cls, actor, name, description, items):
        """A new procedure and its items, in order, with one audit row."""
        _check_items(items)
        with db.atomic():
            procedure = cls.create(
                organisation=actor.organisation_id, name=name, description=description
            )
            for position, spec in enumerate(items, start=1):
                ProcedureItem.create(procedure=procedure, position=position, **clean_spec(spec))
            AuditEvent.record(
                actor,
                "create",
                procedure,
                {"name": (None, name), "items": (None, [s["label"] for s in items])},
            )
        return procedure

    def save_with_items(self, actor, name, description, items):
        """Replace name, description and items (spec dicts; an "id" keeps an existing item,
        one left out is deleted). Returns the changes; orders keep their own copies."""
        _check_items(items)
        with db.atomic():
            before = self.item_list()
            known = {item.id: item for item in before}
            unknown = [s["id"] for s in items if s.get("id") and s["id"] not in known]
            if unknown:
                raise ProcedureError("An item was removed meanwhile: reload and try again.")
            kept = {s["id"] for s in items if s.get("id")}
            dropped = [i.id for i in before if i.id not in kept]
            if dropped:
                ProcedureItem.delete().where(ProcedureItem.id.in_(dropped)).execute()
            for position, spec in enumerate(items, start=1):
                fields = dict(clean_spec(spec), position=position, updated_at=utcnow())
                if spec.get("id"):
                    ProcedureItem.update(**fields).where(ProcedureItem.id == spec["id"]).execute()
                else:
                    ProcedureItem.create(procedure=self, **fields)
            changes = {}
            if name != self.name:
                changes["name"] = (self.name, name)
            if description != self.description:
                changes["description"] = (self.description, description)
            old_specs = [i.spec() for i in before]
            new_specs = [clean_spec(s) for s in items]
            if old_specs != new_specs:
                changes["items"] = ([s["label"] for s in old_specs], [s["label"] for s in items])
            if changes:
                self.name, self.description, self.updated_at = name, description, utcnow()
                self.save()
                AuditEvent.record(actor, "update", self, changes)
        return changes

    def archive(self, actor):
        """Out of the choices for new orders; orders that use it keep their copies."""
        if self.archived_at is None:
            with db.atomic():
                self.archived_at = utcnow()
                self.save()
                AuditEvent.record(actor, "archive", self)

    def restore(self, actor):
        if self.archived_at is not None:
            with db.atomic():
                self.archived_at = None
                self.save()
                AuditEvent.record(actor, "restore", self)


def clean_spec(spec):
    return {name: spec.get(name) for name in SPEC_FIELDS} | {
        "guidance": spec.get("guidance") or "",
        "unit": spec.get("unit") or "",
        "required": bool(spec.get("required")),
    }


def _check_items(items):
    if not items:
        raise ProcedureError("Add at least one item.")
    for spec in items:
        check_spec(spec)


class ProcedureItem(ItemSpec):
    procedure = ForeignKeyField(Procedure, backref="items", on_delete="CASCADE", index=False)

    class Meta:
        indexes = ((("procedure", "position"), False),)
