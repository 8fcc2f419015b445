"""Alerts that come with time: due soon, overdue, escalation and warranties, once per state
however often the periodic task runs; and the daily digest at each person's hour."""

import datetime

from models import AlertMark, Notification, OutboxEmail, User, WorkOrder, utcnow
from models.alert_detection import detect_due, detect_warranties
from models.alert_digest import send_digests
from models.alert_preferences import Choice, save_choices, save_settings
from models.alerts import quiet
from tasks.alerts import detect_due_work

HOUR = datetime.timedelta(hours=1)


def order_due(scene, due, assignees=None, **kw):
    with quiet():  # only the time-based alerts matter here
        return WorkOrder.open_for(
            scene.manager,
            scene.project,
            [scene.tech] if assignees is None else assignees,
            title=kw.pop("title", "Chiller 2 service"),
            asset=scene.asset,
            due_at=due,
            **kw,
        )


def kinds_for(user):
    return [
        n.kind
        for n in Notification.select().where(Notification.user == user.id).order_by(Notification.id)
    ]


def test_due_soon_then_overdue_then_escalated_each_once(app, scene):
    now = utcnow()
    order = order_due(scene, now + 3 * HOUR)
    assert detect_due(now - 22 * HOUR) == {"due_soon": 0, "overdue": 0, "escalation": 0}
    assert detect_due(now)["due_soon"] == 1
    assert detect_due(now + HOUR)["due_soon"] == 0  # the next run: already told
    assert kinds_for(scene.tech) == ["due_soon"]
    assert detect_due(now + 4 * HOUR)["overdue"] == 1
    for minutes in range(5, 60, 5):  # a periodic task, every five minutes
        detect_due(now + 4 * HOUR + datetime.timedelta(minutes=minutes))
    assert kinds_for(scene.tech) == ["due_soon", "overdue"]
    assert kinds_for(scene.manager) == []
    # Still overdue 24 hours after it was due: the project's managers hear.
    assert detect_due(now + 28 * HOUR)["escalation"] == 1
    assert detect_due(now + 29 * HOUR)["escalation"] == 0
    assert kinds_for(scene.manager) == ["escalation"]
    assert kinds_for(scene.far_manager) == []  # limited to another location
    subjects = [e.subject for e in OutboxEmail.select().order_by(OutboxEmail.id)]
    assert subjects == [
        "Due soon: WO-000001 Chiller 2 service, Northgate Mall Ltd",
        "Overdue: WO-000001 Chiller 2 service, Northgate Mall Ltd",
        "Still overdue: WO-000001 Chiller 2 service, Northgate Mall Ltd",
    ]
    assert AlertMark.select().count() == 3
    del order


def test_a_new_due_date_is_a_new_state(app, scene):
    now = utcnow()
    order = order_due(scene, now - HOUR)
    detect_due(now)
    with quiet():
        order.save_changes(scene.manager, order.version, due_at=now + 2 * HOUR)
    detect_due(now)
    detect_due(now + 3 * HOUR)
    assert kinds_for(scene.tech) == ["overdue", "due_soon", "overdue"]


def test_done_work_and_old_work_stay_quiet(app, scene):
    now = utcnow()
    done = order_due(scene, now - HOUR, title="Done already")
    with quiet():
        done.transition(scene.tech, "in_progress", "open")
        done.transition(scene.tech, "completed", "in_progress")
    order_due(scene, now - datetime.timedelta(days=30), title="Long overdue before alerts")
    assert detect_due(now) == {"due_soon": 0, "overdue": 0, "escalation": 0}


def test_overdue_work_with_nobody_assigned_goes_to_its_managers(app, scene):
    now = utcnow()
    order_due(scene, now - HOUR, assignees=[])
    detect_due(now)
    assert kinds_for(scene.manager) == ["overdue"]


