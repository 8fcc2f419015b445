"""Scheduled delivery: managers choose a client (or one of its projects), a day of the month
and the recipients; on that day a Huey task emails last month's report, PDF attached, with
its permanent link. Also the renderer the task uses (registered with the model, so the task
never imports views)."""

import functools

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from models import Client, Project
from models.report_delivery import (
    LAST_DAY,
    DeliveryError,
    ReportDelivery,
    register_renderer,
    remove_delivery,
    save_delivery,
)
from models.visibility import can_manage, get_visible, visible

from ..access import visible_or_404
from ..forms import FettleForm, as_choices
from ..rendering import render
from . import bp
from .output import document, pdf_bytes, slug
from .period import MAX_CHOICES, default_paper, report_context


class DeliveryForm(FettleForm):
    client = SelectField("Client", coerce=int, validators=[InputRequired("Choose a client.")])
    project = SelectField(
        "Project", coerce=lambda v: int(v) if v else None, validators=[Optional()]
    )
    day = IntegerField(
        "Day of the month",
        validators=[
            InputRequired("Choose a day."),
            NumberRange(1, LAST_DAY, f"Choose a day from 1 to {LAST_DAY}."),
        ],
        description=f"1 to {LAST_DAY}: the report for the month before goes out that day.",
    )
    recipients = TextAreaField(
        "Recipients",
        validators=[InputRequired("Enter at least one email address.")],
        description="Email addresses, one a line (or separated by commas).",
    )


def _manager_only():
    if not can_manage(current_user):
        abort(403)


def _form(delivery=None):
    """The form, its client's projects as choices. A GET with fields in the URL (the client
    select changed, and htmx asked for the form again) shows them as typed."""
    if request.method == "GET" and request.args:
        form = DeliveryForm(formdata=request.args)
    else:
        form = DeliveryForm(obj=delivery) if delivery else DeliveryForm()
    clients = visible(Client, current_user, Client.id, Client.name).order_by(Client.name)
    form.client.choices = as_choices([(c.id, c.name) for c in clients.limit(MAX_CHOICES)])
    chosen = (
        form.client.data
        if request.method == "POST" or request.args
        else getattr(delivery, "client_id", None)
    )
    projects = (
        visible(Project, current_user, Project.id, Project.code, Project.name)
        .where(Project.client == (chosen or 0))
        .order_by(Project.code)
    )
    form.project.choices = as_choices(
        [("", "All the client's projects")] + [(p.id, f"{p.code} {p.name}") for p in projects]
    )
    if delivery is not None and request.method == "GET" and not request.args:
        form.client.data, form.project.data = delivery.client_id, delivery.project_id
    return form


def _save(form, delivery=None):
    """Validate and save; returns the delivery or None (the form then carries the errors)."""
    if not form.validate_on_submit():
        return None
    client = get_visible(Client, current_user, form.client.data)
    if client is None:
        abort(404)
    project = get_visible(Project, current_user, form.project.data) if form.project.data else None
    if form.project.data and project is None:
        abort(404)
    try:
        return save_delivery(
            current_user, client, project, form.day.data, form.recipients.data, delivery
        )
    except DeliveryError as error:
        form[error.field].errors.append(str(error))
        return None


@bp.route("/deliveries")
@login_required
def deliveries():
    """Every scheduled report the manager can see."""
    _manager_only()
    rows = list(
        visible(ReportDelivery, current_user)
        .order_by(ReportDelivery.day, ReportDelivery.id)
        .limit(500)
    )
    return render("reports/deliveries.html", rows=rows)


@bp.route("/deliveries/new", methods=["GET", "POST"])
@login_required
def new_delivery():
    """Schedule a monthly report."""
    _manager_only()
    form = _form()
    saved = _save(form)
    if saved is not None:
        flash("Scheduled: the report goes out on that day every month.", "success")
        return redirect(url_for("reports.deliveries"))
    status = 422 if request.method == "POST" else 200
    return render("reports/delivery_form.html", "form", status=status, form=form, row=None)


@bp.route("/deliveries/<id:delivery_id>", methods=["GET", "POST"])
@login_required
def edit_delivery(delivery_id):
    """Change who gets a scheduled report, or when."""
    delivery = visible_or_404(ReportDelivery, delivery_id)
    _manager_only()
    form = _form(delivery)
    if _save(form, delivery) is not None:
        flash("Saved.", "success")
        return redirect(url_for("reports.deliveries"))
    status = 422 if request.method == "POST" else 200
    return render("reports/delivery_form.html", "form", status=status, form=form, row=delivery)


@bp.route("/deliveries/<id:delivery_id>/delete", methods=["POST"])
@login_required
def delete_delivery(delivery_id):
    delivery = visible_or_404(ReportDelivery, delivery_id)
    _manager_only()
    remove_delivery(current_user, delivery)
    flash("The scheduled report is stopped.", "success")
    return redirect(url_for("reports.deliveries"))


def render_delivery(app, delivery, user, period):
    """(subject, text, html, pdf, filename) of one month's report, as `user` sees it; runs in
    the worker, so it makes itself a request context at BASE_URL for links and stylesheets."""
    base = app.config["BASE_URL"].rstrip("/")
    with app.test_request_context("/", base_url=base):
        client, project = delivery.client, delivery.project if delivery.project_id else None
        tz = client.location.timezone
        context = report_context(user, client, project, period, tz)
        name = f"{(project or client).name} {period.label}"
        title = f"Maintenance report {name}"
        pdf = pdf_bytes(document("reports/_period_body.html", title, default_paper(tz), context))
        mail = {
            "name": name,
            "period": period,
            "link": context["permalink"],
            "user": user,
            "organisation": user.organisation,
            "report": context["report"],
        }
        text = render_template("reports/delivery_email.txt", **mail)
        html = render_template("reports/delivery_email.html", **mail)
    return f"{title}", text, html, pdf, f"{slug(title)}.pdf"


def register(app):
    """Called by the app factory: scheduled deliveries render with this app."""
    register_renderer(functools.partial(render_delivery, app))
