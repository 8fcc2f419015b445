"""The demo's checklists: procedures, checklists at every stage, one failed item with its
follow-up, and nothing that contradicts the rules (a finished order has no required item
left unanswered)."""

import pytest

from models import ChecklistItem, Procedure, User, WorkOrder
from models.demo import load_demo
from models.demo_checklists import load
from models.storage import LocalStorage

ROLES = (("admin", "admin"), ("manager", "manager"), ("technician", "tech"), ("client", "client"))


@pytest.fixture
def demo(app):
    org = load_demo(asset_total=80)
    users = {role: User.get(User.email == f"{name}@example.com") for role, name in ROLES}
    return org, users


def check_rules(org):
    follow_up = WorkOrder.get(WorkOrder.follow_up_of.is_null(False))
    source = ChecklistItem.get(ChecklistItem.follow_up == follow_up.id)
    assert source.flag == "fail" and "belt" in source.label and source.note
    for order in WorkOrder.select().where(WorkOrder.organisation == org.id):
        if order.status in ("completed", "closed"):
            assert ChecklistItem.unanswered_required(order.id) == 0


def test_the_demo_has_procedures_and_checklists_at_every_stage(demo):
    org, _users = demo
    assert Procedure.select().where(Procedure.organisation == org.id).count() == 4
    answered = {}
    for order in WorkOrder.select().where(WorkOrder.organisation == org.id):
        items = ChecklistItem.for_order(order)
        if items:
            share = sum(i.is_answered for i in items) / len(items)
            answered.setdefault(order.status, []).append(share)
    finished = answered.get("closed", []) + answered.get("completed", [])
    assert finished and min(finished) > 0.5  # photo items may be left; required ones never
    assert any(0 < s < 1 for s in answered.get("in_progress", []))
    assert answered["open"] and max(answered["open"]) == 0
    check_rules(org)


def test_without_demo_orders_it_raises_a_few_of_its_own(demo, tmp_path):
    org, users = demo
    # the demo already holds the procedures: free their names for a second load
    Procedure.update(name=Procedure.name.concat(" (first)")).execute()
    before = WorkOrder.select().count()
    procedures = load(org, users, [], storage=LocalStorage(tmp_path))
    assert len(procedures) == 4 and Procedure.select().count() == 8
    assert WorkOrder.select().count() == before + 4  # three inspections and the follow-up
    assert ChecklistItem.select().where(ChecklistItem.photo_key.is_null(False)).count() >= 2
    check_rules(org)
