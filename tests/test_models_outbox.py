"""The outbox: an email is a row written in the caller's transaction, once per idempotency
key, with its attachments; delivery is queued only after the commit."""

import pytest

import tasks
from models import OutboxAttachment, OutboxEmail, db
from models.outbox import Attachment, queue_email
from models.outbox_claims import claim_due
from tasks.mail import WAKE_FLAG


@pytest.fixture
def queue(app):
    """The app's real Huey queue (SQLite in the test instance), emptied first."""
    tasks.huey.flush()
    yield tasks.huey
    tasks.huey.flush()


def queued_deliveries(huey):
    return [t for t in huey.pending() if t.name.endswith("deliver")]


def test_queue_email_writes_one_row_per_key(app, make_org):
    org = make_org()
    first = queue_email(
        "tom@example.com", "Overdue: WO-000001", "text", "<p>html</p>",
        key=("overdue", "wo1"), organisation=org,
    )  # fmt: skip
    again = queue_email(
        "tom@example.com", "Overdue: WO-000001", "text", key=("overdue", "wo1"), organisation=org
    )
    assert first is not None and again is None
    assert OutboxEmail.select().count() == 1
    row = OutboxEmail.get()
    assert (row.event, row.recipient, row.occurrence, row.status) == (
        "overdue", "tom@example.com", "wo1", "pending",
    )  # fmt: skip
    assert row.html_body == "<p>html</p>" and row.message_id.startswith("<")
    # Another recipient or another occurrence is another email.
    assert queue_email("ann@example.com", "s", "t", key=("overdue", "wo1")) is not None
    assert queue_email("tom@example.com", "s", "t", key=("overdue", "wo2")) is not None
    assert OutboxEmail.select().count() == 3


def test_a_duplicate_inside_a_bigger_transaction_keeps_the_rest(app):
    with db.atomic():
        queue_email("a@example.com", "s", "t", key=("e", "1"))
        assert queue_email("a@example.com", "s", "t", key=("e", "1")) is None
        queue_email("b@example.com", "s", "t", key=("e", "1"))
    assert sorted(r.recipient for r in OutboxEmail.select()) == ["a@example.com", "b@example.com"]


def test_attachments_are_stored_with_the_email(app):
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    email = queue_email(
        "client@example.com",
        "Monthly report",
        "Attached.",
        key=("report", "r1:2026-11"),
        attachments=[Attachment("report.pdf", "application/pdf", pdf), ("a.csv", "text/csv", b"x")],
    )
    files = list(OutboxAttachment.select().where(OutboxAttachment.email == email.id))
    assert [(f.filename, f.content_type) for f in files] == [
        ("report.pdf", "application/pdf"),
        ("a.csv", "text/csv"),
    ]
    assert bytes(files[0].content) == pdf


def test_unsubscribe_url_adds_the_one_click_headers(app):
    email = queue_email(
        "a@example.com", "s", "t", key=("e", "1"), unsubscribe_url="http://x/unsubscribe/abc"
    )
    assert email.header_dict() == {
        "List-Unsubscribe": "<http://x/unsubscribe/abc>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_rolled_back_change_leaves_no_email_and_queues_nothing(app, queue):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.atomic():
        queue_email("a@example.com", "s", "t", key=("e", "1"))
        raise Boom
    assert OutboxEmail.select().count() == 0
    assert queued_deliveries(queue) == []


def test_delivery_is_queued_once_and_only_after_commit(app, queue):
    with db.atomic():
        for n in range(5):
            queue_email(f"p{n}@example.com", "s", "t", key=("e", "1"))
        assert queued_deliveries(queue) == []  # nothing may run before the rows are visible
    assert len(queued_deliveries(queue)) == 1
    # Another commit while that run is still waiting to start adds no second run.
    queue_email("late@example.com", "s", "t", key=("e", "1"))
    assert len(queued_deliveries(queue)) == 1
    # Once a run has started (and cleared the flag), the next commit queues another.
    queue.storage.pop_data(WAKE_FLAG)
    queue_email("later@example.com", "s", "t", key=("e", "1"))
    assert len(queued_deliveries(queue)) == 2


def test_two_claims_never_share_a_row(app):
    for n in range(30):
        queue_email(f"p{n}@example.com", "s", "t", key=("e", "1"))
    _, first = claim_due(20)
    _, second = claim_due(20)
    _, third = claim_due(20)
    ids = [r.id for r in first] + [r.id for r in second]
    assert len(first) == 20 and len(second) == 10 and third == []
    assert len(set(ids)) == 30
