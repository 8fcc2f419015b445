"""Delivering the outbox to a real SMTP server on loopback (aiosmtpd): what arrives, bad
addresses, temporary failures with backoff, a server that is down for a while, claims
that change hands, and the embedded default that keeps mail in the app."""

import datetime

import pytest

from models import OutboxEmail, utcnow
from models.outbox import Attachment, queue_email
from models.outbox_claims import claim_due, retry_delay
from models.smtp_delivery import deliver_due, send_one
from tasks.mail import deliver

LATER = datetime.timedelta(seconds=31)


def queue_some(n, domain="example.com", event="test"):
    return [
        queue_email(f"person{i}@{domain}", f"Subject {i}", f"Body {i}", key=(event, f"o{i}"))
        for i in range(n)
    ]


def statuses():
    return sorted({r.status for r in OutboxEmail.select()})


def test_an_email_arrives_whole(app, smtp_sink):
    pdf = b"%PDF-1.7 fake\n" * 100
    queue_email(
        "tech@example.com",
        "Overdue: WO-000123 Chiller 2 service, Northgate Mall",
        "The text body.\n.A line starting with a dot.",
        "<p>The <b>HTML</b> body.</p>",
        key=("overdue", "wo123"),
        attachments=[Attachment("sheet.pdf", "application/pdf", pdf)],
        unsubscribe_url="http://localhost/unsubscribe/t0k3n",
    )
    assert deliver_due(smtp_sink.url) == {"sent": 1}
    assert smtp_sink.count() == 1
    got = smtp_sink.messages[0]
    assert got.rcpt_tos == ["tech@example.com"]
    assert got["Subject"] == "Overdue: WO-000123 Chiller 2 service, Northgate Mall"
    assert got["From"] == "Fettle <fettle@localhost>"
    assert got["List-Unsubscribe"] == "<http://localhost/unsubscribe/t0k3n>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got["Message-ID"] == OutboxEmail.get().message_id
    assert got.text().rstrip("\n") == "The text body.\n.A line starting with a dot."
    assert "<b>HTML</b>" in got.html()
    [attachment] = list(got.message.iter_attachments())
    assert attachment.get_filename() == "sheet.pdf"
    assert attachment.get_content() == pdf
    row = OutboxEmail.get()
    assert row.status == "sent" and row.sent_at is not None and row.claim is not None


def test_a_bad_address_fails_for_good_and_the_rest_go(app, smtp_sink):
    queue_some(2)
    queue_email("nobody@bounce.invalid", "s", "t", key=("test", "bad"))
    assert deliver_due(smtp_sink.url) == {"sent": 2, "failed": 1}
    bad = OutboxEmail.get(OutboxEmail.recipient == "nobody@bounce.invalid")
    assert bad.status == "failed" and bad.last_error.startswith("550")
    assert deliver_due(smtp_sink.url, now=utcnow() + datetime.timedelta(days=1)) == {}
    assert smtp_sink.count() == 2


def test_temporary_failures_back_off_exponentially(app, smtp_sink):
    queue_some(1)
    smtp_sink.tempfail = True
    start = utcnow()
    assert deliver_due(smtp_sink.url, now=start) == {"retry": 1}
    row = OutboxEmail.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("451")
    assert row.next_attempt_at == start + datetime.timedelta(seconds=30)
    assert deliver_due(smtp_sink.url, now=start + datetime.timedelta(seconds=29)) == {}
    deliver_due(smtp_sink.url, now=start + LATER)
    row = OutboxEmail.get()
    assert row.attempts == 2 and row.next_attempt_at == start + LATER + retry_delay(2)
    assert retry_delay(2) == datetime.timedelta(seconds=60)
    assert retry_delay(20) == datetime.timedelta(minutes=30)
    smtp_sink.tempfail = False
    deliver_due(smtp_sink.url, now=start + datetime.timedelta(hours=1))
    assert statuses() == ["sent"] and smtp_sink.count() == 1


