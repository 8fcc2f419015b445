"""The job sheet: a printable work order with what a technician needs on site, a QR code back
to the order, room to write, and signature boxes; visible to whoever may see the order."""

import datetime
import re

import pytest
from test_work_orders_signoff import sign, squiggle

from models import WorkOrder


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    app.config["STORAGE_URL"] = f"file://{tmp_path / 'store'}"


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org(name="Northwind Maintenance")
    london = make_location(
        org, name="London", timezone="Europe/London", address="1 Dock Road\nLondon E16"
    )
    client = make_client(london, name="Acme Foods", contact_name="Ann Lee", phone="020 7946 0000")
    project = make_project(client, code="ACME-1", name="Acme HVAC")
    other_project = make_project(client, code="ACME-2", name="Acme Lifts")
    asset = make_asset(
        project,
        tag="AHU-01",
        name="Air handler 1",
        make="Daikin",
        model_name="D-AHU",
        serial="SN123",
    )
    tech = make_user("technician", organisation=org, projects=[project], name="Tom Tech")
    pat = make_user("technician", organisation=org, projects=[project], name="Pat Fitter")
    manager = make_user("manager", organisation=org, name="Mia Manager")
    order = WorkOrder.open_for(
        manager,
        project,
        [tech, pat],
        title="Replace fan belt",
        description="Belt squeals at start-up.",
        asset=asset,
        priority="high",
        type="corrective",
        due_at=datetime.datetime(2026, 7, 1, 8, 30),  # 09:30 in London (BST)
        requires_signature=True,
    )
    return {
        "order": order,
        "tech": tech,
        "manager": manager,
        "outsider": make_user("technician", organisation=org, projects=[other_project]),
        "client_user": make_user("client", organisation=org, client=client),
        "stranger": make_user("admin"),
    }


def test_the_sheet_has_what_the_technician_needs(app, client, auth, site):
    order = site["order"]
    auth.login(site["tech"])
    response = client.get(f"/work-orders/{order.id}/sheet")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in (
        "Northwind Maintenance",
        "WO-000001",
        "Replace fan belt",
        "Belt squeals at start-up.",
        "Open",
        "High",
        "Corrective",
        "01 Jul 2026 09:30 BST",  # the site's local time, not UTC
        "London",
        "1 Dock Road",
        "Acme Foods",
        "Ann Lee",
        "ACME-1 Acme HVAC",
        "AHU-01",
        "Air handler 1",
        "Daikin D-AHU",
        "SN123",
        "Pat Fitter, Tom Tech",
        "Checklist / work done",
        "Parts used",
        "Time",
        "Technician",
        "signature required",
        "print.css",
    ):
        assert text in page, text
    qr = re.search(r'<figure class="sheet-qr">\s*<svg[^>]*>.*?</svg>', page, re.S)
    assert qr, "no inline QR code"
    assert f"http://localhost/work-orders/{order.id}" in page  # what the QR encodes
    assert page.count('class="box"') == 8  # blank checklist lines with a box to tick
    assert "signature.png" not in page  # nobody signed yet


def test_the_qr_code_encodes_the_order_url(app, client, auth, site):
    """The QR's modules are exactly segno's for the order's address under BASE_URL."""
    import segno

    order = site["order"]
    app.config["BASE_URL"] = "https://fettle.example.com/"
    auth.login(site["tech"])
    page = client.get(f"/work-orders/{order.id}/sheet").get_data(as_text=True)
    expected = segno.make(f"https://fettle.example.com/work-orders/{order.id}", error="m")
    assert expected.svg_inline(omitsize=True, border=0) in page


def test_a_signed_order_shows_the_signature_name_and_time(client, auth, site):
    order = site["order"]
    order.transition(site["tech"], "in_progress", "open")
    auth.login(site["tech"])
    assert sign(client, order, squiggle(), "Ann Lee").status_code == 302
    client.post(
        f"/work-orders/{order.id}/status", data={"to": "completed", "seen_status": "in_progress"}
    )
    page = client.get(f"/work-orders/{order.id}/sheet").get_data(as_text=True)
    signoff = page.split('class="sheet-block sheet-signoff"', 1)[1].split("</section>", 1)[0]
    assert f'src="/work-orders/{order.id}/signature.png"' in signoff
    assert "Ann Lee" in signoff and "Tom Tech" in signoff
    assert len(re.findall(r"\d\d \w{3} \d{4} \d\d:\d\d (BST|GMT)", signoff)) == 2


def test_the_sheet_is_visible_within_scope_only(client, auth, site):
    url = f"/work-orders/{site['order'].id}/sheet"
    for user, status in (
        (site["client_user"], 200),
        (site["manager"], 200),
        (site["outsider"], 404),
        (site["stranger"], 404),
    ):
        auth.login(user)
        assert client.get(url).status_code == status, user.role
        auth.logout()
    assert client.get(url).status_code == 302
    assert client.get("/work-orders/999999/sheet").status_code == 302  # sign in first


def test_the_order_page_links_to_the_sheet(client, auth, site):
    auth.login(site["client_user"])
    page = client.get(f"/work-orders/{site['order'].id}").get_data(as_text=True)
    head = page.split('class="page-head"', 1)[1].split("</div>\n</div>", 1)[0]
    assert f'href="/work-orders/{site["order"].id}/sheet"' in head


def test_an_order_without_asset_or_due_date_still_prints(client, auth, site):
    order = site["order"]
    WorkOrder.update(asset=None, due_at=None).where(WorkOrder.id == order.id).execute()
    auth.login(site["manager"])
    page = client.get(f"/work-orders/{order.id}/sheet").get_data(as_text=True)
    assert "Project as a whole" in page and "No due date" in page


def test_queries_do_not_grow_with_assignees(client, auth, site, make_user):
    from test_assets_list import counting_queries

    order = site["order"]
    auth.login(site["manager"])
    url = f"/work-orders/{order.id}/sheet"
    with counting_queries() as before:
        assert client.get(url).status_code == 200
    more = [make_user("technician", projects=[order.project]) for _ in range(4)]
    order.set_assignees(site["manager"], [site["tech"], *more])
    with counting_queries() as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before) <= 14


def test_the_sheet_lists_the_orders_checklist(client, auth, make_project, make_user):
    from models import ChecklistItem, Procedure, WorkOrder

    project = make_project()
    manager = make_user("manager", organisation=project.organisation_id)
    order = WorkOrder.open_for(manager, project, title="Service")
    items = [
        {"label": "Check the seal", "kind": "passfail", "required": True},
        {
            "label": "Discharge pressure",
            "kind": "number",
            "unit": "bar",
            "lower_limit": 2,
            "upper_limit": 4,
        },
    ]
    ChecklistItem.attach(manager, order, Procedure.create_with_items(manager, "Pump", "", items))
    pressure = next(i for i in ChecklistItem.for_order(order) if i.kind == "number")
    pressure.record(manager, "5.5")
    auth.login(manager)
    sheet = client.get(f"/work-orders/{order.id}/sheet").get_data(as_text=True)
    assert "Check the seal" in sheet and "Pass / Fail / N/A" in sheet
    assert "5.5 bar" in sheet and "Above the upper limit" in sheet
