"""The period report's page and CSV: who may see which report, what it says for a month
built by hand, and bad input answered with a clear page (never a 500).

Acme (projects ACME-1 and ACME-2) and Globex are clients of one organisation. In March 2026
(Europe/London, all times below are UTC and well inside the month) Acme's ACME-1 had:
three repairs on AHU-01 taking 4, 6 and 8 hours (MTTR 6.0 h), two preventive services,
2 hours of labour, 63.00 of parts, 5 hours of downtime, and one order raised on 20 March,
due 25 March and still open: open and overdue at the end of the month. Globex had one
repair of 100 hours with 999.99 of parts, which no Acme report may show.
"""

import csv
import datetime
import io

import pytest

from models import Downtime, PartUsed, TimeEntry, WorkOrder

D = datetime.datetime
MARCH = "period=month&month=2026-03"
HX = {"HX-Request": "true"}


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org(name="Northwind Maintenance")
    london = make_location(org, name="London", timezone="Europe/London")
    acme, globex = make_client(london, name="Acme Foods"), make_client(london, name="Globex")
    acme1 = make_project(acme, code="ACME-1", name="Acme HVAC")
    acme2 = make_project(acme, code="ACME-2", name="Acme Lifts")
    glx = make_project(globex, code="GLX-1", name="Globex plant")
    ahu = make_asset(acme1, tag="AHU-01", name="Air handler 1")
    pump = make_asset(glx, tag="GLX-PUMP", name="Globex pump")
    tech = make_user("technician", organisation=org, projects=[acme1], name="Tom Tech")
    numbers = iter(range(901, 999))  # WorkOrder.open_for numbers from 1

    def order(asset, created, hours=None, type="corrective", status="closed", **kw):
        completed = created + datetime.timedelta(hours=hours) if hours is not None else None
        return WorkOrder.create(
            organisation=org.id,
            location=london.id,
            client=asset.client_id,
            project=asset.project_id,
            asset=asset.id,
            number=next(numbers),
            title=kw.pop("title", f"{type} work"),
            type=type,
            status=status,
            created_at=created,
            completed_at=completed,
            **kw,
        )

    repairs = [
        order(ahu, D(2026, 3, 3, 9), 4, title="Fan belt squeal"),
        order(ahu, D(2026, 3, 10, 9), 6, title="Tripped on overload"),
        order(ahu, D(2026, 3, 24, 9), 8, title="Condensate leak"),
    ]
    order(ahu, D(2026, 3, 5, 9), 2, type="preventive", title="Monthly filter change")
    order(ahu, D(2026, 3, 12, 9), 3, type="preventive", title="Quarterly service")
    order(ahu, D(2026, 3, 20, 9), status="open", due_at=D(2026, 3, 25, 9), title="Damper stuck")
    for minutes, when in ((90, D(2026, 3, 3, 10)), (30, D(2026, 3, 10, 10))):
        TimeEntry.create(
            organisation=org.id,
            work_order=repairs[0].id,
            user=tech.id,
            source="manual",
            started_at=when,
            ended_at=when + datetime.timedelta(minutes=minutes),
            minutes=minutes,
        )
    for description, quantity, cost in (("V-belt", 2, "12.50"), ("Contactor", 1, "38.00")):
        PartUsed.create(
            organisation=org.id,
            work_order=repairs[1].id,
            description=description,
            quantity=quantity,
            unit_cost=cost,
        )
    Downtime.create(
        organisation=org.id,
        work_order=repairs[1].id,
        asset=ahu.id,
        started_at=D(2026, 3, 10, 9),
        ended_at=D(2026, 3, 10, 14),
        minutes=300,
    )
    secret = order(pump, D(2026, 3, 6, 9), 100, title="Globex secret repair")
    PartUsed.create(
        organisation=org.id,
        work_order=secret.id,
        description="Gold",
        quantity=1,
        unit_cost="999.99",
    )
    return {
        "org": org,
        "acme": acme,
        "acme1": acme1,
        "acme2": acme2,
        "globex": globex,
        "ahu": ahu,
        "manager": make_user("manager", organisation=org),
        "admin": make_user("admin", organisation=org),
        "tech": tech,
        "acme_user": make_user("client", organisation=org, client=acme),
        "globex_user": make_user("client", organisation=org, client=globex),
        "stranger": make_user("admin"),
    }


