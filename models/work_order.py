"""Work orders: the unit of maintenance work, with a fixed lifecycle and a human number.

Every state change goes through WorkOrder.transition, which checks the move against
TRANSITIONS and the status the person saw, and writes the change, its activity and its
audit row in one transaction.
"""

from peewee import (
    SQL,
    BooleanField,
    CharField,
    Check,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    NodeList,
    TextField,
)

from .asset import Asset, escape_like
from .audit import AuditEvent
from .base import BaseModel, choice_check, db, is_postgres, utcnow
from .client import Client
from .counter import Counter
from .location import Location
from .organisation import Organisation
from .project import Project
from .user import ProjectMember, User

TYPES = ("corrective", "preventive", "inspection", "emergency")
PRIORITIES = ("low", "medium", "high", "urgent")
STATUSES = ("open", "in_progress", "on_hold", "completed", "closed", "cancelled")
OPEN_STATUSES = ("open", "in_progress", "on_hold")
STATUS_LABELS = {
    "open": "Open",
    "in_progress": "In progress",
    "on_hold": "On hold",
    "completed": "Completed",
    "closed": "Closed",
    "cancelled": "Cancelled",
}

# status -> {allowed next status: who may make that move}
TRANSITIONS = {
    "open": {"in_progress": "worker", "on_hold": "worker", "cancelled": "manager"},
    "in_progress": {"on_hold": "worker", "completed": "worker", "cancelled": "manager"},
    "on_hold": {"in_progress": "worker", "cancelled": "manager"},
    "completed": {"closed": "manager", "in_progress": "manager"},  # verify, or reopen
    "closed": {},
    "cancelled": {},
}
NEEDS_REASON = {"on_hold", "cancelled"}


class TransitionError(ValueError):
    """A move the lifecycle or the person's role does not allow; the message says why."""


class StaleError(ValueError):
    """Someone else changed the order since this person loaded it."""

    def __init__(self, message, changed_by=None, changes=None):
        super().__init__(message)
        self.changed_by, self.changes = changed_by, changes or {}


