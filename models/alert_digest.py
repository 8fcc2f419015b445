"""The daily digest: alerts a person chose to get by email once a day are collected into
one email at their chosen hour, in their time zone.

One digest per person and local day: its outbox key is ("digest", that date), so a second
worker or a second run that day writes nothing, and alerts that arrive after the day's
digest went wait for tomorrow's."""

import datetime

from .alert_email import absolute, local_time, render, unsubscribe_token
from .alert_preferences import KINDS, settings_for
from .base import db, utcnow
from .clock import zone
from .notification import Notification
from .organisation import Organisation
from .outbox import OutboxEmail, path_for, queue_email
from .user import User


def _pending():
    return (Notification.email == "digest") & Notification.digested_at.is_null()


def send_digests(now=None):
    """Write the digest of everyone whose hour has come today; returns how many."""
    now = now or utcnow()
    people = (
        User.select(User, Organisation.id, Organisation.timezone)
        .join(Organisation, on=(User.organisation == Organisation.id))
        .where(
            User.active == True,  # noqa: E712
            User.id.in_(Notification.select(Notification.user).where(_pending())),
        )
    )
    sent = 0
    for person in people:
        tz = person.timezone or person.organisation.timezone
        local = now.replace(tzinfo=datetime.UTC).astimezone(zone(tz))
        _, _, hour = settings_for(person.organisation_id, person.id)
        if local.hour < hour:
            continue
        if digest_for(person, local.date(), tz, now):
            sent += 1
    return sent


def digest_for(person, day, tz, now):
    """One person's digest for one local day; None when it went already or is empty."""
    occurrence = day.isoformat()
    if (
        OutboxEmail.select()
        .where(
            OutboxEmail.event == "digest",
            OutboxEmail.recipient == person.email,
            OutboxEmail.occurrence == occurrence,
        )
        .exists()
    ):
        return None
    with db.atomic():
        items = list(
            Notification.select()
            .where(Notification.user == person.id, _pending())
            .order_by(Notification.created_at, Notification.id)
        )
        if not items:
            return None
        kinds = sorted({n.kind for n in items}, key=list(KINDS).index)
        unsubscribe = absolute(
            path_for("notifications.unsubscribe", token=unsubscribe_token("digest", person.id))
        )
        text, html = render(
            "digest",
            name=person.name,
            day=f"{day:%A %d %B %Y}",
            items=[
                {
                    "title": n.title,
                    "body": n.body,
                    "link": absolute(n.url) if n.url else "",
                    "when": local_time(n.created_at, tz),
                    "kind": KINDS[n.kind].label,
                }
                for n in items
            ],  # fmt: skip
            kinds=[KINDS[k].label for k in kinds],
            unsubscribe_url=unsubscribe,
            preferences_url=absolute(path_for("notifications.preferences")),
            inbox_url=absolute(path_for("notifications.index")),
        )
        count = len(items)
        email = queue_email(
            person.email,
            f"Fettle daily digest: {count} alert{'s' if count != 1 else ''}, {day:%d %b %Y}",
            text,
            html,
            key=("digest", occurrence),
            organisation=person.organisation_id,
            user=person.id,
            unsubscribe_url=unsubscribe,
        )
        if email is None:
            return None
        Notification.update(digested_at=now).where(
            Notification.id.in_([n.id for n in items])
        ).execute()
    return email
