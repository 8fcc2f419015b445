"""Procedures at /procedures: everyone in the organisation reads them, admins and managers
write, reorder and archive them; bad rows are refused at the field and nothing is saved."""

import re
from decimal import Decimal

import pytest

from models import ChecklistItem, Procedure, WorkOrder

ITEMS = [
    {"label": "Filters replaced", "kind": "checkbox", "required": True},
    {"label": "Belt condition", "kind": "passfail", "required": True},
    {"label": "Supply air temperature", "kind": "number", "unit": "°C", "lower_limit": Decimal(12)},
    {"label": "Photo of the fan section", "kind": "photo"},
]


@pytest.fixture
def site(make_org, make_project, make_user):
    project = make_project()
    org = project.organisation_id
    manager = make_user("manager", organisation=org)
    procedure = Procedure.create_with_items(manager, "AHU quarterly service", "", ITEMS)
    order = WorkOrder.open_for(manager, project, title="Quarterly service")
    ChecklistItem.attach(manager, order, procedure)
    return {
        "manager": manager,
        "tech": make_user("technician", projects=[project]),
        "client_user": make_user("client", client=project.client),
        "stranger": make_user("admin", organisation=make_org()),
        "procedure": procedure,
        "items": {i.label: i for i in ChecklistItem.for_order(order)},
    }


def procedure_form(**changes):
    data = {
        "name": "Chiller monthly check",
        "description": "",
        "items-0-label": "Evaporator leaving water temperature",
        "items-0-kind": "number",
        "items-0-unit": "°C",
        "items-0-lower_limit": "5",
        "items-0-upper_limit": "8",
        "items-1-label": "Oil level in sight glass",
        "items-1-kind": "passfail",
        "items-1-required": "y",
        "items-2-label": "",
        "items-2-kind": "checkbox",
    }
    data.update(changes)
    return data


def test_everyone_in_the_organisation_reads_procedures_but_only_managers_change_them(
    client, auth, site
):
    procedure_id = site["procedure"].id
    for who in ("tech", "client_user"):
        auth.login(site[who])
        assert "AHU quarterly service" in client.get("/procedures").get_data(as_text=True)
        page = client.get(f"/procedures/{procedure_id}").get_data(as_text=True)
        assert "Supply air temperature" in page and "Edit" not in page
        assert client.get("/procedures/new").status_code == 403
        assert client.post("/procedures/new", data=procedure_form()).status_code == 403
        assert client.get(f"/procedures/{procedure_id}/edit").status_code == 403
        assert client.post(f"/procedures/{procedure_id}/archive").status_code == 403
        auth.logout()
    auth.login(site["stranger"])
    assert client.get(f"/procedures/{procedure_id}").status_code == 404
    assert client.get(f"/procedures/{procedure_id}/edit").status_code == 404
    assert "AHU quarterly" not in client.get("/procedures").get_data(as_text=True)
    assert Procedure.select().count() == 1


def test_a_manager_writes_a_procedure(client, auth, site):
    auth.login(site["manager"])
    assert 'href="/procedures"' in client.get("/work-orders").get_data(as_text=True)
    response = client.post("/procedures/new", data=procedure_form())
    procedure = Procedure.get(Procedure.name == "Chiller monthly check")
    assert response.location.endswith(f"/procedures/{procedure.id}")
    items = procedure.item_list()
    assert [i.label for i in items] == [
        "Evaporator leaving water temperature",
        "Oil level in sight glass",
    ]
    assert items[0].upper_limit == 8 and items[1].required


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": " "}, "This field is required."),
        ({"name": "AHU quarterly service"}, "A procedure with this name exists already."),
        ({"items-0-upper_limit": "4"}, "Must not be below the lowest OK value."),
        ({"items-0-lower_limit": "cold"}, "Not a valid decimal value."),
        ({"items-1-unit": "bar"}, "Only number items have a unit and limits."),
        ({"items-1-kind": "dial"}, "Not a valid choice."),
        ({"items-0-label": "", "items-1-label": ""}, "Add at least one item."),
        ({"items-1-label": "Oil\x00level"}, "not allowed"),
    ],
)
def test_bad_procedures_are_refused_at_the_field(client, auth, site, changes, message):
    auth.login(site["manager"])
    response = client.post("/procedures/new", data=procedure_form(**changes))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert Procedure.select().count() == 1


def test_editing_a_procedure_reorders_without_touching_orders(client, auth, site):
    procedure = site["procedure"]
    auth.login(site["manager"])
    page = client.get(f"/procedures/{procedure.id}/edit").get_data(as_text=True)
    data = {"name": procedure.name, "description": ""}
    for n, item in enumerate(procedure.item_list()):
        for name in ("label", "kind", "unit", "lower_limit", "upper_limit", "guidance"):
            value = getattr(item, name)
            data[f"items-{n}-{name}"] = "" if value is None else str(value)
        data[f"items-{n}-item_id"] = str(item.id)
        assert f'value="{item.id}"' in page
    moved = client.post(f"/procedures/{procedure.id}/edit", data=dict(data, move="0:down"))
    assert moved.status_code == 200
    assert re.search(r'items-0-label"[^>]*value="Belt condition"', moved.get_data(as_text=True))
    assert [i.label for i in procedure.item_list()][0] == "Filters replaced"  # nothing saved
    data["items-3-remove"] = "y"
    data["items-0-label"] = "Filters changed"
    assert client.post(f"/procedures/{procedure.id}/edit", data=data).status_code == 302
    assert [i.label for i in procedure.item_list()] == [
        "Filters changed",
        "Belt condition",
        "Supply air temperature",
    ]
    assert site["items"]["Filters replaced"].label == "Filters replaced"
    assert ChecklistItem.get_by_id(site["items"]["Filters replaced"].id).label == "Filters replaced"
    more = client.post(f"/procedures/{procedure.id}/edit", data=dict(data, more="1"))
    assert more.status_code == 200 and 'name="items-5-label"' in more.get_data(as_text=True)


def test_an_archived_procedure_is_no_longer_offered(client, auth, site):
    auth.login(site["manager"])
    assert client.post(f"/procedures/{site['procedure'].id}/archive").status_code == 302
    client.get(f"/procedures/{site['procedure'].id}")  # shows (and uses up) the notice
    assert "AHU quarterly" not in client.get("/procedures").get_data(as_text=True)
    assert "AHU quarterly" in client.get("/procedures?archived=1").get_data(as_text=True)
    form = client.get("/work-orders/new").get_data(as_text=True)
    assert "AHU quarterly service" not in form
