"""The links in alert emails: the exact page (through sign-in; 404 for someone who cannot
see it), one-click actions that confirm first and act once, and unsubscribe links."""

import datetime
import re

import pytest
from conftest import PASSWORD

from models import (
    ActionToken,
    Activity,
    AlertPreference,
    Client,
    Notification,
    OutboxEmail,
    WorkOrder,
    action_token,
    utcnow,
)
from models.alert_email import unsubscribe_token


@pytest.fixture
def order(scene):
    return WorkOrder.open_for(
        scene.manager, scene.project, [scene.tech], title="Chiller 2 service", due_at=utcnow()
    )


def links(email):
    return re.findall(r"http://localhost(/\S+)", email.text_body)


def action_link(email, label):
    match = re.search(rf"{label}:\n(http://localhost)?(/actions/\S+)", email.text_body)
    return match.group(2)


def test_the_email_link_signs_in_then_opens_the_exact_page(client, scene, order):
    [email] = OutboxEmail.select()
    path = links(email)[0]
    assert path == f"/work-orders/{order.id}"
    response = client.get(path)
    assert response.status_code == 302
    login = response.headers["Location"]
    assert login == f"/login?next=/work-orders/{order.id}"
    form = client.get(login).get_data(as_text=True)
    assert f'value="/work-orders/{order.id}"' in form  # the page carries where to go next
    response = client.post(
        login,
        data={"email": scene.tech.email, "password": PASSWORD, "next": path},
    )
    assert response.headers["Location"] == path
    assert "WO-000001" in client.get(path).get_data(as_text=True)


def test_the_email_link_is_not_found_for_someone_who_cannot_see_it(client, auth, scene, order):
    [email] = OutboxEmail.select()
    auth.login(scene.other_tech)
    assert client.get(links(email)[0]).status_code == 404


def test_acknowledge_confirms_first_and_works_once(client, auth, scene, order):
    [email] = OutboxEmail.select()
    url = action_link(email, "Acknowledge")
    page = client.get(url)  # a link scanner, or the person opening it
    assert page.status_code == 200
    assert "Acknowledge the assignment?" in page.get_data(as_text=True)
    assert ActionToken.select().count() == 0  # no token used
    assert not Activity.select().where(Activity.kind == "acknowledge").exists()
    done = client.post(url)
    assert done.status_code == 200
    assert "WO-000001 is acknowledged" in done.get_data(as_text=True)
    [note] = Activity.select().where(Activity.kind == "acknowledge")
    assert note.user_id == scene.tech.id
    again = client.post(url)
    assert again.status_code == 410
    assert "used already" in again.get_data(as_text=True)
    assert Activity.select().where(Activity.kind == "acknowledge").count() == 1
    assert client.get(url).status_code == 410
    assert ActionToken.select().count() == 1


def test_start_the_work_from_the_email(client, auth, scene, order):
    [email] = OutboxEmail.select()
    url = action_link(email, "Start the work")
    auth.login(scene.tech)
    response = client.post(url)
    assert response.status_code == 303
    assert WorkOrder.get_by_id(order.id).status == "in_progress"


def test_forged_expired_and_foreign_tokens_do_nothing(app, client, auth, scene, order):
    [email] = OutboxEmail.select()
    url = action_link(email, "Start the work")
    forged = client.post(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"))
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)
    assert client.get("/actions/garbage").status_code == 400
    # Someone else signed in on this browser cannot use the technician's link.
    auth.login(scene.manager)
    foreign = client.post(url)
    assert foreign.status_code == 403 and "sent to Tom Becker" in foreign.get_data(as_text=True)
    auth.logout()
    week_ago = utcnow() - datetime.timedelta(days=7, seconds=1)
    old = action_token.issue(scene.tech.id, order, "start", now=week_ago)
    expired = client.post(f"/actions/{old}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    # A token signed with another key is forged too.
    with app.app_context():
        app.config["SECRET_KEY"] = "another-key"
        other_key = action_token.issue(scene.tech.id, order, "start")
        app.config["SECRET_KEY"] = "test-secret"
    assert client.post(f"/actions/{other_key}").status_code == 400
    assert WorkOrder.get_by_id(order.id).status == "open"
    assert ActionToken.select().count() == 0


def test_a_token_for_work_the_person_can_no_longer_see(client, scene, order):
    from models import ProjectMember

    [email] = OutboxEmail.select()
    url = action_link(email, "Start the work")
    ProjectMember.delete().where(ProjectMember.user == scene.tech.id).execute()
    response = client.post(url)
    assert response.status_code == 409
    assert "no longer have access" in response.get_data(as_text=True)
    assert WorkOrder.get_by_id(order.id).status == "open"


def test_unsubscribe_asks_first_then_stops_that_kind_at_once(client, scene, order):
    [email] = OutboxEmail.select()
    path = re.search(r"<http://localhost(/notifications/unsubscribe/\S+)>", email.headers).group(1)
    assert path in email.text_body
    page = client.get(path)
    assert page.status_code == 200 and "Stop “Assigned to you” alert emails?" in page.get_data(
        as_text=True
    )
    assert AlertPreference.select().count() == 0
    # Pending mail of that kind is not sent either.
    response = client.post(path)
    assert "will get no more" in response.get_data(as_text=True)
    pref = AlertPreference.get()
    assert (pref.user_id, pref.kind, pref.channel) == (scene.tech.id, "assigned", "app")
    assert OutboxEmail.get_by_id(email.id).status == "cancelled"
    # Honoured at once: the next assignment is in the app only.
    WorkOrder.open_for(scene.manager, scene.project, [scene.tech], title="Next", due_at=utcnow())
    assert OutboxEmail.select().count() == 1
    assert Notification.select().where(Notification.user == scene.tech.id).count() == 2


def test_one_click_unsubscribe_from_a_mail_client_with_csrf_on(app, client, scene, order):
    app.config["WTF_CSRF_ENABLED"] = True
    token = unsubscribe_token("assigned", scene.tech.id)
    response = client.post(
        f"/notifications/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert AlertPreference.get().channel == "app"


def test_unknown_unsubscribe_tokens_do_nothing(client, scene, order):
    for token in ("nonsense", unsubscribe_token("assigned", scene.tech.id)[:-2] + "xx"):
        response = client.post(f"/notifications/unsubscribe/{token}")
        assert response.status_code == 404
        assert "not valid" in response.get_data(as_text=True)
    assert AlertPreference.select().count() == 0
    assert OutboxEmail.get().status == "pending"


def test_a_client_contact_unsubscribes(client, scene):
    scene.client.completion_alerts = True
    scene.client.save()
    token = unsubscribe_token("completed", client_id=scene.client.id)
    client.post(f"/notifications/unsubscribe/{token}")
    assert Client.get_by_id(scene.client.id).completion_alerts is False
