"""The letterhead every report starts with (the organisation's name and logo), and the page
where an admin sets the logo."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from models import Organisation
from models.branding import logo_data_url, remove_logo, store_logo
from models.document import UploadError

from ..rendering import render
from ..work_orders.records_files import storage
from . import bp


def letterhead(organisation):
    return {"organisation": organisation, "logo": logo_data_url(organisation, storage())}


@bp.route("/logo", methods=["GET", "POST"])
@login_required
def logo():
    """Admins set the logo printed on every report."""
    if current_user.role != "admin":
        abort(403)
    error = None
    if request.method == "POST":
        if request.form.get("action") == "remove":
            remove_logo(current_user, storage())
            flash("The logo was removed from reports.", "success")
            return redirect(url_for("reports.logo"))
        upload = request.files.get("logo")
        try:
            store_logo(current_user, storage(), upload.read() if upload else b"")
        except UploadError as exc:
            error = str(exc)
        else:
            flash("The new logo is on every report from now on.", "success")
            return redirect(url_for("reports.logo"))
    organisation = Organisation.get_by_id(current_user.organisation_id)
    return render(
        "reports/logo.html",
        status=422 if error else 200,
        error=error,
        **letterhead(organisation),
    )
