"""The demo's alerts: every demo person has read and unread notifications, and the local
outbox keeps the emails that went with them."""

from models import Notification, OutboxEmail, User
from models.demo import DEMO_PASSWORD, DEMO_USERS


def test_every_demo_person_has_read_and_unread_alerts_and_their_emails(runner, client):
    assert runner.invoke(args=["demo"]).exit_code == 0
    for email, _name, _role in DEMO_USERS:
        user = User.get(User.email == email)
        mine = Notification.select().where(Notification.user == user.id)
        unread = mine.where(Notification.read_at.is_null()).count()
        assert 1 <= unread < mine.count() <= 40, email
        emailed = mine.where(Notification.email == "immediate")
        for note in emailed:
            assert OutboxEmail.get_or_none(
                OutboxEmail.recipient == email,
                OutboxEmail.event == note.kind,
                OutboxEmail.occurrence == note.occurrence,
            ), (email, note.kind)
    kinds = {n.kind for n in Notification.select(Notification.kind)}
    assert {"assigned", "due_soon", "overdue", "escalation", "mention", "completed"} <= kinds
    assert {"warranty", "meter_limit"} <= kinds
    # Kept in the local outbox (no SMTP in the demo), one bounce to show the failed state.
    statuses = [e.status for e in OutboxEmail.select()]
    assert statuses.count("failed") == 1 and set(statuses) == {"kept", "failed"}
    # The technician sees his in the bell and the inbox.
    client.post("/login", data={"email": "tech@example.com", "password": DEMO_PASSWORD})
    bell = client.get("/notifications/count").get_data(as_text=True)
    assert '<span class="count">' in bell
    assert 'badge-kind">Overdue<' in client.get("/notifications").get_data(as_text=True)