def test_temporary_failures_give_up_after_three_days(app, smtp_sink):
    [email] = queue_some(1)
    OutboxEmail.update(created_at=utcnow() - datetime.timedelta(days=3, minutes=1)).execute()
    smtp_sink.tempfail = True
    deliver_due(smtp_sink.url)
    row = OutboxEmail.get_by_id(email.id)
    assert row.status == "failed" and row.last_error.startswith("Gave up after 1 attempts")


def test_smtp_down_for_a_while_then_everything_goes_once(app, smtp_sink):
    queue_some(45)
    smtp_sink.stop()
    start = utcnow()
    outcome = deliver_due(smtp_sink.url, now=start)
    assert outcome == {"retry": 45}
    assert statuses() == ["pending"]
    assert deliver_due(smtp_sink.url, now=start + LATER) == {"retry": 45}  # still down
    smtp_sink.start()
    assert deliver_due(smtp_sink.url, now=start + datetime.timedelta(minutes=2)) == {"sent": 45}
    assert statuses() == ["sent"]
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == sorted(
        f"person{i}@example.com" for i in range(45)
    )


def test_a_claim_taken_over_after_its_lease_sends_once(app, smtp_sink, monkeypatch):
    """A slow worker whose lease ended loses the row to another, and does not send it."""
    from models.smtp_delivery import connect

    monkeypatch.setenv("OUTBOX_LEASE_SECONDS", "5")
    queue_some(1)
    slow_token, [slow_row] = claim_due(10)
    later = utcnow() + datetime.timedelta(seconds=6)
    fast_token, [fast_row] = claim_due(10, now=later)  # the lease ended: taken over
    assert fast_row.id == slow_row.id and fast_token != slow_token
    slow, fast = connect(smtp_sink.url), connect(smtp_sink.url)
    assert send_one(slow, slow_row, slow_token) == "lost"
    assert slow.sock is None  # hung up mid-message: the server drops what it had
    assert send_one(fast, fast_row, fast_token) == "sent"
    fast.quit()
    assert smtp_sink.wait_for(1, timeout=2, settle=0.2) == 1
    assert OutboxEmail.get().status == "sent"


def test_embedded_default_keeps_mail_in_the_local_outbox(app, smtp_sink):
    queue_some(3)
    assert deliver_due(None) == {"kept": 3}
    assert statuses() == ["kept"]
    # Turning SMTP on later does not send the old mail.
    assert deliver_due(smtp_sink.url) == {}
    assert smtp_sink.count() == 0


def test_the_huey_task_delivers_with_the_apps_smtp_url(worker_app, smtp_sink):
    worker_app.config["SMTP_URL"] = smtp_sink.url
    queue_some(25)  # more than a batch: the first run wakes another
    assert deliver.call_local() == {"sent": 25}
    assert smtp_sink.count() == 25


@pytest.mark.parametrize("url", ["smtp://127.0.0.1:1", "smtps://127.0.0.1:1"])
def test_an_unreachable_server_is_a_temporary_failure(app, url):
    queue_some(2)
    assert deliver_due(url) == {"retry": 2}
    assert {r.last_error.split(":")[0] for r in OutboxEmail.select()} == {"SMTP server unreachable"}


def test_non_ascii_subject_sender_and_body(app, smtp_sink):
    app.config["MAIL_FROM"] = "Fettle Prüfdienst <fettle@example.com>"
    queue_email(
        "jürgen@example.com".replace("ü", "u"),
        "Overdue: WO-000007 Kühlraum 2 – Nordstraße",
        "Grüße,\n.\n..Zeile mit Punkten\n" + "x" * 200,
        "<p>Grüße</p>",
        key=("overdue", "wo7"),
    )
    with app.app_context():  # the sender comes from the app's settings
        assert deliver_due(smtp_sink.url) == {"sent": 1}
    got = smtp_sink.messages[0]
    assert got["Subject"] == "Overdue: WO-000007 Kühlraum 2 – Nordstraße"
    assert got["From"] == "Fettle Prüfdienst <fettle@example.com>"
    assert got.mail_from == "fettle@example.com"
    assert got.text().rstrip("\n") == "Grüße,\n.\n..Zeile mit Punkten\n" + "x" * 200
    assert "Grüße" in got.html()
