"""Clients: the customers, with their contacts and projects."""

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required
from peewee import fn

from models import Client, Location, Project
from models.visibility import can_manage, visible

from .access import manageable_or_404, manager_required, visible_or_404
from .forms import ClientForm, as_choices
from .listing import id_arg, paginate
from .rendering import render
from .saving import archive_or_restore, save_form

bp = Blueprint("clients", __name__, url_prefix="/clients")
SORTS = {"name": Client.name, "location": Location.name, "contact": Client.contact_name}
FIELDS = ("name", "contact_name", "email", "phone", "address", "completion_alerts")


def _location_choices():
    rows = visible(Location, current_user, Location.id, Location.name).order_by(Location.name)
    return [(row.id, row.name) for row in rows]


@bp.route("")
@login_required
def index():
    """Every client the user can see, by location."""
    filters = {"location": id_arg("location")}
    query = visible(Client, current_user, Client, Location).join(
        Location, on=(Client.location == Location.id)
    )
    if filters["location"]:
        query = query.where(Client.location == filters["location"])
    page = paginate(
        query,
        SORTS,
        "name",
        search_fields=(Client.name, Client.contact_name, Client.email),
        filters=filters,
    )
    project_counts = dict(
        visible(Project, current_user, Project.client, fn.COUNT(Project.id))
        .where(Project.client.in_([row.id for row in page.rows]))
        .group_by(Project.client)
        .tuples()
    )
    return render(
        "clients/index.html",
        "results",
        page=page,
        project_counts=project_counts,
        locations=_location_choices(),
        can_create=can_manage(current_user),
    )


@bp.route("/<id:client_id>")
@login_required
def show(client_id):
    """A client: contact details and projects."""
    client = visible_or_404(Client, client_id)
    projects = (
        visible(Project, current_user).where(Project.client == client.id).order_by(Project.code)
    )
    return render(
        "clients/show.html",
        client=client,
        projects=list(projects),
        can_edit=can_manage(current_user, client),
    )


def _build(form):
    location = visible_or_404(Location, form.location_id.data)
    return {"location": location, **{f: form[f].data for f in FIELDS}}


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new():
    """Add a client at one of the user's locations."""
    form = ClientForm()
    form.location_id.choices = as_choices(_location_choices())
    if request.method == "GET":
        form.location_id.data = id_arg("location")
    return save_form(
        form,
        "clients/form.html",
        Client,
        unique={"name": "A client with this name already exists."},
        build=lambda: _build(form),
        save=lambda data: Client.create_audited(current_user, **data),
        done=lambda client: url_for("clients.show", client_id=client.id),
    )


@bp.route("/<id:client_id>/edit", methods=["GET", "POST"])
@login_required
def edit(client_id):
    """Change a client's details or move it to another location (its projects follow)."""
    client = manageable_or_404(Client, client_id)
    form = ClientForm(obj=client)
    form.location_id.choices = as_choices(_location_choices())
    return save_form(
        form,
        "clients/form.html",
        Client,
        row=client,
        unique={"name": "A client with this name already exists."},
        build=lambda: _build(form),
        save=lambda data: client.update_audited(current_user, **data),
        done=lambda _: url_for("clients.show", client_id=client.id),
    )


@bp.route("/<id:client_id>/archive", methods=["POST"], defaults={"restore": False})
@bp.route(
    "/<id:client_id>/restore", methods=["POST"], endpoint="restore", defaults={"restore": True}
)
@login_required
def archive(client_id, restore):
    """Archive a client once its projects are archived, or restore it."""
    client = manageable_or_404(Client, client_id)
    return archive_or_restore(
        client,
        restore,
        blocked_by=Project.select().where(
            Project.client == client.id, Project.archived_at.is_null()
        ),
        blocked_message="This client still has active projects: archive them first.",
        done_url=url_for("clients.show", client_id=client.id),
    )
