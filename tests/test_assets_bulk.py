"""Bulk changes and QR labels through the pages: a confirmation with the count, then one
transaction; any id the user may not see answers 404 and changes nothing; moves and archives
take components along; label sheets carry one QR code per asset pointing at its page."""

import re

import pytest
import segno
from conftest import PASSWORD

from models import Asset, AuditEvent, Document, Meter, asset_bulk, utcnow

HX = {"HX-Request": "true"}


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    """Org: North (client A: P1, P2) and South (client B: P3). In P1 a pump with a motor that
    has a bearing, and two loose assets; one asset in P3; an asset of another organisation."""
    org = make_org()
    north, south = make_location(org), make_location(org)
    client_a, client_b = make_client(north), make_client(south)
    p1, p2, p3 = make_project(client_a), make_project(client_a), make_project(client_b)
    pump = make_asset(p1, tag="PUMP")
    motor = make_asset(p1, tag="PUMP-M", parent=pump)
    bearing = make_asset(p1, tag="PUMP-M-B", parent=motor)
    fan, valve = make_asset(p1, tag="FAN"), make_asset(p1, tag="VALVE")
    boiler = make_asset(p3, tag="BOILER")
    foreign = make_asset(tag="FOREIGN")
    users = {
        "admin": make_user("admin", organisation=org),
        "manager": make_user("manager", organisation=org),
        "limited": make_user("manager", locations=[north]),
        "technician": make_user("technician", projects=[p1]),
        "client": make_user("client", client=client_a),
        "stranger": make_user("admin", organisation=foreign.organisation_id),
    }
    meter = Meter.create_for(users["admin"], motor, name="Runtime", unit="h")
    return dict(
        projects=(p1, p2, p3),
        pump=pump,
        motor=motor,
        bearing=bearing,
        fan=fan,
        valve=valve,
        boiler=boiler,
        foreign=foreign,
        meter=meter,
        users=users,
    )


@pytest.fixture
def login(app):
    def sign_in(user):
        browser = app.test_client()
        response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        return browser

    return sign_in


def snapshot():
    return sorted(
        Asset.select(
            Asset.id,
            Asset.status,
            Asset.project,
            Asset.client,
            Asset.location,
            Asset.parent,
            Asset.archived_at,
        ).tuples()
    )


def bulk(browser, assets, action, **extra):
    ids = [str(a.id) if hasattr(a, "id") else str(a) for a in assets]
    return browser.post("/assets/bulk", data={"ids": ids, "action": action, **extra})


def flashes(browser):
    text = browser.get("/assets").get_data(as_text=True)
    return re.findall(r'class="flash\b[^"]*"[^>]*>([^<]*)<', text)


# Confirmation first


@pytest.mark.parametrize(
    "action,label", [("status", "Change status"), ("archive", "Archive"), ("move", "Move to")]
)
def test_a_bulk_action_asks_for_confirmation_with_the_count(site, login, action, label):
    browser = login(site["users"]["manager"])
    before = snapshot()
    picked = [site["fan"], site["valve"], site["boiler"]]
    response = bulk(browser, picked, action)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert re.search(rf"<h1>{label}[^<]*\b3 assets\b", text)
    hidden = re.findall(r'<input[^>]*name="ids"[^>]*value="(\d+)"', text)
    assert sorted(map(int, hidden)) == sorted(a.id for a in picked)
    assert re.search(r'name="confirm"[^>]*value="yes"', text)
    assert snapshot() == before


def test_the_confirmed_status_change_applies_to_every_selected_asset(site, login):
    browser = login(site["users"]["limited"])
    picked = [site["fan"], site["valve"], site["pump"]]
    response = bulk(browser, picked, "status", confirm="yes", status="down")
    assert response.status_code == 302
    assert response.headers["Location"] == "/assets"
    statuses = {a.tag: a.status for a in Asset.select()}
    assert [statuses[a.tag] for a in picked] == ["down"] * 3
    assert statuses["PUMP-M"] == "operational"  # a status does not cascade
    events = AuditEvent.select().where(AuditEvent.summary == "Status set to down in bulk")
    assert sorted(e.entity_id for e in events) == sorted(a.id for a in picked)
    assert "Status set to down on 3 assets." in flashes(browser)


def test_a_missing_or_unknown_status_is_asked_again(site, login):
    browser = login(site["users"]["manager"])
    before = snapshot()
    for status in ("", "broken", "DOWN"):
        response = bulk(browser, [site["fan"]], "status", confirm="yes", status=status)
        assert response.status_code == 422
        assert "Choose the new status." in response.get_data(as_text=True)
    assert snapshot() == before


def test_the_change_is_one_transaction(site, login, monkeypatch):
    browser = login(site["users"]["manager"])
    before = snapshot()

    def fail(*args, **kwargs):
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(asset_bulk, "_audit_many", fail)
    for action, extra in (
        ("status", {"status": "down"}),
        ("archive", {}),
        ("move", {"project_id": site["projects"][1].id}),
    ):
        with pytest.raises(RuntimeError):
            bulk(browser, [site["fan"], site["pump"]], action, confirm="yes", **extra)
        assert snapshot() == before, action


