"""The register itself: the filtered list, one asset's page, and the create/edit forms."""

import datetime

from flask import request, url_for
from flask_login import current_user, login_required
from peewee import JOIN, Case

from models import (
    ASSET_STATUSES,
    CRITICALITIES,
    Asset,
    AuditEvent,
    Client,
    Project,
    User,
    WorkOrder,
)
from models.visibility import (
    can_manage,
    managed_location_ids,
    member_project_ids,
    scope,
    visible,
)
from models.work_order import OPEN_STATUSES

from ..access import manageable_or_404, manager_required, visible_or_404
from ..forms import AssetForm, as_choices
from ..listing import choice_arg, id_arg, paginate, search_terms
from ..rendering import is_htmx, render
from ..saving import archive_or_restore, save_form
from . import bp
from .choices import WARRANTY_CHOICES, filter_options, sees_an_organisation

COUNT_LIMIT = 10_000  # the list counts (and pages through) at most this many assets
SEARCH_COUNT_LIMIT = 1_000  # and this many found by a search: past that, more letters help
# A term of one or two letters is a search being typed, which no search index serves (they
# need three): its first hundred matches answer at once, and a third letter narrows.
SHORT_SEARCH_COUNT_LIMIT = 100


def _sorts_every_match(q):
    """Whether a search's page is picked by sorting all its matches: when the search index
    lists them (three letters or more), or when the viewer is a technician or a client user,
    whose assets are read by project or client, a few thousand at most. One or two letters
    over a manager's locations or a whole organisation walk the sort order instead: tens
    of thousands of assets match them."""
    return bool(q) and (len(q) >= 3 or current_user.role in ("technician", "client"))


def _count_limit(q):
    if not q:
        return COUNT_LIMIT
    return SEARCH_COUNT_LIMIT if len(q) >= 3 else SHORT_SEARCH_COUNT_LIMIT


SORTS = {
    "tag": Asset.tag,
    "name": Asset.name,
    "category": Asset.category,
    "status": Asset.status,
    "criticality": Asset.criticality,
    "warranty_end": Asset.warranty_end,
    "project": Project.code,
    "client": Client.name,
}


def _project_choices():
    projects = visible(Project, current_user, Project.id, Project.code, Project.name).order_by(
        Project.code
    )
    return [(p.id, f"{p.code} {p.name}") for p in projects]


def _asset_form(asset=None):
    form = AssetForm(obj=asset)
    form.project_id.choices = as_choices(_project_choices())
    if asset is not None and request.method == "GET" and asset.parent_id:
        form.parent_tag.data = asset.parent.tag
    return form


def _form_data(form, asset=None):
    """The model fields from a valid form, or None with the error placed at its field."""
    project = visible_or_404(Project, form.project_id.data)
    data = {
        name: form[name].data
        for name in (
            "tag",
            "name",
            "category",
            "make",
            "model_name",
            "serial",
            "install_date",
            "warranty_end",
            "status",
            "criticality",
            "description",
        )
    }
    data["project"] = project
    data["parent"] = None
    if form.parent_tag.data:
        parent = visible(Asset, current_user).where(Asset.tag == form.parent_tag.data).first()
        if parent is None:
            form.parent_tag.errors.append("No asset with this tag that you can see.")
            return None
        if parent.project_id != project.id:
            form.parent_tag.errors.append("The parent must be in the same project.")
            return None
        if asset is not None and (parent.id == asset.id or asset.would_cycle(parent.id)):
            form.parent_tag.errors.append("An asset cannot be part of itself or its components.")
            return None
        data["parent"] = parent
    return data


def list_filters():
    """The list's filters from the URL; unknown values are ignored, never an error."""
    category = request.args.get("category", "").strip()[:80]
    return {
        "location": id_arg("location"),
        "client": id_arg("client"),
        "project": id_arg("project"),
        "category": category,
        "status": choice_arg("status", ASSET_STATUSES),
        "criticality": choice_arg("criticality", CRITICALITIES),
        "warranty": choice_arg("warranty", {v for v, _ in WARRANTY_CHOICES}),
    }


