"""The dispatcher's view: every order they can see, filtered in the URL, changed in bulk,
and laid out as a board by status or by technician."""

import datetime
import re

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from peewee import JOIN, SQL, Value, fn

from models import Asset, Assignment, Client, Location, Project, User, WorkOrder, dispatch
from models.clock import local_day_bounds
from models.visibility import visible
from models.work_order import (
    PRIORITIES,
    STATUS_LABELS,
    STATUSES,
    TYPES,
    TransitionError,
    among_first_title_matches,
    due_before,
    is_open,
    priority_rank,
    title_is_frequent,
    title_matching,
)

from ..access import manager_required
from ..forms import labelled
from ..listing import choice_arg, count_rows, id_arg, paginate, search_terms
from ..rendering import is_htmx, render
from . import bp
from .rows import ROW_FIELDS, with_names

PRIORITY_RANK = priority_rank()
SORTS = {
    "number": WorkOrder.number,
    "title": WorkOrder.title,
    "priority": PRIORITY_RANK,
    "status": WorkOrder.status,
    "due": WorkOrder.due_at,
    "project": Project.code,
    "asset": Asset.tag,
    "created": WorkOrder.created_at,
}
STATUS_CHOICES = (
    [("active", "Active (open, in progress, on hold)")]
    + labelled(STATUSES, STATUS_LABELS)
    + [("all", "Any status")]
)
MAX_SELECTION = 500
MAX_OPTIONS = 500  # a filter dropdown longer than this asks to narrow it first
COUNT_LIMIT = 10_000  # lists count (and page through) at most this many orders
SEARCH_COUNT_LIMIT = 1_000  # searches, and "unassigned": past that, narrower filters help more
# A technician's or client user's orders (their projects', their client's), when no more
# than this many match, are sorted apart rather than walked along the organisation's sort
# index: migration 0018's scope indexes read them alone (listing.sorted_apart).
SORT_LIMIT = 20_000
FIRST_MATCHES = 5_000  # see _frequent_title_count
_NUMBER = re.compile(r"^(?:WO-?)?0*(\d{1,9})$", re.IGNORECASE)


def _date_arg(name):
    try:
        return datetime.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters():
    """The list's filters from the URL; unknown values are ignored, never an error."""
    assignee = request.args.get("assignee", "")
    return {
        "status": choice_arg("status", {v for v, _ in STATUS_CHOICES}) or "active",
        "priority": choice_arg("priority", PRIORITIES),
        "type": choice_arg("type", TYPES),
        "assignee": assignee if assignee in ("none", "me") else id_arg("assignee"),
        "location": id_arg("location"),
        "client": id_arg("client"),
        "project": id_arg("project"),
        "asset": id_arg("asset"),
        "due_from": _date_arg("due_from"),
        "due_to": _date_arg("due_to"),
        "overdue": request.args.get("overdue") == "1",
    }


def filtered_orders(filters):
    """Visible orders narrowed by the filters (no joins, no order)."""
    query = visible(WorkOrder, current_user)
    status = filters["status"]
    if status == "active":
        query = query.where(is_open())
    elif status != "all":
        query = query.where(WorkOrder.status == status)
    for name in ("priority", "type", "location", "client", "project", "asset"):
        if filters[name]:
            query = query.where(getattr(WorkOrder, name) == filters[name])
    assignee = filters["assignee"]
    if assignee == "none":
        # OFFSET 0 keeps this a probe of the assignment index for each order the list walks:
        # without it PostgreSQL turned it into an anti-join that hashed all 900,000
        # assignments to find a page of unassigned work (400 ms).
        anyone = Assignment.select(SQL("1")).where(Assignment.work_order == WorkOrder.id)
        query = query.where(~fn.EXISTS(anyone.offset(0)))
    elif assignee:
        user_id = current_user.id if assignee == "me" else assignee
        query = query.where(_assigned_to(user_id, open_only=status == "active"))
    tz = current_user.timezone
    if filters["due_from"]:
        query = query.where(WorkOrder.due_at >= local_day_bounds(filters["due_from"], tz)[0])
    if filters["due_to"]:
        query = query.where(WorkOrder.due_at < local_day_bounds(filters["due_to"], tz)[1])
    if filters["overdue"]:
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        query = query.where(due_before(now))
        if status != "active":
            query = query.where(is_open())
    return query


