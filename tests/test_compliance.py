"""PM compliance on a hand-built set of occurrences whose answer is worked out here."""

import datetime as dt

import pytest

from models import Occurrence, WorkOrder
from models.compliance import Compliance, pm_compliance, pm_compliance_by
from models.generation import run_pass
from models.schedule_commands import create_schedule

# A daily schedule at 08:00 in London (BST, UTC+1): due 07:00 UTC, deadline 23:00 UTC.
NOW = dt.datetime(2025, 6, 5, 12, 0)
JUNE = (dt.datetime(2025, 6, 1), dt.datetime(2025, 7, 1))


@pytest.fixture
def site(make_location, make_client, make_project, make_asset, make_user):
    location = make_location(timezone="Europe/London")
    project = make_project(client=make_client(location=location))
    other = make_project(client=make_client(location=location))
    manager = make_user("manager", organisation=project.organisation_id)
    return type(
        "Site",
        (),
        dict(
            project=project,
            other=other,
            asset=make_asset(project=project),
            other_asset=make_asset(project=other),
            manager=manager,
            tech=make_user("technician", projects=[project]),
            client_user=make_user("client", client=project.client),
        ),
    )


def daily(site, project, asset, **kw):
    schedule = create_schedule(
        site.manager,
        (),
        project=project,
        asset=asset,
        title="Daily round",
        trigger="calendar",
        unit="day",
        interval=1,
        start_date=dt.date(2025, 6, 1),
        now=dt.datetime(2025, 6, 1),  # saved before the first one is due: nothing generated
        **kw,
    )
    assert schedule.next_due_at == dt.datetime(2025, 6, 1, 7, 0)
    return schedule


def order_due(schedule, day):
    return (
        WorkOrder.select()
        .join(Occurrence, on=(Occurrence.work_order == WorkOrder.id))
        .where(Occurrence.schedule == schedule.id, Occurrence.key == f"2025-06-{day:02d}")
        .get()
    )


def finish(order, status, at=None):
    WorkOrder.update(status=status, completed_at=at).where(WorkOrder.id == order.id).execute()


@pytest.fixture
def worked(site):
    """Five occurrences, 1–5 June: closed in time, done after local midnight, cancelled,
    still open past its deadline, and today's (open, deadline tonight)."""
    schedule = daily(site, site.project, site.asset, missed_policy="all")
    assert run_pass(NOW) == 5
    finish(order_due(schedule, 1), "closed", dt.datetime(2025, 6, 1, 20, 0))  # 21:00 BST
    finish(order_due(schedule, 2), "completed", dt.datetime(2025, 6, 2, 23, 30))  # 00:30 BST
    finish(order_due(schedule, 3), "cancelled")
    return schedule


def test_the_deadline_is_the_end_of_the_due_date_at_the_site(site, worked):
    occurrence = Occurrence.get(Occurrence.key == "2025-06-02")
    assert occurrence.due_at == dt.datetime(2025, 6, 2, 7, 0)
    assert occurrence.deadline_at == dt.datetime(2025, 6, 2, 23, 0)  # midnight BST


def test_on_time_late_missed_and_pending_are_told_apart(site, worked):
    result = pm_compliance(site.manager, *JUNE, now=NOW)
    assert result == Compliance(on_time=1, late=1, missed=2, pending=1)
    assert result.due == 4 and result.ratio == 0.25 and result.percent == 25


def test_todays_work_counts_once_its_day_is_over(site, worked):
    tomorrow = dt.datetime(2025, 6, 6, 0, 0)  # 01:00 BST on the 6th: the 5th is over
    assert pm_compliance(site.manager, *JUNE, now=tomorrow).missed == 3
    finish(order_due(worked, 5), "completed", dt.datetime(2025, 6, 5, 15, 0))
    assert pm_compliance(site.manager, *JUNE, now=NOW) == Compliance(2, 1, 2, 0)


def test_the_period_is_by_due_date(site, worked):
    start, end = dt.datetime(2025, 6, 2), dt.datetime(2025, 6, 4)  # the 2nd and the 3rd
    assert pm_compliance(site.manager, start, end, now=NOW) == Compliance(0, 1, 1, 0)


def test_occurrences_skipped_by_the_missed_policy_count_as_missed(site):
    schedule = daily(site, site.other, site.other_asset, missed_policy="latest")
    assert run_pass(NOW) == 1  # only the 5th gets an order, the 1st–4th were skipped
    assert Occurrence.select().where(Occurrence.work_order.is_null()).count() == 4
    assert pm_compliance(site.manager, *JUNE, now=NOW, schedule=schedule) == Compliance(0, 0, 4, 1)


def test_nothing_due_has_no_ratio(site):
    result = pm_compliance(site.manager, *JUNE, now=NOW)
    assert result.due == 0 and result.ratio is None and result.percent is None


def test_grouped_by_schedule_and_project_in_one_query(site, worked):
    other = daily(site, site.other, site.other_asset, missed_policy="all")
    assert run_pass(NOW) == 5
    finish(order_due(other, 1), "completed", dt.datetime(2025, 6, 1, 9, 0))
    by_schedule = pm_compliance_by(site.manager, *JUNE, "schedule", now=NOW)
    assert by_schedule == {worked.id: Compliance(1, 1, 2, 1), other.id: Compliance(1, 0, 3, 1)}
    by_project = pm_compliance_by(
        site.manager, *JUNE, "project", now=NOW, client=site.other.client_id
    )
    assert by_project == {site.other.id: Compliance(1, 0, 3, 1)}


def test_each_user_counts_only_what_they_may_see(site, worked):
    other = daily(site, site.other, site.other_asset, missed_policy="all")
    assert run_pass(NOW) == 5
    expected = Compliance(on_time=1, late=1, missed=2, pending=1)
    assert pm_compliance(site.tech, *JUNE, now=NOW) == expected  # member of one project only
    assert pm_compliance(site.client_user, *JUNE, now=NOW) == expected
    assert pm_compliance(site.client_user, *JUNE, now=NOW, schedule=other) == Compliance()
    assert pm_compliance(site.manager, *JUNE, now=NOW).due == 8


def test_per_period_gives_each_ranges_own_counts(site, worked):
    """The reports' trend: one grouped query, the same answer as one call per range."""
    from models.compliance import pm_compliance_per_period

    days = [(dt.datetime(2025, 6, d), dt.datetime(2025, 6, d + 1)) for d in range(1, 7)]
    expected = [pm_compliance(site.manager, s, e, now=NOW) for s, e in days]
    assert pm_compliance_per_period(site.manager, days, now=NOW) == expected
    assert [c.due for c in expected] == [1, 1, 1, 1, 0, 0]
    assert expected[4].pending == 1