def get(client, auth, user, url, **kw):
    auth.login(user)
    return client.get(url, **kw)


def text(response):
    return response.get_data(as_text=True)


def test_the_month_for_a_client_shows_its_figures(client, auth, site):
    response = get(
        client, auth, site["manager"], f"/reports/period?client={site['acme'].id}&{MARCH}"
    )
    assert response.status_code == 200
    page = text(response)
    for expected in (
        "Maintenance report",
        "Northwind Maintenance",
        "Acme Foods",
        "March 2026",
        "6.0 h",  # MTTR: (4 + 6 + 8) / 3
        "3 corrective · 2 planned",
        "2.0 h",  # labour: 90 + 30 minutes
        "63.00",  # parts: 2 x 12.50 + 38.00
        "5.0 h",  # downtime
        "Fan belt squeal",
        "Damper stuck",
        "overdue",
    ):
        assert expected in page, expected
    assert "Globex secret repair" not in page
    assert "999.99" not in page
    assert "<svg" in page  # the trend charts, drawn on the server


def test_a_project_narrows_the_report_and_one_without_work_says_so(client, auth, site):
    auth.login(site["manager"])
    page = text(client.get(f"/reports/period?project={site['acme1'].id}&{MARCH}"))
    assert "ACME-1 Acme HVAC" in page and "Fan belt squeal" in page
    empty = client.get(f"/reports/period?project={site['acme2'].id}&{MARCH}")
    assert empty.status_code == 200
    assert "No work was raised, completed or open" in text(empty)


def test_a_client_user_gets_its_own_client_and_nobody_elses(client, auth, site):
    acme_user = site["acme_user"]
    assert get(client, auth, acme_user, f"/reports/period?{MARCH}").status_code == 200
    assert "Acme Foods" in text(client.get(f"/reports/period?{MARCH}"))
    for url in (
        f"/reports/period?client={site['globex'].id}&{MARCH}",
        f"/reports/period?client={site['globex'].id}&{MARCH}&format=pdf",
        f"/reports/period?client={site['globex'].id}&{MARCH}&format=csv&table=work",
        f"/reports/period?client={site['acme'].id}&project=999999&{MARCH}",
        f"/reports/period?client={site['acme'].id}&project={site['acme1'].id + 2}&{MARCH}",
    ):
        assert client.get(url).status_code == 404, url


def test_another_organisation_cannot_open_the_report(client, auth, site):
    response = get(client, auth, site["stranger"], f"/reports/period?client={site['acme'].id}")
    assert response.status_code == 404


def test_technicians_use_the_service_and_asset_reports_instead(client, auth, site):
    tech = site["tech"]
    assert get(client, auth, tech, f"/reports/period?client={site['acme'].id}").status_code == 403
    # A client the technician cannot see at all is not confirmed to exist.
    assert client.get(f"/reports/period?client={site['globex'].id}").status_code == 404


def csv_rows(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(text(response))))


def test_every_table_downloads_as_csv_with_only_visible_rows(client, auth, site):
    auth.login(site["acme_user"])
    base = f"/reports/period?{MARCH}&format=csv&table="
    work = csv_rows(client.get(base + "work"))
    assert work[0][:3] == ["completed (site time)", "number", "type"]
    assert sorted(row[6] for row in work[1:]) == sorted(
        [
            "Fan belt squeal",
            "Tripped on overload",
            "Condensate leak",
            "Monthly filter change",
            "Quarterly service",
        ]
    )
    summary = dict(csv_rows(client.get(base + "summary"))[1:])
    assert summary["MTTR hours"] == "6.00"
    assert summary["Parts cost"] == "63.00"
    assert summary["Open at period end"] == "1"
    assert [row[0] for row in csv_rows(client.get(base + "open"))[1:]]  # the open order
    assert csv_rows(client.get(base + "downtime"))[1] == ["AHU-01", "Air handler 1", "5.00", "1"]
    assert csv_rows(client.get(base + "labour"))[1] == ["Tom Tech", "1", "2.00"]
    assert len(csv_rows(client.get(base + "trend"))) == 13  # header and 12 months
    for table in ("pm", "assets"):
        assert csv_rows(client.get(base + table))
    everything = "".join(text(client.get(base + t)) for t in ("work", "open", "assets", "downtime"))
    assert "Globex" not in everything and "GLX" not in everything
    assert client.get(base + "nonsense").status_code == 404


