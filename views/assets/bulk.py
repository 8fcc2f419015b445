"""Many assets at once: confirm, then change status, move or archive in one transaction;
and sheets of QR labels to stick on the equipment."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required

from models import ASSET_STATUSES, Asset, Project, asset_bulk
from models.visibility import visible

from ..access import manager_required, visible_or_404
from ..forms import labelled
from ..rendering import qr_svg, render
from . import bp

MAX_SELECTION = 1000
ACTIONS = {
    "status": "Change status",
    "move": "Move to another project",
    "archive": "Archive",
    "labels": "Print QR labels",
}
PAPERS = {"a4": "A4 (3 × 8 labels)", "letter": "Letter (3 × 10 labels)"}


def selected_assets(source):
    """The selected assets, all visible to the user, or 404: a foreign id changes nothing."""
    raw = source.getlist("ids")
    if not raw:
        return []
    if len(raw) > MAX_SELECTION or not all(
        v.isascii() and v.isdigit() and len(v) < 10 for v in raw
    ):
        abort(404)
    ids = sorted({int(v) for v in raw})
    assets = list(
        visible(Asset, current_user, Asset, Project)
        .join(Project, on=(Asset.project == Project.id))
        .where(Asset.id.in_(ids))
        .order_by(Asset.tag)
    )
    if len(assets) != len(ids):
        abort(404)
    return assets


@bp.route("/bulk", methods=["POST"])
@manager_required
def bulk():
    """Confirm a bulk change (with a count) and then apply it."""
    action = request.form.get("action", "")
    assets = selected_assets(request.form)
    if not assets or action not in ACTIONS:
        flash("Select some assets and an action first.", "error")
        return redirect(request.referrer or url_for("assets.index"))
    if action == "labels":
        query = "&".join(f"ids={a.id}" for a in assets)
        return redirect(url_for("assets.labels") + "?" + query)
    ids = {a.id for a in assets}
    projects = visible(Project, current_user, Project.id, Project.code, Project.name).order_by(
        Project.code
    )
    error = None
    if request.form.get("confirm") == "yes":
        done, error = _apply(action, ids)
        if done is not None:
            flash(done, "success")
            return redirect(url_for("assets.index"))
    moving, detached = asset_bulk.move_plan(ids) if action == "move" else (ids, set())
    components = asset_bulk.with_components(ids) - ids if action in ("move", "archive") else set()
    return render(
        "assets/bulk.html",
        status=422 if error else 200,
        action=action,
        action_label=ACTIONS[action],
        assets=assets,
        error=error,
        statuses=labelled(ASSET_STATUSES),
        projects=list(projects),
        components=len(components),
        detached=len(detached & ids) if moving else 0,
    )


def _apply(action, ids):
    """Returns (message, None) when done, or (None, error) to show on the confirmation."""
    if action == "status":
        status = request.form.get("status", "")
        if status not in ASSET_STATUSES:
            return None, "Choose the new status."
        count = asset_bulk.set_status(current_user, ids, status)
        return f"Status set to {status} on {count} assets.", None
    if action == "move":
        project_id = request.form.get("project_id", "")
        if not (project_id.isascii() and project_id.isdigit() and len(project_id) < 10):
            return None, "Choose the project to move them to."
        project = visible_or_404(Project, int(project_id))
        if project.archived_at:
            return None, "That project is archived."
        count = asset_bulk.move(current_user, ids, project)
        return f"Moved {count} assets (components included) to {project.code}.", None
    count = asset_bulk.archive(current_user, ids)
    return f"Archived {count} assets (components included).", None


@bp.route("/labels")
@login_required
def labels():
    """A printable sheet of QR labels: scanning one opens the asset (after sign-in)."""
    assets = selected_assets(request.args)
    if not assets:
        flash("Select the assets to label first.", "error")
        return redirect(url_for("assets.index"))
    paper = request.args.get("paper", "a4")
    paper = paper if paper in PAPERS else "a4"
    base = current_app.config["BASE_URL"].rstrip("/")
    labels = [(a, qr_svg(base + url_for("assets.show", asset_id=a.id), scale=3)) for a in assets]
    return render(
        "assets/labels.html", labels=labels, paper=paper, papers=PAPERS, ids=[a.id for a in assets]
    )
