"""Sign-in and sign-out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from models import AuditEvent, User, db

from .forms import LoginForm

bp = Blueprint("auth", __name__)


def safe_next(target):
    """Only a path on this site: never another host, scheme or protocol-relative URL."""
    if not target or not isinstance(target, str):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password; one message for any bad pair."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        user = User.authenticate(form.email.data, form.password.data)
        if user is not None:
            target = safe_next(form.next.data) or url_for("home.index")
            session.clear()  # a fresh session (and CSRF token) for the signed-in user
            login_user(user)
            session.permanent = True
            with db.atomic():
                AuditEvent.record(user, "sign_in", user)
            return redirect(target)
        error = "That email and password do not match an active account."
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out here and end the session on the server side too."""
    user = current_user._get_current_object()
    with db.atomic():
        user.end_sessions()
        AuditEvent.record(user, "sign_out", user)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
