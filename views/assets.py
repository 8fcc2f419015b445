"""Assets: the register of equipment, with its components and place in the hierarchy."""

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from models import ASSET_STATUSES, CRITICALITIES, Asset, Client, Project
from models.visibility import can_manage, visible

from .access import manageable_or_404, manager_required, visible_or_404
from .forms import AssetForm, as_choices, labelled
from .listing import choice_arg, id_arg, paginate
from .rendering import render
from .saving import archive_or_restore, save_form

bp = Blueprint("assets", __name__, url_prefix="/assets")

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


@bp.route("")
@login_required
def index():
    """The asset register, searched, filtered, sorted and paged in the database."""
    filters = {
        "status": choice_arg("status", ASSET_STATUSES),
        "criticality": choice_arg("criticality", CRITICALITIES),
        "location": id_arg("location"),
        "client": id_arg("client"),
        "project": id_arg("project"),
    }
    query = (
        visible(Asset, current_user, Asset, Project, Client)
        .join(Project, on=(Asset.project == Project.id))
        .join_from(Asset, Client, on=(Asset.client == Client.id))
    )
    for name in ("status", "criticality"):
        if filters[name]:
            query = query.where(getattr(Asset, name) == filters[name])
    for name in ("location", "client", "project"):
        if filters[name]:
            query = query.where(getattr(Asset, name) == filters[name])
    page = paginate(
        query,
        SORTS,
        "tag",
        search_fields=(Asset.tag, Asset.name, Asset.serial, Asset.make, Asset.model_name),
        filters=filters,
    )
    return render(
        "assets/index.html",
        "results",
        page=page,
        statuses=labelled(ASSET_STATUSES),
        criticalities=labelled(CRITICALITIES),
        projects=_project_choices(),
        can_edit=can_manage(current_user),
    )


@bp.route("/<id:asset_id>")
@login_required
def show(asset_id):
    """One asset: its details, its place in the hierarchy and its components."""
    asset = visible_or_404(Asset, asset_id)
    components = visible(Asset, current_user).where(Asset.parent == asset.id).order_by(Asset.tag)
    return render(
        "assets/show.html",
        asset=asset,
        components=list(components),
        ancestors=list(reversed(asset.ancestors())),
        can_edit=can_manage(current_user, asset),
    )


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
