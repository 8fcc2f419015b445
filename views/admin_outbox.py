"""The outbox, for admins: every email Fettle wrote, waiting, sent, failed or (with no
SMTP_URL, the embedded default) kept here; failed and waiting mail can be sent again."""

from flask import Blueprint, abort, current_app, flash, make_response, redirect, url_for
from flask_login import current_user, login_required

from models import OutboxAttachment, OutboxEmail
from models.outbox import STATUS_LABELS

from .listing import choice_arg, paginate
from .rendering import render

bp = Blueprint("admin_outbox", __name__, url_prefix="/admin/outbox")
VIEWS = {
    "attention": ("failed", "pending", "sending"),
    "failed": ("failed",),
    "pending": ("pending", "sending"),
    "sent": ("sent",),
    "kept": ("kept",),
    "cancelled": ("cancelled",),
    "all": (),
}
VIEW_LABELS = {
    "attention": "Failed and waiting",
    "failed": "Failed",
    "pending": "Waiting",
    "sent": "Sent",
    "kept": "Kept here",
    "cancelled": "Cancelled",
    "all": "All mail",
}


def _admin_only():
    if current_user.role != "admin":
        abort(403)


def email_or_404(email_id):
    """An email of the admin's organisation; another organisation's answers 404."""
    _admin_only()
    email = OutboxEmail.get_or_none(
        OutboxEmail.id == email_id, OutboxEmail.organisation == current_user.organisation_id
    )
    if email is None:
        abort(404)
    return email


@bp.route("")
@login_required
def index():
    """Failed and waiting mail first (what needs an admin); every other state a click away."""
    _admin_only()
    view = choice_arg("view", VIEWS) or "attention"
    page = paginate(
        OutboxEmail.for_organisation(current_user.organisation_id, VIEWS[view]).order_by(),
        {"created": OutboxEmail.id},
        "-created",
        search_fields=(OutboxEmail.recipient, OutboxEmail.subject),
        filters={"view": view},
    )
    return render(
        "admin/outbox.html",
        "results",
        page=page,
        view=view,
        views=VIEW_LABELS,
        status_labels=STATUS_LABELS,
        smtp=bool(current_app.config.get("SMTP_URL")),
    )


@bp.route("/<id:email_id>")
@login_required
def show(email_id):
    """One email as it was (or will be) sent: headers, text, HTML and attachments."""
    email = email_or_404(email_id)
    return render("admin/outbox_email.html", email=email)


@bp.route("/<id:email_id>/retry", methods=["POST"])
@login_required
def retry(email_id):
    """Send a failed or waiting email again now."""
    email = email_or_404(email_id)
    if email.retry(current_user):
        flash(f"The email to {email.recipient} will be sent again now.", "success")
    else:
        flash(f"This email is {email.status_label.lower()}: nothing to retry.", "info")
    return redirect(url_for("admin_outbox.show", email_id=email.id))


@bp.route("/<id:email_id>/attachments/<id:attachment_id>")
@login_required
def attachment(email_id, attachment_id):
    """An attached file, downloaded (never shown inline: it came from a report, not a
    person, but a browser should still not run it)."""
    email = email_or_404(email_id)
    item = OutboxAttachment.get_or_none(
        OutboxAttachment.id == attachment_id, OutboxAttachment.email == email.id
    )
    if item is None:
        abort(404)
    response = make_response(bytes(item.content))
    response.headers["Content-Type"] = item.content_type
    response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + _quoted(
        item.filename
    )
    return response


def _quoted(name):
    from urllib.parse import quote

    return quote(name, safe="")
