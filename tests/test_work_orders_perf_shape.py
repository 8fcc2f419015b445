"""The shape that keeps the work order list fast at a million orders: counts capped with an
honest "+", at most 8 queries a page for every role, undated work last both ways, and the
title search index kept in step with the orders."""

# ruff: noqa: F811 (the `depot` fixture is shared with test_work_orders_dispatch)

import datetime
import re

import pytest
from test_work_orders_dispatch import HX, counting_queries, depot, raise_order  # noqa: F401

import models.work_order
from models import WorkOrder, utcnow
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
