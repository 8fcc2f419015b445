"""The asset register in a real browser: a technician adds a meter reading on a phone, a
manager changes many assets at once and adds a photo to an asset."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from models import Asset, Document, Location, Meter, Project, User, db

from .test_smoke import open_assets, sign_in

pytestmark = pytest.mark.browser


def demo_asset(live_server, project_code):
    """A top-level demo asset of a project, one without meters or documents yet."""
    with live_server.app.app_context(), db.connection_context():
        asset = (
            Asset.select()
            .join(Project, on=(Asset.project == Project.id))
            .where(
                Project.code == project_code,
                Asset.parent.is_null(),
                Asset.id.not_in(Meter.select(Meter.asset)),
                Asset.id.not_in(Document.select(Document.asset)),
            )
            .order_by(Asset.tag)
            .first()
        )
    assert asset is not None
    return asset


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 800}])
def test_technician_adds_a_meter_reading_on_a_phone(live_server, page, demo_password):
    live_server.load_demo()
    asset = demo_asset(live_server, "NGM-HV")  # one of Tom's projects
    with live_server.app.app_context(), db.connection_context():
        tom = User.get(User.email == "tech@example.com")
        meter = Meter.create_for(tom, asset, name="Runtime", unit="h")

    sign_in(page, live_server, "tech@example.com", demo_password)
    page.goto(f"{live_server.url}/assets/{asset.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(asset.tag)
    # the block is swapped by HTMX: find it afresh each time
    runtime = page.locator("#meters .meter").filter(has=page.get_by_role("link", name="Runtime"))
    value = runtime.locator(".meter-value")
    # (the field's label also holds its error message, so its name starts with "Reading")
    reading = runtime.get_by_role("spinbutton", name=re.compile(r"^Reading"))
    expect(value).to_have_text("no readings yet")

    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    reading.fill("1250.5")
    runtime.get_by_role("button", name="Add reading").click()
    expect(value).to_have_text("1,250.5 h")
    expect(reading).to_have_value("")
    expect(reading).not_to_have_attribute("aria-invalid", "true")
    assert page.evaluate("window.__sameDocument === true"), "adding a reading reloaded the page"

    # A runtime meter only goes up: a lower reading is refused, at the field.
    reading.fill("1200")
    runtime.get_by_role("button", name="Add reading").click()
    expect(reading).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#m{meter.id}-value-error")
    expect(error).to_contain_text("only goes up")
    expect(error).to_contain_text("1250.5 h")
    expect(error).to_be_visible()
    expect(reading).to_have_attribute("aria-describedby", f"m{meter.id}-value-error")
    expect(value).to_have_text("1,250.5 h")
    assert page.evaluate("window.__sameDocument === true"), "the refusal reloaded the page"
    # nothing is wider than the phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    with live_server.app.app_context(), db.connection_context():
        assert [r.value for r in Meter.get_by_id(meter.id).readings] == [1250.5]


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 900}, {"width": 375, "height": 800}],
    ids=["desktop", "phone"],
)
def test_manager_changes_the_status_of_three_assets(live_server, page, demo_password):
    live_server.load_demo()
    sign_in(page, live_server, "manager@example.com", demo_password)
    open_assets(page)

    rows = page.locator("#results tbody tr")
    expect(rows.first.locator("td[data-label=Tag]")).to_be_visible()
    tags = [rows.nth(i).locator("td[data-label=Tag]").inner_text().strip() for i in range(3)]
    for i in range(3):
        rows.nth(i).get_by_role("checkbox").check()
    page.get_by_label("With the selected assets").select_option(label="Change status")
    page.locator("#bulk").get_by_role("button", name="Go").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Change status: 3 assets")
    for tag in tags:
        expect(page.locator(".tag").get_by_text(tag, exact=True)).to_be_visible()
    page.get_by_label("New status").select_option("retired")
    page.get_by_role("button", name="Change status (3)").click()

    expect(page).to_have_url(re.compile(r"/assets$"))
    expect(page.locator("#messages")).to_contain_text("Status set to retired on 3 assets")
    for tag in tags:
        row = page.locator("#results tbody tr").filter(
            has=page.get_by_role("link", name=tag, exact=True)
        )
        expect(row.locator("td[data-label=Status]")).to_have_text("Retired")
    with live_server.app.app_context(), db.connection_context():
        assert {a.status for a in Asset.select().where(Asset.tag.in_(tags))} == {"retired"}


def test_manager_adds_a_photo_to_an_asset(live_server, page, demo_password, tmp_path):
    live_server.load_demo()
    asset = demo_asset(live_server, "RGH-PL")
    photo = tmp_path / "nameplate.png"
    Image.new("RGB", (320, 240), (15, 118, 110)).save(photo)

    sign_in(page, live_server, "manager@example.com", demo_password)
    page.goto(f"{live_server.url}/assets/{asset.id}")
    documents = page.locator("#documents")
    expect(documents).to_contain_text("No documents or photos yet.")
    documents.get_by_text("Add a document or photo").click()
    expect(documents.locator("label[for=file]")).to_contain_text("File")
    documents.locator("input#file[type=file]").set_input_files(photo)
    expect(documents.get_by_label("Kind")).to_have_value("photo")
    documents.get_by_label("Title").fill("Pump nameplate")
    documents.get_by_role("button", name="Upload").click()

    expect(page).to_have_url(re.compile(rf"/assets/{asset.id}(#documents)?$"))
    expect(page.locator("#messages")).to_contain_text("Uploaded.")
    thumbnail = page.locator("#documents .photos").get_by_role("img", name="Pump nameplate")
    expect(thumbnail).to_be_visible()
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") > 0, "the thumbnail did not load"
    expect(page.locator("#documents figcaption span")).to_have_text("Pump nameplate")
    with live_server.app.app_context(), db.connection_context():
        document = Document.get(Document.asset == asset.id)
        assert (document.kind, document.content_type) == ("photo", "image/png")


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 375, "height": 800}]
)
def test_manager_finds_a_project_among_many_and_then_picks_a_location(
    live_server, page, demo_password, monkeypatch
):
    """The project dropdown of an organisation with more projects than it lists (here: more
    than 5) gets a Find box; typing refills the dropdown without reloading the page, a
    pick filters the list, and a location picked later drops a project outside it."""
    from views.assets import choices

    monkeypatch.setattr(choices, "PICK_LIMIT", 5)
    live_server.load_demo()
    with live_server.app.app_context(), db.connection_context():
        project = Project.get(Project.code == "MOR-LF")  # not among the first five
        manchester = Location.get(Location.name == "Manchester")
        in_project = {a.tag for a in Asset.select().where(Asset.project == project.id)}
        there = {p.code for p in Project.select().where(Project.location == manchester.id)}
    assert project.code not in there
    sign_in(page, live_server, "manager@example.com", demo_password)
    open_assets(page)
    dropdown = page.get_by_label("Project", exact=True)
    expect(dropdown.locator("option")).to_have_count(7)  # all, five, "more"
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("Find a project (then choose it in the list)").fill("meridian")
    expect(dropdown.locator("option")).to_have_count(3)
    dropdown.select_option(label="MOR-LF Meridian vertical transport")
    expect(page).to_have_url(re.compile(rf"project={project.id}(&|$)"))
    tags = page.locator("#results td[data-label=Tag]")
    expect(tags.first).to_be_visible()
    expect(tags).to_have_count(len(in_project))
    assert set(tags.all_inner_texts()) == in_project

    if page.viewport_size["width"] < 700:
        page.get_by_text("More filters").click()  # folded on a phone
    page.get_by_label("Location", exact=True).select_option(label="Manchester")
    expect(page).to_have_url(re.compile(rf"location={manchester.id}(&|$)"))
    expect(page).to_have_url(re.compile(r"project=(&|$)"))
    expect(dropdown).to_have_value("")
    codes = page.locator("#results td[data-label=Project]")
    expect(codes.first).to_have_text(re.compile("^(" + "|".join(sorted(there)) + ")$"))
    assert set(codes.all_inner_texts()) <= there
    assert page.evaluate("window.__sameDocument === true"), "the filters reloaded the page"
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
