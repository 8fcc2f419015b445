"""Sign-off: the client's signature drawn on screen, checked, stored and shown only to people
who may see the order; completion waits for it when the order asks for one."""

import base64
import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from models import Activity, AuditEvent, Signature, WorkOrder
from models.signoff import MAX_SIGNATURE_BYTES


def png_data_url(image):
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def squiggle(width=640, height=240):
    """A drawn-looking signature on a transparent pad, as the browser sends it."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(40 + i * 9, 120 + (35 if i % 2 else -35) * (1 - i / 70)) for i in range(60)]
    draw.line(points, fill=(16, 36, 62, 255), width=5, joint="curve")
    return png_data_url(image)


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org(name="Northwind Maintenance")
    london = make_location(org, name="London", timezone="Europe/London")
    client = make_client(london, name="Acme Foods")
    project = make_project(client, code="ACME-1", name="Acme HVAC")
    other_project = make_project(client, code="ACME-2", name="Acme Lifts")
    asset = make_asset(project, tag="AHU-01", name="Air handler 1")
    tech = make_user("technician", organisation=org, projects=[project], name="Tom Tech")
    return {
        "org": org,
        "project": project,
        "asset": asset,
        "tech": tech,
        "manager": make_user("manager", organisation=org, name="Mia Manager"),
        "outsider": make_user("technician", organisation=org, projects=[other_project]),
        "client_user": make_user("client", organisation=org, client=client, name="Carl"),
        "stranger": make_user("admin"),  # another organisation
    }


@pytest.fixture
def order(site):
    order = WorkOrder.open_for(
        site["manager"],
        site["project"],
        [site["tech"]],
        title="Replace fan belt",
        asset=site["asset"],
        requires_signature=True,
    )
    order.transition(site["tech"], "in_progress", "open")
    return order


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    """A storage of this test's own, so files left by other tests do not count."""
    app.config["STORAGE_URL"] = f"file://{tmp_path / 'store'}"
    return tmp_path / "store"


def uploads(app):
    root = Path(app.config["STORAGE_URL"].removeprefix("file://"))
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def sign(client, order, signature=None, name="Ann Client"):
    data = {"signature": squiggle() if signature is None else signature, "signer_name": name}
    return client.post(f"/work-orders/{order.id}/signature", data=data)


def complete(client, order):
    return client.post(
        f"/work-orders/{order.id}/status", data={"to": "completed", "seen_status": order.status}
    )


def test_completion_waits_for_the_signature_then_records_both(app, client, auth, site, order):
    auth.login(site["tech"])
    refused = complete(client, order)
    assert refused.status_code == 422
    assert "signature is required" in refused.get_data(as_text=True)
    assert WorkOrder.get_by_id(order.id).status == "in_progress"

    files_before = uploads(app)
    response = sign(client, order)
    assert response.status_code == 302 and response.location.endswith("#signoff")
    signature = Signature.get(Signature.work_order == order.id)
    assert signature.signer_name == "Ann Client" and signature.taken_by_id == site["tech"].id
    stored = [p for p in uploads(app) if p not in files_before]
    assert len(stored) == 1 and stored[0].read_bytes().startswith(b"\x89PNG")
    assert Activity.get(Activity.kind == "signature").body == "Signed by Ann Client"
    audit = AuditEvent.get(AuditEvent.action == "sign")
    assert audit.entity_id == order.id and audit.change_list() == {
        "signed_by": [None, "Ann Client"]
    }

    assert complete(client, order).status_code == 302
    done = WorkOrder.get_by_id(order.id)
    assert done.status == "completed" and done.completed_by_id == site["tech"].id
    page = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    section = page.split('id="signoff"', 1)[1]
    assert "Tom Tech · completed" in section and "Ann Client · signed" in section
    assert f"/work-orders/{order.id}/signature.png" in section
    assert "BST" in section or "GMT" in section  # shown in the site's time
    assert "Taken by Tom Tech" in section
    timeline = page.split('id="timeline"', 1)[1]
    assert '<strong>Tom Tech</strong> <span class="what">Signed by Ann Client</span>' in timeline
    assert "Save signature" not in section  # nothing left to sign


