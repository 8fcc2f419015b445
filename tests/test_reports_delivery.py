"""Scheduled delivery of monthly reports: set up by a manager, sent on its day in the
client's time zone by the Huey task through the outbox to a real SMTP server, once a month
however often the task runs, and never for someone who lost access."""

# ruff: noqa: F811 (the `site` fixture is shared with test_reports_views)

import datetime
import io

import pytest
from pypdf import PdfReader
from test_reports_views import site, text  # noqa: F401

from models import AuditEvent, OutboxAttachment, OutboxEmail, ReportDelivery, User
from models.report_delivery import send_due
from tasks.mail import deliver
from tasks.reports import send_scheduled_reports

D = datetime.datetime
APRIL_3 = D(2026, 4, 3, 9)  # 10:00 in London: March's report is due on the 3rd
NEW = "/reports/deliveries/new"


@pytest.fixture
def delivery(app, client, auth, site):
    auth.login(site["manager"])
    response = client.post(
        NEW,
        data={
            "client": site["acme"].id,
            "project": "",
            "day": "3",
            "recipients": "helen@acme.example\nops@acme.example, helen@acme.example",
        },
    )
    assert response.status_code == 302
    return ReportDelivery.get()


def test_a_manager_schedules_a_monthly_report(client, auth, site, delivery):
    assert delivery.recipient_list == ["helen@acme.example", "ops@acme.example"]
    assert (delivery.client_id, delivery.project_id, delivery.day) == (site["acme"].id, None, 3)
    assert AuditEvent.select().where(AuditEvent.entity_type == "reportdelivery").count() == 1
    page = text(client.get("/reports/deliveries"))
    assert "Acme Foods" in page and "ops@acme.example" in page
    assert client.get(f"/reports/deliveries/{delivery.id}").status_code == 200


@pytest.mark.parametrize(
    "day, recipients, message",
    [
        ("31", "a@b.example", "Choose a day from 1 to 28."),
        ("", "a@b.example", "Choose a day."),
        ("3", "not an address", "not an email address"),
        ("3", "", "Enter at least one email address."),
        ("3", ",".join(f"p{n}@b.example" for n in range(21)), "At most 20 recipients."),
    ],
)
def test_bad_input_is_refused_at_the_field(client, auth, site, day, recipients, message):
    auth.login(site["manager"])
    data = {"client": site["acme"].id, "day": day, "recipients": recipients}
    response = client.post(NEW, data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert ReportDelivery.select().count() == 0


def test_a_project_of_another_client_is_refused(client, auth, site):
    auth.login(site["manager"])
    other = site["globex"].projects.get()
    data = {"client": site["acme"].id, "project": other.id, "day": "3", "recipients": "a@b.ex"}
    response = client.post(NEW, data=data)
    assert response.status_code == 422 and ReportDelivery.select().count() == 0


def test_only_managers_schedule_and_hidden_ones_are_not_found(client, auth, site, delivery):
    for user in ("tech", "acme_user"):
        auth.login(site[user])
        assert client.get("/reports/deliveries").status_code == 403
        assert client.get(NEW).status_code == 403
        assert client.post(f"/reports/deliveries/{delivery.id}/delete").status_code in (403, 404)
    auth.login(site["stranger"])
    assert client.get(f"/reports/deliveries/{delivery.id}").status_code == 404
    assert ReportDelivery.select().count() == 1


def test_on_its_day_each_recipient_gets_last_months_pdf_once(app, site, delivery):
    assert send_due(D(2026, 4, 2, 9)) == 0  # the 2nd: not yet
    assert send_due(APRIL_3) == 2
    assert send_due(APRIL_3 + datetime.timedelta(hours=1)) == 0  # already sent this month
    emails = list(OutboxEmail.select().order_by(OutboxEmail.recipient))
    assert [e.recipient for e in emails] == ["helen@acme.example", "ops@acme.example"]
    assert emails[0].subject == "Maintenance report Acme Foods March 2026"
    assert "/reports/period?client=" in emails[0].text_body
    assert "month=2026-03" in emails[0].text_body
    pdf = OutboxAttachment.get(OutboxAttachment.email == emails[0].id)
    assert pdf.filename == "maintenance-report-acme-foods-march-2026.pdf"
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(pdf.content))).pages)
    assert "Acme Foods · March 2026" in words and "63.00" in words
    assert ReportDelivery.get().last_period == "2026-03"
    assert send_due(D(2026, 5, 3, 9)) == 2  # and next month, April's


def test_nothing_goes_out_once_its_owner_loses_access(app, site, delivery):
    User.update(active=False).where(User.id == site["manager"].id).execute()
    assert send_due(APRIL_3) == 0
    assert ReportDelivery.get().last_period == ""  # sent when someone fixes it


def test_the_huey_task_sends_through_the_outbox_to_smtp(worker_app, site, delivery, smtp_sink):
    worker_app.config["SMTP_URL"] = smtp_sink.url
    ReportDelivery.update(day=1).execute()  # due whatever today is
    assert send_scheduled_reports.call_local() == 2
    assert send_scheduled_reports.call_local() == 0
    deliver.call_local()
    assert smtp_sink.wait_for(2, timeout=5) == 2
    message = smtp_sink.messages[0]
    assert "Maintenance report Acme Foods" in message["Subject"]
    attachment = next(message.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    assert "this link does not expire" in message.text()


def test_choosing_a_client_offers_its_projects_and_keeps_what_was_typed(client, auth, site):
    auth.login(site["manager"])
    url = f"{NEW}?client={site['acme'].id}&day=5&recipients=a%40b.example"
    fragment = text(client.get(url, headers={"HX-Request": "true"}))
    assert "<html" not in fragment and 'id="form"' in fragment
    assert "ACME-1 Acme HVAC" in fragment and "GLX-1" not in fragment
    assert 'value="5"' in fragment and "a@b.example" in fragment