def _assigned_to(user_id, open_only):
    """Open work is a few percent of all orders: checking each open row for the assignment
    (EXISTS) is cheap. Over every status, start from the person's assignments (IN)."""
    if open_only:
        return fn.EXISTS(
            Assignment.select(SQL("1")).where(
                Assignment.work_order == WorkOrder.id, Assignment.user == user_id
            )
        )
    return WorkOrder.id.in_(
        Assignment.select(Assignment.work_order).where(Assignment.user == user_id)
    )


def _count_limit(filters):
    """Searches and "unassigned" are checked order by order (a title, an assignment),
    so they count to 1,000: counting 10,000 unassigned orders meant probing 24,000."""
    if search_terms() or filters["assignee"] == "none":
        return SEARCH_COUNT_LIMIT
    return COUNT_LIMIT


def _frequent_title_count(q):
    """For a term in a tenth of all titles ("belt"), on SQLite, for an admin or manager: the
    count first looks among the term's first FIRST_MATCHES matches in the title search
    index (a lookup by id each), where a list this wide finds its 1,001 quickly. Counting
    along an index instead walked the title index from "Alarm" to "Belt" (200,000 entries,
    50-200 ms). When the sample has too few (a narrow filter), the usual count follows."""

    def count(query, limit):
        found = count_rows(query.where(among_first_title_matches(q, FIRST_MATCHES)), limit)
        return found if limit is not None and found > limit else count_rows(query, limit)

    return count


def _search(q, frequent=None):
    match = _NUMBER.match(q)
    if match:
        return WorkOrder.number == int(match.group(1))
    return title_matching(q, frequent)


def sort_join(query, model):
    """The one join a sort by project code or asset tag needs."""
    if model is Project:
        return query.join(Project, on=(WorkOrder.project == Project.id))
    return query.join(Asset, JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id))


def filter_options(filters):
    """The dropdowns of the full page, read in one query (a UNION of the visible locations,
    clients, projects and assignable people) as plain tuples; an HTMX request, which renders
    only the results, skips them. Projects are listed for the chosen client or location (or
    the chosen project), or all of them when there are at most MAX_OPTIONS: a dropdown of
    2,000 projects is slow to send and no use to anyone."""
    blank = Value("")
    projects = visible(Project, current_user, Project.id, Project.code, Project.name)
    for name in ("client", "location"):
        if filters[name]:
            projects = projects.where(getattr(Project, name) == filters[name])
            break
    else:
        if filters["project"]:
            projects = projects.where(Project.id == filters["project"])
    some = projects.order_by(Project.code).limit(MAX_OPTIONS + 1).alias("some")
    parts = [
        visible(Location, current_user, Value("location"), Location.id, Location.name, blank),
        visible(Client, current_user, Value("client"), Client.id, Client.name, blank),
        Project.select(Value("project"), some.c.id, some.c.code, some.c.name).from_(some),
    ]
    if current_user.role != "client":
        parts.append(_people().select(Value("person"), User.id, User.name, blank))
    options = {"location": [], "client": [], "project": [], "person": []}
    union = parts[0]
    for part in parts[1:]:
        union = union + part  # UNION ALL
    for kind, row_id, label, extra in union.order_by(SQL("1"), SQL("3")).tuples():
        options[kind].append((row_id, f"{label} {extra}" if extra else label))
    return {
        "statuses": STATUS_CHOICES,
        "priorities": labelled(PRIORITIES),
        "types": labelled(TYPES),
        "assignees": [("me", "Me"), ("none", "Unassigned")] + options["person"],
        "locations": options["location"],
        "clients": options["client"],
        "projects": options["project"][:MAX_OPTIONS],
        "more_projects": len(options["project"]) > MAX_OPTIONS,
    }


