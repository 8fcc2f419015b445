"""Demo sign-offs: signed completed orders whose images pass the real checks, and open
orders that will need a signature."""

import base64

from models import Activity, Signature, WorkOrder, demo_signoff
from models.signoff import read_signature
from models.storage import LocalStorage


def test_demo_signatures_are_real_signatures(app, tmp_path, make_project, make_user):
    project = make_project()
    tech = make_user("technician", projects=[project], name="Tom Tech")
    orders = [WorkOrder.open_for(tech, project, title=f"Job {n}") for n in range(12)]
    for order in orders[:4]:
        order.transition(tech, "in_progress", "open")
        order.transition(tech, "completed", "in_progress")
    storage = LocalStorage(tmp_path)
    orders = list(WorkOrder.select().order_by(WorkOrder.id))
    org = project.organisation

    signed = demo_signoff.load(org, {"technician": tech}, orders, storage=storage)

    assert len(signed) == demo_signoff.SIGNED_DEMO_ORDERS
    for signature in Signature.select():
        png = storage.get(signature.storage_key)
        read_signature("data:image/png;base64," + base64.b64encode(png).decode())  # not blank
        assert signature.taken_by_id == tech.id
        assert signature.signed_at < signature.work_order.completed_at
    needing = WorkOrder.select().where(
        WorkOrder.requires_signature, WorkOrder.status.in_(("open", "in_progress"))
    )
    assert 1 <= needing.count() <= demo_signoff.OPEN_ORDERS_NEEDING_SIGNATURE
    assert Activity.select().where(Activity.kind == "signature").count() == len(signed)


def test_without_storage_only_requirements_are_set(app, make_project, make_user):
    project = make_project()
    tech = make_user("technician", projects=[project])
    orders = [WorkOrder.open_for(tech, project, title=f"Job {n}") for n in range(3)]
    assert demo_signoff.load(project.organisation, {}, orders) == []
    assert Signature.select().count() == 0
    assert WorkOrder.select().where(WorkOrder.requires_signature).count() >= 1
