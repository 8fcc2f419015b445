"""The home page: where each person starts, with counts of what they can see."""

from flask import Blueprint
from flask_login import current_user, login_required
from peewee import fn

from models import Asset, Client, Location, Project
from models.visibility import visible

from .rendering import render

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    """Counts of the user's locations, clients, projects and assets, and assets not running."""
    counts = {
        model.__name__.lower(): visible(model, current_user, fn.COUNT(model.id)).scalar()
        for model in (Location, Client, Project, Asset)
    }
    attention = (
        visible(Asset, current_user)
        .where(Asset.status.in_(("down", "degraded")))
        .order_by(Asset.status.desc(), Asset.name)
        .limit(10)
    )
    return render("home/index.html", counts=counts, attention=list(attention))
