"""Alert emails: text and HTML bodies rendered from templates/email, links to the exact
page built from BASE_URL, and the signed unsubscribe tokens (one per person and kind).

Rendering uses a Jinja environment of its own, so mail is written the same way in a
request, in a worker and in a script: nothing here needs a request."""

import datetime
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .alert_preferences import KINDS
from .clock import zone
from .outbox import path_for, setting

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"
_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def base_url():
    return (setting("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


def absolute(path):
    """A link for an email: BASE_URL plus the page's path."""
    return base_url() + path


def local_time(value, tz_name):
    """A UTC time as read on a clock in the zone, with the zone's abbreviation."""
    if value is None:
        return ""
    local = value.replace(tzinfo=datetime.UTC).astimezone(zone(tz_name))
    return local.strftime("%a %d %b %Y %H:%M ") + local.tzname()


def _serializer(salt):
    return URLSafeSerializer(setting("SECRET_KEY") or "", salt=salt)


def unsubscribe_token(kind, user_id=None, client_id=None):
    """A person's (or a client contact's) link to stop one kind of alert email ("digest":
    the kinds their digest holds). It does not expire: an unsubscribe link in an old email
    must still work."""
    payload = {"k": kind, "u": user_id} if user_id else {"k": kind, "c": client_id}
    return _serializer("unsubscribe").dumps(payload)


def read_unsubscribe_token(token):
    """{"k": kind, "u": user id} or {"k": kind, "c": client id}; None if forged or unknown."""
    try:
        payload = _serializer("unsubscribe").loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("k") not in (*KINDS, "digest"):
        return None
    if not isinstance(payload.get("u") or payload.get("c"), int):
        return None
    return payload


def render(template, **context):
    """(text, html) from templates/email/<template>.txt and .html."""
    text = _env.get_template(f"{template}.txt").render(**context)
    html = _env.get_template(f"{template}.html").render(**context)
    return text, html


def alert_email(alert, name, unsubscribe_url, actions=()):
    """(text, html) of one alert for one person: what, where, the key facts, the link,
    one-click actions, and how to stop this kind."""
    return render(
        "alert",
        kind_label=KINDS[alert.kind].label,
        headline=alert.headline,
        subject=alert.subject,
        name=name,
        facts=alert.facts,
        link=absolute(alert.path),
        actions=actions,
        unsubscribe_url=unsubscribe_url,
        preferences_url=absolute(path_for("notifications.preferences")),
    )
