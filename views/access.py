"""Lookups that answer 404 for rows outside the user's scope, and role gates."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from models.visibility import can_manage, get_visible


def visible_or_404(model, row_id):
    row = get_visible(model, current_user, row_id)
    if row is None:
        abort(404)
    return row


def manageable_or_404(model, row_id):
    """A row to edit, archive or restore: 404 when the user may not see it (so a hidden row
    is never confirmed), 403 when they see it but their role may not change it."""
    row = visible_or_404(model, row_id)
    if not can_manage(current_user):
        abort(403)
    return row


def manager_required(view):
    """Admins and managers only, for pages that start from no row (a "new" form). Pages of
    one row look it up with manageable_or_404 instead, so a hidden row still 404s."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not can_manage(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped
