"""Who sees which rows: the one rule every query goes through.

Admins see their organisation; managers their organisation or the locations they
are limited to; technicians the projects they are members of; client users their
own client. Every hierarchy row carries its organisation and ancestors' ids, so
each rule is a plain column comparison on the row's own table.
"""

from .client import Client
from .location import Location
from .project import Project
from .user import ManagerLocation, ProjectMember, User


def managed_location_ids(user):
    """The locations a manager is limited to (empty: the whole organisation). Read once and
    kept on the user object, which lives for one request, so the scope is a plain
    `location_id IN (...)` the planner can use an index for."""
    ids = getattr(user, "_managed_location_ids", None)
    if ids is None:
        ids = [
            row_id
            for (row_id,) in ManagerLocation.select(ManagerLocation.location)
            .where(ManagerLocation.user == user.id)
            .tuples()
        ]
        user._managed_location_ids = ids
    return ids


def _member_projects(user):
    return ProjectMember.select(ProjectMember.project).where(ProjectMember.user == user.id)


def member_project_ids(user):
    """A technician's projects as a list of ids. The scope reads them in a subquery; spelt
    out, they let PostgreSQL intersect another index (an asset search's) with the project
    index instead of reading every match in the organisation."""
    return [project_id for (project_id,) in _member_projects(user).tuples()]


def manager_is_limited(user):
    return user.role == "manager" and bool(managed_location_ids(user))


def sees_whole_organisation(user):
    """Admins and managers not limited to locations: `scope` is their organisation and
    nothing else, so any row's copy of the organisation id answers for it (the assignment
    rows the board sums, say)."""
    return user.role == "admin" or (user.role == "manager" and not manager_is_limited(user))


def scope(model, user):
    """The WHERE expression limiting `model` to what `user` may see."""
    org = model.organisation == user.organisation_id
    role = user.role
    if role == "admin":
        return org
    if role == "manager":
        ids = managed_location_ids(user)
        if not ids:
            return org
        return org & (model.id if model is Location else model.location).in_(ids)
    if role == "technician":
        if model is Project:
            return org & model.id.in_(_member_projects(user))
        if model is not Project and hasattr(model, "project"):  # assets, work orders
            return org & model.project.in_(_member_projects(user))
        column = Project.client if model is Client else Project.location
        return org & model.id.in_(
            Project.select(column).where(Project.id.in_(_member_projects(user)))
        )
    if role == "client":
        if model is Client:
            return org & (model.id == user.client_id)
        if model is Location:
            return org & model.id.in_(
                Client.select(Client.location).where(Client.id == user.client_id)
            )
        return org & (model.client == user.client_id)
    return model.id.is_null() & model.id.is_null(False)  # unknown role: nothing


def visible(model, user, *fields, archived=False):
    """Rows of `model` the user may see (archived rows only when asked for)."""
    query = model.select(*fields).where(scope(model, user))
    if not archived and hasattr(model, "archived_at"):
        query = query.where(model.archived_at.is_null())
    return query


def get_visible(model, user, row_id):
    """The row if the user may see it (archived included, for its history), else None."""
    if row_id is None:
        return None
    return model.select().where(scope(model, user), model.id == row_id).first()


def can_work_on(user, order):
    """Technicians on the order's project and managers who see it move it through its
    lifecycle and record work on it; client users follow it. An order read through this
    user's scope (`seen_by`) is not looked up again."""
    return user.role in ("admin", "manager", "technician") and (
        getattr(order, "_seen_by", None) == user.id
        or get_visible(type(order), user, order.id) is not None
    )


def seen_by(user, row):
    """Mark a row as read through `user`'s scope (so can_work_on need not ask again)."""
    if row is not None:
        row._seen_by = user.id
    return row


def can_manage(user, row=None):
    """Admins and managers edit the hierarchy (a limited manager within their locations)."""
    if user.role not in ("admin", "manager"):
        return False
    return row is None or get_visible(type(row), user, row.id) is not None


def can_create_location(user):
    return user.role == "admin" or (user.role == "manager" and not manager_is_limited(user))


def visible_users(user):
    return User.select().where(User.organisation == user.organisation_id)


def people_who_see(order):
    """The active people who may see a work order, by the same rules as `scope`: its
    organisation's admins, managers (unlimited or limited to its location), the technicians
    on its project and the users of its client. One query, for @mentions."""
    from peewee import fn

    limits = ManagerLocation.select(ManagerLocation.id).where(ManagerLocation.user == User.id)
    limited_here = ManagerLocation.select(ManagerLocation.id).where(
        ManagerLocation.user == User.id, ManagerLocation.location == order.location_id
    )
    members = ProjectMember.select(ProjectMember.user).where(
        ProjectMember.project == order.project_id
    )
    return User.select(User.id, User.name, User.email).where(
        User.organisation == order.organisation_id,
        User.active,
        (User.role == "admin")
        | ((User.role == "manager") & (~fn.EXISTS(limits) | fn.EXISTS(limited_here)))
        | ((User.role == "technician") & User.id.in_(members))
        | ((User.role == "client") & (User.client == order.client_id)),
    )
