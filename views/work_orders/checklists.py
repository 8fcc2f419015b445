"""A work order's checklist: put a procedure's copy (or ad-hoc items) on the order, answer
items one at a time on site (HTMX swaps just the item; without JavaScript a normal post and
redirect), photos served only to people who see the order, and a follow-up order raised in
one tap from a failed item or an out-of-limits reading."""

from flask import abort, current_app, flash, make_response, redirect, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from wtforms import BooleanField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from models import ChecklistItem, Procedure
from models.checklist import MAX_NOTE, MAX_TEXT, ChecklistError, source_item
from models.procedure import ITEM_KINDS, KIND_LABELS
from models.storage import MissingFile, get_storage

from ..forms import FettleForm, Required, as_choices
from ..rendering import is_htmx, render
from . import bp
from .orders import order_or_404, show_context, workable_or_404


class AnswerForm(FettleForm):
    value = TextAreaField("Answer", validators=[Optional(), Length(max=MAX_TEXT)])
    note = StringField("Note", validators=[Optional(), Length(max=MAX_NOTE)])
    photo = FileField("Photo")


class AttachForm(FettleForm):
    procedure_id = SelectField("Procedure", coerce=int)


class AdHocItemForm(FettleForm):
    label = StringField("New item", validators=[Required(), Length(max=200)])
    kind = SelectField(
        "Answer", choices=as_choices((k, KIND_LABELS[k]) for k in ITEM_KINDS), default="checkbox"
    )
    required = BooleanField("Required")
    unit = StringField("Unit", validators=[Optional(), Length(max=20)])
    lower_limit = DecimalField("Lowest OK", validators=[Optional()], places=None)
    upper_limit = DecimalField("Highest OK", validators=[Optional()], places=None)


def storage():
    return get_storage(current_app.config.get("STORAGE_URL"), current_app.instance_path)


def checklist_context(order, may_work, errors=None, posted=None, add_form=None):
    """What templates/work_orders/_checklist.html needs (a few queries, whatever the size)."""
    may_answer = may_work and order.is_open
    items = ChecklistItem.for_order(order)
    attached = {i.procedure_id for i in items}
    choices = (
        [c for c in Procedure.choices_for(current_user) if c[0] not in attached]
        if may_answer
        else []
    )
    return {
        "checklist": items,
        "checklist_progress": _progress(items),
        "checklist_may_answer": may_answer,
        "checklist_may_follow_up": may_work and order.status != "cancelled",
        "checklist_may_remove": may_answer and current_user.is_manager,
        "checklist_choices": choices,
        "checklist_add_form": add_form or AdHocItemForm(formdata=None),
        "checklist_errors": errors or {},
        "checklist_posted": posted or {},
        "checklist_source": source_item(order),
    }


def _progress(items):
    return {
        "total": len(items),
        "answered": sum(1 for i in items if i.is_answered),
        "required_left": sum(1 for i in items if i.required and not i.is_answered),
    }


def item_or_404(order, item_id):
    item = ChecklistItem.get_or_none(
        ChecklistItem.id == item_id, ChecklistItem.work_order == order.id
    )
    if item is None:
        abort(404)
    return item


def _back(order, anchor="checklist"):
    return redirect(url_for("work_orders.show", order_id=order.id) + f"#{anchor}")


def _page_with_errors(order, **checklist):
    """The whole order page again, with the checklist's messages (no JavaScript, 422)."""
    context = show_context(order)
    context.update(checklist_context(order, True, **checklist))
    return render("work_orders/show.html", status=422, **context)


@bp.route("/work-orders/<id:order_id>/checklist", methods=["POST"])
@login_required
def attach_checklist(order_id):
    """Give the order its own copy of a procedure's items."""
    order = workable_or_404(order_id)
    form = AttachForm()
    form.procedure_id.choices = as_choices(Procedure.choices_for(current_user))
    if not form.validate_on_submit():
        flash("Choose one of the procedures in the list.", "error")
        return _back(order)
    procedure = Procedure.get_by_id(form.procedure_id.data)
    try:
        count = ChecklistItem.attach(current_user, order, procedure)
    except ChecklistError as error:
        flash(str(error), "error")
    else:
        flash(f"Added “{procedure.name}”: {count} items.", "success")
    return _back(order)


