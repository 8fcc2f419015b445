"""Sign-off: the client signs on the technician's screen; the signature image is served only
to people who may see the order."""

from flask import abort, current_app, flash, make_response, redirect, url_for
from flask_login import current_user, login_required

from models import Signature, WorkOrder
from models.storage import MissingFile, get_storage
from models.work_order import TransitionError

from ..rendering import render
from . import bp
from .forms import SignatureForm
from .orders import order_or_404, show_context, workable_or_404


def storage():
    return get_storage(current_app.config.get("STORAGE_URL"), current_app.instance_path)


@bp.route("/work-orders/<id:order_id>/signature", methods=["POST"])
@login_required
def sign(order_id):
    """Take the client's signature while the work is in progress; bad input is refused at
    the field with nothing stored."""
    order = workable_or_404(order_id)
    form = SignatureForm()
    if form.validate_on_submit():
        try:
            Signature.take(current_user, order, form.png, form.signer_name.data, storage())
        except TransitionError as error:
            form.form_errors.append(str(error))
        else:
            flash(f"Signed by {form.signer_name.data}.", "success")
            return redirect(url_for("work_orders.show", order_id=order.id) + "#signoff")
    order = WorkOrder.get_by_id(order.id)
    context = show_context(order)
    context["signoff_form"] = form
    return render("work_orders/show.html", status=422, **context)


@bp.route("/work-orders/<id:order_id>/signature.png")
@login_required
def signature_image(order_id):
    """The signature image, to anyone who may see the order (client users included)."""
    order = order_or_404(order_id)
    signature = Signature.get_or_none(Signature.work_order == order.id)
    if signature is None:
        abort(404)
    try:
        data = storage().get(signature.storage_key)
    except MissingFile:
        abort(404)  # lost from storage: nothing to show, but no error page either
    response = make_response(data)
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
