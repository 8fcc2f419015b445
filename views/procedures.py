"""Procedures: the organisation's checklist templates. Admins and managers write them;
everyone in the organisation may read them (a technician checks what a service involves)."""

import re
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from peewee import IntegrityError, fn
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from models import Procedure, ProcedureItem
from models.procedure import ITEM_KINDS, KIND_LABELS, LIMIT, SPEC_FIELDS, ProcedureError

from .forms import FettleForm, Required, as_choices
from .listing import paginate
from .rendering import render
from .saving import archive_or_restore, taken

bp = Blueprint("procedures", __name__, url_prefix="/procedures")
SORTS = {"name": Procedure.name, "updated": Procedure.updated_at}
MAX_ITEMS = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ItemRow(Form):
    """One item of the procedure editor; a new row left without a label is ignored."""

    class Meta:
        bind_field = FettleForm.Meta.bind_field  # strip text, refuse a file for text

    item_id = HiddenField()
    label = StringField("Item", validators=[Optional(), Length(max=200)])
    kind = SelectField(
        "Answer", choices=as_choices((k, KIND_LABELS[k]) for k in ITEM_KINDS), default="checkbox"
    )
    required = BooleanField("Required")
    unit = StringField("Unit", validators=[Optional(), Length(max=20)])
    lower_limit = DecimalField("Lowest OK", validators=[Optional()], places=None)
    upper_limit = DecimalField("Highest OK", validators=[Optional()], places=None)
    guidance = StringField("Guidance", validators=[Optional(), Length(max=300)])
    remove = BooleanField("Remove")


