"""What the order page shows of the recorded work: time, parts, comments, files, completion
notes, downtime and their totals. A fixed number of queries however many rows there are."""

from flask_login import current_user
from peewee import JOIN

from models import Comment, Downtime, PartUsed, TimeEntry, User, WorkOrderFile, utcnow
from models.clock import utc_to_local
from models.comment import highlight_mentions
from models.visibility import can_work_on
from models.work_order_records import LOCKED_STATUSES, may_change_own, totals

from . import bp
from .record_forms import (
    CommentForm,
    CompletionNotesForm,
    DowntimeForm,
    PartForm,
    TimeEntryForm,
)

SHOWN = 200  # rows per list on the page; the totals always count them all


@bp.app_template_filter("mentions")
def mentions_filter(text, people=()):
    """A comment's text, escaped, with its @mentions marked."""
    return highlight_mentions(text or "", people or ())


def with_mentions(activity):
    """Timeline lines, each given the people its comment mentions (one query for all)."""
    ids = [item.id for item in activity if item.kind == "comment"]
    found = Comment.mentioned_by_activity(ids)
    for item in activity:
        item.mentioned = found.get(item.id, [])
    return activity


def _rows(model, user_field, order, *ordering):
    return list(
        model.select(model, User.id, User.name)
        .join(User, JOIN.LEFT_OUTER, on=(user_field == User.id), attr="person")
        .where(model.work_order == order.id)
        .order_by(*ordering)
        .limit(SHOWN)
    )


def _comments(order):
    comments = _rows(Comment, Comment.user, order, Comment.created_at.desc(), Comment.id.desc())
    found = Comment.mentioned_by_activity([c.activity_id for c in comments if c.activity_id])
    for comment in comments:
        comment.mentioned = found.get(comment.activity_id, [])
    return comments


def records_context(order, notice=None, editing=None, **forms):
    """The `records` the order page's include reads; `forms` carry a refused form back with
    its messages, `editing` is the time entry shown as a form."""
    tz = order.location.timezone
    may_work = can_work_on(current_user, order)
    locked = order.status in LOCKED_STATUSES
    entries = _rows(TimeEntry, TimeEntry.user, order, TimeEntry.started_at.desc(), TimeEntry.id)
    files = _rows(WorkOrderFile, WorkOrderFile.uploaded_by, order, WorkOrderFile.created_at.desc())
    my_timer = TimeEntry.running_for(current_user) if may_work else None
    time_form = forms.get("time_form") or TimeEntryForm(formdata=None)
    if time_form.day.data is None:
        time_form.day.data = utc_to_local(utcnow(), tz).date()
    return {
        "tz": tz,
        "locked": locked,
        "may_record": may_work and not locked,
        "may_comment": may_work,  # client users read the work here; requests come later
        "notice": notice,
        "totals": totals(order),
        "entries": entries,
        "running_here": [e for e in entries if e.running],
        "my_timer": my_timer,
        "timer_statuses": ("open", "in_progress", "on_hold"),
        "editing": editing,
        "parts": _rows(PartUsed, PartUsed.added_by, order, PartUsed.created_at, PartUsed.id),
        "comments": _comments(order),
        "photos": [f for f in files if f.is_image],
        "documents": [f for f in files if not f.is_image],
        "downtime": _rows(Downtime, Downtime.recorded_by, order, Downtime.started_at),
        "time_form": time_form,
        "edit_form": forms.get("edit_form"),
        "part_form": forms.get("part_form") or PartForm(formdata=None),
        "comment_form": forms.get("comment_form") or CommentForm(formdata=None),
        "notes_form": forms.get("notes_form") or _notes_form(order),
        "downtime_form": forms.get("downtime_form") or DowntimeForm(formdata=None),
        "file_errors": forms.get("file_errors") or [],
        "may_change": lambda user_id: (
            may_work and not locked and may_change_own(current_user, user_id)
        ),
    }


def _notes_form(order):
    form = CompletionNotesForm(formdata=None, obj=order)
    form.version.data = str(order.version)
    return form
