"""The outbox page: admins of the organisation only; failed and waiting mail first, each
email as sent, attachments, and a retry button."""

from models import AuditEvent, OutboxEmail, utcnow
from models.outbox import Attachment, queue_email


def email_for(org, recipient="tom@example.com", status="pending", **kw):
    email = queue_email(
        recipient,
        kw.pop("subject", f"Overdue: WO-000001 to {recipient}"),
        "Plain text body",
        "<p>HTML <b>body</b></p>",
        key=("overdue", kw.pop("occurrence", recipient)),
        organisation=org,
        **kw,
    )
    OutboxEmail.update(
        status=status, last_error="550 No such user" if status == "failed" else ""
    ).where(OutboxEmail.id == email.id).execute()
    return OutboxEmail.get_by_id(email.id)


def test_admins_see_failed_and_waiting_mail_first(client, auth, make_user, make_org):
    org = make_org()
    admin = make_user("admin", organisation=org)
    email_for(org, "failed@example.com", "failed")
    email_for(org, "waiting@example.com", "pending")
    email_for(org, "sent@example.com", "sent")
    email_for(make_org(), "elsewhere@example.com", "failed")
    auth.login(admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "failed@example.com" in page and "waiting@example.com" in page
    assert "550 No such user" in page
    assert "sent@example.com" not in page and "elsewhere@example.com" not in page
    assert "nothing leaves this machine" in page  # no SMTP_URL in the tests
    page = client.get("/admin/outbox?view=sent").get_data(as_text=True)
    assert "sent@example.com" in page and "failed@example.com" not in page
    fragment = client.get("/admin/outbox?view=all&q=waiting", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and "waiting@example.com" in text
    assert "failed@example.com" not in text


def test_one_email_as_sent_and_its_attachment(client, auth, make_user, make_org):
    org = make_org()
    admin = make_user("admin", organisation=org)
    email = email_for(org, attachments=[Attachment("report.pdf", "application/pdf", b"%PDF-1.7 x")])
    auth.login(admin)
    page = client.get(f"/admin/outbox/{email.id}").get_data(as_text=True)
    assert "Plain text body" in page
    assert 'sandbox srcdoc="&lt;p&gt;HTML &lt;b&gt;body&lt;/b&gt;&lt;/p&gt;"' in page
    assert "report.pdf" in page and "Send again now" in page
    [attachment] = email.attachment_list
    response = client.get(f"/admin/outbox/{email.id}/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == b"%PDF-1.7 x"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    other = email_for(org, "other@example.com")
    assert client.get(f"/admin/outbox/{other.id}/attachments/{attachment.id}").status_code == 404


def test_retry_sends_a_failed_email_again(client, auth, make_user, make_org):
    org = make_org()
    admin = make_user("admin", organisation=org)
    email = email_for(org, status="failed")
    OutboxEmail.update(attempts=7, next_attempt_at=utcnow()).execute()
    auth.login(admin)
    response = client.post(f"/admin/outbox/{email.id}/retry")
    assert response.status_code == 302
    row = OutboxEmail.get_by_id(email.id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
    assert AuditEvent.select().where(AuditEvent.action == "retry").count() == 1
    # A sent email is not sent again.
    sent = email_for(org, "sent@example.com", "sent")
    client.post(f"/admin/outbox/{sent.id}/retry")
    assert OutboxEmail.get_by_id(sent.id).status == "sent"


def test_only_admins_of_the_organisation(client, auth, make_user, make_org):
    org = make_org()
    email = email_for(org, status="failed")
    assert client.get("/admin/outbox").status_code == 302  # sign in first
    auth.login(make_user("manager", organisation=org))
    assert client.get("/admin/outbox").status_code == 403
    assert client.get(f"/admin/outbox/{email.id}").status_code == 403
    assert client.post(f"/admin/outbox/{email.id}/retry").status_code == 403
    auth.logout()
    auth.login(make_user("admin", organisation=make_org()))
    assert client.get(f"/admin/outbox/{email.id}").status_code == 404
    assert client.post(f"/admin/outbox/{email.id}/retry").status_code == 404
    assert OutboxEmail.get_by_id(email.id).status == "failed"
