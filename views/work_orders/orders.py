"""One work order: create it, see it, edit it, move it through its lifecycle, assign it."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from peewee import JOIN

from models import (
    Activity,
    Asset,
    Assignment,
    ChecklistItem,
    Client,
    Location,
    Procedure,
    Project,
    ProjectMember,
    Signature,
    User,
    WorkOrder,
    db,
)
from models.base import utcnow
from models.clock import local_to_utc, utc_to_local
from models.visibility import can_work_on, seen_by, visible
from models.work_order import NEEDS_REASON, STATUS_LABELS, StaleError, TransitionError

from ..access import visible_or_404
from ..auth import safe_next
from ..forms import as_choices
from ..listing import id_arg
from ..rendering import render
from . import bp
from .forms import TransitionForm, WorkOrderForm
from .record_context import records_context, with_mentions

FIELDS = (
    "title",
    "description",
    "type",
    "priority",
    "estimated_hours",
    "asset_down",
    "requires_signature",
)


def order_or_404(order_id):
    """The order with its site, client, project, asset and the people who raised and
    completed it, in one query (joins on primary keys plan in a millisecond on PostgreSQL;
    one query for each would cost a round trip each), or 404 when the user may not see it."""
    raiser, completer = User.alias(), User.alias()
    order = (
        visible(
            WorkOrder,
            current_user,
            WorkOrder,
            Location,
            Client,
            Project,
            Asset,
            raiser.id,
            raiser.name,
            completer.id,
            completer.name,
        )
        .join(Location, on=(WorkOrder.location == Location.id))
        .join_from(WorkOrder, Client, on=(WorkOrder.client == Client.id))
        .join_from(WorkOrder, Project, on=(WorkOrder.project == Project.id))
        .join_from(WorkOrder, Asset, JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id))
        .join_from(WorkOrder, raiser, JOIN.LEFT_OUTER, on=(WorkOrder.created_by == raiser.id))
        .join_from(
            WorkOrder, completer, JOIN.LEFT_OUTER, on=(WorkOrder.completed_by == completer.id)
        )
        .where(WorkOrder.id == order_id)
        .first()
    )
    if order is None:
        abort(404)
    return seen_by(current_user, order)


def workable_or_404(order_id):
    """An order this person may work on: 404 when hidden, 403 for a client user."""
    order = order_or_404(order_id)
    if not can_work_on(current_user, order):
        abort(403)
    return order


def _may_create():
    return current_user.role in ("admin", "manager", "technician")


def _project_choices():
    rows = (
        visible(Project, current_user, Project.id, Project.code, Project.name)
        .where(Project.status == "active")
        .order_by(Project.code)
    )
    return [(p.id, f"{p.code} {p.name}") for p in rows]


def project_team(project_id):
    """The active people on a project's team, who may be assigned its work."""
    if not project_id:
        return []
    return list(
        User.select(User.id, User.name)
        .join(ProjectMember, on=(ProjectMember.user == User.id))
        .where(ProjectMember.project == project_id, User.active)
        .order_by(User.name)
    )


def _team_choices(form, project_id):
    form.assignee_ids.choices = as_choices((u.id, u.name) for u in project_team(project_id))


def _asset_for(form, project):
    """The asset named by tag, in the chosen project; errors go on the tag field."""
    tag = form.asset_tag.data
    if not tag:
        return None, True
    asset = visible(Asset, current_user).where(Asset.tag == tag).first()
    if asset is None:
        form.asset_tag.errors.append("No asset with this tag that you can see.")
        return None, False
    if asset.project_id != project.id:
        form.asset_tag.errors.append(f"{asset.tag} is in another project.")
        return None, False
    return asset, True


def _assignees(form, project):
    ids = set(form.assignee_ids.data or [])
    team = {u.id: u for u in project_team(project.id)}
    if ids - set(team):
        form.assignee_ids.errors.append("Only people on this project's team can be assigned.")
        return None
    return [team[i] for i in sorted(ids)]


def _due_at(form, project, previous=None):
    """The due time in UTC, or False with the error at the field: a time already past is
    kept only when the person ticks that they mean it (an unchanged one needs no tick)."""
    due = local_to_utc(form.due_at.data, project.location.timezone)
    unchanged = previous is not None and due == previous.replace(second=0, microsecond=0)
    if due is not None and due < utcnow() and not unchanged and not form.confirm_past_due.data:
        form.due_at.errors.append(
            "This time has already passed. Tick “Keep this past due time” to save it anyway."
        )
        return False
    return due


@bp.route("/work-orders/new", methods=["GET", "POST"])
@login_required
def new():
    """Raise a work order, from the list, a project or an asset (pre-filled)."""
    if not _may_create():
        abort(403)
    form = WorkOrderForm()
    form.project_id.choices = as_choices(_project_choices())
    form.checklist.choices = as_choices([(0, "None"), *Procedure.choices_for(current_user)])
    if request.method == "GET":
        asset = visible_or_404(Asset, id_arg("asset")) if id_arg("asset") else None
        if asset is not None:
            form.asset_tag.data, form.project_id.data = asset.tag, asset.project_id
        elif id_arg("project"):
            form.project_id.data = visible_or_404(Project, id_arg("project")).id
    _team_choices(form, form.project_id.data)
    if form.validate_on_submit():
        project = visible_or_404(Project, form.project_id.data)
        asset, asset_ok = _asset_for(form, project)
        assignees = _assignees(form, project)
        due_at = _due_at(form, project)
        if asset_ok and assignees is not None and due_at is not False:
            with db.atomic():
                order = WorkOrder.open_for(
                    current_user,
                    project,
                    assignees,
                    asset=asset,
                    due_at=due_at,
                    **{f: form[f].data for f in FIELDS},
                )
                if form.checklist.data:  # a procedure's checklist, copied onto the order
                    procedure = Procedure.get_by_id(form.checklist.data)
                    ChecklistItem.attach(current_user, order, procedure)
            flash(f"{order.reference} is raised.", "success")
            return redirect(url_for("work_orders.show", order_id=order.id))
    status = 422 if request.method == "POST" else 200
    return render("work_orders/form.html", "form", status=status, form=form, order=None)


