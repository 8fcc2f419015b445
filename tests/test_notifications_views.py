"""The bell, the inbox and the preference pages."""

import re

from models import AlertPreference, AlertSettings, Client, Notification, WorkOrder, utcnow
from models.alert_preferences import KINDS, ROLE_KINDS


def notify(scene, n=1, user=None):
    """n assignments of new orders to the technician (or `user`), each one notification."""
    orders = []
    for i in range(n):
        orders.append(
            WorkOrder.open_for(
                scene.manager,
                scene.project,
                [user or scene.tech],
                title=f"Job {i}",
                due_at=utcnow(),
            )
        )
    return orders


def test_the_bell_counts_unread_and_answers_304_when_unchanged(client, auth, scene):
    notify(scene, 3)
    auth.login(scene.tech)
    page = client.get("/").get_data(as_text=True)
    assert 'id="bell"' in page and 'hx-get="/notifications/count"' in page
    response = client.get("/notifications/count", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert '<span class="count">3</span>' in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)
    etag = response.headers["ETag"]
    again = client.get(
        "/notifications/count", headers={"HX-Request": "true", "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.data == b""
    notify(scene, 1)
    changed = client.get(
        "/notifications/count", headers={"HX-Request": "true", "If-None-Match": etag}
    )
    assert changed.status_code == 200 and '<span class="count">4</span>' in changed.get_data(
        as_text=True
    )
    assert changed.headers["ETag"] != etag


def test_the_bell_caps_its_count(client, auth, scene):
    rows = [
        dict(organisation=scene.org, user=scene.tech.id, kind="assigned", occurrence=str(i),
             title=f"T{i}", created_at=utcnow(), updated_at=utcnow())
        for i in range(120)
    ]  # fmt: skip
    Notification.insert_many(rows).execute()
    auth.login(scene.tech)
    text = client.get("/notifications/count").get_data(as_text=True)
    assert '<span class="count">99+</span>' in text


def test_the_inbox_newest_first_mark_read_and_follow(client, auth, scene):
    orders = notify(scene, 3)
    auth.login(scene.tech)
    page = client.get("/notifications").get_data(as_text=True)
    titles = re.findall(r">(WO-\d+) Job \d", page)
    assert titles == ["WO-000003", "WO-000002", "WO-000001"]
    first, second, third = (Notification.get(Notification.work_order == o.id) for o in orders)
    # Mark one read in place (HTMX), then follow another to its page.
    response = client.post(f"/notifications/{first.id}/read", headers={"HX-Request": "true"})
    assert response.headers["HX-Trigger"] == "notifications-changed"
    assert 'class="notification read"' in response.get_data(as_text=True)
    response = client.get(f"/notifications/{second.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/work-orders/{orders[1].id}"
    assert Notification.get_by_id(second.id).read_at is not None
    unread = client.get("/notifications?show=unread").get_data(as_text=True)
    assert "WO-000003" in unread and "WO-000001" not in unread and "WO-000002" not in unread
    client.post("/notifications/read-all")
    assert Notification.select().where(Notification.read_at.is_null()).count() == 0
    fragment = client.get("/notifications?show=unread", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Nothing unread." in fragment.get_data(as_text=True)


def test_someone_elses_notification_is_not_found(client, auth, scene):
    [order] = notify(scene, 1)
    note = Notification.get(Notification.work_order == order.id)
    auth.login(scene.manager)
    assert client.get(f"/notifications/{note.id}").status_code == 404
    assert client.post(f"/notifications/{note.id}/read").status_code == 404
    assert Notification.get_by_id(note.id).read_at is None
    assert "WO-000001" not in client.get("/notifications").get_data(as_text=True)


def test_choosing_preferences(client, auth, scene):
    auth.login(scene.tech)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    for kind in ROLE_KINDS["technician"]:
        assert KINDS[kind].label in page
    assert "Warranty ending" not in page  # managers' alerts: never a technician's
    form = {f"channel_{k}": "both" for k in KINDS} | {f"timing_{k}": "immediate" for k in KINDS}
    form |= {"channel_overdue": "email", "timing_mention": "digest", "digest_hour": "6"}
    response = client.post("/notifications/preferences", data=form)
    assert response.status_code == 302
    mine = {p.kind: (p.channel, p.timing) for p in AlertPreference.select()}
    assert set(mine) == set(ROLE_KINDS["technician"])
    assert mine["overdue"] == ("email", "immediate") and mine["mention"] == ("both", "digest")
    assert AlertSettings.get(AlertSettings.user == scene.tech.id).digest_hour == 6


def test_bad_preferences_change_nothing(client, auth, scene):
    auth.login(scene.tech)
    form = {f"channel_{k}": "both" for k in KINDS} | {f"timing_{k}": "immediate" for k in KINDS}
    form |= {"channel_overdue": "carrier pigeon", "digest_hour": "25"}
    response = client.post("/notifications/preferences", data=form)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert text.count("Not a valid choice") == 2
    assert AlertPreference.select().count() == 0 and AlertSettings.select().count() == 0


def test_managers_set_the_organisations_defaults(client, auth, scene):
    form = {f"channel_{k}": "app" for k in KINDS} | {f"timing_{k}": "immediate" for k in KINDS}
    form |= {"digest_hour": "8", "due_soon_hours": "48", "escalate_after_hours": "12"}
    auth.login(scene.tech)
    assert client.get("/notifications/defaults").status_code == 403
    assert client.post("/notifications/defaults", data=form).status_code == 403
    auth.logout()
    auth.login(scene.manager)
    bad = client.post("/notifications/defaults", data=form | {"due_soon_hours": "0"})
    assert bad.status_code == 422 and "From 1 to 720." in bad.get_data(as_text=True)
    assert AlertSettings.select().count() == 0
    assert client.post("/notifications/defaults", data=form).status_code == 302
    org = AlertSettings.get(AlertSettings.user.is_null())
    assert (org.due_soon_hours, org.escalate_after_hours, org.digest_hour) == (48, 12, 8)
    assert AlertPreference.select().where(AlertPreference.user.is_null()).count() == len(KINDS)
    # A person without choices of their own now gets assignments in the app only.
    notify(scene, 1)
    assert Notification.get().email == "none"


def test_clients_opt_in_to_completion_alerts(client, auth, scene):
    auth.login(scene.manager)
    url = f"/clients/{scene.client.id}/edit"
    data = {
        "name": "Northgate Mall Ltd",
        "location_id": str(scene.location.id),
        "email": "",
        "completion_alerts": "y",
    }
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "Enter the client&#39;s email address to tell them." in response.get_data(as_text=True)
    data["email"] = "facilities@northgate.example"
    assert client.post(url, data=data).status_code == 302
    assert Client.get_by_id(scene.client.id).completion_alerts is True