def test_a_csv_cell_cannot_run_as_a_formula(client, auth, site):
    WorkOrder.update(title='=HYPERLINK("http://evil")').where(
        WorkOrder.title == "Condensate leak"
    ).execute()
    auth.login(site["manager"])
    rows = csv_rows(
        client.get(f"/reports/period?client={site['acme'].id}&{MARCH}&format=csv&table=work")
    )
    assert '\'=HYPERLINK("http://evil")' in [row[6] for row in rows]


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("period=range&from=2026-03-10&to=2026-03-01", "to", "The end is before the start"),
        ("period=range&from=2000-01-01&to=2020-01-01", "to", "longer than three years"),
        ("period=range&from=yesterday&to=2026-03-01", "from", "Enter the start as a date"),
        ("period=month&month=2026-13", "month", "Enter the month as YYYY-MM"),
        ("period=quarter&quarter=2026-Q5", "quarter", "Enter the quarter as YYYY-Qn"),
        ("period=fortnight", "period", "Choose a month, a quarter or a range"),
        ("period=month&month=1850-01", "month", "between 2000 and 2100"),
    ],
)
def test_bad_periods_get_a_message_at_the_field(client, auth, site, query, field, message):
    auth.login(site["manager"])
    for output in ("", "&format=pdf", "&format=csv&table=work"):
        response = client.get(f"/reports/period?client={site['acme'].id}&{query}{output}")
        assert response.status_code == 422
        page = text(response)
        assert message in page
        assert f'id="{field}-error"' in page


def test_an_empty_period_says_so_rather_than_showing_zeros(client, auth, site):
    auth.login(site["manager"])
    response = client.get(
        f"/reports/period?client={site['acme'].id}&period=range&from=2020-01-01&to=2020-01-31"
    )
    assert response.status_code == 200
    page = text(response)
    assert "No work was raised, completed or open for Acme Foods" in page
    assert "–" in page  # no MTTR rather than a made-up 0


def test_without_a_client_the_form_asks_for_one(client, auth, site):
    auth.login(site["manager"])
    assert client.get("/reports/period").status_code == 200
    response = client.get("/reports/period?client=abc")
    assert response.status_code == 422
    assert "Choose a client or a project." in text(response)


def test_the_report_is_also_an_htmx_fragment(client, auth, site):
    auth.login(site["manager"])
    url = f"/reports/period?client={site['acme'].id}&{MARCH}"
    fragment = text(client.get(url, headers=HX))
    assert '<div id="report">' in fragment and "<html" not in fragment
    assert "<html" in text(client.get(url))


def test_the_permanent_link_names_the_period_in_dates(client, auth, site):
    auth.login(site["acme_user"])
    page = text(client.get("/reports/period"))  # last month, whenever that is
    assert "period=month&amp;month=" in page
    assert f"client={site['acme'].id}" in page


def test_the_queries_do_not_grow_with_the_work(client, auth, site, make_asset):
    from test_assets_list import counting_queries

    auth.login(site["manager"])
    url = f"/reports/period?client={site['acme'].id}&{MARCH}"
    client.get(url)
    with counting_queries() as before:
        client.get(url)
    for n in range(30):
        asset = make_asset(site["acme1"], tag=f"X-{n}")
        WorkOrder.create(
            organisation=site["org"].id,
            location=asset.location_id,
            client=asset.client_id,
            project=asset.project_id,
            asset=asset.id,
            number=500 + n,
            title="more",
            type="corrective",
            status="closed",
            created_at=D(2026, 3, 15),
            completed_at=D(2026, 3, 16),
        )
    with counting_queries() as after:
        client.get(url)
    assert len(after) == len(before)
    assert len(before) < 45
