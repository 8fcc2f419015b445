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


def manager_is_limited(user):
    return user.role == "manager" and bool(managed_location_ids(user))


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
    lifecycle and record work on it; client users follow it."""
    return user.role in ("admin", "manager", "technician") and (
        get_visible(type(order), user, order.id) is not None
    )


def can_manage(user, row=None):
    """Admins and managers edit the hierarchy (a limited manager within their locations)."""
    if user.role not in ("admin", "manager"):
        return False
    return row is None or get_visible(type(row), user, row.id) is not None


def can_create_location(user):
    return user.role == "admin" or (user.role == "manager" and not manager_is_limited(user))


def visible_users(user):
    return User.select().where(User.organisation == user.organisation_id)
