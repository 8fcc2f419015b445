"""One-click actions from an alert email (acknowledge an assignment, start the work): the
link shows what it will do and asks for confirmation; only the button acts, once."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from models import User, WorkOrder, action_token
from models.action_token import ActionError

from .rendering import render

bp = Blueprint("actions", __name__, url_prefix="/actions")


@bp.route("/<token>", methods=["GET", "POST"])
def confirm(token):
    """GET: what the link will do, for whom, with a button. POST: do it, once. A forged,
    expired or used link gets a page saying so and changes nothing."""
    try:
        row = action_token.read(token)
    except ActionError as error:
        return _refused(str(error), 410 if "expired" in str(error) or "used" in str(error) else 400)
    person = User.get_or_none(User.id == row.user_id)
    order = WorkOrder.get_or_none(WorkOrder.id == row.work_order_id)
    if person is None or order is None:
        return _refused("This link's work order or person no longer exists.", 410)
    if current_user.is_authenticated and current_user.id != person.id:
        return _refused(
            f"This link was sent to {person.name}, and you are signed in as "
            f"{current_user.name}. Nothing was changed.",
            403,
        )
    if request.method == "POST":
        try:
            message = row.use()
        except ActionError as error:
            return _refused(str(error), 409)
        if current_user.is_authenticated:
            flash(message, "success")
            return redirect(url_for("work_orders.show", order_id=order.id), 303)
        return render("actions/done.html", message=message, order=order)
    return render("actions/confirm.html", row=row, order=order, person=person, token=token)


def _refused(message, status):
    return render("actions/refused.html", status=status, message=message)
