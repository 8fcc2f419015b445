"""Recording the work on an order, part one: how each form answers, and time entries.

Each section of the order page (time, parts, comments, files, notes, downtime) is a named
block of templates/work_orders/_records.html. A form posted by HTMX gets its own section
back, with the totals out of band and a trigger that refreshes the timeline; without
JavaScript a post redirects back to the order (or shows the page with the messages).
"""

from flask import abort, flash, make_response, redirect, request, url_for
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from models import TimeEntry
from models.time_entry import parse_duration
from models.work_order_records import LockedError, RecordError, may_change_own

from ..rendering import is_htmx, render
from . import bp
from .orders import show_context, workable_or_404
from .record_context import records_context
from .record_forms import TimeEntryForm, attach_error

TEMPLATE = "work_orders/_records.html"
# Sections whose blocks live in the second half of the include.
MORE = {"completion", "downtime", "comments"}


def _template(block):
    return "work_orders/_records_more.html" if block in MORE else TEMPLATE


def respond(order, block, status=200, notice=None, error=None, **extra):
    """The section `block` for HTMX; otherwise a redirect after a change, or the whole page
    (with the refused form's messages, or a form asked for)."""
    records = records_context(order, notice=notice, **extra)
    records["errors"] = {block: error} if error else {}
    if is_htmx():
        context = {"order": order, "tz": records["tz"], "records": records}
        body = render_block(_template(block), block, **context)
        body += render_block(TEMPLATE, "totals", oob=True, **context)
        response = make_response(body, status)
        response.vary.add("HX-Request")
        if status < 400 and request.method == "POST":
            response.headers["HX-Trigger"] = "timeline-changed"
        return response
    if request.method == "POST" and status < 400:
        if notice:
            flash(notice, "success")
        return redirect(url_for("work_orders.show", order_id=order.id) + "#" + block)
    context = show_context(order)
    context["records"] = records
    return render("work_orders/show.html", status=status, **context)


def refused(order, block, error, **forms):
    """A refusal without a field to put it on: 409 when the order is locked, else 422."""
    status = 409 if isinstance(error, LockedError) else 422
    return respond(order, block, status=status, error=str(error), **forms)


def entry_or_404(order, entry_id):
    """A time entry of this order that the person may change (404 elsewhere, 403 when it is
    someone else's and they are not a manager)."""
    entry = TimeEntry.get_or_none(TimeEntry.id == entry_id, TimeEntry.work_order == order.id)
    if entry is None:
        abort(404)
    if not may_change_own(current_user, entry.user_id):
        abort(403)
    return entry


def _tz(order):
    return order.location.timezone


@bp.route("/work-orders/<id:order_id>/timer/start", methods=["POST"])
@login_required
def start_timer(order_id):
    """Start my timer here; one that runs on another order stops first, and we say so."""
    order = workable_or_404(order_id)
    try:
        _entry, stopped = TimeEntry.start(current_user, order)
    except RecordError as error:
        return refused(order, "time_entries", error)
    notice = "Timer started."
    if stopped is not None:
        notice += f" Your timer on {stopped.reference} was stopped and its time logged."
    return respond(order, "time_entries", notice=notice)


@bp.route("/work-orders/<id:order_id>/timer/stop", methods=["POST"])
@login_required
def stop_timer(order_id):
    """Stop my timer (or, for a manager, someone's forgotten one) and log its time."""
    order = workable_or_404(order_id)
    raw = request.form.get("user_id", "")
    owner_id = int(raw) if raw.isascii() and raw.isdigit() else current_user.id
    if owner_id != current_user.id and not current_user.is_manager:
        abort(403)
    try:
        entry = TimeEntry.stop(current_user, order, owner_id)
    except RecordError as error:
        return refused(order, "time_entries", error)
    if entry is None:
        notice = "Timer stopped within a minute: nothing was logged."
    elif getattr(entry, "capped", False):
        notice = "The timer ran over 24 hours and was logged as 24:00: correct it below."
    else:
        notice = f"Timer stopped: {entry.duration} logged."
    return respond(order, "time_entries", notice=notice)


def _save_time(form, action):
    """Parse the duration and call `action(minutes)`; refusals go on the fields."""
    if not form.validate_on_submit():
        return False
    try:
        action(parse_duration(form.duration.data), form.day.data)
    except RecordError as error:
        if isinstance(error, LockedError):
            raise
        attach_error(form, error)
        return False
    return True


@bp.route("/work-orders/<id:order_id>/time", methods=["POST"])
@login_required
def add_time(order_id):
    """Log time by hand: a day, how long, a note."""
    order = workable_or_404(order_id)
    form = TimeEntryForm()

    def action(minutes, day):
        TimeEntry.add_manual(current_user, order, day, minutes, form.note.data, _tz(order))

    try:
        saved = _save_time(form, action)
    except LockedError as error:
        return refused(order, "time_entries", error)
    if saved:
        return respond(order, "time_entries", notice="Time logged.")
    return respond(order, "time_entries", status=422, time_form=form)


@bp.route("/work-orders/<id:order_id>/time/<id:entry_id>/edit")
@login_required
def edit_time(order_id, entry_id):
    """An entry as a form, in place of its row."""
    order = workable_or_404(order_id)
    entry = entry_or_404(order, entry_id)
    if entry.running:
        return refused(order, "time_entries", RecordError("Stop the timer before changing it."))
    form = TimeEntryForm(
        formdata=None,
        prefix="edit",
        day=entry.local_day(_tz(order)),
        duration=entry.duration,
        note=entry.note,
    )
    return respond(order, "time_entries", editing=entry.id, edit_form=form)


@bp.route("/work-orders/<id:order_id>/time/<id:entry_id>", methods=["POST"])
@login_required
def update_time(order_id, entry_id):
    """Correct an entry: one's own, or anyone's for a manager."""
    order = workable_or_404(order_id)
    entry = entry_or_404(order, entry_id)
    form = TimeEntryForm(prefix="edit")

    def action(minutes, day):
        entry.change(current_user, order, day, minutes, form.note.data, _tz(order))

    try:
        saved = _save_time(form, action)
    except LockedError as error:
        return refused(order, "time_entries", error)
    if saved:
        return respond(order, "time_entries", notice="Time entry saved.")
    return respond(order, "time_entries", status=422, editing=entry.id, edit_form=form)


@bp.route("/work-orders/<id:order_id>/time/<id:entry_id>/delete", methods=["POST"])
@login_required
def delete_time(order_id, entry_id):
    """Remove an entry (or discard a running timer)."""
    order = workable_or_404(order_id)
    entry = entry_or_404(order, entry_id)
    try:
        entry.remove(current_user, order)
    except RecordError as error:
        return refused(order, "time_entries", error)
    return respond(order, "time_entries", notice="Time entry removed.")
