"""Checklist pages on a work order: who may see, answer and manage; 404 outside scope; 422 at
the item for bad input; the HTMX answer swaps just the item; follow-ups in one tap."""

import io
from contextlib import contextmanager
from decimal import Decimal

import pytest
from PIL import Image

from models import Activity, ChecklistItem, Procedure, WorkOrder, db

HX = {"HX-Request": "true"}
ITEMS = [
    {"label": "Filters replaced", "kind": "checkbox", "required": True},
    {"label": "Belt condition", "kind": "passfail", "required": True},
    {
        "label": "Supply air temperature",
        "kind": "number",
        "unit": "°C",
        "lower_limit": Decimal("12"),
        "upper_limit": Decimal("18"),
    },
    {"label": "Photo of the fan section", "kind": "photo"},
]


@contextmanager
def counting_queries():
    queries = []
    db.obj.query_hooks.append(queries.append)
    try:
        yield queries
    finally:
        db.obj.query_hooks.remove(queries.append)


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    london = make_location(org, name="London", timezone="Europe/London")
    client = make_client(london, name="Acme Foods")
    project = make_project(client, code="ACME-1")
    other_project = make_project(client, code="ACME-2")
    asset = make_asset(project, tag="AHU-01", name="Air handler 1")
    manager = make_user("manager", organisation=org, name="Mia Manager")
    tech = make_user("technician", organisation=org, projects=[project], name="Tom Tech")
    procedure = Procedure.create_with_items(manager, "AHU quarterly service", "", ITEMS)
    order = WorkOrder.open_for(manager, project, [tech], asset=asset, title="Quarterly service")
    ChecklistItem.attach(manager, order, procedure)
    stranger_org = make_org()
    return {
        "org": org,
        "manager": manager,
        "tech": tech,
        "outsider": make_user("technician", organisation=org, projects=[other_project]),
        "client_user": make_user("client", organisation=org, client=client),
        "stranger": make_user("admin", organisation=stranger_org),
        "procedure": procedure,
        "order": order,
        "items": {i.label: i for i in ChecklistItem.for_order(order)},
    }


def answer_url(site, label):
    return f"/work-orders/{site['order'].id}/checklist/{site['items'][label].id}"


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def test_the_order_page_shows_the_checklist_with_progress(client, auth, site):
    auth.login(site["tech"])
    body = client.get(f"/work-orders/{site['order'].id}").get_data(as_text=True)
    assert 'id="checklist"' in body and "0 of 4 answered" in body and "2 required left" in body
    assert "Supply air temperature" in body and "OK 12 – 18 °C" in body
    assert body.count('<li id="item-') == 4


def test_an_htmx_answer_returns_only_that_item_and_the_count(client, auth, site):
    auth.login(site["tech"])
    response = client.post(
        answer_url(site, "Supply air temperature"), data={"value": "21"}, headers=HX
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith(
        f'<li id="item-{site["items"]["Supply air temperature"].id}"'
    )
    assert body.count('<li id="item-') == 1 and "Filters replaced" not in body
    assert "21 °C — Above the upper limit (12 – 18 °C)" in body and "Raise follow-up order" in body
    assert 'id="checklist-progress"' in body and 'hx-swap-oob="true"' in body
    assert "1 of 4 answered" in body and "Tom Tech" in body
    item = ChecklistItem.get_by_id(site["items"]["Supply air temperature"].id)
    assert item.flag == "above" and item.answered_by_id == site["tech"].id


def test_without_javascript_an_answer_redirects_back_to_the_item(client, auth, site):
    auth.login(site["tech"])
    response = client.post(answer_url(site, "Belt condition"), data={"value": "pass"})
    assert response.status_code == 302
    assert response.location.endswith(
        f"/work-orders/{site['order'].id}#item-{site['items']['Belt condition'].id}"
    )
    assert ChecklistItem.get_by_id(site["items"]["Belt condition"].id).answer == "pass"


@pytest.mark.parametrize(
    "label, data, message",
    [
        ("Supply air temperature", {"value": "warm"}, "Enter a number, like 12.5."),
        ("Belt condition", {"value": "maybe"}, "Choose pass, fail or n/a."),
        ("Filters replaced", {"value": "yes"}, "Tick the box, or leave it empty."),
        ("Belt condition", {"value": "fail", "note": "x" * 501}, "Field cannot be longer"),
        ("Belt condition", {"value": "pass", "note": "bad\x07bell"}, "not allowed"),
        ("Photo of the fan section", {}, "Choose a photo to upload."),
    ],
)
def test_bad_answers_are_refused_at_the_item(client, auth, site, label, data, message):
    auth.login(site["tech"])
    partial = client.post(answer_url(site, label), data=data, headers=HX)
    assert partial.status_code == 422 and message in partial.get_data(as_text=True)
    assert "<html" not in partial.get_data(as_text=True)
    page = client.post(answer_url(site, label), data=data)
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)
    assert ChecklistItem.select().where(ChecklistItem.answered_at.is_null(False)).count() == 0


