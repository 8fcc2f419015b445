"""Checklist rules in the model: copies, limits, required items before completion, one
follow-up per finding, and procedure edits with their audit rows."""

import io
from decimal import Decimal

import pytest
from PIL import Image

from models import Activity, AuditEvent, ChecklistItem, Procedure, ProcedureItem, WorkOrder
from models.checklist import ChecklistError
from models.procedure import ProcedureError
from models.storage import LocalStorage
from models.work_order import TransitionError

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
    {"label": "Remarks", "kind": "text"},
    {"label": "Photo of the fan section", "kind": "photo"},
]


@pytest.fixture
def job(make_project, make_asset, make_user):
    project = make_project()
    asset = make_asset(project, tag="AHU-07")
    manager = make_user("manager", organisation=project.organisation_id)
    tech = make_user("technician", projects=[project])
    procedure = Procedure.create_with_items(manager, "AHU quarterly service", "", ITEMS)
    order = WorkOrder.open_for(manager, project, asset=asset, title="Quarterly service")
    return {"manager": manager, "tech": tech, "procedure": procedure, "order": order}


def items_of(order):
    return {i.label: i for i in ChecklistItem.for_order(order)}


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def test_attach_copies_the_items_in_order_and_later_edits_do_not_touch_them(job):
    order, procedure = job["order"], job["procedure"]
    assert ChecklistItem.attach(job["tech"], order, procedure) == 5
    copied = ChecklistItem.for_order(order)
    assert [i.label for i in copied] == [s["label"] for s in ITEMS]
    assert copied[2].lower_limit == 12 and copied[2].unit == "°C" and copied[0].required
    first = procedure.item_list()[0]
    procedure.save_with_items(
        job["manager"],
        procedure.name,
        "",
        [{"id": first.id, "label": "Filters changed", "kind": "checkbox"}],
    )
    assert [i.label for i in ChecklistItem.for_order(order)][0] == "Filters replaced"
    assert ProcedureItem.select().count() == 1
    assert "Attached checklist “AHU quarterly service” (5 items)" in [
        a.body for a in Activity.select()
    ]


def test_the_same_procedure_twice_is_refused_and_another_appends(job):
    order = job["order"]
    ChecklistItem.attach(job["tech"], order, job["procedure"])
    with pytest.raises(ChecklistError, match="already on this order"):
        ChecklistItem.attach(job["tech"], order, job["procedure"])
    other = Procedure.create_with_items(
        job["manager"], "Belt drive check", "", [{"label": "Belt tension", "kind": "passfail"}]
    )
    ChecklistItem.attach(job["tech"], order, other)
    ChecklistItem.add_to(job["tech"], order, label="Check the drain", kind="checkbox")
    labels = [i.label for i in ChecklistItem.for_order(order)]
    assert labels[-2:] == ["Belt tension", "Check the drain"] and len(labels) == 7


@pytest.mark.parametrize(
    "typed, stored, flag",
    [
        ("15", "15", ""),
        ("11,5", "11.5", "below"),
        (" 18.0004 ", "18", ""),
        ("18.01", "18.01", "above"),
    ],
)
def test_a_reading_outside_its_limits_is_flagged(job, typed, stored, flag):
    ChecklistItem.attach(job["tech"], job["order"], job["procedure"])
    item = items_of(job["order"])["Supply air temperature"]
    item.record(job["tech"], typed)
    fresh = ChecklistItem.get_by_id(item.id)
    assert (fresh.answer, fresh.flag) == (stored, flag)
    assert fresh.answered_by_id == job["tech"].id and fresh.answered_at is not None
    flagged = Activity.select().where(Activity.kind == "flag")
    assert flagged.count() == (1 if flag else 0)
    if flag:
        assert f"{flag} the" in flagged.get().body.lower()


@pytest.mark.parametrize("typed", ["warm", "1e12", "NaN", "--1"])
def test_a_reading_that_is_not_a_number_is_refused(job, typed):
    ChecklistItem.attach(job["tech"], job["order"], job["procedure"])
    item = items_of(job["order"])["Supply air temperature"]
    with pytest.raises(ChecklistError, match="Enter a number"):
        item.record(job["tech"], typed)
    assert ChecklistItem.get_by_id(item.id).answered_at is None


def test_required_items_block_completion_until_answered(job):
    order, tech = job["order"], job["tech"]
    ChecklistItem.attach(tech, order, job["procedure"])
    order.transition(tech, "in_progress", "open")
    with pytest.raises(TransitionError, match="2 required checklist items are not answered yet"):
        order.transition(tech, "completed", "in_progress")
    items = items_of(order)
    items["Filters replaced"].record(tech, "done")
    with pytest.raises(TransitionError, match="1 required checklist item is not answered yet"):
        order.transition(tech, "completed", "in_progress")
    items["Belt condition"].record(tech, "na")
    order.transition(tech, "completed", "in_progress")
    assert WorkOrder.get_by_id(order.id).status == "completed"
    with pytest.raises(ChecklistError, match="only while the order is open"):
        items["Remarks"].record(tech, "too late")