@bp.route("/work-orders/<id:order_id>/checklist/items", methods=["POST"])
@login_required
def add_checklist_item(order_id):
    """An item this job needs that no procedure asks for."""
    order = workable_or_404(order_id)
    form = AdHocItemForm()
    if form.validate_on_submit():
        spec = {name: form[name].data for name in ("label", "kind", "required", "unit")}
        spec.update(lower_limit=form.lower_limit.data, upper_limit=form.upper_limit.data)
        try:
            item = ChecklistItem.add_to(current_user, order, **spec)
        except ChecklistError as error:
            form.label.errors.append(str(error))
        else:
            flash(f"Added “{item.label}”.", "success")
            return _back(order, f"item-{item.id}")
    return _page_with_errors(order, add_form=form)


@bp.route("/work-orders/<id:order_id>/checklist/<id:item_id>", methods=["POST"])
@login_required
def answer_item(order_id, item_id):
    """Answer one item; an HTMX post gets just that item back (and the progress count)."""
    order = workable_or_404(order_id)
    item = item_or_404(order, item_id)
    form = AnswerForm()
    error = None
    if not form.validate_on_submit():
        error = " ".join(e for errors in form.errors.values() for e in errors)
    else:
        upload = form.photo.data
        photo = (upload.read(), upload.filename) if upload and upload.filename else None
        try:
            item.record(current_user, form.value.data, form.note.data, photo, storage())
        except ChecklistError as caught:
            error = str(caught)
    if error is None and not is_htmx():
        return _back(order, f"item-{item.id}")
    posted = {"value": form.value.data or "", "note": form.note.data or ""}
    if not is_htmx():
        return _page_with_errors(order, errors={item.id: error}, posted={item.id: posted})
    return _item_response(order, item.id, error, posted)


def _item_response(order, item_id, error=None, posted=None):
    items = ChecklistItem.for_order(order, item_id)
    progress = ChecklistItem.progress(order.id)
    return render(
        "work_orders/_checklist_item.html",
        status=422 if error else 200,
        order=order,
        item=items[0],
        progress=progress,
        error=error,
        posted=posted or {},
        may_answer=True,
        may_follow_up=order.status != "cancelled",
        may_remove=current_user.is_manager,
    )


@bp.route("/work-orders/<id:order_id>/checklist/<id:item_id>/follow-up", methods=["POST"])
@login_required
def follow_up(order_id, item_id):
    """One tap from a finding to a corrective order; a second tap opens the same one."""
    order = workable_or_404(order_id)
    item = item_or_404(order, item_id)
    try:
        new_order, created = item.raise_follow_up(current_user)
    except ChecklistError as error:
        flash(str(error), "error")
        return _back(order, f"item-{item.id}")
    flash(
        f"{new_order.reference} is raised."
        if created
        else f"{new_order.reference} exists already.",
        "success",
    )
    return redirect(url_for("work_orders.show", order_id=new_order.id))


@bp.route("/work-orders/<id:order_id>/checklist/<id:item_id>/remove", methods=["POST"])
@login_required
def remove_item(order_id, item_id):
    """Take an item off (managers: a required item is part of what was agreed)."""
    order = workable_or_404(order_id)
    item = item_or_404(order, item_id)
    if not current_user.is_manager:
        abort(403)
    try:
        item.remove(current_user)
    except ChecklistError as error:
        flash(str(error), "error")
    else:
        flash(f"Removed “{item.label}”.", "success")
    return _back(order)


@bp.route("/work-orders/<id:order_id>/checklist/<id:item_id>/photo", defaults={"thumb": False})
@bp.route(
    "/work-orders/<id:order_id>/checklist/<id:item_id>/thumbnail",
    endpoint="checklist_thumbnail",
    defaults={"thumb": True},
)
@login_required
def checklist_photo(order_id, item_id, thumb):
    """An item's photo, for anyone who may see the order (client users included)."""
    order = order_or_404(order_id)
    item = item_or_404(order, item_id)
    key = item.thumbnail_key if thumb else item.photo_key
    if not key:
        abort(404)
    try:
        data = storage().get(key)
    except MissingFile:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = "image/jpeg" if thumb else item.photo_type
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
