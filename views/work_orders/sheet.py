"""The job sheet: a work order on paper, for sites where a phone is no use and for clients
who want a signed copy. A QR code on it opens the order again."""

from flask import current_app, url_for
from flask_login import login_required

from models import Assignment, ChecklistItem, Signature, User

from ..rendering import qr_svg, render
from . import bp
from .orders import order_or_404

BLANK_ROWS = {"checklist": 8, "notes": 6, "parts": 5, "time": 4}


@bp.route("/work-orders/<id:order_id>/sheet")
@login_required
def sheet(order_id):
    """The printable order, for anyone who may see it (client users included)."""
    order = order_or_404(order_id)
    order_url = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "work_orders.show", order_id=order.id
    )
    assignees = list(
        User.select(User.name)
        .join(Assignment, on=(Assignment.user == User.id))
        .where(Assignment.work_order == order.id)
        .order_by(User.name)
    )
    return render(
        "work_orders/sheet.html",
        order=order,
        tz=order.location.timezone,
        organisation=order.organisation,
        assignees=assignees,
        signature=Signature.of(order),
        qr=qr_svg(order_url),
        order_url=order_url,
        blank=BLANK_ROWS,
        checklist=ChecklistItem.for_order(order),
    )