def _visible_assets(filters):
    """Visible live assets. A limited manager's scope is `location_id IN (their locations)`:
    with one of those chosen in the filter it adds nothing, but PostgreSQL multiplies both
    conditions and expects a few rows where there are thousands (a deep page by name picked
    by a sort instead of a walk: 35 -> 8 ms), so then the organisation is the scope and the
    filter (applied by the caller) does the rest."""
    if current_user.role == "manager" and filters["location"] in managed_location_ids(current_user):
        return Asset.select().where(
            Asset.organisation == current_user.organisation_id, Asset.archived_at.is_null()
        )
    return visible(Asset, current_user)


def filtered_assets():
    """Visible live assets narrowed by the URL's filters and search (no joins, no order):
    shared by the list and its CSV export."""
    filters = list_filters()
    query = _visible_assets(filters)
    for name in ("location", "client", "project", "category", "status", "criticality"):
        if filters[name]:
            query = query.where(getattr(Asset, name) == filters[name])
    if filters["warranty"]:
        today = datetime.date.today()
        if filters["warranty"] == "expired":
            query = query.where(Asset.warranty_end < today)
        else:
            horizon = today + datetime.timedelta(days=int(filters["warranty"]))
            query = query.where(Asset.warranty_end.between(today, horizon))
    q = search_terms()
    if q and current_user.role == "technician":
        # Their projects spelt out: PostgreSQL then intersects the search index with the
        # project index ("chiller": 16 -> 4 ms); SQLite tests their few thousand assets.
        projects = member_project_ids(current_user)
        query = query.where(Asset.matching(q, few=True), Asset.project.in_(projects))
    elif q:
        query = query.where(Asset.matching(q))
    return query, filters


def _join_condition(model):
    """Asset to its project or client.

    For admins and managers the join also applies their scope to the project (client): the
    organisation, and a limited manager's locations. It is always true (an asset's project
    and client are in its organisation and location) but lets SQLite sort by project or
    client by walking the organisation's projects or clients in order, instead of sorting
    every asset of the organisation, and spares a limited manager's walk the projects of
    other locations (PostgreSQL: 231 projects probed for 10,000 rows, 141 of them for
    nothing). For a few projects' worth of assets it would make PostgreSQL walk every
    project of the organisation (client user, by project: 30 -> 137 ms), so they get the
    plain join."""
    condition = (Asset.project if model is Project else Asset.client) == model.id
    if sees_an_organisation():
        condition &= scope(model, current_user)
    return condition


def with_names(query):
    """The joins for the project code and client name shown in each row."""
    query = query.join(Project, on=_join_condition(Project))
    return query.join_from(Asset, Client, on=_join_condition(Client))


def with_sort_name(query, model):
    """The one join a sort by project or client needs to pick a page's ids: the other join
    would be a lookup for each of the rows an OFFSET walks (and on SQLite would take the
    asset side off its covering index of migration 0006)."""
    return query.join(model, on=_join_condition(model))


@bp.route("")
@login_required
def index():
    """The asset register, searched, filtered, sorted and paged in the database."""
    query, filters = filtered_assets()
    page = paginate(
        query,
        SORTS,
        "tag",
        filters=filters,
        joins=with_names,
        display=(Asset, Project, Client),
        sort_joins=with_sort_name,
        count_limit=_count_limit(search_terms()),
        sort_matches=True,
        sort_every_match=_sorts_every_match(search_terms()),
    )
    # An HTMX request only needs the results block: skip the filter bar's queries.
    options = {} if is_htmx() else filter_options(filters)
    return render(
        "assets/index.html",
        "results",
        page=page,
        options=options,
        can_edit=can_manage(current_user),
    )