# Every id must be visible, or nothing happens


@pytest.mark.parametrize("confirm", ["", "yes"])
def test_a_foreign_id_among_the_ids_is_404_and_changes_nothing(site, login, confirm):
    browser = login(site["users"]["manager"])
    before = snapshot()
    extra = {"status": "down", "project_id": site["projects"][1].id, "confirm": confirm}
    for action in ("status", "archive", "move", "labels"):
        response = bulk(browser, [site["fan"], site["foreign"], site["valve"]], action, **extra)
        assert response.status_code == 404, action
        assert b"FOREIGN" not in response.data
    assert snapshot() == before
    assert not AuditEvent.select().where(AuditEvent.summary.contains("bulk")).exists()


def test_an_id_outside_a_limited_managers_locations_is_404(site, login):
    browser = login(site["users"]["limited"])  # North only: the boiler is South
    before = snapshot()
    extra = {"status": "retired", "project_id": site["projects"][1].id, "confirm": "yes"}
    for action in ("status", "archive", "move"):
        response = bulk(browser, [site["fan"], site["boiler"]], action, **extra)
        assert response.status_code == 404, action
    assert snapshot() == before


def test_an_archived_asset_cannot_be_changed_in_bulk(site, login):
    site["valve"].archived_at = utcnow()
    site["valve"].save()
    before = snapshot()
    browser = login(site["users"]["admin"])
    response = bulk(browser, [site["fan"], site["valve"]], "status", confirm="yes", status="down")
    assert response.status_code == 404
    assert snapshot() == before


def test_malformed_ids_are_404(site, login):
    browser = login(site["users"]["admin"])
    before = snapshot()
    fan = str(site["fan"].id)
    for ids in (["x"], ["1.5"], ["-1"], ["²"], ["99999999999"], [" 1"], [fan] * 1001):
        data = {"ids": [fan, *ids], "action": "archive", "confirm": "yes"}
        assert browser.post("/assets/bulk", data=data).status_code == 404, ids[:2]
    assert snapshot() == before


def test_no_selection_or_no_action_goes_back_with_a_message(site, login):
    browser = login(site["users"]["admin"])
    before = snapshot()
    for data in ({"action": "archive", "confirm": "yes"}, {"ids": [site["fan"].id]}):
        response = browser.post("/assets/bulk", data=data)
        assert response.status_code == 302
        assert response.headers["Location"] == "/assets"
    response = bulk(browser, [site["fan"]], "delete", confirm="yes")
    assert response.status_code == 302
    assert "Select some assets and an action first." in flashes(browser)
    assert snapshot() == before


def test_a_repeated_id_counts_once(site, login):
    browser = login(site["users"]["admin"])
    response = bulk(browser, [site["fan"], site["fan"], site["valve"]], "status")
    assert re.search(r"<h1>[^<]*\b2 assets\b", response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["technician", "client"])
def test_other_roles_may_not_use_bulk_changes(site, login, role):
    browser = login(site["users"][role])
    before = snapshot()
    extra = {"status": "down", "project_id": site["projects"][1].id, "confirm": "yes"}
    for action in ("status", "archive", "move", "labels"):
        for confirm in ("", "yes"):
            data = {**extra, "confirm": confirm}
            assert bulk(browser, [site["fan"]], action, **data).status_code == 403, action
    assert snapshot() == before


# Move


def test_a_move_shows_what_goes_along_and_takes_components_meters_and_documents(
    site, login, app, monkeypatch
):
    admin = site["users"]["admin"]
    motor, target = site["motor"], site["projects"][2]  # P3: another client and location
    doc = Document.create(
        organisation=motor.organisation_id,
        location=motor.location_id,
        client=motor.client_id,
        project=motor.project_id,
        asset=motor.id,
        kind="manual",
        title="Manual",
        filename="m.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        storage_key="k/m.pdf",
    )
    browser = login(admin)
    # The motor alone: its bearing goes with it, and it leaves the pump.
    page = bulk(browser, [motor, site["fan"]], "move").get_data(as_text=True)
    assert re.search(r"\b1 component\b", page)  # the bearing
    assert re.search(r"\b1 selected component\b", page)  # the motor leaves its parent
    assert f'value="{target.id}"' in page

    response = bulk(browser, [motor, site["fan"]], "move", confirm="yes", project_id=target.id)
    assert response.status_code == 302
    place = (target.id, target.client_id, target.location_id)
    rows = {a.tag: a for a in Asset.select()}
    for tag in ("PUMP-M", "PUMP-M-B", "FAN"):
        assert (rows[tag].project_id, rows[tag].client_id, rows[tag].location_id) == place
    assert rows["PUMP-M"].parent_id is None
    assert rows["PUMP-M-B"].parent_id == motor.id
    assert rows["PUMP"].project_id == site["projects"][0].id  # the parent stays
    meter, doc = Meter.get_by_id(site["meter"].id), Document.get_by_id(doc.id)
    assert (meter.project_id, meter.client_id, meter.location_id) == place
    assert (doc.project_id, doc.client_id, doc.location_id) == place
    assert "components included" in flashes(browser)[0]


