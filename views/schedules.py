"""Preventive maintenance schedules: the list, one schedule with its coming occurrences and
generated orders, and the form. Managers and admins change them (a limited manager within
their locations); everyone else who sees the asset reads them."""

import datetime

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from models import Asset, Location, Meter, Occurrence, Procedure, Project, Schedule, WorkOrder
from models.generation import generate_now
from models.recurrence import describe, due_at, local_date, occurrences_between
from models.schedule import MISSED_LABELS, TRIGGER_LABELS, ScheduleError
from models.schedule_commands import (
    create_schedule,
    restore_schedule,
    set_paused,
    update_schedule,
)
from models.visibility import can_manage, get_visible, visible
from models.work_order import STATUS_LABELS

from .access import manager_required, visible_or_404
from .compliance import compliance_context
from .forms import as_choices
from .listing import choice_arg, id_arg, paginate
from .rendering import is_htmx, render
from .schedule_forms import ScheduleForm
from .work_orders.orders import project_team

bp = Blueprint("schedules", __name__)

SORTS = {"title": Schedule.title, "next": Schedule.next_due_at, "created": Schedule.created_at}
STATES = {"active": "Active", "paused": "Paused", "archived": "Archived"}
FIELD_OF = {"asset": "asset_tag", "meter": "meter_id", "assignees": "assignee_ids"}


def schedule_or_404(schedule_id):
    return visible_or_404(Schedule, schedule_id)


def manageable_or_404(schedule_id):
    """404 outside the user's scope, 403 for those who may only read."""
    schedule = schedule_or_404(schedule_id)
    if not can_manage(current_user):
        abort(403)
    return schedule


@bp.route("/schedules")
@login_required
def index():
    """Every schedule the person can see, filtered in the URL."""
    state = choice_arg("state", STATES) or "active"
    query = visible(Schedule, current_user, archived=(state == "archived"))
    if state == "archived":
        query = query.where(Schedule.archived_at.is_null(False))
    else:
        query = query.where(Schedule.paused == (state == "paused"))
    filters = {"state": state, "project": id_arg("project"), "asset": id_arg("asset")}
    for name in ("project", "asset"):
        if filters[name]:
            query = query.where(getattr(Schedule, name) == filters[name])
    page = paginate(
        query, SORTS, "next", search_fields=(Schedule.title,), filters=filters, nulls_last=("next",)
    )
    places = _places(page.rows)
    return render(
        "schedules/index.html",
        "results",
        page=page,
        places=places,
        states=STATES,
        may_manage=can_manage(current_user),
    )


def _places(rows):
    """{schedule id: (project code, asset tag or category, time zone)} in two queries."""
    projects = {
        p.id: p
        for p in Project.select(Project.id, Project.code, Location.timezone)
        .join(Location, on=(Project.location == Location.id))
        .where(Project.id.in_({r.project_id for r in rows} or {0}))
    }
    assets = {
        a.id: a.tag
        for a in Asset.select(Asset.id, Asset.tag).where(
            Asset.id.in_({r.asset_id for r in rows if r.asset_id} or {0})
        )
    }
    return {
        r.id: (
            projects[r.project_id].code,
            assets.get(r.asset_id) or f"All: {r.category}",
            projects[r.project_id].location.timezone,
        )
        for r in rows
    }


@bp.route("/schedules/<id:schedule_id>")
@login_required
def show(schedule_id):
    """A schedule: its rule, the next occurrences, the orders it made, its PM compliance
    over a period, and its controls."""
    schedule = schedule_or_404(schedule_id)
    context = compliance_context(current_user, schedule=schedule.id)
    if is_htmx():  # the period selector swaps the compliance card only
        return render("schedules/show.html", "compliance", tz=schedule.location.timezone, **context)
    return render("schedules/show.html", **_show_context(schedule), **context)


