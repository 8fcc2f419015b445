"""The service report: what a technician leaves with the client for one work order (the
work done, checklist results with readings and flags, photos, parts and labour, downtime,
both sign-offs and a QR code back to the order). Built from the order page's own record
context, so the report shows exactly what the order records."""

import base64

from flask import abort, current_app, request, url_for
from flask_login import current_user, login_required

from models import Assignment, ChecklistItem, Signature, User
from models.storage import MissingFile

from ..listing import id_arg
from ..rendering import qr_svg, render
from ..work_orders.orders import order_or_404
from ..work_orders.record_context import records_context
from ..work_orders.records_files import storage
from . import bp
from .branding import letterhead
from .output import document, paper_arg, pdf_response

MAX_PHOTOS = 12  # on the report; the order page has them all


def _inline(key, kind="image/jpeg"):
    """A stored image as a data: URL, for the PDF (which fetches nothing)."""
    try:
        return f"data:{kind};base64," + base64.b64encode(storage().get(key)).decode()
    except MissingFile:
        return None


def _images(order, photos, checklist, signature, pdf):
    """{what: src} for every image the report shows: URLs on the page, inlined in the PDF."""
    found = {}
    for photo in photos:
        found[f"photo{photo.id}"] = (
            _inline(photo.thumbnail_key)
            if pdf
            else url_for("work_orders.work_order_thumbnail", order_id=order.id, file_id=photo.id)
        )
    for item in checklist:
        if item.thumbnail_key:
            found[f"item{item.id}"] = (
                _inline(item.thumbnail_key)
                if pdf
                else url_for("work_orders.checklist_thumbnail", order_id=order.id, item_id=item.id)
            )
    if signature:
        found["signature"] = (
            _inline(signature.storage_key, "image/png")
            if pdf
            else url_for("work_orders.signature_image", order_id=order.id)
        )
    return found


@bp.route("/service")
@login_required
def service():
    """For anyone who may see the order (404 otherwise), client users included."""
    order = order_or_404(id_arg("order"))
    output = request.args.get("format", "html")
    if output not in ("html", "pdf"):
        abort(404)
    records = records_context(order)
    checklist = ChecklistItem.for_order(order)
    signature = Signature.of(order)
    photos = records["photos"][:MAX_PHOTOS]
    order_url = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "work_orders.show", order_id=order.id
    )
    context = {
        "order": order,
        "tz": order.location.timezone,
        "records": records,
        "checklist": checklist,
        "signature": signature,
        "photos": photos,
        "more_photos": len(records["photos"]) - len(photos),
        "images": _images(order, photos, checklist, signature, output == "pdf"),
        "assignees": list(
            User.select(User.name)
            .join(Assignment, on=(Assignment.user == User.id))
            .where(Assignment.work_order == order.id)
            .order_by(User.name)
        ),
        "qr": qr_svg(order_url),
        "order_url": order_url,
        "permalink": current_app.config["BASE_URL"].rstrip("/")
        + url_for("reports.service", order=order.id),
        **letterhead(current_user.organisation),
    }
    name = f"Service report {order.reference}"
    if output == "pdf":
        paper = paper_arg("letter" if context["tz"].startswith("America/") else "a4")
        return pdf_response(document("reports/_service_body.html", name, paper, context), name)
    return render("reports/service.html", **context)
