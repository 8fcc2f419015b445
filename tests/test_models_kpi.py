"""The KPIs on a dataset built by hand, each answer worked out here from the rows.

Client Acme has assets A1 and A2; client Other has B1 (work there must never count). The
month reported is March 2026, in UTC: [1 Mar, 1 Apr).
"""

import datetime

import pytest

from models import Downtime, WorkOrder
from models.kpi import (
    Cover,
    backlog,
    backlog_ages,
    downtime_by_asset,
    downtime_hours,
    first_time_fix,
    mtbf,
    mttr,
)

D = datetime.datetime
FEB = (D(2026, 2, 1), D(2026, 3, 1))
MAR = (D(2026, 3, 1), D(2026, 4, 1))
APR = (D(2026, 4, 1), D(2026, 5, 1))


@pytest.fixture
def acme(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    site = make_location(org, timezone="UTC")
    acme, other = make_client(site, name="Acme"), make_client(site, name="Other")
    project, other_project = make_project(acme), make_project(other)
    a1, a2 = make_asset(project, tag="A1"), make_asset(project, tag="A2")
    b1 = make_asset(other_project, tag="B1")
    numbers = iter(range(1, 100))

    def order(asset, created, type="corrective", status="closed", completed=None, due=None):
        return WorkOrder.create(
            organisation=org.id,
            location=site.id,
            client=asset.client_id,
            project=asset.project_id,
            asset=asset.id,
            number=next(numbers),
            title="t",
            type=type,
            status=status,
            created_at=created,
            completed_at=completed,
            due_at=due,
        )

    def down(asset, start, end):
        work = order(asset, start, completed=end)
        Downtime.create(
            organisation=org.id,
            work_order=work.id,
            asset=asset.id,
            started_at=start,
            ended_at=end,
            minutes=int((end - start).total_seconds() // 60),
        )

    rows = {
        # A1: three failures; o1 is followed up by o2 within 7 days, o3 comes 15 days later.
        "o1": order(a1, D(2026, 2, 20, 10), completed=D(2026, 3, 2, 10)),
        "o2": order(a1, D(2026, 3, 5, 8), status="completed", completed=D(2026, 3, 5, 14)),
        "o3": order(a1, D(2026, 3, 20, 8), type="emergency", completed=D(2026, 3, 20, 20)),
        # Preventive work is neither a failure nor a follow-up.
        "o7": order(a1, D(2026, 3, 3), type="preventive", completed=D(2026, 3, 4)),
        # A2: a January failure, a cancelled duplicate, one still open (overdue since 15 Mar).
        "o6": order(a2, D(2026, 1, 11), completed=D(2026, 1, 12)),
        "o4": order(a2, D(2026, 3, 10), status="cancelled"),
        "o5": order(a2, D(2026, 3, 11), status="open", due=D(2026, 3, 15)),
        # Raised in March, completed in April: open at the end of March, not overdue then.
        "o9": order(
            a2, D(2026, 3, 26), type="preventive", completed=D(2026, 4, 3), due=D(2026, 4, 2)
        ),
        # Another client's work, inside the month.
        "o8": order(b1, D(2026, 3, 6), completed=D(2026, 3, 7)),
    }
    return {
        "org": org,
        "acme": acme,
        "other": other,
        "a1": a1,
        "a2": a2,
        "b1": b1,
        "rows": rows,
        "order": order,
        "down": down,
        "make_user": make_user,
    }


def admin_cover(data, **kw):
    user = data["make_user"]("admin", organisation=data["org"])
    return Cover(user, client_id=data["acme"].id, **kw)


def test_mttr_is_the_mean_repair_time_of_corrective_work_completed_in_the_period(acme):
    # o1: 20 Feb 10:00 -> 2 Mar 10:00 = 240 h; o2: 6 h; o3 (emergency): 12 h.
    # Not counted: o7 (preventive), o5 (open), o4 (cancelled), o6 (January), o8 (Other).
    feb, mar = mttr(admin_cover(acme), [FEB, MAR])
    assert (feb.value, feb.count) == (None, 0)
    assert mar.count == 3
    assert mar.value == pytest.approx((240 + 6 + 12) / 3)  # 86 h


def test_mtbf_is_the_mean_gap_to_the_previous_failure_on_the_same_asset(acme):
    # Failures raised in March and the failure before each on its asset:
    # o2 (A1, 5 Mar 08:00) after o1 (20 Feb 10:00): 13 days - 2 h = 310 h
    # o3 (A1, 20 Mar 08:00) after o2: 15 days = 360 h
    # o5 (A2, 11 Mar) after o6 (11 Jan; o4 was cancelled): 31 + 28 days = 1,416 h
    (mar,) = mtbf(admin_cover(acme), [MAR])
    assert mar.count == 3
    assert mar.value == pytest.approx((310 + 360 + 1416) / 3)
    # February: o1 is A1's first failure, so it has no interval.
    assert mtbf(admin_cover(acme), [FEB])[0].count == 0


def test_first_time_fix_counts_work_with_no_new_failure_within_7_days(acme):
    # Completed corrective work in March: o1, o2, o3. o1 was followed by o2 (2 Mar 10:00 ->
    # 5 Mar 08:00, within 7 days); o2 by nothing until o3 15 days later; o3 by nothing.
    # o7 (preventive, 3 Mar) is no follow-up.
    (rate,) = first_time_fix(admin_cover(acme), [MAR])
    assert (rate.part, rate.whole) == (2, 3)
    assert rate.percent == pytest.approx(200 / 3)


def test_a_follow_up_exactly_7_days_later_still_counts(acme):
    # One more A2 failure completed 10 Apr 12:00 and another raised 17 Apr 12:00, on the edge.
    order = acme["order"]
    order(acme["a2"], D(2026, 4, 10), completed=D(2026, 4, 10, 12))
    order(acme["a2"], D(2026, 4, 17, 12), status="open")
    (rate,) = first_time_fix(admin_cover(acme), [APR])
    assert (rate.part, rate.whole) == (0, 1)


def test_downtime_is_clipped_to_each_period(acme):
    down = acme["down"]
    down(acme["a1"], D(2026, 2, 28, 22), D(2026, 3, 1, 4))  # 2 h in Feb, 4 h in March
    down(acme["a2"], D(2026, 3, 10), D(2026, 3, 10, 10))  # 10 h in March
    down(acme["a1"], D(2026, 3, 31, 20), D(2026, 4, 1, 2))  # 4 h in March, 2 h in April
    down(acme["b1"], D(2026, 3, 12), D(2026, 3, 12, 5))  # Other's: never counted
    assert downtime_hours(admin_cover(acme), [FEB, MAR, APR]) == pytest.approx([2, 18, 2])
    rows = downtime_by_asset(admin_cover(acme), *MAR)
    assert [(tag, hours, periods) for _, tag, _, hours, periods in rows] == [
        ("A2", pytest.approx(10), 1),
        ("A1", pytest.approx(8), 2),
    ]


def test_backlog_is_the_work_open_at_each_moment_and_its_age(acme):
    start, end = MAR
    at_start, at_end = backlog(admin_cover(acme), [start, end])
    # 1 Mar: only o1 (raised 20 Feb 10:00, completed 2 Mar): 8 days 14 h old.
    assert (at_start.count, at_start.overdue) == (1, 0)
    assert at_start.mean_age_days == pytest.approx(8 + 14 / 24)
    # 1 Apr: o5 (21 days, overdue since 15 Mar) and o9 (6 days, due 2 Apr); o4 cancelled.
    assert (at_end.count, at_end.overdue) == (2, 1)
    assert at_end.mean_age_days == pytest.approx((21 + 6) / 2)
    assert backlog_ages(admin_cover(acme), end) == [
        ("Up to a week", 1),
        ("8–30 days", 1),
        ("31–90 days", 0),
        ("Over 90 days", 0),
    ]


def test_a_client_user_counts_only_its_own_client(acme):
    # Other's user asking about Acme sees nothing; about its own client, only o8.
    user = acme["make_user"]("client", organisation=acme["org"], client=acme["other"])
    assert mttr(Cover(user, client_id=acme["acme"].id), [MAR])[0].count == 0
    own = mttr(Cover(user, client_id=acme["other"].id), [MAR])[0]
    assert (own.count, own.value) == (1, pytest.approx(24))
    assert mttr(Cover(user), [MAR])[0].count == 1  # not narrowed: still only its own


def test_a_project_or_an_asset_narrows_the_cover(acme):
    cover = admin_cover(acme, asset_id=acme["a2"].id)
    assert mttr(cover, [MAR])[0].count == 0
    assert mtbf(cover, [MAR])[0].count == 1  # o5 after o6
    project = Cover(admin_cover(acme).user, project_id=acme["b1"].project_id)
    assert mttr(project, [MAR])[0].count == 1  # o8


def test_no_work_gives_empty_answers_not_errors(acme):
    empty = [(D(2020, 1, 1), D(2020, 2, 1))]
    cover = admin_cover(acme)
    assert mttr(cover, empty)[0].value is None
    assert mtbf(cover, empty)[0].value is None
    assert first_time_fix(cover, empty)[0].value is None
    assert downtime_hours(cover, empty) == [0.0]
    assert backlog(cover, [D(2020, 1, 1)])[0].count == 0
