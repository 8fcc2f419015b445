"""Comments on a work order, and the people they @mention.

`@Tom Becker` (a full name) or `@tom` (the part of an email before the @) mentions someone
who can see the order; each mention is a row, so alerts can tell that person. The comment
is also a line on the order's timeline.
"""

import re

from markupsafe import Markup, escape
from peewee import ForeignKeyField, TextField

from .base import BaseModel, db
from .organisation import Organisation
from .user import User
from .visibility import people_who_see
from .work_order import Activity, WorkOrder, alert_events
from .work_order_records import RecordError, log

MAX_COMMENT = 5000
# An @ that starts a word: not the middle of an email address like bob@example.com.
_AT = re.compile(r"(?<![\w.@+-])@")
_TOKEN = re.compile(r"[\w.+-]+")


def find_mentions(text, people):
    """(user id, start, end) for each @mention in `text` of one of `people` (objects with
    id, name and email). Where a full name and an email prefix both fit, the longer wins; an
    ambiguous name or prefix (two people share it) mentions nobody."""
    by_name, by_prefix = {}, {}
    for person in people:
        by_name.setdefault(person.name.casefold(), []).append(person)
        by_prefix.setdefault(person.email.split("@")[0].casefold(), []).append(person)
    names = sorted(by_name, key=len, reverse=True)  # "Tom Becker" before "Tom"
    found = []
    for at in _AT.finditer(text):
        start = at.end()
        hits = [
            hit
            for hit in (
                _match_name(text, start, names, by_name),
                _match_prefix(text, start, by_prefix),
            )
            if hit
        ]
        if hits:
            person, end = max(hits, key=lambda h: h[1])  # "@tom.b" over "@Tom"
            if person is not None:  # the longer reading is ambiguous: nobody
                found.append((person.id, at.start(), end))
    return found


def _match_name(text, start, names, by_name):
    for name in names:
        end = start + len(name)
        if text[start:end].casefold() != name:
            continue
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue  # "@Tom Beckers" is not "Tom Becker"
        people = by_name[name]
        return (people[0] if len(people) == 1 else None, end)
    return None


def _match_prefix(text, start, by_prefix):
    token = _TOKEN.match(text, start)
    if not token:
        return None
    word = token.group().rstrip(".-+")  # "@tom." at the end of a sentence
    people = by_prefix.get(word.casefold(), [])
    if not people:
        return None
    return (people[0] if len(people) == 1 else None, start + len(word))


def highlight_mentions(text, people):
    """The text escaped for HTML, with the mentions of `people` marked."""
    out, last = [], 0
    for _user_id, start, end in find_mentions(text, people):
        out.append(escape(text[last:start]))
        out.append(Markup('<mark class="mention">{}</mark>').format(text[start:end]))
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


class Comment(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    work_order = ForeignKeyField(WorkOrder, backref="comments", on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    body = TextField()
    activity = ForeignKeyField(Activity, null=True, on_delete="SET NULL", unique=True)

    class Meta:
        indexes = ((("work_order", "created_at"), False),)

    @classmethod
    def post(cls, actor, order, body):
        """Post a comment (closed orders too: people still talk about finished work) and
        record whom it mentions; returns the comment and the mentioned users."""
        body = (body or "").strip()
        if not body:
            raise RecordError("Write something first.", "body")
        if len(body) > MAX_COMMENT:
            raise RecordError(f"A comment can be at most {MAX_COMMENT:,} characters.", "body")
        people = {p.id: p for p in people_who_see(order)}
        mentioned = []
        for user_id, _start, _end in find_mentions(body, people.values()):
            if user_id != actor.id and people[user_id] not in mentioned:
                mentioned.append(people[user_id])
        with db.atomic():
            comment = cls.create(
                organisation=order.organisation_id, work_order=order.id, user=actor.id, body=body
            )
            activity = log(
                order,
                actor,
                "comment",
                body,
                "comment",
                comment,
                {"mentions": (None, [p.id for p in mentioned])} if mentioned else None,
            )
            comment.activity = activity.id
            comment.save()
            for person in mentioned:
                Mention.create(organisation=order.organisation_id, comment=comment, user=person.id)
            alert_events().mentioned(order, actor, comment, mentioned)
        return comment, mentioned

    @classmethod
    def mentioned_by_activity(cls, activity_ids):
        """{activity id: [mentioned users]} for timeline lines that are comments: one query."""
        if not activity_ids:
            return {}
        rows = (
            Mention.select(Comment.activity, User.id, User.name, User.email)
            .join(Comment)
            .switch(Mention)
            .join(User)
            .where(Comment.activity.in_(list(activity_ids)))
            .tuples()
        )
        found = {}
        for activity_id, user_id, name, email in rows:
            found.setdefault(activity_id, []).append(User(id=user_id, name=name, email=email))
        return found


class Mention(BaseModel):
    """Someone named in a comment, to be told about it."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    comment = ForeignKeyField(Comment, backref="mentions", on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, on_delete="CASCADE", index=False)

    class Meta:
        indexes = (
            (("comment", "user"), True),
            (("user", "created_at"), False),
        )