def test_the_organisations_due_soon_and_escalation_settings(app, scene):
    save_settings(scene.manager, due_soon_hours=2, escalate_after_hours=4)
    now = utcnow()
    order_due(scene, now + 3 * HOUR)
    assert detect_due(now)["due_soon"] == 0  # 3 hours away, due soon is 2
    assert detect_due(now + HOUR + datetime.timedelta(minutes=1))["due_soon"] == 1
    assert detect_due(now + 7 * HOUR - datetime.timedelta(minutes=1))["escalation"] == 0
    assert detect_due(now + 7 * HOUR + datetime.timedelta(minutes=1))["escalation"] == 1


def test_the_periodic_task_runs_a_pass(worker_app, scene):
    order_due(scene, utcnow() - HOUR)
    assert detect_due_work.call_local()["overdue"] == 1
    assert detect_due_work.call_local()["overdue"] == 0


def test_warranties_ending_within_30_days_once(app, scene, make_asset):
    today = utcnow().date()
    scene.asset.warranty_end = today + datetime.timedelta(days=20)
    scene.asset.save()
    make_asset(scene.project, warranty_end=today + datetime.timedelta(days=45))
    make_asset(scene.project, warranty_end=today - datetime.timedelta(days=1))
    make_asset(scene.project, warranty_end=today + datetime.timedelta(days=3), status="retired")
    assert detect_warranties() == 1
    assert detect_warranties() == 0
    assert kinds_for(scene.manager) == ["warranty"]
    note = Notification.get()
    assert note.title == "Warranty ending: CH-2 Chiller 2, Northgate Mall Ltd"
    assert note.url == f"/assets/{scene.asset.id}"
    # A new warranty end date is a new state.
    scene.asset.warranty_end = today + datetime.timedelta(days=25)
    scene.asset.save()
    assert detect_warranties() == 1


def test_daily_digest_at_the_persons_hour_once_a_day(app, scene):
    User.update(timezone="America/New_York").where(User.id == scene.tech.id).execute()
    save_choices(scene.tech, {"due_soon": Choice("both", "digest")}, user=scene.tech)
    save_settings(scene.tech, user=scene.tech, digest_hour=7)
    # 10:00 UTC is 05:00 or 06:00 in New York: before the hour.
    morning = datetime.datetime.combine(utcnow().date(), datetime.time(10, 0))
    order_due(scene, morning + 3 * HOUR)
    order_due(scene, morning + 5 * HOUR, title="Boiler check")
    detect_due(morning)
    assert OutboxEmail.select().count() == 0  # held for the digest
    assert send_digests(morning) == 0
    assert send_digests(morning + 3 * HOUR) == 1  # 13:00 UTC: 08:00 or 09:00 in New York
    assert send_digests(morning + 4 * HOUR) == 0
    [digest] = OutboxEmail.select()
    assert digest.event == "digest" and digest.recipient == scene.tech.email
    assert digest.organisation_id == scene.org  # the admins' outbox shows it
    assert digest.subject.startswith("Fettle daily digest: 2 alerts")
    assert "Chiller 2 service" in digest.text_body and "Boiler check" in digest.html_body
    assert digest.header_dict()["List-Unsubscribe"].startswith("<http://localhost/notifications/")
    assert Notification.select().where(Notification.digested_at.is_null()).count() == 0


def test_two_passes_at_once_alert_each_order_once(app, scene, make_user):
    """Two workers running the pass at the same moment: each order's alert is written by
    one of them (the unique mark), never by both."""
    import threading

    from models import db

    now = utcnow()
    for n in range(40):
        order_due(scene, now - HOUR - datetime.timedelta(minutes=n), title=f"Job {n}")
    db.close()
    results, errors = [], []

    def run():
        try:
            with db.connection_context():
                results.append(detect_due(now)["overdue"])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and sorted(results)[-1] >= 1 and sum(results) == 40
    assert Notification.select().where(Notification.kind == "overdue").count() == 40
    assert OutboxEmail.select().where(OutboxEmail.event == "overdue").count() == 40