def _show_context(schedule):
    tz = schedule.location.timezone
    assigned = set(schedule.assignee_ids())
    rule = schedule.rule(tz)
    upcoming = []
    if schedule.next_due_at is not None and schedule.is_active:
        first = local_date(schedule.next_due_at, tz)
        days = (
            [first]
            if schedule.floating
            else occurrences_between(rule, first, first + datetime.timedelta(days=3660), limit=5)
        )
        upcoming = [due_at(rule, d) for d in days]
    orders = list(
        WorkOrder.select(WorkOrder, Occurrence.late, Occurrence.key, Asset.id, Asset.tag)
        .join(Occurrence, on=(Occurrence.work_order == WorkOrder.id))
        .join_from(WorkOrder, Asset, on=(WorkOrder.asset == Asset.id))
        .where(Occurrence.schedule == schedule.id)
        .order_by(WorkOrder.due_at.desc(), WorkOrder.id.desc())
        .limit(50)
    )
    return dict(
        schedule=schedule,
        tz=tz,
        rule_text=describe(rule) if schedule.uses_calendar else "",
        upcoming=upcoming,
        orders=orders,
        status_labels=STATUS_LABELS,
        trigger_labels=TRIGGER_LABELS,
        missed_labels=MISSED_LABELS,
        may_manage=can_manage(current_user),
        meter=Meter.get_or_none(Meter.id == schedule.meter_id) if schedule.meter_id else None,
        procedure=schedule.procedure if schedule.procedure_id else None,
        assignees=[u.name for u in project_team(schedule.project_id) if u.id in assigned],
    )


@bp.route("/schedules/meters")
@manager_required
def meters():
    """The meter choices for the asset tag typed in the form, swapped in by htmx when the
    tag changes (without JavaScript, they come with the form's next render)."""
    form = ScheduleForm(formdata=None)
    tag = request.args.get("asset_tag", "").strip()
    asset = visible(Asset, current_user).where(Asset.tag == tag).first() if tag else None
    _meter_choices(form, asset)
    return render("schedules/form.html", "meter_field", form=form)


def _meter_choices(form, asset):
    meters = visible(Meter, current_user, Meter.id, Meter.name, Meter.unit)
    meters = meters.where(Meter.asset == asset.id) if asset else meters.limit(0)
    form.meter_id.choices = as_choices([(0, "None"), *((m.id, str(m)) for m in meters)])


def _choices(form, project_id, asset):
    form.project_id.choices = as_choices(
        (p.id, f"{p.code} {p.name}")
        for p in visible(Project, current_user, Project.id, Project.code, Project.name)
        .where(Project.status == "active")
        .order_by(Project.code)
    )
    form.procedure_id.choices = as_choices([(0, "None"), *Procedure.choices_for(current_user)])
    _meter_choices(form, asset)
    form.assignee_ids.choices = as_choices((u.id, u.name) for u in project_team(project_id))


def _read(form):
    """The form as model data, or None with errors at the fields (nothing saved)."""
    project = get_visible(Project, current_user, form.project_id.data)
    asset = None
    if form.asset_tag.data:
        asset = visible(Asset, current_user).where(Asset.tag == form.asset_tag.data).first()
        if asset is None:
            form.asset_tag.errors.append("No asset with this tag that you can see.")
            return None
        if asset.project_id != project.id:
            form.asset_tag.errors.append(f"{asset.tag} is in another project.")
            return None
    if not asset and form.category.data and not _category_ok(form, project):
        return None
    meter = get_visible(Meter, current_user, form.meter_id.data) if form.meter_id.data else None
    if form.meter_id.data and meter is None:
        form.meter_id.errors.append("Choose one of the asset's meters.")
        return None
    team = {u.id: u for u in project_team(project.id)}
    if set(form.assignee_ids.data or []) - set(team):
        form.assignee_ids.errors.append("Only people on this project's team can be assigned.")
        return None
    data = dict(
        project=project,
        asset=asset,
        category="" if asset else form.category.data,
        meter=meter,
        procedure=form.procedure_id.data or None,
        weekdays=",".join(form.weekdays.data or []),
        meter_interval=float(form.meter_interval.data) if form.meter_interval.data else None,
        lead_days=form.lead_days.data or 0,
    )
    for name in ("title", "description", "trigger", "interval", "unit", "month_day", "mode",
                 "time_of_day", "start_date", "end_date", "missed_policy", "one_open",
                 "priority", "estimated_hours", "requires_signature"):  # fmt: skip
        data[name] = form[name].data
    return data, [team[i] for i in sorted(set(form.assignee_ids.data or []))]


def _category_ok(form, project):
    """A group needs at least one live asset of its category in the project: a typo would
    otherwise make a schedule that never creates anything."""
    live = Asset.select(Asset.category).where(
        Asset.project == project.id, Asset.archived_at.is_null(), Asset.status != "retired"
    )
    if live.where(Asset.category == form.category.data).exists():
        return True
    names = sorted({c for (c,) in live.distinct().tuples() if c})[:12]
    message = f"No live asset in {project.code} has the category “{form.category.data}”."
    if names:
        message += " Its categories: " + ", ".join(names) + "."
    form.category.errors.append(message)
    return False


