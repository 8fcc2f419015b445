"""The demo's checklists: procedures, checklists at every stage, one failed item with its
follow-up, and nothing that contradicts the rules (a finished order has no required item
left unanswered)."""

import pytest

from models import Asset, ChecklistItem, Procedure, User, WorkOrder
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


def test_without_demo_orders_it_raises_a_few_of_its_own(demo, tmp_path):
    org, users = demo
    procedures = load(org, users, [], storage=LocalStorage(tmp_path))
    assert len(procedures) == 4 and Procedure.select().count() == 4
    assert WorkOrder.select().count() == 4  # three inspections and the follow-up
    assert ChecklistItem.select().where(ChecklistItem.photo_key.is_null(False)).count() == 2
    check_rules(org)


def test_demo_orders_get_checklists_as_far_as_they_have_got(demo):
    org, users = demo
    manager = users["manager"]
    orders = []
    for category, status in (
        ("Chiller", "completed"),
        ("Air handling unit", "in_progress"),
        ("Fire extinguisher", "open"),
    ):
        asset = Asset.get(Asset.category == category, Asset.parent.is_null())
        order = WorkOrder.open_for(manager, asset.project, asset=asset, title=category)
        if status != "open":
            order.transition(manager, "in_progress", "open")
        if status == "completed":
            order.transition(manager, "completed", "in_progress")
        orders.append(order)
    load(org, users, orders)
    done, half, fresh = (ChecklistItem.for_order(o) for o in orders)
    assert done and all(i.is_answered for i in done if i.kind != "photo")
    assert 0 < sum(i.is_answered for i in half) < len(half)
    assert fresh and not any(i.is_answered for i in fresh)
    check_rules(org)