@bp.route("/work-orders/team")
@login_required
def team():
    """The assignee choices for a project, swapped in when the form's project changes."""
    form = WorkOrderForm(formdata=None)
    project_id = id_arg("project_id")
    if project_id:
        visible_or_404(Project, project_id)
    _team_choices(form, project_id)
    return render("work_orders/form.html", "assignees", form=form)


@bp.route("/work-orders/<id:order_id>")
@login_required
def show(order_id):
    """An order: what, where, who, its status moves, and its timeline."""
    order = order_or_404(order_id)
    return render("work_orders/show.html", **show_context(order))


def show_context(order, transition_form=None):
    from .checklists import checklist_context  # that module builds on this one

    assignees = list(
        User.select(User.id, User.name)
        .join(Assignment, on=(Assignment.user == User.id))
        .where(Assignment.work_order == order.id)
        .order_by(User.name)
    )
    may_work = can_work_on(current_user, order)
    return {
        "order": order,
        "tz": order.location.timezone,
        "assignees": assignees,
        "moves": order.allowed_moves(current_user) if may_work else [],
        "status_labels": STATUS_LABELS,
        "needs_reason": NEEDS_REASON,
        "transition_form": transition_form or TransitionForm(formdata=None),
        "may_work": may_work,
        "may_assign": current_user.is_manager and may_work,
        "team": project_team(order.project_id) if current_user.is_manager else [],
        "activity": timeline(order),
        "records": records_context(order),  # time, parts, comments, files, notes, downtime
        # sign-off (views/work_orders/signoff.py, templates/work_orders/_signoff.html)
        "signature": Signature.of(order) if order.requires_signature else None,
        **checklist_context(order, may_work),  # work_orders/_checklist.html
    }


def timeline(order):
    items = list(
        Activity.select(Activity, User.id, User.name)  # with the id, item.user_id survives
        .join(User, JOIN.LEFT_OUTER, on=(Activity.user == User.id))
        .where(Activity.work_order == order.id)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(200)
    )
    return with_mentions(items)  # comments' @mentions marked


@bp.route("/work-orders/<id:order_id>/activity")
@login_required
def activity(order_id):
    """The timeline alone, refreshed in place while the page is open."""
    order = order_or_404(order_id)
    return render(
        "work_orders/show.html",
        "timeline",
        order=order,
        activity=timeline(order),
        tz=order.location.timezone,
    )


@bp.route("/work-orders/<id:order_id>/edit", methods=["GET", "POST"])
@login_required
def edit(order_id):
    """Change what the order says; a change made meanwhile by someone else is not lost."""
    order = workable_or_404(order_id)
    project = order.project
    form = WorkOrderForm(obj=order)
    del form.project_id, form.assignee_ids, form.checklist
    if request.method == "GET":
        form.asset_tag.data = order.asset.tag if order.asset_id else ""
        form.due_at.data = utc_to_local(order.due_at, project.location.timezone)
        form.version.data = str(order.version)
    stale = None
    if form.validate_on_submit():
        asset, asset_ok = _asset_for(form, project)
        seen = form.version.data or ""
        due_at = _due_at(form, project, previous=order.due_at)
        if asset_ok and seen.isdigit() and due_at is not False:
            data = {f: form[f].data for f in FIELDS}
            data.update(asset=asset.id if asset else None, due_at=due_at)
            try:
                order.save_changes(current_user, int(seen), **data)
            except StaleError as error:
                stale = error
                form.version.data = str(WorkOrder.get_by_id(order.id).version)
            else:
                flash("Saved.", "success")
                return redirect(url_for("work_orders.show", order_id=order.id))
    status = 422 if request.method == "POST" else 200
    if status == 422 and stale:
        status = 409
    return render(
        "work_orders/form.html", "form", status=status, form=form, order=order, stale=stale
    )


@bp.route("/work-orders/<id:order_id>/status", methods=["POST"])
@login_required
def transition(order_id):
    """Start, hold, complete, close, reopen or cancel, from the status the person saw."""
    order = workable_or_404(order_id)
    form = TransitionForm()
    if form.validate_on_submit():
        try:
            order.transition(current_user, form.to.data, form.seen_status.data, form.reason.data)
        except TransitionError as error:
            form.reason.errors.append(str(error))
        else:
            flash(f"{order.reference} is now {order.status_label.lower()}.", "success")
            back = safe_next(request.form.get("next"))
            return redirect(back or url_for("work_orders.show", order_id=order.id))
    order = WorkOrder.get_by_id(order.id)
    return render("work_orders/show.html", status=422, **show_context(order, form))


@bp.route("/work-orders/<id:order_id>/assignees", methods=["POST"])
@login_required
def assign(order_id):
    """Managers choose who does the work, from the project's team."""
    order = workable_or_404(order_id)
    if not current_user.is_manager:
        abort(403)
    team = {u.id: u for u in project_team(order.project_id)}
    raw = request.form.getlist("assignee_ids")
    if not all(v.isascii() and v.isdigit() and int(v) in team for v in raw):
        flash("Only people on this project's team can be assigned.", "error")
    else:
        added, removed = order.set_assignees(current_user, [team[int(v)] for v in raw])
        flash("Assignees saved." if added or removed else "No change.", "success")
    return redirect(url_for("work_orders.show", order_id=order.id))
