"""The inbox and the bell: a person's notifications, newest first, each linking to its
page; the unread count the bell polls for (an unchanged count answers 304 unrendered)."""

from flask import Blueprint, abort, make_response, redirect, request, url_for
from flask_login import current_user, login_required

from models import Notification
from models.alert_preferences import KINDS
from models.notification import UNREAD_CAP

from .auth import safe_next
from .listing import choice_arg, paginate
from .rendering import is_htmx, render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
SHOWS = {"all": "All", "unread": "Unread"}
CHANGED = "notifications-changed"  # the event the bell listens for


def own_or_404(notification_id):
    """One of the signed-in person's notifications; anyone else's answers 404."""
    row = Notification.get_or_none(
        Notification.id == notification_id, Notification.user == current_user.id
    )
    if row is None:
        abort(404)
    return row


@bp.route("")
@login_required
def index():
    """Every alert this person had in the app, newest first, unread ones marked."""
    show = choice_arg("show", SHOWS) or "all"
    query = Notification.inbox(current_user).order_by()
    if show == "unread":
        query = query.where(Notification.read_at.is_null())
    page = paginate(query, {"created": Notification.created_at}, "-created", filters={"show": show})
    return render(
        "notifications/index.html",
        "results",
        page=page,
        show=show,
        shows=SHOWS,
        kinds=KINDS,
        unread=Notification.unread_count(current_user.id),
    )


@bp.route("/count")
@login_required
def count():
    """The bell, polled by every page. The count is the ETag: when the browser's copy is
    current the answer is 304, with no template rendered."""
    unread = Notification.unread_count(current_user.id)
    etag = f"u{current_user.id}-{unread}"
    if etag in request.if_none_match:
        response = make_response("", 304)
    else:
        response = render("notifications/_bell.html", unread=unread, cap=UNREAD_CAP)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/<id:notification_id>")
@login_required
def follow(notification_id):
    """Follow a notification to its page, marking it read on the way."""
    row = own_or_404(notification_id)
    Notification.mark_read(current_user, [row.id])
    return redirect(safe_next(row.url) or url_for("notifications.index"), 303)


@bp.route("/<id:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id):
    """Mark one read without leaving the inbox."""
    row = own_or_404(notification_id)
    Notification.mark_read(current_user, [row.id])
    return _changed(row=Notification.get_by_id(row.id))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every notification read."""
    Notification.mark_all_read(current_user)
    return _changed()


def _changed(row=None):
    if is_htmx() and row is not None:
        response = render("notifications/_item.html", n=row, kinds=KINDS)
    elif is_htmx():
        response = make_response("", 204)
        response.headers["HX-Refresh"] = "true"
    else:
        back = safe_next(request.form.get("next")) or url_for("notifications.index")
        response = redirect(back, 303)
    response.headers["HX-Trigger"] = CHANGED
    return response
