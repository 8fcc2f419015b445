"""The home page: where each person starts, with counts of what they can see."""

from flask import Blueprint
from flask_login import current_user, login_required
from peewee import SQL, fn

from models import Asset, Assignment, Client, Location, Project, WorkOrder, utcnow
from models.visibility import visible
from models.work_order import due_before, is_open

from .rendering import render

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    """Counts of the user's locations, clients, projects and assets, and assets not running."""
    counts = {
        model.__name__.lower(): visible(model, current_user, fn.COUNT(SQL("*"))).scalar()
        for model in (Location, Client, Project, Asset)
    }
    # One short index walk per status (down first), not a sort of every live asset.
    attention = []
    for status in ("down", "degraded"):
        attention += list(
            visible(Asset, current_user)
            .where(Asset.status == status)
            .order_by(Asset.name)
            .limit(10 - len(attention))
        )
        if len(attention) >= 10:
            break
    return render("home/index.html", counts=counts, attention=attention, work=_open_work())


def _open_work():
    """Open, overdue and (for people who do the work) assigned-to-me orders: counts on the
    open work's partial indexes (migration 0009)."""
    active = visible(WorkOrder, current_user, fn.COUNT(SQL("*"))).where(is_open())
    work = {
        "active": active.scalar(),
        "overdue": active.where(due_before(utcnow())).scalar(),
    }
    if current_user.role == "technician":
        # EXISTS: walk the few hundred open orders of the person's projects, not every order
        # ever assigned to them (thousands, each looked up).
        work["mine"] = active.where(
            fn.EXISTS(
                Assignment.select(SQL("1")).where(
                    Assignment.work_order == WorkOrder.id, Assignment.user == current_user.id
                )
            )
        ).scalar()
    return work
