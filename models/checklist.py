"""A work order's checklist: items copied from a procedure or added on the order, answered
one at a time on site. Required items block completion; a failed item or a reading outside
its limits is flagged and can raise one linked corrective order."""

import secrets
from decimal import Decimal, InvalidOperation

from peewee import JOIN, CharField, DateTimeField, DecimalField, ForeignKeyField, TextField, fn

from .audit import AuditEvent
from .base import choice_check, db, is_postgres, utcnow
from .document import MAX_UPLOAD_BYTES, TYPES, make_thumbnail, sniff
from .organisation import Organisation
from .procedure import (
    LIMIT,
    ItemSpec,
    Procedure,
    ProcedureError,
    check_spec,
    clean_spec,
    plain_number,
)
from .user import User
from .work_order import OPEN_STATUSES, Activity, WorkOrder

FLAGS = ("", "fail", "below", "above")
PASSFAIL = {"pass": "Pass", "fail": "Fail", "na": "N/A"}
MAX_TEXT = 2000
MAX_NOTE = 500


class ChecklistError(ValueError):
    """An answer or change we refuse; the message is shown at the item."""


def _lock(model, row_id):
    """Hold the row until the transaction ends, so two people doing the same thing at once
    take turns (SQLite transactions already take the write lock when they begin)."""
    if is_postgres():
        model.select(model.id).where(model.id == row_id).for_update().get()


def _open_or_refuse(order_id):
    status = WorkOrder.select(WorkOrder.status).where(WorkOrder.id == order_id).scalar()
    if status not in OPEN_STATUSES:
        raise ChecklistError(
            "The checklist can change only while the order is open, in progress or on hold."
        )