def component_tree(asset):
    """The asset's components at any depth as nested (asset, children) pairs."""
    ids = asset.descendant_ids()
    if not ids:
        return []
    rows = list(visible(Asset, current_user).where(Asset.id.in_(ids)).order_by(Asset.tag))
    children = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)

    def branch(parent_id, depth=0):
        return [
            (row, branch(row.id, depth + 1) if depth < 20 else [])
            for row in children.get(parent_id, [])
        ]

    return branch(asset.id)


def show_context(asset):
    """Everything the asset page shows; its blocks are re-rendered alone by HTMX."""
    from .documents import documents_context
    from .meters import meters_context

    history = (
        AuditEvent.select(AuditEvent, User.name)
        .join(User, JOIN.LEFT_OUTER, on=(AuditEvent.user == User.id))
        .where(
            AuditEvent.organisation == asset.organisation_id,
            AuditEvent.entity_type == "asset",
            AuditEvent.entity_id == asset.id,
            AuditEvent.action != "reading",  # readings are listed on the meter's page
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(30)
    )
    return {
        **meters_context(asset),
        **documents_context(asset),
        "asset": asset,
        "tree": component_tree(asset),
        "ancestors": list(reversed(asset.ancestors())),
        "history": list(history),
        "work_orders": maintenance_history(asset),
        "can_raise_work": current_user.role != "client",
        "can_edit": can_manage(current_user, asset),
    }


def maintenance_history(asset, limit=15):
    """The asset's open work first (soonest due), then the latest finished work: one query
    over the asset's orders (hundreds at most, by the asset index)."""
    is_open = WorkOrder.status.in_(OPEN_STATUSES)
    return list(
        visible(WorkOrder, current_user)
        .where(WorkOrder.asset == asset.id)
        .order_by(
            Case(None, [(is_open, 0)], 1),
            Case(None, [(is_open, WorkOrder.due_at)]).asc(nulls="LAST"),
            WorkOrder.created_at.desc(),
        )
        .limit(limit)
    )


@bp.route("/<id:asset_id>")
@login_required
def show(asset_id):
    """One asset: details, components, meters, documents and photos, history."""
    asset = visible_or_404(Asset, asset_id)
    return render("assets/show.html", **show_context(asset))


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new():
    """Register an asset, optionally as a component of another."""
    form = _asset_form()
    if request.method == "GET":
        form.project_id.data = id_arg("project")
        if id_arg("parent"):
            parent = visible_or_404(Asset, id_arg("parent"))
            form.parent_tag.data, form.project_id.data = parent.tag, parent.project_id
    return save_form(
        form,
        "assets/form.html",
        Asset,
        unique={"tag": "An asset with this tag already exists."},
        build=lambda: _form_data(form),
        save=lambda data: Asset.create_audited(current_user, **data),
        done=lambda asset: url_for("assets.show", asset_id=asset.id),
    )


@bp.route("/<id:asset_id>/edit", methods=["GET", "POST"])
@login_required
def edit(asset_id):
    """Change an asset's details, project or parent."""
    asset = manageable_or_404(Asset, asset_id)
    form = _asset_form(asset)
    return save_form(
        form,
        "assets/form.html",
        Asset,
        row=asset,
        unique={"tag": "An asset with this tag already exists."},
        build=lambda: _form_data(form, asset),
        save=lambda data: asset.update_audited(current_user, **data) or asset,
        done=lambda _: url_for("assets.show", asset_id=asset.id),
    )


@bp.route("/<id:asset_id>/archive", methods=["POST"], defaults={"restore": False})
@bp.route(
    "/<id:asset_id>/restore", methods=["POST"], endpoint="restore", defaults={"restore": True}
)
@login_required
def archive(asset_id, restore):
    """Take an asset out of the lists (its page and history stay), or bring it back."""
    asset = manageable_or_404(Asset, asset_id)
    return archive_or_restore(
        asset,
        restore,
        blocked_by=Asset.select().where(Asset.parent == asset.id, Asset.archived_at.is_null()),
        blocked_message="This asset still has active components: archive or move them first.",
        done_url=url_for("assets.show", asset_id=asset.id),
    )
