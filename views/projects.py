"""Projects: contracts or sites for a client; work and access are organised by project."""

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required
from peewee import fn

from models import (
    PROJECT_STATUSES,
    Asset,
    Client,
    Project,
    ProjectMember,
    Schedule,
    User,
    WorkOrder,
)
from models.visibility import can_manage, visible
from models.work_order import OPEN_STATUSES

from .access import manageable_or_404, manager_required, visible_or_404
from .compliance import compliance_context, worst_schedules
from .forms import ProjectForm, as_choices, labelled
from .listing import choice_arg, id_arg, paginate
from .rendering import is_htmx, render
from .saving import archive_or_restore, save_form

bp = Blueprint("projects", __name__, url_prefix="/projects")
SORTS = {
    "code": Project.code,
    "name": Project.name,
    "client": Client.name,
    "status": Project.status,
    "start_date": Project.start_date,
    "end_date": Project.end_date,
}
FIELDS = ("code", "name", "status", "start_date", "end_date", "description")


def _client_choices():
    rows = visible(Client, current_user, Client.id, Client.name).order_by(Client.name)
    return [(row.id, row.name) for row in rows]


@bp.route("")
@login_required
def index():
    """Every project the user can see, by client and status."""
    filters = {
        "client": id_arg("client"),
        "status": choice_arg("status", PROJECT_STATUSES),
        "location": id_arg("location"),
    }
    query = visible(Project, current_user, Project, Client).join(
        Client, on=(Project.client == Client.id)
    )
    for name in ("client", "location", "status"):
        if filters[name]:
            query = query.where(getattr(Project, name) == filters[name])
    page = paginate(
        query, SORTS, "code", search_fields=(Project.code, Project.name), filters=filters
    )
    asset_counts = dict(
        visible(Asset, current_user, Asset.project, fn.COUNT(Asset.id))
        .where(Asset.project.in_([row.id for row in page.rows]))
        .group_by(Asset.project)
        .tuples()
    )
    return render(
        "projects/index.html",
        "results",
        page=page,
        asset_counts=asset_counts,
        clients=_client_choices(),
        statuses=labelled(PROJECT_STATUSES),
        can_create=can_manage(current_user),
    )


@bp.route("/<id:project_id>")
@login_required
def show(project_id):
    """A project: its assets (top level first), open work, PM compliance over a period
    (with its least compliant schedules) and the people on it."""
    project = visible_or_404(Project, project_id)
    compliance = _compliance(project)
    if is_htmx():  # the period selector swaps the compliance card only
        return render("projects/show.html", "compliance", project=project, **compliance)
    assets = (
        visible(Asset, current_user)
        .where(Asset.project == project.id)
        .order_by(Asset.parent.is_null(False), Asset.tag)
        .limit(200)
    )
    asset_count = (
        visible(Asset, current_user, fn.COUNT(Asset.id)).where(Asset.project == project.id).scalar()
    )
    members = (
        User.select(User.id, User.name, User.role)
        .join(ProjectMember, on=(ProjectMember.user == User.id))
        .where(ProjectMember.project == project.id)
        .order_by(User.name)
    )
    open_work = (
        visible(WorkOrder, current_user)
        .where(WorkOrder.project == project.id, WorkOrder.status.in_(OPEN_STATUSES))
        .order_by(WorkOrder.due_at.asc(nulls="LAST"), WorkOrder.id)
        .limit(10)
    )
    return render(
        "projects/show.html",
        project=project,
        open_work=list(open_work),
        can_raise_work=current_user.role != "client" and project.archived_at is None,
        assets=list(assets),
        asset_count=asset_count,
        members=list(members),
        can_edit=can_manage(current_user, project),
        **compliance,
    )


def _compliance(project):
    context = compliance_context(current_user, project=project.id)
    worst = worst_schedules(current_user, project.id)
    titles = dict(
        Schedule.select(Schedule.id, Schedule.title)
        .where(Schedule.id.in_([sid for sid, _ in worst]))
        .tuples()
        if worst
        else ()
    )
    context["worst"] = [(sid, titles.get(sid, "?"), c) for sid, c in worst]
    return context


def _build(form):
    client = visible_or_404(Client, form.client_id.data)
    return {"client": client, **{f: form[f].data for f in FIELDS}}


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new():
    """Start a project for a client."""
    form = ProjectForm()
    form.client_id.choices = as_choices(_client_choices())
    if request.method == "GET":
        form.client_id.data = id_arg("client")
    return save_form(
        form,
        "projects/form.html",
        Project,
        unique={"code": "A project with this code already exists."},
        build=lambda: _build(form),
        save=lambda data: Project.create_audited(current_user, **data),
        done=lambda project: url_for("projects.show", project_id=project.id),
    )


@bp.route("/<id:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id):
    """Change a project, or move it to another client (its assets follow)."""
    project = manageable_or_404(Project, project_id)
    form = ProjectForm(obj=project)
    form.client_id.choices = as_choices(_client_choices())
    return save_form(
        form,
        "projects/form.html",
        Project,
        row=project,
        unique={"code": "A project with this code already exists."},
        build=lambda: _build(form),
        save=lambda data: project.update_audited(current_user, **data),
        done=lambda _: url_for("projects.show", project_id=project.id),
    )


@bp.route("/<id:project_id>/archive", methods=["POST"], defaults={"restore": False})
@bp.route(
    "/<id:project_id>/restore", methods=["POST"], endpoint="restore", defaults={"restore": True}
)
@login_required
def archive(project_id, restore):
    """Archive a project once its assets are archived, or restore it."""
    project = manageable_or_404(Project, project_id)
    return archive_or_restore(
        project,
        restore,
        blocked_by=Asset.select().where(Asset.project == project.id, Asset.archived_at.is_null()),
        blocked_message="This project still has active assets: archive or move them first.",
        done_url=url_for("projects.show", project_id=project.id),
    )
