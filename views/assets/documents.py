"""Documents and photos on an asset: upload from a phone or desk, served only to people who
can see the asset."""

from flask import abort, current_app, flash, make_response, redirect, url_for
from flask_login import current_user, login_required

from models import Asset, Document
from models.document import UploadError
from models.storage import MissingFile, get_storage
from models.visibility import can_manage

from ..access import visible_or_404
from ..forms import DocumentForm
from ..rendering import is_htmx, message_response, render
from . import bp


def storage():
    return get_storage(current_app.config.get("STORAGE_URL"), current_app.instance_path)


def documents_context(asset, form=None):
    documents = list(
        Document.select()
        .where(Document.asset == asset.id)
        .order_by(Document.created_at.desc(), Document.id.desc())
    )
    return {
        "asset": asset,
        "photos": [d for d in documents if d.is_image],
        "files": [d for d in documents if not d.is_image],
        "document_form": form or DocumentForm(),
        "can_delete": current_user.is_manager,
    }


def asset_document_or_404(asset_id, document_id):
    asset = visible_or_404(Asset, asset_id)
    document = Document.get_or_none(Document.id == document_id, Document.asset == asset.id)
    if document is None:
        abort(404)
    return asset, document


@bp.route("/<id:asset_id>/documents", methods=["POST"])
@login_required
def upload(asset_id):
    """Attach a manual, certificate or photo; anyone who can see the asset may add one."""
    asset = visible_or_404(Asset, asset_id)
    if asset.archived_at is not None:
        return message_response(
            "This asset is archived: restore it before adding files.",
            409,
            page_title="Asset archived",
        )
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            Document.upload(
                current_user,
                asset,
                storage(),
                upload.read(),
                upload.filename,
                form.kind.data,
                form.title.data,
            )
        except UploadError as error:
            form.file.errors.append(str(error))
        else:
            flash("Uploaded.", "success")
            return redirect(url_for("assets.show", asset_id=asset.id) + "#documents")
    from .register import show_context

    context = documents_context(asset, form)
    if not is_htmx():
        context = {**show_context(asset), **context}
    return render("assets/show.html", "documents", status=422, **context)


def _send(document, key, content_type, download):
    try:
        data = storage().get(key)
    except MissingFile:
        abort(404)  # lost from storage: nothing to send, but no error page either
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename*=UTF-8''{_quote(document.filename)}"
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _quote(name):
    from urllib.parse import quote

    return quote(name, safe="")


@bp.route("/<id:asset_id>/documents/<id:document_id>/<path:filename>")
@login_required
def document(asset_id, document_id, filename):
    """The file itself: images and PDFs open in the browser, other files download."""
    _asset, doc = asset_document_or_404(asset_id, document_id)
    inline = doc.is_image or doc.content_type == "application/pdf"
    return _send(doc, doc.storage_key, doc.content_type, download=not inline)


# No extension: every stored file name has one, so no document's own URL can be this one.
@bp.route("/<id:asset_id>/documents/<id:document_id>/thumbnail")
@login_required
def thumbnail(asset_id, document_id):
    _asset, doc = asset_document_or_404(asset_id, document_id)
    if not doc.thumbnail_key:
        abort(404)
    return _send(doc, doc.thumbnail_key, "image/jpeg", download=False)


@bp.route("/<id:asset_id>/documents/<id:document_id>/delete", methods=["POST"])
@login_required
def delete_document(asset_id, document_id):
    """Remove a document (managers); the audit log keeps that it existed."""
    asset, doc = asset_document_or_404(asset_id, document_id)  # 404 before 403
    if not can_manage(current_user):
        abort(403)
    doc.remove(current_user, storage())
    flash(f"Deleted {doc.filename}.", "success")
    return redirect(url_for("assets.show", asset_id=asset.id) + "#documents")
