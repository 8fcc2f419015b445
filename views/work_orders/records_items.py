"""Recording the work on an order, part two: parts used, comments, completion notes and
downtime. Responses follow records.respond: the section for HTMX, a redirect otherwise."""

from flask import abort
from flask_login import current_user, login_required

from models import Comment, Downtime, PartUsed, WorkOrder
from models.work_order import StaleError
from models.work_order_records import (
    LockedError,
    RecordError,
    check_open_for_records,
    may_change_own,
)

from . import bp
from .orders import workable_or_404
from .record_forms import (
    CommentForm,
    CompletionNotesForm,
    DowntimeForm,
    PartForm,
    attach_error,
)
from .records import refused, respond


def _row_or_404(model, order, row_id, owner_field):
    """A row of this order the person may remove: their own, or any for a manager."""
    row = model.get_or_none(model.id == row_id, model.work_order == order.id)
    if row is None:
        abort(404)
    if not may_change_own(current_user, getattr(row, owner_field + "_id")):
        abort(403)
    return row


def _attempt(form, order, block, action):
    """Validate the form and run `action`; a refusal goes on its field (422), a locked
    order answers 409. Returns a response for a refusal, None when saved."""
    if form.validate_on_submit():
        try:
            action()
        except LockedError as error:
            return refused(order, block, error)
        except RecordError as error:
            attach_error(form, error)
        else:
            return None
    return respond(order, block, status=422, **{_FORM_NAMES[block]: form})


_FORM_NAMES = {
    "parts": "part_form",
    "comments": "comment_form",
    "completion": "notes_form",
    "downtime": "downtime_form",
}


@bp.route("/work-orders/<id:order_id>/parts", methods=["POST"])
@login_required
def add_part(order_id):
    """Add a line of parts used: description, quantity, unit cost."""
    order = workable_or_404(order_id)
    form = PartForm()

    def action():
        PartUsed.add(
            current_user, order, form.description.data, form.quantity.data, form.unit_cost.data
        )

    return _attempt(form, order, "parts", action) or respond(order, "parts", notice="Part added.")


@bp.route("/work-orders/<id:order_id>/parts/<id:part_id>/delete", methods=["POST"])
@login_required
def delete_part(order_id, part_id):
    """Remove a line: one's own, or any for a manager."""
    order = workable_or_404(order_id)
    part = _row_or_404(PartUsed, order, part_id, "added_by")
    try:
        part.remove(current_user, order)
    except RecordError as error:
        return refused(order, "parts", error)
    return respond(order, "parts", notice=f"Removed {part.description}.")


@bp.route("/work-orders/<id:order_id>/comments", methods=["POST"])
@login_required
def add_comment(order_id):
    """Comment on the order, mentioning people with @. Client users read orders but do not
    write on them (their channel is requests, which come later)."""
    order = workable_or_404(order_id)
    form = CommentForm()
    mentioned = []

    def action():
        _comment, people = Comment.post(current_user, order, form.body.data)
        mentioned.extend(people)

    refusal = _attempt(form, order, "comments", action)
    if refusal:
        return refusal
    notice = "Comment posted."
    if mentioned:
        notice += " Mentioned " + ", ".join(p.name for p in mentioned) + "."
    return respond(order, "comments", notice=notice)


@bp.route("/work-orders/<id:order_id>/completion-notes", methods=["POST"])
@login_required
def completion_notes(order_id):
    """Save the completion notes; a change saved meanwhile by someone else is not lost."""
    order = workable_or_404(order_id)
    form = CompletionNotesForm()
    stale = []

    def action():
        check_open_for_records(order)
        seen = form.version.data or ""
        if not seen.isdigit():
            raise RecordError("The page was out of date: reload it and try again.")
        try:
            order.save_changes(current_user, int(seen), completion_notes=form.completion_notes.data)
        except StaleError as error:
            stale.append(error)
            current = WorkOrder.get_by_id(order.id)
            form.version.data = str(current.version)
            who = f" by {error.changed_by}" if error.changed_by else ""
            saved = current.completion_notes[:300] or "(empty)"
            raise RecordError(
                f"The order was changed{who} meanwhile; the notes saved now read: {saved} "
                "— your text is still here: merge it and save again.",
                "completion_notes",
            ) from None

    refusal = _attempt(form, order, "completion", action)
    if refusal:
        if stale:
            refusal.status_code = 409
        return refusal
    return respond(order, "completion", notice="Completion notes saved.")


@bp.route("/work-orders/<id:order_id>/downtime", methods=["POST"])
@login_required
def add_downtime(order_id):
    """Record when the asset was out of service, in the site's local time."""
    order = workable_or_404(order_id)
    form = DowntimeForm()

    def action():
        Downtime.record(
            current_user,
            order,
            form.started_at.data,
            form.ended_at.data,
            form.note.data,
            order.location.timezone,
        )

    refusal = _attempt(form, order, "downtime", action)
    return refusal or respond(order, "downtime", notice="Downtime recorded.")


@bp.route("/work-orders/<id:order_id>/downtime/<id:period_id>/delete", methods=["POST"])
@login_required
def delete_downtime(order_id, period_id):
    order = workable_or_404(order_id)
    period = _row_or_404(Downtime, order, period_id, "recorded_by")
    try:
        period.remove(current_user, order)
    except RecordError as error:
        return refused(order, "downtime", error)
    return respond(order, "downtime", notice="Downtime period removed.")
