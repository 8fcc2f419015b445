"""The calendar's per-day read: the first rows of each day, counted up to a cap, in one
statement whose members reuse one member's SQL (checked against building each)."""

import datetime as dt

from peewee import fn

from models import WorkOrder
from models.calendar_days import _member, first_per_period, per_period_in_one_read, tally
from models.visibility import visible


def test_first_rows_of_each_day_counted_up_to_the_cap(make_project, make_user):
    project = make_project()
    admin = make_user("admin", organisation=project.organisation_id)
    start = dt.datetime(2027, 3, 1)
    number = 0
    for day, count in ((0, 5), (1, 1), (3, 2)):
        for n in range(count):
            number += 1
            WorkOrder.create(
                organisation=project.organisation_id, location=project.client.location_id,
                client=project.client_id, project=project.id, number=number,
                title=f"d{day} n{n}", due_at=start + dt.timedelta(days=day, hours=9 - n),
            )  # fmt: skip
    bounds = [start + dt.timedelta(days=d) for d in range(5)]
    query = visible(WorkOrder, admin).select(WorkOrder.id, WorkOrder.due_at)
    rows = first_per_period(query, WorkOrder.due_at, WorkOrder.id, bounds, cap=3)
    first, counts = tally(rows, 4, shown=2)
    assert counts == [3, 1, 0, 2]  # day 0 has 5: counted up to 3
    titles = {WorkOrder.get_by_id(i).title: period for i, period in first.items()}
    assert titles == {"d0 n4": 0, "d0 n3": 0, "d1 n0": 1, "d3 n1": 3, "d3 n0": 3}  # earliest
    built = None  # the same statement built member by member
    for i in range(4):
        member = _member(query, WorkOrder.due_at, WorkOrder.id, bounds[i], bounds[i + 1], i, 3)
        built = member if built is None else built + member
    assert sorted(rows) == sorted(built.bind(WorkOrder._meta.database).tuples())
    # One person's calendar reads its range once: the same rows, days and caps.
    read_once = per_period_in_one_read(query, WorkOrder.due_at, WorkOrder.id, bounds, cap=3)
    assert sorted(read_once) == sorted(rows)
    clipped = [*bounds[:2], bounds[2], bounds[2], bounds[2]]  # empty periods at the end
    assert {
        p for _, p in per_period_in_one_read(query, WorkOrder.due_at, WorkOrder.id, clipped, 3)
    } == {0, 1}
    assert first_per_period(query, WorkOrder.due_at, WorkOrder.id, [start, start], 3) == []
    assert WorkOrder.select(fn.COUNT(WorkOrder.id)).scalar() == 8
