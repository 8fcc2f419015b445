"""Recording the work on an order, part three: photos and PDFs from the phone, served only
to people who can see the order."""

from urllib.parse import quote

from flask import abort, current_app, make_response, request
from flask_login import current_user, login_required

from models import WorkOrderFile
from models.document import UploadError
from models.storage import MissingFile, get_storage
from models.work_order_records import LockedError, RecordError, may_change_own

from . import bp
from .orders import order_or_404, workable_or_404
from .records import refused, respond

# The form offers a camera button and a file chooser; either (or both) may carry files.
FILE_INPUTS = ("camera", "files")


def storage():
    return get_storage(current_app.config.get("STORAGE_URL"), current_app.instance_path)


def file_or_404(order, file_id):
    row = WorkOrderFile.get_or_none(
        WorkOrderFile.id == file_id, WorkOrderFile.work_order == order.id
    )
    if row is None:
        abort(404)
    return row


@bp.route("/work-orders/<id:order_id>/files", methods=["POST"])
@login_required
def upload_files(order_id):
    """Attach photos (taken now or chosen) and PDFs; all are checked before any is kept."""
    order = workable_or_404(order_id)
    posted = [
        upload
        for name in FILE_INPUTS
        for upload in request.files.getlist(name)
        if upload and upload.filename
    ]
    try:
        rows = WorkOrderFile.upload(
            current_user, order, storage(), [(u.read(), u.filename) for u in posted]
        )
    except LockedError as error:
        return refused(order, "files", error)
    except (UploadError, RecordError) as error:
        return respond(order, "files", status=422, file_errors=[str(error)])
    notice = "Uploaded " + ", ".join(row.filename for row in rows) + "."
    return respond(order, "files", notice=notice)


def _send(row, key, content_type, download):
    try:
        data = storage().get(key)
    except MissingFile:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename*=UTF-8''{quote(row.filename, safe='')}"
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/work-orders/<id:order_id>/files/<id:file_id>/<path:filename>")
@login_required
def work_order_file(order_id, file_id, filename):
    """The file itself, to whoever may see the order (404 to anyone else)."""
    order = order_or_404(order_id)
    row = file_or_404(order, file_id)
    return _send(row, row.storage_key, row.content_type, download=False)


# No extension: every stored file name has one, so no file's own URL can be this one.
@bp.route("/work-orders/<id:order_id>/files/<id:file_id>/thumbnail")
@login_required
def work_order_thumbnail(order_id, file_id):
    order = order_or_404(order_id)
    row = file_or_404(order, file_id)
    if not row.thumbnail_key:
        abort(404)
    return _send(row, row.thumbnail_key, "image/jpeg", download=False)


@bp.route("/work-orders/<id:order_id>/files/<id:file_id>/delete", methods=["POST"])
@login_required
def delete_file(order_id, file_id):
    """Remove a file: the uploader, or a manager."""
    order = workable_or_404(order_id)
    row = file_or_404(order, file_id)
    if not may_change_own(current_user, row.uploaded_by_id):
        abort(403)
    try:
        row.remove(current_user, order, storage())
    except RecordError as error:
        return refused(order, "files", error)
    return respond(order, "files", notice=f"Removed {row.filename}.")