def test_a_pdf_is_refused_for_a_photo_item_and_an_image_is_served_to_who_sees_the_order(
    client, auth, site
):
    auth.login(site["tech"])
    url = answer_url(site, "Photo of the fan section")
    pdf = {"photo": (io.BytesIO(b"%PDF-1.7 report"), "photo.jpg")}
    response = client.post(url, data=pdf, headers=HX, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "A photo must be an image" in response.get_data(as_text=True)
    png = {"photo": (io.BytesIO(png_bytes()), "fan.png")}
    response = client.post(url, data=png, headers=HX, content_type="multipart/form-data")
    assert response.status_code == 200 and f"{url}/thumbnail" in response.get_data(as_text=True)
    auth.logout()
    auth.login(site["client_user"])
    photo = client.get(f"{url}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert photo.data == png_bytes()
    assert client.get(f"{url}/thumbnail").mimetype == "image/jpeg"
    for who in ("outsider", "stranger"):
        auth.logout()
        auth.login(site[who])
        assert client.get(f"{url}/photo").status_code == 404


def test_who_may_answer(client, auth, site):
    url = answer_url(site, "Belt condition")
    for who, status in (("client_user", 403), ("outsider", 404), ("stranger", 404)):
        auth.login(site[who])
        assert client.post(url, data={"value": "pass"}).status_code == status, who
        auth.logout()
    auth.login(site["client_user"])
    body = client.get(f"/work-orders/{site['order'].id}").get_data(as_text=True)
    assert "Belt condition" in body and "Mark done" not in body and "Add checklist" not in body
    assert ChecklistItem.select().where(ChecklistItem.answered_at.is_null(False)).count() == 0


def test_an_item_of_another_order_is_not_found(client, auth, site):
    other = WorkOrder.open_for(site["manager"], site["order"].project, title="Other job")
    auth.login(site["tech"])
    item_id = site["items"]["Belt condition"].id
    response = client.post(f"/work-orders/{other.id}/checklist/{item_id}", data={"value": "pass"})
    assert response.status_code == 404


def test_completion_is_refused_until_required_items_are_answered(client, auth, site):
    order = site["order"]
    auth.login(site["tech"])
    client.post(
        f"/work-orders/{order.id}/status", data={"to": "in_progress", "seen_status": "open"}
    )
    done = {"to": "completed", "seen_status": "in_progress"}
    response = client.post(f"/work-orders/{order.id}/status", data=done)
    assert response.status_code == 422
    assert "2 required checklist items are not answered yet." in response.get_data(as_text=True)
    client.post(answer_url(site, "Filters replaced"), data={"value": "done"})
    client.post(answer_url(site, "Belt condition"), data={"value": "na"})
    assert client.post(f"/work-orders/{order.id}/status", data=done).status_code == 302
    late = client.post(answer_url(site, "Supply air temperature"), data={"value": "15"}, headers=HX)
    assert late.status_code == 422 and "only while the order is open" in late.get_data(as_text=True)
    page = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "Mark done" not in page and "Add checklist" not in page


def test_a_failed_item_raises_one_follow_up_shown_on_both_orders(client, auth, site):
    auth.login(site["tech"])
    url = answer_url(site, "Belt condition")
    client.post(url, data={"value": "fail", "note": "Belt frayed on one edge"})
    first = client.post(f"{url}/follow-up")
    second = client.post(f"{url}/follow-up")
    follow_up = WorkOrder.get(WorkOrder.follow_up_of == site["order"].id)
    assert first.location.endswith(f"/work-orders/{follow_up.id}")
    assert second.location == first.location and WorkOrder.select().count() == 2
    page = client.get(f"/work-orders/{follow_up.id}").get_data(as_text=True)
    assert "Raised from a checklist" in page and "Belt frayed on one edge" in page
    assert "Follow-up: Belt condition on AHU-01" in page
    assert f"Follow-up of {site['order'].reference}" in page  # its timeline
    original = client.get(f"/work-orders/{site['order'].id}").get_data(as_text=True)
    assert f'href="/work-orders/{follow_up.id}">{follow_up.reference}</a>' in original
    assert f"Raised follow-up {follow_up.reference}" in original
    auth.logout()
    auth.login(site["client_user"])
    assert client.post(f"{url}/follow-up").status_code == 403


def test_an_item_that_passed_offers_no_follow_up(client, auth, site):
    auth.login(site["tech"])
    url = answer_url(site, "Supply air temperature")
    body = client.post(url, data={"value": "15"}, headers=HX).get_data(as_text=True)
    assert "Raise follow-up order" not in body
    response = client.post(f"{url}/follow-up", follow_redirects=True)
    assert "Only a failed item" in response.get_data(as_text=True)
    assert WorkOrder.select().count() == 1


def test_attach_and_ad_hoc_items_on_the_order_page(client, auth, site):
    other = Procedure.create_with_items(
        site["manager"], "Belt drive check", "", [{"label": "Belt tension", "kind": "passfail"}]
    )
    order_url = f"/work-orders/{site['order'].id}"
    auth.login(site["tech"])
    page = client.get(order_url).get_data(as_text=True)
    assert "Belt drive check" in page and f'<option value="{site["procedure"].id}">AHU' not in page
    assert client.post(f"{order_url}/checklist", data={"procedure_id": other.id}).status_code == 302
    again = client.post(
        f"{order_url}/checklist", data={"procedure_id": other.id}, follow_redirects=True
    )
    assert "“Belt drive check” is already on this order." in again.get_data(as_text=True)
    twice = client.post(
        f"{order_url}/checklist", data={"procedure_id": site["procedure"].id}, follow_redirects=True
    )
    assert "“AHU quarterly service” is already on this order." in twice.get_data(as_text=True)
    assert ChecklistItem.select().count() == 5
    bad = client.post(
        f"{order_url}/checklist/items", data={"label": "Gauge", "kind": "text", "unit": "bar"}
    )
    assert bad.status_code == 422 and "Only number items" in bad.get_data(as_text=True)
    ok = client.post(
        f"{order_url}/checklist/items", data={"label": "Drain pan clear", "kind": "checkbox"}
    )
    assert ok.status_code == 302 and ChecklistItem.select().count() == 6
    assert "Attached checklist “Belt drive check” (1 items)" in [a.body for a in Activity.select()]


def test_only_managers_remove_items(client, auth, site):
    url = answer_url(site, "Filters replaced") + "/remove"
    auth.login(site["tech"])
    assert client.post(url).status_code == 403
    auth.logout()
    auth.login(site["manager"])
    assert client.post(url).status_code == 302
    assert ChecklistItem.select().count() == 3


def test_raising_an_order_with_a_checklist(client, auth, site):
    auth.login(site["manager"])
    form = client.get(f"/work-orders/new?project={site['order'].project_id}").get_data(as_text=True)
    assert 'name="checklist"' in form and "AHU quarterly service" in form
    data = {
        "title": "Spring service",
        "project_id": site["order"].project_id,
        "type": "preventive",
        "priority": "medium",
        "checklist": site["procedure"].id,
    }
    assert client.post("/work-orders/new", data=data).status_code == 302
    new = WorkOrder.get(WorkOrder.title == "Spring service")
    assert len(ChecklistItem.for_order(new)) == 4
    bad = client.post("/work-orders/new", data=dict(data, title="Other", checklist="999"))
    assert bad.status_code == 422 and WorkOrder.select().count() == 2


def test_the_order_page_costs_the_same_queries_with_more_items(client, auth, site):
    auth.login(site["tech"])
    url = f"/work-orders/{site['order'].id}"
    client.get(url)
    with counting_queries() as few:
        client.get(url)
    for n in range(15):
        ChecklistItem.add_to(site["manager"], site["order"], label=f"Extra {n}", kind="text")
        ChecklistItem.get(ChecklistItem.label == f"Extra {n}").record(site["tech"], "ok")
    with counting_queries() as many:
        body = client.get(url).get_data(as_text=True)
    assert "Extra 14" in body and len(many) == len(few)


def test_a_photo_of_a_failure_goes_with_the_follow_up(client, auth, site):
    auth.login(site["tech"])
    url = answer_url(site, "Belt condition")
    data = {"value": "fail", "note": "Cracked", "photo": (io.BytesIO(png_bytes()), "belt.png")}
    response = client.post(url, data=data, headers=HX, content_type="multipart/form-data")
    assert response.status_code == 200 and f"{url}/thumbnail" in response.get_data(as_text=True)
    item = ChecklistItem.get_by_id(site["items"]["Belt condition"].id)
    assert (item.answer, item.flag, item.photo_type) == ("fail", "fail", "image/png")
    client.post(answer_url(site, "Belt condition"), data={"value": "fail", "note": "Cracked!"})
    assert ChecklistItem.get_by_id(item.id).photo_key == item.photo_key  # kept
    follow_up = client.post(f"{url}/follow-up").location.rsplit("/", 1)[-1]
    page = client.get(f"/work-orders/{follow_up}").get_data(as_text=True)
    assert f"{url}/thumbnail" in page and "Cracked!" in page
