"""CSV in and out: import with a preview that must be clean, export of the filtered list."""

import re
import secrets

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from models import Asset, Project
from models.asset_io import COLUMN_HELP, ImportFileError, apply, export_rows, preview, template_csv
from models.storage import MissingFile, get_storage
from models.visibility import visible

from ..access import manager_required
from ..forms import ImportForm
from ..rendering import render
from . import bp

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _storage():
    return get_storage(current_app.config.get("STORAGE_URL"), current_app.instance_path)


def _key(token):
    """Pending imports are kept per user, so a token is useless to anyone else."""
    return f"imports/{current_user.organisation_id}/{current_user.id}/{token}.csv"


def _preview(data):
    return preview(
        current_user,
        data,
        visible(Asset, current_user, archived=True),
        visible(Project, current_user),
    )


@bp.route("/import", methods=["GET", "POST"])
@manager_required
def import_assets():
    """Upload a CSV; see every problem row by row; nothing is written yet."""
    form = ImportForm()
    result, token, file_error = None, None, None
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            result = _preview(data)
        except ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            if result.clean:
                token = secrets.token_hex(16)
                _storage().put(_key(token), data, "text/csv")
            elif not result.rows:
                file_error = "The file has a header but no assets."
    status = 422 if request.method == "POST" and not token else 200
    return render(
        "assets/import.html",
        status=status,
        form=form,
        result=result,
        token=token,
        file_error=file_error,
        columns=COLUMN_HELP,
    )


@bp.route("/import/<token>", methods=["POST"])
@manager_required
def confirm_import(token):
    """Apply a previewed file, checked once more, in one transaction."""
    if not _TOKEN.match(token):
        abort(404)
    try:
        data = _storage().get(_key(token))
    except MissingFile:
        flash("That import was already done or has expired. Upload the file again.", "error")
        return redirect(url_for("assets.import_assets"))
    result = _preview(data)
    if not result.clean:
        flash("The register changed since the preview: check the file again.", "error")
        return render(
            "assets/import.html",
            status=422,
            form=ImportForm(),
            result=result,
            token=None,
            file_error=None,
            columns=COLUMN_HELP,
        )
    counts = apply(current_user, result)
    _storage().delete(_key(token))
    flash(f"Imported: {counts['created']} new and {counts['updated']} updated assets.", "success")
    return redirect(url_for("assets.index"))


@bp.route("/import/template.csv")
@login_required
def import_template():
    """The columns, with an example row; the import page explains each one."""
    return Response(
        template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=fettle-assets-template.csv"},
    )


@bp.route("/export.csv")
@login_required
def export():
    """The list as it is filtered now, streamed, with the import template's columns."""
    from .register import filtered_assets, with_names

    query, _filters = filtered_assets()
    query = with_names(query)
    # By tag or name only (each served by an index), in the list's direction.
    sort = request.args.get("sort", "tag")
    column = Asset.name if sort.lstrip("-") == "name" else Asset.tag
    if sort in ("-name", "-tag"):
        query = query.order_by(column.desc(), Asset.id.desc())
    else:
        query = query.order_by(column, Asset.id)
    return Response(
        stream_with_context(export_rows(query)),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=fettle-assets.csv"},
    )
