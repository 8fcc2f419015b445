"""Full page or HTMX partial from one template, and the helpers every template uses."""

import datetime
from urllib.parse import urlencode

import segno
from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape

from models import utcnow
from models.clock import zone


def is_htmx():
    """An HTMX swap of one region: not a boosted navigation or a history restore, which
    both need the whole page."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(template, block=None, status=200, **context):
    """The named block for an HTMX request, the whole page otherwise."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def message_response(text, status, page_title="Notice", **links):
    """A short message: in place for HTMX (into #messages), as a page otherwise."""
    html = Markup(text).format(**{k: escape(v) for k, v in links.items()})
    if is_htmx():
        response = make_response(render_template("_message.html", message=html), status)
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return make_response(render_template("error.html", message=html, title=page_title), status)


def qr_svg(url, scale=None):
    """An inline SVG QR code, medium error correction (survives a scuffed label): `scale`
    pixels a module, or no fixed size, to take the size the stylesheet gives it."""
    size = {"scale": scale} if scale else {"omitsize": True}
    return Markup(segno.make(url, error="m").svg_inline(border=0, **size))


def url_with(**changes):
    """The current URL with some query parameters replaced (None removes one)."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    query = urlencode(args)
    return request.path + ("?" + query if query else "")


def localtime(value, tz_name=None):
    """A UTC timestamp shown in a zone (the row's location, else the viewer's)."""
    if value is None:
        return ""
    from flask_login import current_user

    name = tz_name or (getattr(current_user, "timezone", None) if current_user else None)
    local = value.replace(tzinfo=datetime.UTC).astimezone(zone(name))
    return local.strftime("%d %b %Y %H:%M ") + local.tzname()


def register_template_helpers(app):
    app.jinja_env.globals.update(url_with=url_with, now=utcnow)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["date"] = lambda d: d.strftime("%d %b %Y") if d else ""
