"""Browse the hierarchy: location → clients → projects → assets, with counts at each level.

A drill-down of plain links (works without JavaScript; every level is a URL to bookmark),
each level one grouped count over the rows the user may see.
"""

from flask import Blueprint
from flask_login import current_user, login_required
from peewee import SQL, fn

from models import Asset, Client, Location, Project
from models.visibility import visible

from .access import visible_or_404
from .listing import id_arg
from .rendering import render

bp = Blueprint("browse", __name__, url_prefix="/browse")


def counts(model, group_column, **where):
    """{group id: number of visible live rows of `model`} for one level."""
    query = visible(model, current_user, group_column, fn.COUNT(SQL("*"))).group_by(group_column)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return dict(query.tuples())


@bp.route("")
@login_required
def index():
    """One level of the hierarchy, chosen by ?location=, ?client= or ?project=."""
    project_id, client_id, location_id = id_arg("project"), id_arg("client"), id_arg("location")
    if project_id:
        project = visible_or_404(Project, project_id)
        assets = list(
            visible(Asset, current_user)
            .where(Asset.project == project.id, Asset.parent.is_null())
            .order_by(Asset.tag)
            .limit(500)
        )
        component_counts = counts(Asset, Asset.parent, project=project.id)
        return render(
            "browse/index.html",
            level="project",
            trail=project.breadcrumbs(),
            rows=assets,
            components=component_counts,
            total=sum(component_counts.values()),
        )
    if client_id:
        client = visible_or_404(Client, client_id)
        rows = list(
            visible(Project, current_user).where(Project.client == client.id).order_by(Project.code)
        )
        return render(
            "browse/index.html",
            level="client",
            trail=client.breadcrumbs(),
            rows=rows,
            assets=counts(Asset, Asset.project, client=client.id),
        )
    if location_id:
        location = visible_or_404(Location, location_id)
        rows = list(
            visible(Client, current_user)
            .where(Client.location == location.id)
            .order_by(Client.name)
        )
        return render(
            "browse/index.html",
            level="location",
            trail=location.breadcrumbs(),
            rows=rows,
            projects=counts(Project, Project.client, location=location.id),
            assets=counts(Asset, Asset.client, location=location.id),
        )
    rows = list(visible(Location, current_user).order_by(Location.name))
    return render(
        "browse/index.html",
        level="top",
        trail=[],
        rows=rows,
        clients=counts(Client, Client.location),
        projects=counts(Project, Project.location),
        assets=counts(Asset, Asset.location),
    )
