"""The one way a create or edit form is handled: validate, check uniques, save, redirect."""

from flask import flash, redirect, request
from flask_login import current_user
from peewee import IntegrityError

from .rendering import render


def taken(model, field_name, value, row=None):
    """True when another row of the user's organisation already uses this value."""
    column = getattr(model, field_name)
    query = model.select(model.id).where(
        model.organisation == current_user.organisation_id, column == value
    )
    if row is not None:
        query = query.where(model.id != row.id)
    return query.exists()


def save_form(form, template, model, build, save, done, unique=None, row=None, **context):
    """Handle GET and POST of a form page. Errors answer 422 with the message at the field
    and nothing saved; success redirects (POST/redirect/GET)."""
    if form.validate_on_submit():
        data = build()
        if data is not None:
            clashes = [name for name in (unique or {}) if taken(model, name, data[name], row)]
            for name in clashes:
                form[name].errors.append(unique[name])
            if not clashes:
                try:
                    result = save(data)
                except IntegrityError:
                    form.form_errors.append(
                        "This clashes with a record saved meanwhile. Check the values and save "
                        "again."
                    )
                else:
                    flash("Saved.", "success")
                    return redirect(done(result))
    status = 422 if request.method == "POST" else 200
    return render(template, "form", status=status, form=form, row=row, **context)


def archive_or_restore(row, restore, blocked_by=None, blocked_message="", done_url=""):
    """Archive a row (unless active children block it) or bring it back. Idempotent: a
    second identical POST changes nothing."""
    if restore:
        if row.archived_at is not None:
            row.restore(current_user)
            flash(f"{row} is restored.", "success")
    elif row.archived_at is None:
        if blocked_by is not None and blocked_by.exists():
            flash(blocked_message, "error")
        else:
            row.archive(current_user)
            flash(
                f"{row} is archived. It has left the lists; its page and history stay.", "success"
            )
    return redirect(done_url)
