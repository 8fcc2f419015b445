"""The asset list's filter bar: what its dropdowns offer, and the small endpoint that refills
the client and project dropdowns as someone types a few letters or picks a place.

An organisation has hundreds of clients and thousands of projects: a dropdown of 2,400
options is slow to read, send and render (~20 ms a page at 2,000 projects) and no use to
anyone. So a dropdown of clients or projects lists at most PICK_LIMIT of them, narrowed by
the place already chosen (a location's clients, a client's projects) and by the letters
typed in its "Find" box (`client_q`, `project_q`), and always the one chosen. Without
JavaScript the Find boxes are plain fields of the filter form: type, press Filter, pick.
"""

from dataclasses import dataclass, field

from flask import redirect, request, url_for
from flask_login import current_user, login_required
from peewee import SQL, Select, Value, fn

from models import ASSET_STATUSES, CRITICALITIES, Asset, Client, Location, Project
from models.visibility import visible

from ..forms import labelled
from ..rendering import is_htmx, render
from . import bp

PICK_LIMIT = 100  # a client or project dropdown longer than this asks for a few letters
WARRANTY_CHOICES = [
    ("30", "ends within 30 days"),
    ("90", "ends within 90 days"),
    ("365", "ends within a year"),
    ("expired", "expired"),
]


@dataclass
class Choices:
    """One dropdown's options; `more` when some were left out (type to find them)."""

    rows: list = field(default_factory=list)
    more: bool = False
    find: str = ""  # the Find box's text

    @property
    def searchable(self):
        return self.more or bool(self.find)


def find_terms():
    """The Find boxes' text from the URL, as the list's search box is read."""
    return {
        kind: request.args.get(f"{kind}_q", "").strip()[:60].replace("\x00", "")
        for kind in ("client", "project")
    }


def sees_an_organisation():
    """Admins and managers see a whole organisation, or whole locations of it: tens of
    thousands of assets, where technicians and client users see a few projects' worth."""
    return current_user.role in ("admin", "manager")


def _columns(kind, row_id, label, extra=None, chosen=0):
    """A UNION part's columns, named alike: (kind, id, label, extra, chosen)."""
    extra = Value("") if extra is None else extra
    return (
        Value(kind).alias("kind"),
        row_id.alias("id"),
        label.alias("label"),
        extra.alias("extra"),
        Value(chosen).alias("chosen"),
    )


def _clients(filters, find):
    query = visible(Client, current_user, *_columns("client", Client.id, Client.name))
    if filters["location"]:
        query = query.where(Client.location == filters["location"])
    if find:
        query = query.where(Client.name.contains(find))
    return query.order_by(Client.name)


def _projects(filters, find):
    query = visible(
        Project, current_user, *_columns("project", Project.id, Project.code, Project.name)
    )
    if filters["client"]:
        query = query.where(Project.client == filters["client"])
    elif filters["location"]:
        query = query.where(Project.location == filters["location"])
    if find:
        query = query.where(Project.code.contains(find) | Project.name.contains(find))
    return query.order_by(Project.code)


def _chosen(kind, filters, in_place):
    """The chosen client (project) itself, if visible, whatever the Find box says; and, with
    `in_place`, only if it is in the chosen place (a new place drops a choice outside it)."""
    if kind == "client":
        columns = _columns("client", Client.id, Client.name, chosen=1)
        query = visible(Client, current_user, *columns).where(Client.id == filters["client"])
        if in_place and filters["location"]:
            query = query.where(Client.location == filters["location"])
        return query
    columns = _columns("project", Project.id, Project.code, Project.name, chosen=1)
    query = visible(Project, current_user, *columns).where(Project.id == filters["project"])
    if in_place and filters["client"]:
        query = query.where(Project.client == filters["client"])
    elif in_place and filters["location"]:
        query = query.where(Project.location == filters["location"])
    return query


def read_choices(kinds, filters, finds, in_place=False):
    """{kind: Choices} for "location", "client" and "project" among `kinds`, in one query
    (a UNION ALL of small parts, each at most PICK_LIMIT + 1 rows) read as plain tuples.
    The chosen client and project are offered even outside the place unless `in_place`."""
    parts = []
    if "location" in kinds:
        columns = _columns("location", Location.id, Location.name)
        parts.append(visible(Location, current_user, *columns).order_by(Location.name))
    for kind, build in (("client", _clients), ("project", _projects)):
        if kind in kinds:
            parts.append(build(filters, finds[kind]).limit(PICK_LIMIT + 1))
            if filters[kind]:
                parts.append(_chosen(kind, filters, in_place))
    union = None
    for number, part in enumerate(parts):
        some = part.alias(f"part{number}")
        part = Location.select(SQL("*")).from_(some)
        union = part if union is None else union + part  # UNION ALL
    found = {kind: Choices(find=finds.get(kind, "")) for kind in kinds}
    chosen = {}
    rows = union.order_by(SQL("1"), SQL("3")).tuples() if union is not None else ()
    for kind, row_id, label, extra, is_chosen in rows:
        pair = (row_id, f"{label} {extra}" if extra else label)
        if is_chosen:
            chosen[kind] = pair
        else:
            found[kind].rows.append(pair)
    for kind, choices in found.items():
        if kind != "location":
            choices.more = len(choices.rows) > PICK_LIMIT
            choices.rows = choices.rows[:PICK_LIMIT]
        if kind in chosen and chosen[kind] not in choices.rows:
            choices.rows.insert(0, chosen[kind])  # chosen, but outside the place or the Find
    return found


def categories():
    """The categories of the visible live assets, in order.

    Admins and managers see a whole organisation (or whole locations): their categories are
    read by walking the (organisation, category) index one category at a time, a recursive
    query of ~20 index probes, where DISTINCT reads every asset (PostgreSQL: 70-90 ms at
    200,000 assets). Technicians and client users see a few projects: DISTINCT over their
    own rows is quicker than probing for rows of theirs under each category."""
    if not sees_an_organisation():
        rows = (
            visible(Asset, current_user, Asset.category)
            .where(Asset.category != "")
            .distinct()
            .order_by(Asset.category)
            .tuples()
        )
        return [category for (category,) in rows]
    first = visible(Asset, current_user, fn.MIN(Asset.category)).where(Asset.category > "")
    walk = first.cte("categories", recursive=True, columns=("category",))
    following = visible(Asset, current_user, fn.MIN(Asset.category))
    following = following.where(Asset.category > walk.c.category)
    walk = walk.union_all(Select([walk], [following]).where(walk.c.category.is_null(False)))
    rows = walk.select_from(walk.c.category).where(walk.c.category.is_null(False))
    return [category for (category,) in rows.order_by(walk.c.category).tuples()]


def filter_options(filters):
    """Everything the filter bar offers, in two queries: locations, clients and projects
    (read_choices), and categories."""
    found = read_choices(("location", "client", "project"), filters, find_terms())
    return {
        "locations": found["location"].rows,
        "client": found["client"],
        "project": found["project"],
        "categories": [(c, c) for c in categories()],
        "statuses": labelled(ASSET_STATUSES),
        "criticalities": labelled(CRITICALITIES),
        "warranty": WARRANTY_CHOICES,
    }


# What each trigger refills: letters typed in a Find box, its dropdown alone (the box keeps
# its focus); a client picked, the project picker; a location picked, both pickers (Find
# boxes included: whether one is needed depends on the place).
REFRESHES = {
    "client": (("client",), False),
    "project": (("project",), False),
    "for-client": (("project",), True),
    "for-location": (("client", "project"), True),
}


@bp.route("/choices/<any(client, project, 'for-client', 'for-location'):kind>")
@login_required
def choices(kind):
    """The client and/or project dropdowns again, for the filter form's current values,
    as out-of-band swaps. Visibility as for the list."""
    from .register import list_filters

    if not is_htmx():  # only the filter bar asks: a person gets the list itself
        return redirect(url_for("assets.index", **request.args))
    kinds, whole = REFRESHES[kind]
    filters, finds = list_filters(), find_terms()
    if kind == "for-location":  # its clients; its projects, whichever client was chosen
        found = read_choices(("client",), filters, finds, in_place=True)
        found |= read_choices(("project",), {**filters, "client": None}, finds, in_place=True)
    else:
        found = read_choices(kinds, filters, finds, in_place=whole)
    return render(
        "assets/choices.html",
        selects=[(k, found[k]) for k in kinds],
        whole=whole,
        current=filters,
    )
