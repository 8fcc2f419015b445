"""Who sees which rows: the one rule every query goes through.

Admins see their organisation; managers their organisation or the locations they
are limited to; technicians the projects they are members of; client users their
own client. Every hierarchy row carries its organisation and ancestors' ids, so
each rule is a plain column comparison on the row's own table.
"""

from peewee import fn

from .asset import Asset
from .client import Client
from .location import Location
from .project import Project
from .user import ManagerLocation, ProjectMember, User


def _managed_locations(user):
    return ManagerLocation.select(ManagerLocation.location).where(ManagerLocation.user == user.id)


def _member_projects(user):
    return ProjectMember.select(ProjectMember.project).where(ProjectMember.user == user.id)


def manager_is_limited(user):
    return user.role == "manager" and bool(
        ManagerLocation.select(fn.COUNT(ManagerLocation.id))
        .where(ManagerLocation.user == user.id)
        .scalar()
    )


def scope(model, user):
    """The WHERE expression limiting `model` to what `user` may see."""
    org = model.organisation == user.organisation_id
    role = user.role
    if role == "admin":
        return org
    if role == "manager":
        located = model.id if model is Location else model.location
        limited = ManagerLocation.select(ManagerLocation.id).where(ManagerLocation.user == user.id)
        return org & (~fn.EXISTS(limited) | located.in_(_managed_locations(user)))
    if role == "technician":
        if model is Project:
            return org & model.id.in_(_member_projects(user))
        if model is Asset:
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
    if not archived:
        query = query.where(model.archived_at.is_null())
    return query


def get_visible(model, user, row_id):
    """The row if the user may see it (archived included, for its history), else None."""
    if row_id is None:
        return None
    return model.select().where(scope(model, user), model.id == row_id).first()


def can_manage(user, row=None):
    """Admins and managers edit the hierarchy (a limited manager within their locations)."""
    if user.role not in ("admin", "manager"):
        return False
    return row is None or get_visible(type(row), user, row.id) is not None


def can_create_location(user):
    return user.role == "admin" or (user.role == "manager" and not manager_is_limited(user))


def visible_users(user):
    return User.select().where(User.organisation == user.organisation_id)
