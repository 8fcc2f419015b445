"""The shape that keeps the work order list fast at a million orders: counts capped with an
honest "+", at most 8 queries a page for every role, undated work last both ways, and the
title search index kept in step with the orders."""

# ruff: noqa: F811 (the `depot` fixture is shared with test_work_orders_dispatch)

import datetime
import re

import pytest
from test_work_orders_dispatch import HX, counting_queries, depot, raise_order  # noqa: F401

import models.work_order
from models import User, WorkOrder, utcnow
from models.work_order import title_matching
from views.work_orders import dispatch

MAX_QUERIES = 8


def refs(response):
    return re.findall(r">WO-(\d{6})</a>", response.get_data(as_text=True))


def test_a_long_list_counts_to_the_limit_and_says_so(client, auth, depot, monkeypatch):
    monkeypatch.setattr(dispatch, "COUNT_LIMIT", 4)
    for n in range(7):
        raise_order(depot, f"Job {n}")
    auth.login(depot["manager"])
    page = client.get("/work-orders?per_page=25").get_data(as_text=True)
    assert "1–4 of 4+" in page
    assert "Last »" not in page
    assert len(refs(client.get("/work-orders?per_page=25"))) == 4

    # Past the counted rows: the last countable page, and a notice saying how to go on.
    deep = client.get("/work-orders?per_page=25&page=3").get_data(as_text=True)
    assert "Only the first 4 can be paged through" in deep
    assert "Narrow the filters or sort the other way" in deep

    # A list shorter than the limit is counted exactly.
    monkeypatch.setattr(dispatch, "COUNT_LIMIT", 10)
    exact = client.get("/work-orders").get_data(as_text=True)
    assert "1–7 of 7<" in exact and "7+" not in exact


def test_sorting_the_other_way_reaches_the_rows_past_the_limit(client, auth, depot, monkeypatch):
    monkeypatch.setattr(dispatch, "COUNT_LIMIT", 3)
    made = [raise_order(depot, f"Job {n}") for n in range(6)]
    auth.login(depot["manager"])
    first = refs(client.get("/work-orders?sort=number"))
    last = refs(client.get("/work-orders?sort=-number"))
    assert first == [f"{o.number:06d}" for o in made[:3]]
    assert last == [f"{o.number:06d}" for o in reversed(made[3:])]


@pytest.mark.parametrize("role", ["admin", "manager", "limited", "technician", "client"])
def test_every_role_gets_the_list_in_at_most_8_queries(
    client, auth, depot, make_user, make_location, role
):
    org = depot["org"]
    users = {
        "admin": lambda: make_user("admin", organisation=org),
        "manager": lambda: depot["manager"],
        "limited": lambda: make_user(
            "manager", organisation=org, locations=[depot["project"].location]
        ),
        "technician": lambda: depot["ann"],
        "client": lambda: make_user("client", organisation=org, client=depot["client"]),
    }
    raise_order(depot, "Leaking valve", assignees=[depot["ann"]], asset=depot["asset"])
    auth.login(users[role]())
    for path, headers in (
        ("/work-orders", {}),
        ("/work-orders?status=all&sort=-priority&q=valve", {}),
        ("/work-orders?assignee=none&overdue=1&page=2", HX),
    ):
        with counting_queries() as queries:
            assert client.get(path, headers=headers).status_code == 200
        assert len(queries) <= MAX_QUERIES, (path, [q.sql for q in queries])


def test_undated_work_comes_last_both_ways(client, auth, depot):
    now = utcnow()
    undated = raise_order(depot, "Undated")
    early = raise_order(depot, "Early", due_at=now + datetime.timedelta(days=1))
    later = raise_order(depot, "Later", due_at=now + datetime.timedelta(days=2))
    auth.login(depot["manager"])
    ref = lambda o: f"{o.number:06d}"  # noqa: E731
    assert refs(client.get("/work-orders?sort=due")) == [ref(early), ref(later), ref(undated)]
    assert refs(client.get("/work-orders?sort=-due")) == [ref(later), ref(early), ref(undated)]


def matching_ids(text):
    return sorted(o.id for o in WorkOrder.select(WorkOrder.id).where(title_matching(text)))


@pytest.mark.parametrize("frequent", [False, True])
def test_the_title_search_follows_inserts_updates_and_deletes(depot, monkeypatch, frequent):
    # frequent: the term counts as common, so it is matched row by row (SQLite's other path)
    monkeypatch.setattr(models.work_order, "FREQUENT_MATCHES", 0 if frequent else 20_000)
    gearbox = raise_order(depot, "Gearbox whine on line 3")
    raise_order(depot, "Filter change")
    assert matching_ids("WHINE") == [gearbox.id]  # any case
    assert matching_ids("box wh") == [gearbox.id]  # across words

    WorkOrder.update(title="Gearbox rattle").where(WorkOrder.id == gearbox.id).execute()
    assert matching_ids("whine") == []
    assert matching_ids("rattle") == [gearbox.id]

    gearbox.delete_instance(recursive=True)
    assert matching_ids("rattle") == []


def test_a_search_is_exact_on_numbers_and_caps_its_count(client, auth, depot, monkeypatch):
    monkeypatch.setattr(dispatch, "SEARCH_COUNT_LIMIT", 2)
    made = [raise_order(depot, f"Pump overhaul {n}") for n in range(4)]
    auth.login(depot["manager"])
    page = client.get("/work-orders?q=overhaul").get_data(as_text=True)
    assert "1–2 of 2+" in page
    assert refs(client.get(f"/work-orders?q=WO-{made[1].number}")) == [f"{made[1].number:06d}"]