class ChecklistItem(ItemSpec):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    work_order = ForeignKeyField(
        WorkOrder, backref="checklist_items", on_delete="CASCADE", index=False
    )
    procedure = ForeignKeyField(Procedure, null=True, on_delete="SET NULL", index=False)
    answer = TextField(default="")
    number_value = DecimalField(max_digits=12, decimal_places=3, null=True)
    note = CharField(max_length=MAX_NOTE, default="")
    flag = CharField(max_length=10, default="", constraints=[choice_check("flag", FLAGS)])
    photo_key = CharField(max_length=300, null=True)
    thumbnail_key = CharField(max_length=300, null=True)
    photo_type = CharField(max_length=40, default="")
    answered_at = DateTimeField(null=True)
    answered_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    follow_up = ForeignKeyField(WorkOrder, null=True, backref="source_items", on_delete="SET NULL")

    class Meta:
        indexes = ((("work_order", "position"), False),)

    @property
    def is_answered(self):
        return self.answered_at is not None

    @property
    def answer_text(self):
        """The answer as a person reads it."""
        if not self.is_answered:
            return ""
        if self.kind == "checkbox":
            return "Done"
        if self.kind == "passfail":
            return PASSFAIL.get(self.answer, self.answer)
        if self.kind == "number":
            return f"{plain_number(self.number_value)}{' ' + self.unit if self.unit else ''}"
        if self.kind == "photo":
            return "Photo"
        return self.answer

    def flag_text(self):
        if self.flag == "fail":
            return "Failed"
        if self.flag == "below":
            return f"Below the lower limit ({self.limits_text()})"
        if self.flag == "above":
            return f"Above the upper limit ({self.limits_text()})"
        return ""

    @classmethod
    def for_order(cls, order, item_id=None):
        """The order's items (or one of them) with who answered and the follow-up raised,
        in one query."""
        FollowUp = WorkOrder.alias()
        query = (
            cls.select(cls, User.id, User.name, FollowUp.id, FollowUp.number, FollowUp.status)
            .join(User, JOIN.LEFT_OUTER, on=(cls.answered_by == User.id))
            .switch(cls)
            .join(FollowUp, JOIN.LEFT_OUTER, on=(cls.follow_up == FollowUp.id))
            .where(cls.work_order == order.id)
            .order_by(cls.position, cls.id)
        )
        if item_id is not None:
            query = query.where(cls.id == item_id)
        return list(query)

    @classmethod
    def progress(cls, order_id):
        """(answered, total, required still unanswered) for the checklist's heading."""
        answered = fn.SUM(cls.answered_at.is_null(False).cast("integer"))
        required_left = fn.SUM((cls.required & cls.answered_at.is_null()).cast("integer"))
        row = (
            cls.select(fn.COUNT(cls.id), answered, required_left)
            .where(cls.work_order == order_id)
            .tuples()
            .get()
        )
        total, done, left = row
        return {"total": total or 0, "answered": int(done or 0), "required_left": int(left or 0)}

    @classmethod
    def unanswered_required(cls, order_id):
        return (
            cls.select(fn.COUNT(cls.id))
            .where(cls.work_order == order_id, cls.required, cls.answered_at.is_null())
            .scalar()
        )

    @classmethod
    def attach(cls, actor, order, procedure):
        """Copy a procedure's items onto the order (after any it has). The same procedure
        twice is refused: a second tap must not double the checklist."""
        with db.atomic():
            _lock(WorkOrder, order.id)
            _open_or_refuse(order.id)
            already = cls.select().where(cls.work_order == order.id, cls.procedure == procedure.id)
            if already.exists():
                raise ChecklistError(f"“{procedure.name}” is already on this order.")
            items = procedure.item_list()
            start = _last_position(order.id)
            for n, item in enumerate(items, start=1):
                cls.create(
                    organisation=order.organisation_id,
                    work_order=order.id,
                    procedure=procedure.id,
                    position=start + n,
                    **item.spec(),
                )
            Activity.note(
                order,
                actor,
                "checklist",
                f"Attached checklist “{procedure.name}” ({len(items)} items)",
            )
            AuditEvent.record(
                actor, "attach_checklist", order, {"checklist": (None, procedure.name)}
            )
        return len(items)

    @classmethod
    def add_to(cls, actor, order, **spec):
        """An ad-hoc item, for something this job needs that no procedure asks."""
        try:
            check_spec(spec)
        except ProcedureError as error:
            raise ChecklistError(str(error)) from None
        with db.atomic():
            _lock(WorkOrder, order.id)
            _open_or_refuse(order.id)
            item = cls.create(
                organisation=order.organisation_id,
                work_order=order.id,
                position=_last_position(order.id) + 1,
                **clean_spec(spec),
            )
            Activity.note(order, actor, "checklist", f"Added checklist item “{item.label}”")
            AuditEvent.record(actor, "add_checklist_item", order, {"item": (None, item.label)})
        return item

    def remove(self, actor):
        """Take an item off the order (managers: a required item is a promise to the client)."""
        with db.atomic():
            _open_or_refuse(self.work_order_id)
            order = WorkOrder.get_by_id(self.work_order_id)
            self.delete_instance()
            Activity.note(order, actor, "checklist", f"Removed checklist item “{self.label}”")
            AuditEvent.record(actor, "remove_checklist_item", order, {"item": (self.label, None)})

    def record(self, actor, value="", note="", photo=None, storage=None):
        """Answer the item (an empty value clears it). `photo` is (bytes, filename): the
        answer of a photo item, or the evidence for any other (a cracked belt). Raises
        ChecklistError with a message for the field."""
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            raise ChecklistError(f"Keep the note under {MAX_NOTE} characters.")
        fields = self._parse(value)
        _open_or_refuse(self.work_order_id)  # before storing a photo nobody would see
        if photo and photo[0]:
            fields.update(self._store_photo(storage, photo))
        if self.kind == "photo":
            if not (fields.get("photo_key") or self.photo_key):
                raise ChecklistError("Choose a photo to upload.")
            fields["answer"] = "photo"
        with db.atomic():
            _open_or_refuse(self.work_order_id)
            before = (self.answer_text, self.flag, self.note, self.photo_key)
            answered = bool(fields.get("answer"))
            fields.update(
                note=note,
                answered_at=utcnow() if answered else None,
                answered_by=actor.id if answered else None,
                updated_at=utcnow(),
            )
            type(self).update(**fields).where(type(self).id == self.id).execute()
            for name, value in fields.items():
                setattr(self, name, value)
            self._note_answer(actor, before)
        return self

    def _parse(self, value):
        value = (value or "").strip() if isinstance(value, str) else ""
        if self.kind == "photo" or not value:
            return {"answer": "", "number_value": None, "flag": ""}
        if self.kind == "checkbox":
            if value != "done":
                raise ChecklistError("Tick the box, or leave it empty.")
            return {"answer": "done", "number_value": None, "flag": ""}
        if self.kind == "passfail":
            if value not in PASSFAIL:
                raise ChecklistError("Choose pass, fail or n/a.")
            return {"answer": value, "number_value": None, "flag": "fail" * (value == "fail")}
        if self.kind == "number":
            number = _number(value)
            return {
                "answer": plain_number(number),
                "number_value": number,
                "flag": self._limit(number),
            }
        if len(value) > MAX_TEXT:
            raise ChecklistError(f"Keep the answer under {MAX_TEXT} characters.")
        return {"answer": value, "number_value": None, "flag": ""}

    def _limit(self, number):
        if self.lower_limit is not None and number < self.lower_limit:
            return "below"
        if self.upper_limit is not None and number > self.upper_limit:
            return "above"
        return ""

    def _store_photo(self, storage, photo):
        data, _filename = photo
        if len(data) > MAX_UPLOAD_BYTES:
            raise ChecklistError(f"Photos can be at most {MAX_UPLOAD_BYTES // 2**20} MB.")
        content_type = sniff(data)
        if content_type is None or not content_type.startswith("image/"):
            raise ChecklistError("A photo must be an image (JPEG, PNG, WebP or GIF).")
        thumbnail = make_thumbnail(data)
        if thumbnail is None:
            raise ChecklistError("This image could not be read. Is the file complete?")
        stem = f"{self.organisation_id}/checklists/{utcnow():%Y/%m}/{secrets.token_hex(16)}"
        storage.put(stem + TYPES[content_type], data, content_type)
        storage.put(stem + "-thumb.jpg", thumbnail, "image/jpeg")
        return {
            "photo_key": stem + TYPES[content_type],
            "thumbnail_key": stem + "-thumb.jpg",
            "photo_type": content_type,
        }

    def _note_answer(self, actor, before):
        after = (self.answer_text, self.flag, self.note, self.photo_key)
        if after == before:
            return
        order = WorkOrder.get_by_id(self.work_order_id)
        if self.flag and after[:2] != before[:2]:
            what = "failed" if self.flag == "fail" else f"{self.answer_text}: {self.flag_text()}"
            body = f"Checklist: “{self.label}” {what}" + (f" — {self.note}" if self.note else "")
            Activity.note(order, actor, "flag", body)
        changes = {"item": (self.label, self.label), "answer": (before[0], after[0])}
        if before[2] != after[2]:
            changes["note"] = (before[2], after[2])
        if before[3] != after[3]:
            changes["photo"] = (bool(before[3]), bool(after[3]))
        AuditEvent.record(actor, "checklist_answer", order, changes)

    def raise_follow_up(self, actor):
        """One corrective order for a failed item or an out-of-limits reading, linked both
        ways. Asked again, it returns the order already raised: (order, created)."""
        with db.atomic():
            _lock(type(self), self.id)
            current = type(self).get_by_id(self.id)
            if current.follow_up_id is not None:
                return WorkOrder.get_by_id(current.follow_up_id), False
            if not current.flag:
                raise ChecklistError("Only a failed item or an out-of-limits reading needs one.")
            order = WorkOrder.get_by_id(current.work_order_id)
            if order.status == "cancelled":
                raise ChecklistError("This order is cancelled.")
            follow_up = WorkOrder.open_for(
                actor,
                order.project,
                asset=order.asset,
                type="corrective",
                priority=order.priority,
                title=current._follow_up_title(order),
                description=current._follow_up_description(order),
                follow_up_of=order.id,
            )
            type(self).update(follow_up=follow_up.id).where(type(self).id == self.id).execute()
            self.follow_up_id = follow_up.id
            Activity.note(
                order,
                actor,
                "follow_up",
                f"Raised follow-up {follow_up.reference} for “{current.label}”",
            )
            Activity.note(
                follow_up,
                actor,
                "follow_up",
                f"Follow-up of {order.reference}: “{current.label}” {current.flag_text().lower()}",
            )
        return follow_up, True

    def _follow_up_title(self, order):
        where = order.asset.tag if order.asset_id else order.project.code
        return f"Follow-up: {self.label[:150]} on {where}"[:200]

    def _follow_up_description(self, order):
        lines = [
            f"Raised from {order.reference} ({order.title}), checklist item “{self.label}”.",
            f"Answer: {self.answer_text}"
            + (f" — {self.flag_text()}" if self.flag not in ("", "fail") else ""),
        ]
        if self.note:
            lines.append(f"Note: {self.note}")
        if self.photo_key:
            lines.append(f"Photo: on the checklist of {order.reference}, shown on this order.")
        return "\n".join(lines)


def _number(value):
    """A reading typed on a phone: "12.5", "12,5", " -3 "; three decimals kept."""
    try:
        number = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ChecklistError("Enter a number, like 12.5.") from None
    if not number.is_finite() or not (-LIMIT < number < LIMIT):
        raise ChecklistError("Enter a number, like 12.5.")
    return number.quantize(Decimal("0.001"))


def _last_position(order_id):
    return (
        ChecklistItem.select(fn.MAX(ChecklistItem.position))
        .where(ChecklistItem.work_order == order_id)
        .scalar()
        or 0
    )


def source_item(order):
    """The checklist item an order was raised from (with its order), or None."""
    if not order.follow_up_of_id:
        return None
    return ChecklistItem.select().where(ChecklistItem.follow_up == order.id).first()