def bad_inputs():
    blank = png_data_url(Image.new("RGBA", (640, 240), (0, 0, 0, 0)))
    white = png_data_url(Image.new("RGB", (640, 240), "white"))
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 64), "black").save(jpeg, "JPEG")
    disguised = "data:image/png;base64," + base64.b64encode(jpeg.getvalue()).decode()
    noise = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    wide = Image.new("RGBA", (5000, 200), (0, 0, 0, 0))
    ImageDraw.Draw(wide).line([(10, 100), (4900, 120)], fill="black", width=6)
    return [
        pytest.param("", "Ann", "signature", "Ask the client to sign", id="missing"),
        pytest.param(blank, "Ann", "signature", "blank", id="blank-transparent"),
        pytest.param(white, "Ann", "signature", "blank", id="blank-white"),
        pytest.param(disguised, "Ann", "signature", "must be a PNG", id="jpeg-as-png"),
        pytest.param("data:image/png;base64,@@@", "Ann", "signature", "must be a PNG", id="junk"),
        pytest.param("data:text/html;base64,PGI+", "Ann", "signature", "must be a PNG", id="html"),
        pytest.param(png_data_url(noise), "Ann", "signature", "too large", id="too-many-bytes"),
        pytest.param(png_data_url(wide), "Ann", "signature", "too large", id="too-wide"),
        pytest.param(None, "", "signer_name", "This field is required", id="no-name"),
        pytest.param(None, "   ", "signer_name", "This field is required", id="blank-name"),
        pytest.param(None, "A" * 121, "signer_name", "120", id="long-name"),
        pytest.param(None, "Ann\x07", "signer_name", "not allowed", id="control-char"),
    ]


@pytest.mark.parametrize("signature, name, field, message", bad_inputs())
def test_bad_signature_is_refused_at_the_field(
    app, client, auth, site, order, signature, name, field, message
):
    auth.login(site["tech"])
    files_before = uploads(app)
    response = sign(client, order, signature, name)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    error = body.split(f'id="{field}-error"', 1)[1].split("</small>", 1)[0]
    assert message in error
    assert Signature.select().count() == 0
    assert uploads(app) == files_before
    assert not Activity.select().where(Activity.kind == "signature").exists()
    assert not AuditEvent.select().where(AuditEvent.action == "sign").exists()


def test_the_too_large_limit_is_below_what_the_noise_image_weighs():
    noise = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    assert len(base64.b64decode(png_data_url(noise).split(",", 1)[1])) > MAX_SIGNATURE_BYTES


def test_a_refused_name_keeps_the_drawn_signature_for_the_second_try(client, auth, site, order):
    auth.login(site["tech"])
    drawn = squiggle()
    body = sign(client, order, drawn, name="").get_data(as_text=True)
    assert f'name="signature" value="{drawn}"' in body


def test_a_client_user_cannot_sign_and_outsiders_get_404(client, auth, site, order):
    for user, status in ((site["client_user"], 403), (site["outsider"], 404)):
        auth.login(user)
        assert sign(client, order).status_code == status
        auth.logout()
    auth.login(site["stranger"])
    assert sign(client, order).status_code == 404
    assert Signature.select().count() == 0


def test_a_manager_may_take_the_signature(client, auth, site, order):
    auth.login(site["manager"])
    assert sign(client, order).status_code == 302
    assert Signature.select().count() == 1


def test_signing_is_refused_unless_the_work_is_in_progress(app, client, auth, site, order):
    order.transition(site["tech"], "on_hold", "in_progress", "Waiting for parts")
    auth.login(site["tech"])
    response = sign(client, order)
    assert response.status_code == 422
    assert "start the work first" in response.get_data(as_text=True)
    assert Signature.select().count() == 0 and uploads(app) == []


def test_an_order_without_the_requirement_completes_unsigned_and_refuses_signatures(
    client, auth, site, order
):
    WorkOrder.update(requires_signature=False).where(WorkOrder.id == order.id).execute()
    order = WorkOrder.get_by_id(order.id)
    auth.login(site["tech"])
    response = sign(client, order)
    assert response.status_code == 422
    assert "does not ask for a signature" in response.get_data(as_text=True)
    assert complete(client, order).status_code == 302
    page = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert 'id="signoff"' in page and "Tom Tech · completed" in page
    assert "Client" not in page.split('id="signoff"', 1)[1].split("</section>", 1)[0]