class ProcedureForm(FettleForm):
    name = StringField("Name", validators=[Required(), Length(max=160)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    items = FieldList(FormField(ItemRow), max_entries=MAX_ITEMS)


def procedure_or_404(procedure_id):
    procedure = Procedure.of(current_user).where(Procedure.id == procedure_id).first()
    if procedure is None:
        abort(404)
    return procedure


def _manager_only():
    if not current_user.is_manager:
        abort(403)


@bp.route("")
@login_required
def index():
    """The procedures, with how many items each has; archived ones on request."""
    archived = request.args.get("archived") == "1"
    query = Procedure.of(current_user).where(Procedure.archived_at.is_null(not archived))
    page = paginate(query, SORTS, "name", search_fields=(Procedure.name, Procedure.description))
    counts = dict(
        ProcedureItem.select(ProcedureItem.procedure, fn.COUNT(ProcedureItem.id))
        .where(ProcedureItem.procedure.in_([p.id for p in page.rows]))
        .group_by(ProcedureItem.procedure)
        .tuples()
    )
    return render(
        "procedures/index.html",
        "results",
        page=page,
        counts=counts,
        archived=archived,
        can_manage=current_user.is_manager,
    )


@bp.route("/<id:procedure_id>")
@login_required
def show(procedure_id):
    """One procedure's items, in the order they are done."""
    procedure = procedure_or_404(procedure_id)
    return render(
        "procedures/show.html",
        procedure=procedure,
        items=procedure.item_list(),
        can_manage=current_user.is_manager,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Write a procedure: a name and its items in order."""
    _manager_only()
    form = ProcedureForm()
    if request.method == "GET":
        _rebuild(form, [], blank=3)
    return _save(form, None)


@bp.route("/<id:procedure_id>/edit", methods=["GET", "POST"])
@login_required
def edit(procedure_id):
    """Change a procedure; orders that already have its checklist keep their copy."""
    procedure = procedure_or_404(procedure_id)
    _manager_only()
    form = ProcedureForm()
    if request.method == "GET":
        form.name.data, form.description.data = procedure.name, procedure.description
        rows = [dict(item.spec(), item_id=item.id) for item in procedure.item_list()]
        _rebuild(form, rows, blank=1)
    return _save(form, procedure)


@bp.route("/<id:procedure_id>/archive", methods=["POST"], defaults={"restore": False})
@bp.route(
    "/<id:procedure_id>/restore", methods=["POST"], endpoint="restore", defaults={"restore": True}
)
@login_required
def archive(procedure_id, restore):
    """Take a procedure out of the choices for new orders, or bring it back."""
    procedure = procedure_or_404(procedure_id)
    _manager_only()
    return archive_or_restore(
        procedure, restore, done_url=url_for("procedures.show", procedure_id=procedure.id)
    )


def _save(form, procedure):
    """Save, or just re-show the editor with rows added or moved (buttons that work without
    JavaScript and save nothing)."""
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and _rearranged(form):
        status = 200
    elif form.validate_on_submit():
        specs = _specs(form)
        if specs is not None and not _name_taken(form, procedure):
            try:
                procedure = _write(form, procedure, specs)
            except ProcedureError as error:
                form.form_errors.append(str(error))
            except IntegrityError:
                form.name.errors.append("A procedure with this name exists already.")
            else:
                flash("Saved.", "success")
                return redirect(url_for("procedures.show", procedure_id=procedure.id))
    return render(
        "procedures/form.html", "form", status=status, form=form, row=procedure, kinds=KIND_LABELS
    )


def _write(form, procedure, specs):
    name, description = form.name.data, form.description.data or ""
    if procedure is None:
        return Procedure.create_with_items(current_user, name, description, specs)
    procedure.save_with_items(current_user, name, description, specs)
    return procedure


def _name_taken(form, procedure):
    if taken(Procedure, "name", form.name.data, procedure):
        form.name.errors.append("A procedure with this name exists already.")
        return True
    return False


def _rows(form):
    """The editor's rows as plain dicts, in their order on the page."""
    return [{name: entry.form[name].data for name in entry.form._fields} for entry in form.items]


def _rebuild(form, rows, blank=0):
    """Refill the editor with these rows (renumbered, so the posted order is the shown one)."""
    form.items.entries, form.items.last_index = [], -1
    empty = {"item_id": "", "label": "", "kind": "checkbox", "required": False, "remove": False}
    for row in [*rows, *([empty] * blank)][:MAX_ITEMS]:
        form.items.append_entry(SimpleNamespace(**{**empty, "guidance": "", "unit": "", **row}))


def _rearranged(form):
    """Handle "Add rows" and the up/down buttons; True when one was pressed."""
    rows = _rows(form)
    if "more" in request.form:
        _rebuild(form, rows, blank=3)
        return True
    move = request.form.get("move", "")
    index, _, direction = move.partition(":")
    if not (index.isascii() and index.isdigit() and direction in ("up", "down")):
        return False
    i = int(index)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= i < len(rows) and 0 <= j < len(rows):
        rows[i], rows[j] = rows[j], rows[i]
    _rebuild(form, rows)
    return True


def _specs(form):
    """The items to save, or None with the messages at the rows' fields."""
    specs, ok = [], True
    for entry in form.items:
        row = entry.form
        if row.remove.data or not (row.item_id.data or row.label.data):
            continue
        ok = _check_row(row) and ok
        spec = {name: row[name].data for name in SPEC_FIELDS if name in row._fields}
        item_id = row.item_id.data or ""
        spec["id"] = int(item_id) if item_id.isascii() and item_id.isdigit() else None
        specs.append(spec)
    if ok and not specs:
        form.form_errors.append("Add at least one item.")
        return None
    return specs if ok else None


def _check_row(row):
    """The rules of one row, with each message at its field."""
    ok = True
    for field in (row.label, row.unit, row.guidance):
        if isinstance(field.data, str) and _CONTROL.search(field.data):
            field.errors.append("Contains characters that are not allowed.")
            ok = False
    if not row.label.data:
        row.label.errors.append("Enter a label, or tick Remove.")
        ok = False
    low, high = row.lower_limit.data, row.upper_limit.data
    if row.kind.data != "number" and (row.unit.data or low is not None or high is not None):
        row.unit.errors.append("Only number items have a unit and limits.")
        ok = False
    for field in (row.lower_limit, row.upper_limit):
        if field.data is not None and not (-LIMIT < field.data < LIMIT):
            field.errors.append("Keep limits under a billion.")
            ok = False
    if ok and low is not None and high is not None and low > high:
        row.upper_limit.errors.append("Must not be below the lowest OK value.")
        ok = False
    return ok