def test_moving_a_parent_takes_its_whole_subtree(site, login):
    browser = login(site["users"]["manager"])
    target = site["projects"][1]
    page = bulk(browser, [site["pump"]], "move").get_data(as_text=True)
    assert re.search(r"\b2 components\b", page)
    bulk(browser, [site["pump"]], "move", confirm="yes", project_id=target.id)
    rows = {a.tag: a for a in Asset.select()}
    assert {rows[t].project_id for t in ("PUMP", "PUMP-M", "PUMP-M-B")} == {target.id}
    assert rows["PUMP-M"].parent_id == site["pump"].id


@pytest.mark.parametrize("target", ["foreign", "outside", "missing", "junk", "archived"])
def test_a_move_needs_a_visible_live_project(site, login, make_project, target):
    browser = login(site["users"]["limited"])  # North only
    project_id = {
        "foreign": lambda: site["foreign"].project_id,
        "outside": lambda: site["projects"][2].id,  # South
        "missing": lambda: "",
        "junk": lambda: "1; DROP TABLE asset",
        "archived": lambda: make_project(site["projects"][0].client, archived_at=utcnow()).id,
    }[target]()
    before = snapshot()
    response = bulk(browser, [site["fan"]], "move", confirm="yes", project_id=project_id)
    if target in ("foreign", "outside"):
        assert response.status_code == 404
    else:
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        message = "That project is archived." if target == "archived" else "Choose the project"
        assert message in text
    assert snapshot() == before


# Archive


def test_archiving_takes_components_along(site, login):
    browser = login(site["users"]["manager"])
    page = bulk(browser, [site["pump"], site["fan"]], "archive").get_data(as_text=True)
    assert re.search(r"\b2 components\b", page)
    response = bulk(browser, [site["pump"], site["fan"]], "archive", confirm="yes")
    assert response.status_code == 302
    archived = {a.tag for a in Asset.select().where(Asset.archived_at.is_null(False))}
    assert archived == {"PUMP", "PUMP-M", "PUMP-M-B", "FAN"}
    assert "Archived 4 assets (components included)." in flashes(browser)
    events = AuditEvent.select().where(AuditEvent.action == "archive")
    assert len(events) == 4
    # Archived, they leave the list and a second archive finds nothing to select.
    assert bulk(browser, [site["pump"]], "archive", confirm="yes").status_code == 404


# QR labels


def qr(asset_id):
    url = f"http://localhost/assets/{asset_id}"
    return segno.make(url, error="m").svg_inline(scale=3, border=0)


def sheet(response):
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    return text.split('<div class="label-sheet', 1)[1]


def test_a_label_sheet_has_one_qr_code_per_asset_pointing_at_its_page(site, login):
    browser = login(site["users"]["technician"])
    picked = [site["pump"], site["motor"], site["fan"]]
    for paper in ("a4", "letter", "tabloid", ""):
        query = "&".join(f"ids={a.id}" for a in picked) + f"&paper={paper}"
        labels = sheet(browser.get(f"/assets/labels?{query}"))
        assert re.match(r'[^"]* paper-(\w+)', labels).group(1) == (
            "letter" if paper == "letter" else "a4"
        )
        assert labels.count("<svg") == 3
        for asset in picked:
            assert qr(asset.id) in labels
            assert f">{asset.tag}<" in labels
        assert qr(site["valve"].id) not in labels


def test_labels_for_an_asset_out_of_sight_are_404(site, login):
    for role in ("technician", "client", "limited"):  # none of them sees the boiler
        browser = login(site["users"][role])
        response = browser.get(f"/assets/labels?ids={site['fan'].id}&ids={site['boiler'].id}")
        assert response.status_code == 404, role
        assert b"label-sheet" not in response.data  # no sheet, not even the visible fan's label
        assert site["fan"].tag.encode() not in response.data
        assert browser.get(f"/assets/labels?ids={site['foreign'].id}").status_code == 404


def test_the_bulk_labels_action_opens_the_sheet(site, login):
    browser = login(site["users"]["manager"])
    response = bulk(browser, [site["fan"], site["boiler"]], "labels")
    assert response.status_code == 302
    sheet_page = browser.get(response.headers["Location"])
    assert sheet(sheet_page).count("<svg") == 2


def test_a_label_sheet_without_ids_goes_back_to_the_list(site, login):
    browser = login(site["users"]["client"])
    response = browser.get("/assets/labels?paper=a4")
    assert response.status_code == 302
    assert response.headers["Location"] == "/assets"
