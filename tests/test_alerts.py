"""Events raise alerts to the right people, in the app and by email, once; never to
someone who cannot see the work, never to the person who acted."""

import datetime

import pytest

from models import (
    AlertPreference,
    Comment,
    Meter,
    Notification,
    OutboxEmail,
    ProjectMember,
    WorkOrder,
    db,
    utcnow,
)
from models import alert_events as events
from models.alert_preferences import Choice, save_choices
from models.alerts import quiet
from models.dispatch import assign, reschedule


def open_order(scene, assignees=(), **kw):
    data = {"title": "Chiller 2 service", "asset": scene.asset, "due_at": utcnow()} | kw
    return WorkOrder.open_for(scene.manager, scene.project, list(assignees), **data)


def told(kind=None):
    """{user id: [kind, ...]} of notifications."""
    query = Notification.select().order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    found = {}
    for n in query:
        found.setdefault(n.user_id, []).append(n.kind)
    return found


def emails(kind=None):
    query = OutboxEmail.select().order_by(OutboxEmail.id)
    if kind:
        query = query.where(OutboxEmail.event == kind)
    return list(query)


def test_assignees_hear_of_a_new_order_in_the_app_and_by_email(app, scene):
    order = open_order(scene, [scene.tech])
    assert told() == {scene.tech.id: ["assigned"]}  # not the manager who raised it
    [note] = Notification.select()
    assert note.title == "Assigned to you: WO-000001 Chiller 2 service, Northgate Mall Ltd"
    assert note.url == f"/work-orders/{order.id}" and note.email == "immediate"
    assert note.body.startswith("Maria Santos assigned you WO-000001 Chiller 2 service, due ")
    [email] = emails()
    assert (email.recipient, email.subject) == (scene.tech.email, note.title)
    assert f"http://localhost/work-orders/{order.id}" in email.text_body
    assert f'href="http://localhost/work-orders/{order.id}"' in email.html_body
    for fact in ("Client: Northgate Mall Ltd", "Asset: CH-2 Chiller 2", "Priority: Medium"):
        assert fact in email.text_body
    assert "http://localhost/actions/" in email.text_body  # acknowledge, start
    assert email.header_dict()["List-Unsubscribe"].startswith(
        "<http://localhost/notifications/unsubscribe/"
    )


def test_a_duplicated_event_tells_nobody_twice(app, scene):
    order = open_order(scene, [scene.tech])
    with db.atomic():
        events.order_created(order, scene.manager, [scene.tech])
        events.order_created(order, scene.manager, [scene.tech])
    assert told() == {scene.tech.id: ["assigned"]}
    assert len(emails()) == 1


def test_reassignment(app, scene, make_user):
    second = make_user("technician", projects=[scene.project], name="Priya Nair")
    order = open_order(scene, [scene.tech])
    order.set_assignees(scene.manager, [second])
    assert told() == {scene.tech.id: ["assigned", "unassigned"], second.id: ["assigned"]}
    # Taken off: in the app only by default, so no email for it.
    assert [e.recipient for e in emails()] == [scene.tech.email, second.email]
    # Assigned again later is news again.
    order.set_assignees(scene.manager, [second, scene.tech])
    assert told("assigned")[scene.tech.id] == ["assigned", "assigned"]


def test_bulk_assign_and_reschedule(app, scene):
    orders = [open_order(scene, title=f"Job {n}") for n in range(3)]
    assign(scene.manager, orders, scene.tech)
    assert told("assigned") == {scene.tech.id: ["assigned"] * 3}
    orders = list(WorkOrder.select().order_by(WorkOrder.id))
    reschedule(scene.manager, orders, 2)
    assert told("due_changed") == {scene.tech.id: ["due_changed"] * 3}
    assert "Was due: " in emails("due_changed")[0].text_body


def test_due_date_changed_on_the_form(app, scene):
    order = open_order(scene, [scene.tech])
    order.save_changes(scene.manager, order.version, due_at=utcnow() + datetime.timedelta(days=3))
    order.save_changes(scene.manager, order.version, title="New title")  # not the due date
    assert told("due_changed") == {scene.tech.id: ["due_changed"]}
    note = Notification.get(Notification.kind == "due_changed")
    assert note.title.startswith("Due date changed: WO-000001 Chiller 2 service")
    assert "moved the due date of WO-000001 to " in note.body


