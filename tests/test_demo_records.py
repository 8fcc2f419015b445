"""The demo's recorded work: it loads on orders in every state and the pages show it."""

from models import (
    Activity,
    Comment,
    Downtime,
    Mention,
    PartUsed,
    TimeEntry,
    WorkOrder,
    WorkOrderFile,
)
from models.demo_records import load
from models.storage import LocalStorage
from models.work_order_records import totals


def test_demo_records_load_on_orders_in_every_state(
    client,
    auth,
    make_org,
    make_location,
    make_client,
    make_project,
    make_asset,
    make_user,
    tmp_path,
):
    org = make_org()
    project = make_project(make_client(make_location(org)))
    asset = make_asset(project)
    users = {
        "admin": make_user("admin", organisation=org),
        "manager": make_user("manager", organisation=org, name="Maria Santos"),
        "technician": make_user("technician", organisation=org, projects=[project]),
        "client": make_user("client", organisation=org, client=project.client),
    }
    tech, manager = users["technician"], users["manager"]
    moves = {
        "open": [],
        "in_progress": ["in_progress"],
        "on_hold": ["in_progress", "on_hold"],
        "completed": ["in_progress", "completed"],
        "closed": ["in_progress", "completed", "closed"],
    }
    orders = []
    for n in range(4):
        for status, path in moves.items():
            order = WorkOrder.open_for(
                manager, project, [tech], title=f"{status} {n}", asset=asset, type="corrective"
            )
            for to in path:
                order.transition(manager, to, order.status, "Waiting" if to == "on_hold" else "")
            orders.append(order)
    counts = load(org, users, orders, storage=LocalStorage(tmp_path))
    assert counts["time_entries"] == TimeEntry.select().count() > 0
    assert counts["parts"] == PartUsed.select().count() > 0
    assert counts["downtime"] == Downtime.select().count() > 0
    assert Comment.select().count() >= 3 and Mention.select().count() >= 1
    assert WorkOrderFile.select().count() == counts["photos"] == 4
    open_ids = [o.id for o in orders if o.status == "open"]
    assert not TimeEntry.select().where(TimeEntry.work_order.in_(open_ids)).exists()
    assert not TimeEntry.select().where(TimeEntry.ended_at.is_null()).exists()
    assert Activity.select().where(Activity.kind == "comment").count() == Comment.select().count()
    done = next(o for o in orders if o.status == "completed")
    assert WorkOrder.get_by_id(done.id).completion_notes
    assert totals(done).labour_minutes > 0
    auth.login(tech)
    photo = WorkOrderFile.get()
    page = client.get(f"/work-orders/{photo.work_order_id}").get_data(as_text=True)
    assert "photo 1.jpg" in page and "Completion notes" in page
