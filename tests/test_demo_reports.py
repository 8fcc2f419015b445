"""The demo is rich enough for its reports: every client has work done, repairs, planned
maintenance due and labour in each of the last twelve months, and a monthly report is
scheduled; its logo and a showcase service report come with a storage."""

import datetime

from models import Client, Organisation, ReportDelivery, User, WorkOrderFile
from models.demo import load_demo
from models.kpi import Cover
from models.periods import last_complete_month
from models.reports import build_period_report
from models.storage import LocalStorage


def test_every_client_has_a_year_of_meaningful_numbers(app, tmp_path):
    org = load_demo(asset_total=120, storage=LocalStorage(tmp_path / "store"))
    admin = User.get(User.email == "admin@example.com")
    month = last_complete_month(datetime.date.today())
    for client in Client.select().where(Client.organisation == org.id):
        report = build_period_report(Cover(admin, client_id=client.id), month, "UTC")
        for point in report.trend:
            label = f"{client.name} {point.label}"
            assert point.corrective > 0 and point.planned > 0, label
            assert point.mttr_hours is not None, label
        assert sum(p.pm_percent is not None for p in report.trend) >= 10, client.name
        assert report.summary["labour_minutes"] > 0, client.name
        assert report.summary["mtbf"].count > 0, client.name
    rates = [
        build_period_report(Cover(admin, client_id=c.id), month, "UTC").trend
        for c in Client.select().where(Client.organisation == org.id)
    ]
    fix_rates = {p.first_time_fix for trend in rates for p in trend if p.first_time_fix}
    assert min(fix_rates) < 100  # some repairs came back within a week
    assert ReportDelivery.select().count() == 1
    assert Organisation.get_by_id(org.id).logo_key  # stored after the row was made
    assert WorkOrderFile.select().count() >= 2  # photos for the service report