def _save(form, schedule=None):
    read = _read(form)
    if read is None:
        return None
    data, assignees = read
    try:
        if schedule is None:
            return create_schedule(current_user, assignees, **data)
        update_schedule(schedule, current_user, assignees, **data)
        return schedule
    except ScheduleError as error:
        field = FIELD_OF.get(error.field, error.field)
        target = form._fields.get(field, form.title)
        target.errors.append(str(error))
        return None


@bp.route("/schedules/new", methods=["GET", "POST"])
@manager_required
def new():
    """A new schedule, from the list or from an asset's page (?asset=ID)."""
    form = ScheduleForm()
    asset = visible_or_404(Asset, id_arg("asset")) if id_arg("asset") else None
    if request.method == "GET":
        form.time_of_day.data = datetime.time(8, 0)
        form.start_date.data = datetime.date.today()
        if asset is not None:
            form.asset_tag.data, form.project_id.data = asset.tag, asset.project_id
            form.title.data = f"{asset.category or 'Service'}: {asset.name}"[:200]
    elif form.asset_tag.data:
        asset = visible(Asset, current_user).where(Asset.tag == form.asset_tag.data).first()
    _choices(form, form.project_id.data, asset)
    if form.validate_on_submit():
        schedule = _save(form)
        if schedule is not None:
            flash("Schedule saved.", "success")
            return redirect(url_for("schedules.show", schedule_id=schedule.id))
    status = 422 if request.method == "POST" else 200
    return render("schedules/form.html", "form", status=status, form=form, schedule=None)


@bp.route("/schedules/<id:schedule_id>/edit", methods=["GET", "POST"])
@login_required
def edit(schedule_id):
    """Change a schedule: its future occurrences follow; orders already made stay."""
    schedule = manageable_or_404(schedule_id)
    form = ScheduleForm(obj=schedule)
    if request.method == "GET":
        form.project_id.data = schedule.project_id
        form.asset_tag.data = schedule.asset.tag if schedule.asset_id else ""
        form.meter_id.data = schedule.meter_id or 0
        form.procedure_id.data = schedule.procedure_id or 0
        form.weekdays.data = [str(d) for d in schedule.weekday_list()]
        form.assignee_ids.data = schedule.assignee_ids()
    asset = schedule.asset if schedule.asset_id else None
    _choices(form, form.project_id.data, asset)
    if form.validate_on_submit() and _save(form, schedule) is not None:
        flash("Schedule saved.", "success")
        return redirect(url_for("schedules.show", schedule_id=schedule.id))
    status = 422 if request.method == "POST" else 200
    return render("schedules/form.html", "form", status=status, form=form, schedule=schedule)


@bp.route("/schedules/<id:schedule_id>/<any(pause, resume):action>", methods=["POST"])
@login_required
def pause(schedule_id, action):
    """Pause stops generation; resume starts again from now."""
    schedule = manageable_or_404(schedule_id)
    set_paused(schedule, current_user, action == "pause")
    flash("Paused." if action == "pause" else "Resumed.", "success")
    return redirect(url_for("schedules.show", schedule_id=schedule.id))


@bp.route("/schedules/<id:schedule_id>/generate", methods=["POST"])
@login_required
def generate(schedule_id):
    """Create the next occurrence's work order at once."""
    schedule = manageable_or_404(schedule_id)
    if not schedule.is_active:
        flash("A paused or archived schedule creates nothing.", "error")
    else:
        try:
            created = generate_now(schedule, current_user)
        except ScheduleError as error:
            flash(str(error), "error")
        else:
            flash(f"Created {', '.join(o.reference for o in created)}.", "success")
    return redirect(url_for("schedules.show", schedule_id=schedule.id))


@bp.route("/schedules/<id:schedule_id>/<any(archive, restore):action>", methods=["POST"])
@login_required
def archive(schedule_id, action):
    """Archive (its orders stay) or bring back."""
    schedule = manageable_or_404(schedule_id)
    if action == "archive":
        schedule.archive(current_user)
        flash("Archived: no more orders; the orders it made stay.", "success")
    else:
        restore_schedule(schedule, current_user)
        flash("Restored.", "success")
    return redirect(url_for("schedules.show", schedule_id=schedule.id))