def _people():
    return User.select(User.id, User.name).where(
        User.organisation == current_user.organisation_id,
        User.role == "technician",
        User.active,
    )


def visible_people():
    """Technicians a dispatcher can assign: the organisation's active technicians."""
    if current_user.role == "client":
        return []
    return list(_people().order_by(User.name))


@bp.route("/work-orders")
@login_required
def index():
    """Every order the user can see, active ones by due date unless the URL says otherwise."""
    filters = _filters()
    q = search_terms()
    frequent = bool(q) and not _NUMBER.match(q) and title_is_frequent(q)
    narrow = current_user.role in ("technician", "client")  # their projects, their client
    page = paginate(
        filtered_orders(filters),
        SORTS,
        "due",
        search=lambda text: _search(text, frequent),
        filters=filters,
        display=ROW_FIELDS,
        sort_joins=sort_join,
        nulls_last=("due", "asset"),
        count_limit=_count_limit(filters),
        null_flags=True,
        sort_limit=SORT_LIMIT if narrow else None,
        count=_frequent_title_count(q) if frequent and not narrow else None,
    )
    return render(
        "work_orders/index.html",
        "results",
        page=page,
        assignees=with_names(page.rows, assignees=True),
        options=None if is_htmx() else filter_options(filters),
        status_labels=STATUS_LABELS,
        can_dispatch=current_user.is_manager,
        can_create=current_user.role != "client",
        now=datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
    )


def selected_orders(source):
    """The selected orders, all visible to the user, or 404: a foreign id changes nothing."""
    raw = source.getlist("ids")
    if len(raw) > MAX_SELECTION or not all(
        v.isascii() and v.isdigit() and len(v) < 10 for v in raw
    ):
        abort(404)
    ids = sorted({int(v) for v in raw})
    orders = (
        list(
            visible(WorkOrder, current_user).where(WorkOrder.id.in_(ids)).order_by(WorkOrder.number)
        )
        if ids
        else []
    )
    if len(orders) != len(ids):
        abort(404)
    return orders


BULK_ACTIONS = {"assign": "Assign", "reschedule": "Reschedule", "priority": "Change priority"}


@bp.route("/work-orders/bulk", methods=["POST"])
@manager_required
def bulk():
    """Confirm a change to many orders (with a count), then make it in one transaction."""
    action = request.form.get("action", "")
    orders = selected_orders(request.form)
    if not orders or action not in BULK_ACTIONS:
        flash("Select some work orders and an action first.", "error")
        return redirect(url_for("work_orders.index"))
    error = None
    if request.form.get("confirm") == "yes":
        try:
            done = _apply(action, orders)
        except TransitionError as problem:
            error = str(problem)
        else:
            flash(done, "success")
            return redirect(url_for("work_orders.index"))
    return render(
        "work_orders/bulk.html",
        status=422 if error else 200,
        action=action,
        action_label=BULK_ACTIONS[action],
        orders=orders,
        error=error,
        people=visible_people(),
        priorities=labelled(PRIORITIES),
    )


def _apply(action, orders):
    if action == "assign":
        raw = request.form.get("user_id", "")
        user = None
        if raw.isascii() and raw.isdigit() and len(raw) < 10:
            user = next((u for u in visible_people() if u.id == int(raw)), None)
        if user is None:
            raise TransitionError("Choose who to assign.")
        count = dispatch.assign(current_user, orders, user)
        return f"{user.name} assigned to {count} work orders."
    if action == "reschedule":
        raw = request.form.get("days", "").strip()
        if (
            not re.fullmatch(r"[+-]?\d{1,3}", raw)
            or not (-365 <= int(raw) <= 365)
            or raw in ("0", "+0", "-0")
        ):
            raise TransitionError("Enter a number of days between -365 and 365, not 0.")
        count = dispatch.reschedule(current_user, orders, int(raw))
        return f"Due dates moved on {count} open work orders with a due date."
    count = dispatch.set_priority(current_user, orders, request.form.get("priority", ""))
    return f"Priority changed on {count} open work orders."