def test_clearing_an_answer_makes_a_required_item_unanswered_again(job):
    ChecklistItem.attach(job["tech"], job["order"], job["procedure"])
    item = items_of(job["order"])["Filters replaced"]
    item.record(job["tech"], "done")
    item.record(job["tech"], "")
    assert ChecklistItem.get_by_id(item.id).answered_at is None
    assert ChecklistItem.unanswered_required(job["order"].id) == 2


def test_a_failed_item_raises_one_follow_up_linked_both_ways(job):
    order, tech = job["order"], job["tech"]
    ChecklistItem.attach(tech, order, job["procedure"])
    item = items_of(order)["Belt condition"]
    with pytest.raises(ChecklistError, match="Only a failed item"):
        item.raise_follow_up(tech)
    item.record(tech, "fail", note="Belt cracked, glazing on the pulley")
    follow_up, created = item.raise_follow_up(tech)
    again, created_again = ChecklistItem.get_by_id(item.id).raise_follow_up(tech)
    assert created and not created_again and again.id == follow_up.id
    assert WorkOrder.select().count() == 2
    assert follow_up.title == "Follow-up: Belt condition on AHU-07"
    assert follow_up.type == "corrective" and follow_up.follow_up_of_id == order.id
    assert follow_up.asset_id == order.asset_id and follow_up.project_id == order.project_id
    assert "Belt cracked, glazing on the pulley" in follow_up.description
    assert follow_up.number == order.number + 1
    bodies = {
        a.work_order_id: a.body for a in Activity.select().where(Activity.kind == "follow_up")
    }
    assert bodies[order.id] == f"Raised follow-up {follow_up.reference} for “Belt condition”"
    assert bodies[follow_up.id].startswith(f"Follow-up of {order.reference}")


def test_a_photo_is_stored_with_a_thumbnail_and_a_pdf_is_refused(job, tmp_path):
    storage = LocalStorage(tmp_path)
    ChecklistItem.attach(job["tech"], job["order"], job["procedure"])
    item = items_of(job["order"])["Photo of the fan section"]
    with pytest.raises(ChecklistError, match="must be an image"):
        item.record(job["tech"], photo=(b"%PDF-1.7 fake", "report.pdf"), storage=storage)
    with pytest.raises(ChecklistError, match="Choose a photo"):
        item.record(job["tech"], storage=storage)
    assert not list(tmp_path.rglob("*.*"))
    item.record(job["tech"], photo=(png_bytes(), "fan.png"), storage=storage)
    fresh = ChecklistItem.get_by_id(item.id)
    assert fresh.photo_type == "image/png" and fresh.answer_text == "Photo"
    assert storage.get(fresh.photo_key) == png_bytes()
    assert storage.get(fresh.thumbnail_key).startswith(b"\xff\xd8\xff")


def test_procedure_edits_keep_ids_reorder_and_are_audited(job):
    procedure, manager = job["procedure"], job["manager"]
    items = procedure.item_list()
    specs = [dict(i.spec(), id=i.id) for i in items]
    specs = [specs[1], specs[0]] + [{"label": "Drain pan clean", "kind": "checkbox"}]
    changes = procedure.save_with_items(manager, "AHU service (quarterly)", "Every 3 months", specs)
    assert changes["name"] == ("AHU quarterly service", "AHU service (quarterly)")
    after = procedure.item_list()
    assert [i.label for i in after] == ["Belt condition", "Filters replaced", "Drain pan clean"]
    assert after[0].id == items[1].id and after[0].position == 1
    assert procedure.save_with_items(manager, procedure.name, procedure.description, specs) == {}
    actions = [a.action for a in AuditEvent.select().where(AuditEvent.entity_type == "procedure")]
    assert actions == ["create", "update"]
    procedure.archive(manager)
    assert Procedure.choices_for(manager) == []


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"label": "  ", "kind": "checkbox"}, "needs a label"),
        ({"label": "Pressure", "kind": "dial"}, "what kind of answer"),
        ({"label": "Done", "kind": "checkbox", "unit": "bar"}, "Only number items"),
        (
            {"label": "P", "kind": "number", "lower_limit": Decimal(5), "upper_limit": Decimal(1)},
            "lower limit must not be above",
        ),
    ],
)
def test_impossible_items_are_refused(job, spec, message):
    with pytest.raises(ProcedureError, match=message):
        Procedure.create_with_items(job["manager"], "Bad one", "", [spec])
    assert Procedure.select().count() == 1
