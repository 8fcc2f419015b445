"""Locations: regions or branches, each with its clients and its time zone."""

from flask import Blueprint, abort, url_for
from flask_login import current_user, login_required
from peewee import fn

from models import Client, Location, Project
from models.visibility import can_create_location, can_manage, visible

from .access import manageable_or_404, manager_required, visible_or_404
from .forms import LocationForm
from .listing import paginate
from .rendering import render
from .saving import archive_or_restore, save_form

bp = Blueprint("locations", __name__, url_prefix="/locations")
SORTS = {"name": Location.name, "timezone": Location.timezone}
FIELDS = ("name", "timezone", "address")


@bp.route("")
@login_required
def index():
    """Every location the user can see."""
    page = paginate(
        visible(Location, current_user),
        SORTS,
        "name",
        search_fields=(Location.name, Location.address),
    )
    client_counts = dict(
        visible(Client, current_user, Client.location, fn.COUNT(Client.id))
        .where(Client.location.in_([row.id for row in page.rows]))
        .group_by(Client.location)
        .tuples()
    )
    return render(
        "locations/index.html",
        "results",
        page=page,
        client_counts=client_counts,
        can_create=can_create_location(current_user),
    )


@bp.route("/<id:location_id>")
@login_required
def show(location_id):
    """A location and the clients served from it."""
    location = visible_or_404(Location, location_id)
    clients = (
        visible(Client, current_user).where(Client.location == location.id).order_by(Client.name)
    )
    project_count = (
        visible(Project, current_user, fn.COUNT(Project.id))
        .where(Project.location == location.id)
        .scalar()
    )
    return render(
        "locations/show.html",
        location=location,
        clients=list(clients),
        project_count=project_count,
        can_edit=can_manage(current_user, location),
    )


def _save(form, row=None):
    unique = {"name": "A location with this name already exists."}
    if row is None:
        return save_form(
            form,
            "locations/form.html",
            Location,
            unique=unique,
            build=lambda: {f: form[f].data for f in FIELDS},
            save=lambda data: Location.create_audited(current_user, **data),
            done=lambda loc: url_for("locations.show", location_id=loc.id),
        )
    return save_form(
        form,
        "locations/form.html",
        Location,
        row=row,
        unique=unique,
        build=lambda: {f: form[f].data for f in FIELDS},
        save=lambda data: row.update_audited(current_user, **data),
        done=lambda _: url_for("locations.show", location_id=row.id),
    )


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new():
    """Add a location (admins, and managers not limited to some locations)."""
    if not can_create_location(current_user):
        abort(403)
    return _save(LocationForm())


@bp.route("/<id:location_id>/edit", methods=["GET", "POST"])
@login_required
def edit(location_id):
    """Rename a location, or change its address or time zone."""
    location = manageable_or_404(Location, location_id)
    return _save(LocationForm(obj=location), location)


@bp.route("/<id:location_id>/archive", methods=["POST"], defaults={"restore": False})
@bp.route(
    "/<id:location_id>/restore", methods=["POST"], endpoint="restore", defaults={"restore": True}
)
@login_required
def archive(location_id, restore):
    """Archive a location once no active client is served from it, or restore it."""
    location = manageable_or_404(Location, location_id)
    return archive_or_restore(
        location,
        restore,
        blocked_by=Client.select().where(
            Client.location == location.id, Client.archived_at.is_null()
        ),
        blocked_message="This location still has active clients: archive or move them first.",
        done_url=url_for("locations.show", location_id=location.id),
    )