class WorkOrder(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    location = ForeignKeyField(Location, on_delete="RESTRICT", index=False)
    client = ForeignKeyField(Client, on_delete="RESTRICT", index=False)
    project = ForeignKeyField(Project, on_delete="RESTRICT", index=False)
    asset = ForeignKeyField(
        Asset, null=True, backref="work_orders", on_delete="RESTRICT", index=False
    )
    number = IntegerField()
    title = CharField(max_length=200)
    description = TextField(default="")
    type = CharField(max_length=20, default="corrective", constraints=[choice_check("type", TYPES)])
    priority = CharField(
        max_length=20, default="medium", constraints=[choice_check("priority", PRIORITIES)]
    )
    status = CharField(
        max_length=20, default="open", constraints=[choice_check("status", STATUSES)]
    )
    due_at = DateTimeField(null=True)
    estimated_hours = DecimalField(
        max_digits=7, decimal_places=2, null=True, constraints=[Check("estimated_hours >= 0")]
    )
    asset_down = BooleanField(default=False)
    status_reason = CharField(max_length=300, default="")
    completion_notes = TextField(default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    started_at = DateTimeField(null=True)
    completed_at = DateTimeField(null=True)
    completed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    closed_at = DateTimeField(null=True)
    version = IntegerField(default=1)
    requires_signature = BooleanField(default=False)  # sign-off: models/signoff.py
    # The order whose checklist found the fault this order puts right.
    follow_up_of = ForeignKeyField("self", null=True, backref="follow_ups", on_delete="SET NULL")

    class Meta:
        indexes = (
            (("organisation", "number"), True),
            (("organisation", "status", "due_at"), False),
            # (project, ...) and (client, ...): migration 0018's wo_list_scope_* indexes.
            # A limited manager's orders, counted from the index alone (0018).
            (("location", "status", "organisation", "due_at"), False),
            (("asset", "created_at"), False),
        )

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def reference(self):
        return f"WO-{self.number:06d}"

    def breadcrumbs(self):
        trail = [self.location, self.client, self.project]
        return trail + ([self.asset] if self.asset_id else []) + [self]

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self):
        return self.is_open and self.due_at is not None and self.due_at < utcnow()

    def assignee_ids(self):
        return [
            user_id
            for (user_id,) in Assignment.select(Assignment.user)
            .where(Assignment.work_order == self.id)
            .tuples()
        ]

    def set_assignees(self, actor, users):
        """Assign exactly these people (members of the project); returns (added, removed)
        names. Recorded on the timeline and in the audit log."""
        users = list(users)
        with db.atomic():
            _check_members(self.project, users)
            before = set(self.assignee_ids())
            wanted = {u.id for u in users}
            added = [u for u in users if u.id not in before]
            removed = before - wanted
            if removed:
                Assignment.delete().where(
                    Assignment.work_order == self.id, Assignment.user.in_(removed)
                ).execute()
            for user in added:
                Assignment.create(organisation=self.organisation_id, work_order=self, user=user)
            removed_names = (
                [u.name for u in User.select(User.name).where(User.id.in_(removed))]
                if removed
                else []
            )
            if added or removed_names:
                parts = []
                if added:
                    parts.append("Assigned " + ", ".join(u.name for u in added))
                if removed_names:
                    parts.append("unassigned " + ", ".join(removed_names))
                Activity.note(self, actor, "assign", "; ".join(parts))
                AuditEvent.record(
                    actor, "assign", self, {"assignees": (sorted(before), sorted(wanted))}
                )
                alert_events().assignees_changed(self, actor, [u.id for u in added], removed)
        return [u.name for u in added], removed_names

    @classmethod
    def open_for(cls, actor, project, assignees=(), **data):
        """Create an order with the next number; assignees must be members of the project."""
        asset = data.get("asset")
        if asset is not None and asset.project_id != project.id:
            raise TransitionError("The asset is not in this project.")
        with db.atomic():
            _check_members(project, assignees)
            number = Counter.next_value(project.organisation_id, "work_order")
            order = cls.create(
                organisation=project.organisation_id,
                location=project.location_id,
                client=project.client_id,
                project=project.id,
                number=number,
                created_by=actor.id,
                **data,
            )
            for user in assignees:
                Assignment.create(organisation=order.organisation_id, work_order=order, user=user)
            if order.asset_down and asset is not None:
                Asset.update(status="down").where(Asset.id == asset.id).execute()
            Activity.note(order, actor, "created", f"Created {order.reference}")
            AuditEvent.record(actor, "create", order)
            alert_events().order_created(order, actor, assignees)
        return order

    def completion_blockers(self):
        """What must be done before the order can be completed, as messages (none: ready)."""
        from .checklist import ChecklistItem  # the checklist module builds on this one
        from .time_entry import timer_blockers  # record the work: timers still running

        blockers = [*timer_blockers(self)]
        missing = ChecklistItem.unanswered_required(self.id)
        if missing:
            blockers.append(
                f"{missing} required checklist item{'s are' if missing != 1 else ' is'} "
                "not answered yet."
            )
        if self.requires_signature and not self.signatures.exists():  # models/signoff.py
            blockers.append("The client's signature is required: ask the client to sign first.")
        return blockers

    def allowed_moves(self, actor):
        """The statuses this person may move the order to now."""
        return [
            to
            for to, who in TRANSITIONS[self.status].items()
            if who == "worker" or actor.is_manager
        ]

    def transition(self, actor, to, seen_status, reason=""):
        """Move to `to` from the status the person saw; refuses stale or disallowed moves,
        so a transition posted twice does not apply twice."""
        reason = (reason or "").strip()
        with db.atomic():
            current = (
                type(self)
                .select(type(self).status, type(self).version)
                .where(type(self).id == self.id)
                .get()
            )
            if current.status != seen_status:
                raise TransitionError(
                    f"This order is already {STATUS_LABELS[current.status].lower()}; "
                    "the page was out of date and nothing was changed."
                )
            if to not in TRANSITIONS[current.status]:
                raise TransitionError(
                    f"A {STATUS_LABELS[current.status].lower()} order cannot "
                    f"become {STATUS_LABELS.get(to, to).lower()}."
                )
            if TRANSITIONS[current.status][to] == "manager" and not actor.is_manager:
                raise TransitionError("Only a manager can do that.")
            if to in NEEDS_REASON and not reason:
                raise TransitionError("Say why: a reason is required.")
            if to == "completed":
                blockers = self.completion_blockers()
                if blockers:
                    raise TransitionError(" ".join(blockers))
            now, fields = (
                utcnow(),
                {"status": to, "version": current.version + 1, "updated_at": utcnow()},
            )
            if to == "in_progress" and self.started_at is None:
                fields["started_at"] = now
            if to == "completed":
                fields.update(completed_at=now, completed_by=actor.id)
            if to == "closed":
                fields["closed_at"] = now
            if to in NEEDS_REASON:
                fields["status_reason"] = reason[:300]
            type(self).update(**fields).where(type(self).id == self.id).execute()
            if to in ("completed", "cancelled") and self.asset_down and self.asset_id:
                Asset.update(status="operational").where(
                    Asset.id == self.asset_id, Asset.status == "down"
                ).execute()
            Activity.note(
                self,
                actor,
                "status",
                f"{STATUS_LABELS[current.status]} → {STATUS_LABELS[to]}"
                + (f": {reason}" if reason else ""),
            )
            AuditEvent.record(actor, "transition", self, {"status": (current.status, to)})
            if to == "completed":
                alert_events().completed(self, actor)
        for name, value in fields.items():
            setattr(self, name, value)
        return self

    def save_changes(self, actor, seen_version, **data):
        """Edit fields with optimistic locking: if the version moved on, nothing is written
        and StaleError says who changed what meanwhile."""
        with db.atomic():
            current = type(self).get_by_id(self.id)
            if current.version != seen_version:
                last = (
                    AuditEvent.select(AuditEvent, User.name)
                    .join(User, on=(AuditEvent.user == User.id))
                    .where(AuditEvent.entity_type == "workorder", AuditEvent.entity_id == self.id)
                    .order_by(AuditEvent.id.desc())
                    .first()
                )
                raise StaleError(
                    "Changed by someone else meanwhile.",
                    changed_by=last.user.name if last else None,
                    changes=last.change_list() if last else {},
                )
            changed = {
                k: (getattr(current, k), v) for k, v in data.items() if getattr(current, k) != v
            }
            if not changed:
                return {}
            updated = (
                type(self)
                .update(version=seen_version + 1, updated_at=utcnow(), **data)
                .where(type(self).id == self.id, type(self).version == seen_version)
                .execute()
            )
            if not updated:
                raise StaleError("Changed by someone else meanwhile.")
            Activity.note(
                self,
                actor,
                "edit",
                "Changed " + ", ".join(name.replace("_", " ") for name in changed),
            )
            AuditEvent.record(actor, "update", self, changed)
            if "due_at" in changed:
                alert_events().due_changed(self, actor, changed["due_at"][0], seen_version + 1)
        for name, value in data.items():
            setattr(self, name, value)
        self.version = seen_version + 1
        return changed


def alert_events():
    """The alerts a change raises (models/alert_events.py builds on this module)."""
    from . import alert_events

    return alert_events


def _check_members(project, users):
    member_ids = {
        m
        for (m,) in ProjectMember.select(ProjectMember.user)
        .where(ProjectMember.project == project.id)
        .tuples()
    }
    outsiders = [u.name for u in users if u.id not in member_ids]
    if outsiders:
        raise TransitionError(
            ", ".join(outsiders)
            + " "
            + ("is" if len(outsiders) == 1 else "are")
            + " not on this project's team."
        )


class Assignment(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    work_order = ForeignKeyField(WorkOrder, backref="assignments", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    # Copies of the order's open flag, and while it is open its due date and estimate (NULL
    # once finished), for the board's workload sums (views/work_orders/board.py). The code
    # never writes them: migration 0021's triggers do, on every insert here and every change
    # to the order. Its partial index assignment_open_work (organisation, open_due_at, user,
    # open_hours WHERE is_open) is read alone. No Python default: an insert leaves the
    # column out (the database's default, then the trigger), as the bench's bulk SQL does.
    is_open = BooleanField()
    open_due_at = DateTimeField(null=True)
    open_hours = DecimalField(max_digits=7, decimal_places=2, null=True)

    class Meta:
        indexes = ((("work_order", "user"), True), (("user", "work_order"), False))


class Activity(BaseModel):
    """The timeline of a work order: status changes, edits, comments, uploads."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    work_order = ForeignKeyField(WorkOrder, backref="activity", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    kind = CharField(max_length=20)
    body = TextField()

    class Meta:
        indexes = ((("work_order", "created_at"), False),)

    @classmethod
    def note(cls, order, actor, kind, body):
        return cls.create(
            organisation=order.organisation_id,
            work_order=order.id,
            user=actor.id if actor else None,
            kind=kind,
            body=body,
        )


# The list's sort keys and search, matched by the indexes of migration 0009. They are
# written as literal SQL, not bound parameters, because an index on an expression or with a
# WHERE clause is only used when the query spells the same expression with the same values.
RANK_CASES = "WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 END"


def priority_rank():
    """low 0 .. urgent 3, for sorting by priority."""
    return NodeList([SQL("CASE"), WorkOrder.priority, SQL(RANK_CASES)])


def is_open():
    """Open work, spelt as the partial indexes' WHERE clause: status NOT IN the finished
    statuses (the same rows as IN the open ones: the CHECK allows no others), which the
    planner cannot split into lookups by status followed by a sort."""
    finished = [s for s in STATUSES if s not in OPEN_STATUSES]
    return WorkOrder.status.not_in([SQL(f"'{s}'") for s in finished])


def due_before(moment, due_at=None):
    """due_at < moment, spelt as a range of the due date indexes: (due_at IS NULL) = FALSE first,
    or SQLite counts overdue work through another open-work index, looking up every row.
    `due_at`: another table's copy of the column (Assignment.open_due_at), spelt alike."""
    due_at = WorkOrder.due_at if due_at is None else due_at
    return (due_at.is_null() == SQL("FALSE")) & (due_at < moment)


FREQUENT_MATCHES = 20_000  # a search term matching more titles than this is "frequent"


def title_matching(text, frequent=None):
    """Orders whose title contains `text` (any case), through migration 0009's index:
    pg_trgm on PostgreSQL (whose planner weighs index against ordered scan itself), FTS5
    trigrams on SQLite (three characters or more). On SQLite a frequent term (over
    FREQUENT_MATCHES titles: "belt" matches one in ten) is matched row by row while the list
    walks its sort index, which soon finds a page of them; listing every match from the
    index first would cost a lookup for each of 100,000 rows. One short probe decides
    (`frequent`, when the caller has already asked title_is_frequent)."""
    if is_postgres():
        return WorkOrder.title.ilike(f"%{escape_like(text)}%")
    if len(text) < 3:
        return WorkOrder.title.contains(text)
    if frequent is None:
        frequent = title_is_frequent(text)
    if frequent:
        return WorkOrder.title.contains(text)
    return WorkOrder.id.in_(
        SQL(
            "(SELECT rowid FROM work_order_search WHERE work_order_search MATCH ?)",
            [title_phrase(text)],
        )
    )


def among_first_title_matches(text, how_many):
    """SQLite: the order is among the first `how_many` the title search index finds for
    `text` (by id): a bounded sample of a frequent term's matches, to count from."""
    return WorkOrder.id.in_(
        SQL(
            "(SELECT rowid FROM work_order_search WHERE work_order_search MATCH ? LIMIT ?)",
            [title_phrase(text), how_many],
        )
    )


def title_phrase(text):
    """`text` as one FTS5 phrase."""
    return '"' + text.replace('"', '""') + '"'


def title_is_frequent(text):
    """SQLite: whether more than FREQUENT_MATCHES titles contain `text` (three characters or
    more), by a count of the search index's matches that stops there."""
    if is_postgres() or len(text) < 3:
        return False
    probe = db.execute_sql(
        "SELECT COUNT(*) FROM (SELECT rowid FROM work_order_search "
        "WHERE work_order_search MATCH ? LIMIT ?)",
        (title_phrase(text), FREQUENT_MATCHES + 1),
    ).fetchone()[0]
    return probe > FREQUENT_MATCHES
