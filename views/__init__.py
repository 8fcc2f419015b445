"""Blueprints, error pages and template helpers, registered on the app by the factory."""

from urllib.parse import urlsplit

from flask import Flask, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.routing import IntegerConverter

from .rendering import is_htmx, message_response, register_template_helpers


class IdConverter(IntegerConverter):
    """Row ids in URLs: positive and within the database's integer range, or the route 404s."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


def _local_part(url):
    """The path and query of a full URL (HTMX reports the page's URL in full)."""
    parts = urlsplit(url or "")
    return parts.path + ("?" + parts.query if parts.query else "")


def register_views(app: Flask):
    app.url_map.converters["id"] = IdConverter
    register_template_helpers(app)

    from . import (
        actions,
        admin_outbox,
        alert_settings,  # noqa: F401  (preferences and unsubscribe, on the notifications bp)
        assets,
        auth,
        browse,
        calendar,
        calendar_feed,
        cli,
        clients,
        home,
        locations,
        notifications,
        procedures,
        projects,
        reports,
        schedules,
        work_orders,
    )

    for module in (auth, home, browse, locations, clients, projects, assets, work_orders):
        app.register_blueprint(module.bp)
    app.register_blueprint(procedures.bp)
    app.register_blueprint(schedules.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(calendar_feed.bp)
    app.register_blueprint(admin_outbox.bp)
    app.register_blueprint(reports.bp)
    reports.deliveries.register(app)  # scheduled reports render with this app
    app.register_blueprint(notifications.bp)
    app.register_blueprint(actions.bp)
    cli.register(app)

    from app import login_manager

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import redirect, url_for

        if is_htmx():
            # In place for HTMX: the region shows the message instead of a login page.
            return message_response(
                "Your session has ended. <a href='{url}'>Sign in again</a> to continue.",
                401,
                url=url_for("auth.login", next=_local_part(request.headers.get("HX-Current-URL"))),
            )
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error="sign in required"), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        text = (
            "This form has expired or was sent from elsewhere. Reload the page and try again."
            if current_user.is_authenticated
            else "Your session has ended. Sign in again to continue."
        )
        return message_response(text, 400, page_title="Form expired")

    @app.errorhandler(403)
    def forbidden(error):
        return message_response(
            "Your role does not allow this. Ask a manager if you need it.",
            403,
            page_title="Not allowed",
        )

    @app.errorhandler(404)
    def not_found(error):
        return message_response(
            "We could not find that page, or you do not have access to it.",
            404,
            page_title="Not found",
        )

    @app.errorhandler(405)
    def method_not_allowed(error):
        return message_response("That action is not available here.", 405, page_title="Not allowed")

    @app.errorhandler(413)
    def too_large(error):
        return message_response("That upload is too large.", 413, page_title="Too large")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.vary.add("HX-Request")
        if current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response
