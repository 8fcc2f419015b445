"""Private iCalendar feeds: the page where a user turns their feed link on, renews or
turns it off, and the .ics the calendar apps (Outlook, Google, Apple) fetch without a
session, found by the secret token in its URL."""

import datetime
import re
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, make_response, redirect, url_for
from flask_login import current_user, login_required
from icalendar import Calendar, Event, vText

from models import CalendarFeed, utcnow
from models.calendar_feed import RECENT_DAYS, feed_orders

from .rendering import render

bp = Blueprint("calendar_feed", __name__)

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
DEFAULT_HOURS = 1
CACHE_SECONDS = 300  # calendar apps poll every few hours; a refresh shortly after is cheap


def _base_url():
    return current_app.config["BASE_URL"].rstrip("/")


def feed_urls(feed):
    """The https:// (or http://) and webcal:// forms of a feed's link (None: not showable)."""
    token = feed.token(current_app.config["SECRET_KEY"])
    if token is None:
        return None
    path = url_for("calendar_feed.ics", token=token)
    https = _base_url() + path
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


@bp.route("/calendar/feed")
@login_required
def show():
    """The user's feed link (to copy into a calendar app), with renew and turn off."""
    feed = CalendarFeed.of(current_user)
    return render(
        "calendar/feed.html",
        feed=feed,
        urls=feed_urls(feed) if feed else None,
        recent_days=RECENT_DAYS,
    )


@bp.route("/calendar/feed", methods=["POST"])
@login_required
def create():
    """A new link; the old one, if any, stops working."""
    renewed = CalendarFeed.of(current_user) is not None
    CalendarFeed.issue(current_user, current_app.config["SECRET_KEY"])
    flash(
        "New link created. The old link no longer works: update it in your calendar app."
        if renewed
        else "Your calendar feed is on. Copy the link into your calendar app.",
        "success",
    )
    return redirect(url_for("calendar_feed.show"))


@bp.route("/calendar/feed/off", methods=["POST"])
@login_required
def turn_off():
    """Revoke the link: calendar apps that had it get 404 from now on."""
    if CalendarFeed.turn_off(current_user):
        flash("Your calendar feed is off. The link no longer works.", "success")
    return redirect(url_for("calendar_feed.show"))


@bp.route("/calendar/feed/<token>.ics")
def ics(token):
    """The feed itself: no session, the token is the key. Unknown or revoked: 404."""
    if not TOKEN.match(token):
        abort(404)
    user = CalendarFeed.user_for(token)
    if user is None:
        abort(404)
    body = build_calendar(feed_orders(user), user, _base_url())
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response.headers["Content-Disposition"] = 'inline; filename="fettle.ics"'
    return response


def _utc(value):
    return value.replace(tzinfo=datetime.UTC)


def order_event(order, host, base_url, stamp):
    """One VEVENT for a work order: stable UID, times in UTC, a link back to the order."""
    event = Event()
    link = f"{base_url}{url_for('work_orders.show', order_id=order.id)}"
    hours = float(order.estimated_hours) if order.estimated_hours else DEFAULT_HOURS
    start = _utc(order.due_at)
    event.add("uid", f"wo-{order.id}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + datetime.timedelta(hours=max(hours, 0.25)))
    event.add("summary", f"{order.reference} {order.title}")
    event.add("location", f"{order.project.name}, {order.client.name} ({order.location.name})")
    lines = [f"Status: {order.status_label}", f"Project: {order.project.code} {order.project.name}"]
    if order.asset_id:
        lines.append(f"Asset: {order.asset.tag} {order.asset.name}")
    if order.description:
        lines.append("")
        lines.append(order.description[:2000])
    lines += ["", link]
    event.add("description", "\n".join(lines))
    event.add("url", link)
    event.add("status", "CANCELLED" if order.status == "cancelled" else "CONFIRMED")
    event.add("last-modified", _utc(order.updated_at))
    event.add("categories", [order.type.capitalize()])
    return event


def build_calendar(orders, user, base_url):
    """The VCALENDAR for a list of orders (joined with location, client, project, asset)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Fettle//Work orders//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", vText(f"Fettle: {user.name}"))
    calendar.add("x-published-ttl", "PT1H")
    stamp = _utc(utcnow().replace(microsecond=0))
    host = urlsplit(base_url).hostname or "fettle"
    for order in orders:
        calendar.add_component(order_event(order, host, base_url, stamp))
    return calendar.to_ical()
