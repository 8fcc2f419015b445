"""Alert preferences: each person's choice per kind (in the app, by email or both; at once
or in a daily digest at their hour), the organisation's defaults and settings (managers),
and the unsubscribe link every alert email carries."""

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from app import csrf
from models import Client, User, db
from models.alert_email import read_unsubscribe_token
from models.alert_preferences import (
    CHANNEL_LABELS,
    KINDS,
    ROLE_KINDS,
    TIMING_LABELS,
    Choice,
    organisation_defaults,
    save_choices,
    save_settings,
    settings_for,
    unsubscribe_contact,
    unsubscribe_person,
    user_choices,
)

from .access import manager_required
from .forms import FettleForm, as_choices
from .notifications import bp
from .rendering import render

HOURS = as_choices((h, f"{h:02d}:00") for h in range(24))


def _choices_form(values, digest_hour, kinds, extra=None):
    """A form with a channel and a timing per kind of alert, and the digest hour."""
    fields = {
        "digest_hour": SelectField(
            "Daily digest at", choices=HOURS, coerce=int, default=digest_hour
        ),
        **(extra or {}),
    }
    for kind in kinds:
        info, choice = KINDS[kind], values[kind]
        fields[f"channel_{kind}"] = SelectField(
            info.label,
            choices=as_choices(CHANNEL_LABELS.items()),
            default=choice.channel,
            description=info.description,
        )
        fields[f"timing_{kind}"] = SelectField(
            f"{info.label}: when",
            choices=as_choices(TIMING_LABELS.items()),
            default=choice.timing,
        )
    return type("AlertChoicesForm", (FettleForm,), fields)()


def _submitted(form, kinds):
    return {k: Choice(form[f"channel_{k}"].data, form[f"timing_{k}"].data) for k in kinds}


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """How this person hears about each kind of alert, and when their digest comes."""
    mine = {kind: choice for kind, (choice, _own) in user_choices(current_user).items()}
    _, _, hour = settings_for(current_user.organisation_id, current_user.id)
    kinds = ROLE_KINDS.get(current_user.role, ())
    form = _choices_form(mine, hour, kinds)
    if form.validate_on_submit():
        with db.atomic():
            save_choices(current_user, _submitted(form, kinds), user=current_user)
            save_settings(current_user, user=current_user, digest_hour=form.digest_hour.data)
        flash("Your alert preferences are saved.", "success")
        return redirect(url_for("notifications.preferences"))
    return render(
        "notifications/preferences.html",
        "form",
        status=422 if request.method == "POST" else 200,
        form=form,
        kinds={k: KINDS[k] for k in kinds},
        timezone=current_user.timezone or "your organisation's time zone",
        defaults=False,
    )


@bp.route("/defaults", methods=["GET", "POST"])
@manager_required
def defaults():
    """The organisation's defaults for people who have not chosen, and its alert timing."""
    org = current_user.organisation_id
    due_soon, escalate, hour = settings_for(org)
    hours = [InputRequired("Enter a number of hours."), NumberRange(1, 720, "From 1 to 720.")]
    extra = {
        "due_soon_hours": IntegerField(
            "Due soon: hours before due",
            validators=hours,
            default=due_soon,
            description="Assignees hear this long before the due time.",
        ),
        "escalate_after_hours": IntegerField(
            "Escalate after: hours overdue",
            validators=hours,
            default=escalate,
            description="The project's managers hear when work is still overdue this long.",
        ),
    }
    form = _choices_form(organisation_defaults(org), hour, KINDS, extra)
    if form.validate_on_submit():
        with db.atomic():
            save_choices(current_user, _submitted(form, KINDS))
            save_settings(
                current_user,
                digest_hour=form.digest_hour.data,
                due_soon_hours=form.due_soon_hours.data,
                escalate_after_hours=form.escalate_after_hours.data,
            )
        flash("The organisation's alert defaults are saved.", "success")
        return redirect(url_for("notifications.defaults"))
    return render(
        "notifications/preferences.html",
        "form",
        status=422 if request.method == "POST" else 200,
        form=form,
        kinds=KINDS,
        timezone="each person's time zone",
        defaults=True,
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # one-click unsubscribe (RFC 8058) is a POST from the mail client, token-signed
def unsubscribe(token):
    """Stop one kind of alert email. The link shows a page with a button (a GET changes
    nothing); the button, or a mail client's one-click POST, stops it at once."""
    payload = read_unsubscribe_token(token)
    if payload is None:
        return _unknown()
    kind = payload["k"]
    if payload.get("u"):
        user = User.get_or_none(User.id == payload["u"])
        if user is None:
            return _unknown()
        who, done = user.email, None
        if request.method == "POST":
            done = unsubscribe_person(user, kind)
    else:
        client = Client.get_or_none(Client.id == payload["c"])
        if client is None:
            return _unknown()
        who, done = client.email or client.name, None
        if request.method == "POST":
            done = unsubscribe_contact(client)
    label = "daily digest" if kind == "digest" else f"“{KINDS[kind].label}” alert"
    return render(
        "notifications/unsubscribe.html",
        token=token,
        label=label,
        who=who,
        done=done,
        contact=not payload.get("u"),
    )


def _unknown():
    return render(
        "error.html",
        status=404,
        title="Unknown link",
        message="This unsubscribe link is not valid, so nothing was changed. "
        "Sign in to Fettle to choose which alerts you get.",
    )
