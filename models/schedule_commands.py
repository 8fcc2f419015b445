"""Creating, editing and pausing schedules: validated, audited, in one transaction each;
what has come due is generated right after the save."""

from .audit import AuditEvent
from .base import db, utcnow
from .forecast import rebuild_forecast
from .meter import Meter
from .schedule import Schedule, ScheduleAssignee, ScheduleError
from .user import ProjectMember

# Fields whose change moves the schedule's next occurrence.
RULE_FIELDS = {
    "trigger", "unit", "interval", "weekdays", "month_day", "mode", "time_of_day",
    "start_date", "end_date", "meter", "meter_interval", "lead_days", "asset", "category",
}  # fmt: skip


def check(data):
    """Refuse a schedule that cannot work; the error names its field."""
    if data.get("interval") is None or data["interval"] < 1:
        raise ScheduleError("The interval must be at least 1.", "interval")
    end, start = data.get("end_date"), data.get("start_date")
    if start is None:
        raise ScheduleError("Choose the first day.", "start_date")
    if end is not None and end < start:
        raise ScheduleError("The end date must be on or after the start date.", "end_date")
    asset, trigger = data.get("asset"), data.get("trigger", "calendar")
    if asset is None and not data.get("category"):
        raise ScheduleError("Choose an asset, or a category of assets in the project.", "asset")
    if asset is None and (trigger != "calendar" or data.get("mode") == "floating"):
        raise ScheduleError(
            "A group of assets follows the fixed calendar: meters and floating schedules "
            "belong to one asset.",
            "trigger",
        )
    if trigger in ("meter", "either"):
        meter = data.get("meter")
        if meter is None:
            raise ScheduleError("Choose the asset's meter.", "meter")
        if asset is not None and meter.asset_id != asset.id:
            raise ScheduleError("That meter belongs to another asset.", "meter")
        if not data.get("meter_interval") or data["meter_interval"] <= 0:
            raise ScheduleError("Enter how many units between services.", "meter_interval")
    month_day = data.get("month_day")
    if month_day is not None and not 1 <= month_day <= 31:
        raise ScheduleError("A day of the month is between 1 and 31.", "month_day")


def _restart(schedule, now=None):
    """Set the next occurrence from now on (a new, edited or resumed schedule)."""
    from .generation import _due_fields, first_occurrence
    from .meter_schedules import next_threshold

    fields = {"waiting": False, "next_due_at": None, "generate_at": None}
    if schedule.uses_calendar:
        fields.update(_due_fields(schedule, schedule.rule(), first_occurrence(schedule, now)))
    if schedule.uses_meter and schedule.meter_id:
        last = Meter.select(Meter.last_value).where(Meter.id == schedule.meter_id).scalar()
        fields["next_meter_at"] = next_threshold(last, schedule.meter_interval)
    else:
        fields["next_meter_at"] = None
    Schedule.update(**fields).where(Schedule.id == schedule.id).execute()
    for name, value in fields.items():
        setattr(schedule, name, value)


def _set_assignees(schedule, users):
    ScheduleAssignee.delete().where(ScheduleAssignee.schedule == schedule.id).execute()
    for user in users:
        ScheduleAssignee.create(schedule=schedule.id, user=user.id)


def create_schedule(actor, assignees=(), now=None, **data):
    """A new schedule, audited; what is already due is generated at once (after the save,
    each occurrence in its own transaction)."""
    from .generation import generate_for, schedule_query

    check(data)
    project = data["project"]
    with db.atomic():
        _check_team(project, assignees)
        schedule = Schedule.create(
            organisation=project.organisation_id,
            location=project.location_id,
            client=project.client_id,
            created_by=actor.id,
            **data,
        )
        _set_assignees(schedule, assignees)
        _restart(schedule, now)
        AuditEvent.record(actor, "create", schedule, {k: (None, v) for k, v in data.items()})
    generate_for(schedule_query().where(Schedule.id == schedule.id).get(), now)
    rebuild_forecast([schedule.id], now)
    return schedule


def update_schedule(schedule, actor, assignees, now=None, **data):
    """Edit: generated orders keep what they were given; the next occurrence follows the
    new rule (counted from today and after anything generated)."""
    from .generation import generate_for, schedule_query

    check(data)
    with db.atomic():
        _check_team(schedule.project, assignees)
        before = sorted(schedule.assignee_ids())
        changed = schedule.update_audited(actor, **data)
        if before != sorted(u.id for u in assignees):
            _set_assignees(schedule, assignees)
            AuditEvent.record(
                actor, "assign", schedule, {"assignees": (before, sorted(u.id for u in assignees))}
            )
        if RULE_FIELDS & set(changed) and not schedule.waiting:
            _restart(schedule, now)
    if schedule.is_active:
        generate_for(schedule_query().where(Schedule.id == schedule.id).get(), now)
    rebuild_forecast([schedule.id], now)
    return changed


def set_paused(schedule, actor, paused):
    """Pausing stops generation; resuming starts again from now (nothing made up)."""
    if schedule.paused == paused:
        return False
    with db.atomic():
        fields = {"paused": paused, "updated_at": utcnow()}
        if paused:
            fields["generate_at"] = None  # out of the pass's index range while paused
        Schedule.update(**fields).where(Schedule.id == schedule.id).execute()
        schedule.paused = paused
        if not paused and not schedule.waiting:
            _restart(schedule)
        AuditEvent.record(actor, "pause" if paused else "resume", schedule)
    rebuild_forecast([schedule.id])
    return True


def _check_team(project, users):
    members = {
        m
        for (m,) in ProjectMember.select(ProjectMember.user)
        .where(ProjectMember.project == project.id)
        .tuples()
    }
    if any(u.id not in members for u in users):
        raise ScheduleError("Only people on this project's team can be assigned.", "assignees")


def restore_schedule(schedule, actor):
    """Back from the archive: generation starts again from now."""
    with db.atomic():
        schedule.restore(actor)
        if not schedule.waiting and not schedule.paused:
            _restart(schedule)
    rebuild_forecast([schedule.id])