def test_the_board_counts_each_column_to_its_limit(client, auth, depot, monkeypatch):
    from views.work_orders import board

    monkeypatch.setattr(board, "COUNT_LIMIT", 1)
    raise_order(depot, "First")
    raise_order(depot, "Second")
    auth.login(depot["manager"])
    page = client.get("/work-orders/board").get_data(as_text=True)
    assert ">1+</a>" in page  # open: two, counted to one
    assert ">0</a>" in page  # in progress: none
    with counting_queries() as queries:
        client.get("/work-orders/board")
    assert len(queries) <= MAX_QUERIES


@pytest.fixture
def mixed_orders(depot, make_asset):
    """31 orders over two projects: dated and undated, every priority, with and without an
    asset, open and finished, with ties on every sort key but the number."""
    now = utcnow()
    other_asset = make_asset(depot["other"], tag="AB-02", name="Boiler")
    priorities = ("low", "medium", "high", "urgent")
    made = []
    for n in range(31):
        project = depot["project"] if n % 2 else depot["other"]
        asset = None if n % 5 == 0 else depot["asset"] if n % 2 else other_asset
        due = None if n % 4 == 0 else now + datetime.timedelta(days=n % 3 - 1)
        order = raise_order(
            depot,
            f"Job {n % 6}",
            project=project,
            asset=asset,
            due_at=due,
            priority=priorities[n % 4],
        )
        if n % 3 == 0:
            WorkOrder.update(status="closed").where(WorkOrder.id == order.id).execute()
        made.append(order)
    return made


@pytest.mark.parametrize("role", ["technician", "client"])
def test_a_narrow_scope_sorted_apart_lists_the_same_rows_in_the_same_order(
    client, auth, depot, make_user, mixed_orders, monkeypatch, role
):
    user = depot["ann"] if role == "technician" else None
    if user is None:
        user = make_user("client", organisation=depot["org"], client=depot["client"])
    auth.login(user)
    for sort in dispatch.SORTS:
        for way in ("", "-"):
            for extra in ("&page=1", "&page=2", "&q=job+1", "&overdue=1"):
                path = f"/work-orders?status=all&sort={way}{sort}{extra}"
                monkeypatch.setattr(dispatch, "SORT_LIMIT", 0)  # walk the sort index
                walked = refs(client.get(path))
                monkeypatch.setattr(dispatch, "SORT_LIMIT", 20_000)  # sort the matches
                with counting_queries() as queries:
                    apart = refs(client.get(path))
                assert any('AS "matching"' in q.sql for q in queries), path
                assert apart == walked and walked, path


def test_unassigned_work_is_counted_like_a_search(client, auth, depot, monkeypatch):
    monkeypatch.setattr(dispatch, "SEARCH_COUNT_LIMIT", 2)
    for n in range(3):
        raise_order(depot, f"Nobody's {n}")
    raise_order(depot, "Ann's", assignees=[depot["ann"]])
    auth.login(depot["manager"])
    page = client.get("/work-orders?assignee=none").get_data(as_text=True)
    assert "1–2 of 2+" in page and "Ann's" not in page
    assert "1–4 of 4<" in client.get("/work-orders").get_data(as_text=True)


def test_my_work_sorts_each_section_by_due_date_then_priority(client, auth, depot):
    ann = depot["ann"]
    User.update(timezone="UTC").where(User.id == ann.id).execute()
    now = utcnow()
    late = now - datetime.timedelta(days=2)
    low = raise_order(depot, "Late, low", assignees=[ann], due_at=late, priority="low")
    urgent = raise_order(depot, "Late, urgent", assignees=[ann], due_at=late, priority="urgent")
    later = raise_order(depot, "Later", assignees=[ann], due_at=late + datetime.timedelta(hours=1))
    raise_order(depot, "No date", assignees=[ann])
    raise_order(depot, "In a month", assignees=[ann], due_at=now + datetime.timedelta(days=30))
    done = raise_order(depot, "Done job", assignees=[ann])
    WorkOrder.update(status="completed", completed_at=now).where(WorkOrder.id == done.id).execute()
    auth.login(ann)
    page = client.get("/my-work").get_data(as_text=True)
    overdue = page[page.index('id="sec-overdue"') : page.index('id="sec-unscheduled"')]
    assert overdue.index(urgent.title) < overdue.index(low.title) < overdue.index(later.title)
    assert re.search(r'id="sec-overdue">Overdue <small class="muted">3<', page)
    assert "No date" in page[page.index('id="sec-unscheduled"') :]
    assert "In a month" not in page  # past the coming two weeks
    assert "Done job" in page[page.index('id="sec-done"') :]


def test_a_frequent_term_is_counted_from_a_sample_of_its_matches_or_else_in_full(
    client, auth, depot, monkeypatch
):
    # On SQLite a frequent term is counted among its first matches in the search index,
    # then, if those are too few, as usual; on PostgreSQL no term is frequent. Either way
    # the counts are the same.
    monkeypatch.setattr(models.work_order, "FREQUENT_MATCHES", 0)
    monkeypatch.setattr(dispatch, "SEARCH_COUNT_LIMIT", 2)
    monkeypatch.setattr(dispatch, "FIRST_MATCHES", 3)
    for n in range(4):
        raise_order(depot, f"Belt check {n}", project=depot["other"])
    raise_order(depot, "Belt in the first project")
    auth.login(depot["manager"])
    assert "1–2 of 2+" in client.get("/work-orders?q=belt").get_data(as_text=True)
    # The first three matches are all in the other project: the narrow list is counted in full.
    narrow = client.get(f"/work-orders?q=belt&project={depot['project'].id}")
    assert "1–1 of 1<" in narrow.get_data(as_text=True)
    assert refs(narrow) == refs(client.get(f"/work-orders?q=Belt+in&project={depot['project'].id}"))