def test_signing_again_replaces_the_image_and_the_audit_keeps_the_first(
    app, client, auth, site, order
):
    auth.login(site["tech"])
    sign(client, order, name="Wrong Name")
    first = Signature.get().storage_key
    assert sign(client, order, name="Ann Client").status_code == 302
    signature = Signature.get()
    assert Signature.select().count() == 1 and signature.signer_name == "Ann Client"
    assert signature.storage_key != first
    assert [p.name for p in uploads(app)] == [signature.storage_key.rsplit("/", 1)[1]]
    last = AuditEvent.select().where(AuditEvent.action == "sign").order_by(AuditEvent.id.desc())
    assert last.first().change_list() == {"signed_by": ["Wrong Name", "Ann Client"]}


def test_the_signature_image_is_served_only_within_scope(client, auth, site, order):
    url = f"/work-orders/{order.id}/signature.png"
    auth.login(site["tech"])
    assert client.get(url).status_code == 404  # not signed yet
    sign(client, order)
    image = client.get(url)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG")
    assert "sandbox" in image.headers["Content-Security-Policy"]
    auth.logout()
    for user, status in (
        (site["client_user"], 200),
        (site["manager"], 200),
        (site["outsider"], 404),
        (site["stranger"], 404),
    ):
        auth.login(user)
        assert client.get(url).status_code == status, user.role
        auth.logout()
    assert client.get(url).status_code == 302  # signed out: to the sign-in page


def test_the_page_says_a_signature_is_needed_and_works_without_javascript(
    client, auth, site, order
):
    auth.login(site["tech"])
    page = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    section = page.split('id="signoff"', 1)[1]
    assert "data-signature-form hidden" in section  # shown by the script only
    assert "needs a browser with JavaScript" in section.split("</noscript>")[0]
    assert "signature.js" in section
    auth.logout()
    auth.login(site["client_user"])
    page = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "<canvas" not in page and "not signed yet" in page


def test_an_open_order_explains_when_the_signature_is_taken(client, auth, site):
    order = WorkOrder.open_for(
        site["manager"], site["project"], title="Check", requires_signature=True
    )
    auth.login(site["tech"])
    page = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "start the work, then ask the client to sign here" in page
    assert "<canvas" not in page


def test_the_order_form_sets_and_clears_the_requirement(client, auth, site):
    auth.login(site["manager"])
    data = {
        "title": "Belt",
        "project_id": site["project"].id,
        "type": "corrective",
        "priority": "medium",
        "requires_signature": "y",
    }
    assert client.post("/work-orders/new", data=data).status_code == 302
    order = WorkOrder.get()
    assert order.requires_signature is True
    edit = client.get(f"/work-orders/{order.id}/edit").get_data(as_text=True)
    assert 'id="requires_signature" name="requires_signature" type="checkbox" value="y"' in edit
    data.update(version=str(order.version))
    del data["requires_signature"], data["project_id"]
    assert client.post(f"/work-orders/{order.id}/edit", data=data).status_code == 302
    assert WorkOrder.get_by_id(order.id).requires_signature is False


def test_the_order_page_runs_as_many_queries_signed_as_unsigned(client, auth, site, order):
    from test_assets_list import counting_queries

    auth.login(site["tech"])
    url = f"/work-orders/{order.id}"
    client.get(url)
    with counting_queries() as unsigned:
        assert client.get(url).status_code == 200
    sign(client, order)
    client.get(url)  # shows the flash once
    with counting_queries() as signed:
        assert client.get(url).status_code == 200
    assert len(signed) == len(unsigned)


def test_a_huge_post_is_refused_before_decoding(app, client, auth, site, order):
    auth.login(site["tech"])
    huge = "data:image/png;base64," + "A" * 700_000
    response = sign(client, order, huge)
    assert response.status_code == 422
    assert "too large" in response.get_data(as_text=True)
    assert Signature.select().count() == 0 and uploads(app) == []