def test_an_alert_never_reaches_someone_who_cannot_see_the_work(app, scene):
    order = open_order(scene, [scene.tech])
    ProjectMember.delete().where(ProjectMember.user == scene.tech.id).execute()
    order.save_changes(scene.manager, order.version, due_at=utcnow() + datetime.timedelta(days=1))
    assert "due_changed" not in str(told())
    # Asking outright to tell people who cannot see it tells nobody.
    order = events.order_details([order.id])[order.id]
    alert = events.order_alert("overdue", order, "x", "headline")
    from models.alerts import notify

    assert notify(alert, order, [scene.tech.id, scene.other_tech.id, scene.far_manager.id]) == 0
    assert notify(alert, order, [scene.client_user.id, scene.admin.id]) == 2


def test_completed_work_reaches_the_projects_managers_and_the_client(app, scene):
    scene.client.completion_alerts = True
    scene.client.save()
    order = open_order(scene, [scene.tech])
    order.transition(scene.tech, "in_progress", "open")
    order.transition(scene.tech, "completed", "in_progress")
    # The manager on the project's team; not the limited manager elsewhere, not the actor.
    assert told("completed") == {
        scene.manager.id: ["completed"],
        scene.client_user.id: ["completed"],
    }
    # Completed is a digest kind by default: people get it in their daily digest; the
    # client's contact address (no account, no digest) gets it at once.
    [email] = emails("completed")
    assert email.recipient == "facilities@northgate.example" and email.user_id is None
    assert "Completed by: Tom Becker" in email.text_body
    assert (
        Notification.get(
            Notification.user == scene.manager.id, Notification.kind == "completed"
        ).email
        == "digest"
    )


def test_completed_work_without_the_clients_consent(app, scene):
    order = open_order(scene, [scene.tech])
    order.transition(scene.tech, "in_progress", "open")
    order.transition(scene.tech, "completed", "in_progress")
    assert told("completed") == {scene.manager.id: ["completed"]}
    assert emails("completed") == []


def test_mentions(app, scene):
    order = open_order(scene)
    Comment.post(scene.tech, order, "@Maria Santos the belt is worn, and @Sam Elsewhere too")
    assert told("mention") == {scene.manager.id: ["mention"]}  # Sam cannot see the order
    [email] = emails("mention")
    assert "Tom Becker mentioned you on WO-000001" in email.text_body
    assert "the belt is worn" in email.text_body


def test_meter_readings_outside_the_limits_alert_once_per_excursion(app, scene):
    meter = Meter.create_for(
        scene.manager, scene.asset, name="Supply temp", unit="°C", increasing=False,
        lower_limit=4, upper_limit=9,
    )  # fmt: skip
    t0 = utcnow() - datetime.timedelta(hours=5)
    for hours, value in ((0, 6), (1, 12), (2, 13), (3, 7), (4, 2)):
        meter.add_reading(scene.tech, value, read_at=t0 + datetime.timedelta(hours=hours))
    kinds = told("meter_limit")
    assert kinds == {scene.manager.id: ["meter_limit", "meter_limit"]}  # 12 and 2
    subjects = [e.subject for e in emails("meter_limit")]
    assert subjects[0] == "Meter reading: CH-2 Supply temp 12 °C, Northgate Mall Ltd"
    assert "outside its limits (4 to 9 °C)" in Notification.get().body


def test_preventive_work_generated_by_a_schedule(app, scene):
    from models.generation import SystemActor

    WorkOrder.open_for(
        SystemActor(scene.org), scene.project, [scene.tech], title="Quarterly service",
        type="preventive", asset=scene.asset, due_at=utcnow() + datetime.timedelta(days=7),
    )  # fmt: skip
    assert told() == {scene.tech.id: ["pm_generated"]}
    assert emails()[0].subject.startswith("Preventive work: WO-000001 Quarterly service")


@pytest.mark.parametrize(
    ("channel", "in_app", "emailed"),
    [("app", True, False), ("email", False, True), ("both", True, True)],
)
def test_each_persons_choice(app, scene, channel, in_app, emailed):
    save_choices(scene.tech, {"assigned": Choice(channel, "immediate")}, user=scene.tech)
    open_order(scene, [scene.tech])
    note = Notification.get()
    assert note.in_app is in_app
    assert bool(emails()) is emailed
    inbox = list(Notification.inbox(scene.tech))
    assert bool(inbox) is in_app


def test_organisation_defaults_apply_to_people_without_a_choice(app, scene, make_user):
    second = make_user("technician", projects=[scene.project])
    save_choices(scene.manager, {"assigned": Choice("app", "immediate")})  # the organisation
    save_choices(scene.tech, {"assigned": Choice("both", "immediate")}, user=scene.tech)
    open_order(scene, [scene.tech, second])
    assert [e.recipient for e in emails()] == [scene.tech.email]
    assert AlertPreference.select().count() == 2


def test_quiet_changes_raise_nothing(app, scene):
    with quiet():
        open_order(scene, [scene.tech])
    assert Notification.select().count() == 0 and emails() == []
