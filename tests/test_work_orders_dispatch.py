"""The dispatcher's list (filters, search, sort, constant queries), bulk changes, the board,
and a technician's My work."""

import datetime
import re
from contextlib import contextmanager

import pytest

from models import Activity, User, WorkOrder, db, utcnow

HX = {"HX-Request": "true"}


@contextmanager
def counting_queries():
    queries = []
    db.obj.query_hooks.append(queries.append)
    try:
        yield queries
    finally:
        db.obj.query_hooks.remove(queries.append)


@pytest.fixture
def depot(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    site = make_location(org, name="Leeds", timezone="UTC")
    client = make_client(site, name="Bright Retail")
    project = make_project(client, code="BR-1")
    other = make_project(client, code="BR-2")
    asset = make_asset(project, tag="CH-01", name="Chiller 1")
    manager = make_user("manager", organisation=org, name="Dee Dispatcher")
    ann = make_user("technician", organisation=org, projects=[project, other], name="Ann")
    bob = make_user("technician", organisation=org, projects=[other], name="Bob")
    return {
        "org": org,
        "project": project,
        "other": other,
        "asset": asset,
        "manager": manager,
        "ann": ann,
        "bob": bob,
        "client": client,
    }


def raise_order(depot, title, project=None, assignees=(), **kw):
    return WorkOrder.open_for(
        depot["manager"], project or depot["project"], list(assignees), title=title, **kw
    )


def numbers(response):
    return re.findall(r">WO-(\d{6})</a>", response.get_data(as_text=True))


def test_the_list_shows_active_orders_and_filters_in_the_url(client, auth, depot):
    now = utcnow()
    late = raise_order(
        depot,
        "Late filter change",
        assignees=[depot["ann"]],
        due_at=now - datetime.timedelta(days=2),
        priority="urgent",
    )
    soon = raise_order(
        depot,
        "Quarterly check",
        depot["other"],
        [depot["bob"]],
        due_at=now + datetime.timedelta(days=3),
    )
    loose = raise_order(depot, "Unassigned leak", asset=depot["asset"])
    done = raise_order(depot, "Finished job")
    done.transition(depot["manager"], "in_progress", "open")
    done.transition(depot["manager"], "completed", "in_progress")
    auth.login(depot["manager"])

    def listed(query=""):
        return numbers(client.get("/work-orders" + query, headers=HX))

    ref = lambda o: f"{o.number:06d}"  # noqa: E731
    assert set(listed()) == {ref(late), ref(soon), ref(loose)}
    assert listed("?status=completed") == [ref(done)]
    assert len(listed("?status=all")) == 4
    assert listed("?overdue=1") == [ref(late)]
    assert listed("?assignee=none") == [ref(loose)]
    assert listed(f"?assignee={depot['bob'].id}") == [ref(soon)]
    assert listed(f"?project={depot['other'].id}") == [ref(soon)]
    assert listed(f"?asset={depot['asset'].id}") == [ref(loose)]
    assert listed("?priority=urgent") == [ref(late)]
    assert listed(f"?q=WO-{late.number}") == [ref(late)]
    assert listed(f"?q={soon.number}") == [ref(soon)]
    assert listed("?q=leak") == [ref(loose)]
    row = client.get("/work-orders?q=leak").get_data(as_text=True)
    assert '<span class="tag">CH-01</span> <small>Chiller 1</small>' in row
    today = utcnow().date()
    window = f"?due_from={today}&due_to={today + datetime.timedelta(days=5)}"
    assert listed(window) == [ref(soon)]
    # due first (no date last), then by number; priority sorts by rank, not by name
    assert listed("?sort=due") == [ref(late), ref(soon), ref(loose)]
    assert listed("?sort=-priority")[0] == ref(late)
    assert listed("?status=bogus&sort=nonsense&page=x") == listed()


def test_the_list_costs_the_same_queries_for_more_orders(client, auth, depot):
    auth.login(depot["manager"])
    raise_order(depot, "One", assignees=[depot["ann"]], asset=depot["asset"])

    def cost():
        with counting_queries() as queries:
            assert client.get("/work-orders?per_page=100").status_code == 200
        return len(queries)

    few = cost()
    for n in range(30):
        raise_order(depot, f"Job {n}", assignees=[depot["ann"]], asset=depot["asset"])
    assert cost() == few


def test_client_users_see_their_clients_orders_only(
    client, auth, depot, make_client, make_project, make_user
):
    mine = raise_order(depot, "Ours")
    stranger = make_client(depot["project"].location)
    theirs = raise_order(depot, "Theirs", make_project(stranger))
    user = make_user("client", organisation=depot["org"], client=depot["client"])
    auth.login(user)
    assert numbers(client.get("/work-orders")) == [f"{mine.number:06d}"]
    assert client.get(f"/work-orders/{theirs.id}").status_code == 404
    assert client.get("/work-orders/board").status_code == 403
    assert (
        client.post("/work-orders/bulk", data={"action": "priority", "ids": [mine.id]}).status_code
        == 403
    )


def bulk(client, action, orders, **data):
    return client.post(
        "/work-orders/bulk",
        data={"action": action, "ids": [o.id for o in orders], "confirm": "yes", **data},
    )


def test_bulk_assign_is_all_or_nothing(client, auth, depot):
    a = raise_order(depot, "A")
    b = raise_order(depot, "B", depot["other"])
    auth.login(depot["manager"])
    confirm = client.post("/work-orders/bulk", data={"action": "assign", "ids": [a.id, b.id]})
    assert "Assign: 2 work orders" in confirm.get_data(as_text=True)
    refused = bulk(client, "assign", [a, b], user_id=depot["bob"].id)
    assert refused.status_code == 422
    assert f"Bob is not on the project team of {a.reference}." in refused.get_data(as_text=True)
    assert a.assignee_ids() == [] and b.assignee_ids() == []
    assert bulk(client, "assign", [a, b], user_id=depot["ann"].id).status_code == 302
    assert a.assignee_ids() == [depot["ann"].id] and b.assignee_ids() == [depot["ann"].id]
    assert bulk(client, "assign", [a, b], user_id="").status_code == 422


def test_bulk_reschedule_and_priority(client, auth, depot):
    due = datetime.datetime(2026, 12, 1, 9, 0)
    a = raise_order(depot, "A", due_at=due)
    b = raise_order(depot, "B")
    auth.login(depot["manager"])
    for bad in ("0", "x", "400", ""):
        assert bulk(client, "reschedule", [a, b], days=bad).status_code == 422
    assert WorkOrder.get_by_id(a.id).due_at == due
    assert bulk(client, "reschedule", [a, b], days="-2").status_code == 302
    assert WorkOrder.get_by_id(a.id).due_at == due - datetime.timedelta(days=2)
    assert WorkOrder.get_by_id(b.id).due_at is None
    assert WorkOrder.get_by_id(a.id).version == 2  # an edit form open elsewhere is now stale
    assert bulk(client, "priority", [a, b], priority="whenever").status_code == 422
    assert bulk(client, "priority", [a, b], priority="urgent").status_code == 302
    assert {o.priority for o in WorkOrder.select()} == {"urgent"}
    assert Activity.select().where(Activity.body == "Priority medium → urgent").count() == 2


def test_bulk_refuses_foreign_ids_and_technicians(client, auth, depot, make_project, make_user):
    mine = raise_order(depot, "Mine")
    elsewhere = make_project()
    foreign = WorkOrder.open_for(
        make_user("manager", organisation=elsewhere.organisation_id), elsewhere, title="X"
    )
    auth.login(depot["manager"])
    assert bulk(client, "priority", [mine, foreign], priority="low").status_code == 404
    assert WorkOrder.get_by_id(mine.id).priority == "medium"
    auth.logout()
    auth.login(depot["ann"])
    assert bulk(client, "priority", [mine], priority="low").status_code == 403


def test_board_by_status_and_by_technician(client, auth, depot):
    tomorrow = utcnow() + datetime.timedelta(days=1)
    raise_order(depot, "Board job", assignees=[depot["ann"]], due_at=tomorrow, estimated_hours=3)
    raise_order(
        depot,
        "Late job",
        assignees=[depot["ann"]],
        due_at=utcnow() - datetime.timedelta(days=1),
        estimated_hours=1,
    )
    auth.login(depot["manager"])
    by_status = client.get("/work-orders/board").get_data(as_text=True)
    assert "Board job" in by_status and "Late job" in by_status
    by_tech = client.get("/work-orders/board?by=technician").get_data(as_text=True)
    row = re.search(r"<th scope=\"row\">Ann</th>(.*?)</tr>", by_tech, re.S).group(1)
    cells = re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", row, re.S)
    assert cells[0].startswith("1 <small>· 1.0 h")  # overdue
    assert cells[2].startswith("1 <small>· 3.0 h")  # tomorrow
    assert "Bob" in by_tech


def test_my_work_groups_and_one_tap_start(client, auth, depot):
    ann = depot["ann"]
    User.update(timezone="UTC").where(User.id == ann.id).execute()
    now = utcnow()
    late = raise_order(
        depot, "Overdue job", assignees=[ann], due_at=now - datetime.timedelta(days=1)
    )
    later = raise_order(
        depot, "Next week job", assignees=[ann], due_at=now + datetime.timedelta(days=6)
    )
    raise_order(depot, "Someone else's", assignees=[depot["bob"]], project=depot["other"])
    auth.login(ann)
    page = client.get("/my-work").get_data(as_text=True)
    assert page.index("Overdue job") < page.index("Next week job")
    assert "Someone else" not in page
    started = client.post(
        f"/work-orders/{late.id}/status",
        data={"to": "in_progress", "seen_status": "open", "next": "/my-work"},
    )
    assert started.status_code == 302 and started.location.endswith("/my-work")
    assert WorkOrder.get_by_id(late.id).status == "in_progress"
    outside = client.post(
        f"/work-orders/{later.id}/status",
        data={"to": "in_progress", "seen_status": "open", "next": "https://evil.example/"},
    )
    assert outside.location.endswith(f"/work-orders/{later.id}")


def test_my_work_shows_the_first_ten_of_a_section_and_links_to_the_rest(client, auth, depot):
    ann = depot["ann"]
    late = utcnow() - datetime.timedelta(days=1)
    for n in range(23):
        raise_order(depot, f"Late {n}", assignees=[ann], due_at=late)
    auth.login(ann)
    page = client.get("/my-work").get_data(as_text=True)
    assert page.count('class="job ') == 10
    assert "All 23 overdue" in page and "/work-orders?assignee=me&amp;overdue=1" in page
