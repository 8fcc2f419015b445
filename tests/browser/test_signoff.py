"""A technician has the client sign on the screen with the mouse (a finger works the same:
pointer events), saves it and completes the order; the job sheet prints on A4 and Letter.

Set SCREENSHOTS=<folder> to keep screenshots and the printed PDFs for a look."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import Project, Signature, User, WorkOrder, db
from models.demo_signoff import squiggle_png
from models.storage import get_storage

from .test_smoke import sign_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SCREENSHOTS")


def shot(target, name, **kw):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(Path(SHOTS) / name), **kw)


@pytest.fixture
def order(live_server, tmp_path):
    """An order in progress on one of Tom's projects that needs the client's signature."""
    live_server.app.config["STORAGE_URL"] = f"file://{tmp_path / 'store'}"
    live_server.load_demo()
    with live_server.app.app_context(), db.connection_context():
        tom = User.get(User.email == "tech@example.com")
        project = Project.get(Project.code.startswith("NGM-"))
        asset = project.assets.first()
        order = WorkOrder.open_for(
            tom,
            project,
            [tom],
            title="Replace condenser fan motor",
            description="Fan motor seized; replace and test.",
            asset=asset,
            requires_signature=True,
        )
        order.transition(tom, "in_progress", "open")
    return order


def draw_signature(page, canvas):
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()  # the mouse works in the viewport's coordinates
    box = canvas.bounding_box()
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(left + width * 0.1, top + height * 0.6)
    page.mouse.down()
    for i in range(1, 41):
        x = left + width * (0.1 + 0.75 * i / 40)
        y = top + height * (0.6 - 0.25 * ((i % 8) / 8))
        page.mouse.move(x, y, steps=2)
    page.mouse.up()


@pytest.mark.parametrize(
    "viewport",
    [{"width": 375, "height": 800}, {"width": 1280, "height": 900}],
    ids=["phone", "desk"],
)
def test_client_signs_with_the_mouse_then_the_technician_completes(
    live_server, page, demo_password, order, viewport
):
    size = "375" if viewport["width"] == 375 else "desktop"
    sign_in(page, live_server, "tech@example.com", demo_password)
    page.goto(f"{live_server.url}/work-orders/{order.id}")
    section = page.locator("#signoff")
    canvas = section.locator("canvas")
    expect(canvas).to_be_visible()
    expect(section.get_by_text("needs a browser with JavaScript")).to_be_hidden()
    section.scroll_into_view_if_needed()
    shot(section, f"signoff-{size}-empty.png")

    # Saving an empty pad is stopped in the browser, with the reason at the pad.
    section.get_by_label("Name of the person signing").fill("Claire Dubois")
    section.get_by_role("button", name="Save signature").click()
    expect(section.get_by_text("Ask the client to sign in the box.")).to_be_visible()
    assert page.evaluate("!document.querySelector('#signoff .field-error:not([hidden])[id]')")

    draw_signature(page, canvas)
    value = section.locator("input[name=signature]")
    expect(value).to_have_value(re.compile(r"^data:image/png;base64,"))
    shot(section, f"signoff-{size}-drawn.png")
    section.get_by_role("button", name="Clear").click()
    expect(value).to_have_value("")
    draw_signature(page, canvas)
    section.get_by_role("button", name="Save signature").click()

    expect(page.locator("#messages")).to_contain_text("Signed by Claire Dubois")
    image = page.locator("#signoff figure img")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('#signoff figure img').naturalWidth > 0")
    expect(page.locator("#timeline")).to_contain_text("Signed by Claire Dubois")

    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#messages")).to_contain_text("is now completed")
    expect(page.locator("#signoff")).to_contain_text("Tom Becker · completed")
    expect(page.locator("#signoff")).to_contain_text("Claire Dubois · signed")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.locator("#signoff").scroll_into_view_if_needed()
    shot(page.locator("#signoff"), f"signoff-{size}-completed.png")
    shot(page, f"order-{size}-completed.png", full_page=True)

    with live_server.app.app_context(), db.connection_context():
        assert WorkOrder.get_by_id(order.id).status == "completed"
        assert Signature.get(Signature.work_order == order.id).signer_name == "Claire Dubois"


def test_the_job_sheet_prints_on_a4_and_letter(live_server, page, demo_password, order, tmp_path):
    app = live_server.app
    with app.app_context(), db.connection_context():
        tom = User.get(User.email == "tech@example.com")
        storage = get_storage(app.config["STORAGE_URL"], app.instance_path)
        Signature.take(tom, order, squiggle_png(1), "Claire Dubois", storage)
    sign_in(page, live_server, "tech@example.com", demo_password)
    page.goto(f"{live_server.url}/work-orders/{order.id}")
    page.get_by_role("button", name="Job sheet").click()
    expect(page).to_have_url(re.compile(rf"/work-orders/{order.id}/sheet$"))
    expect(page.locator(".sheet-qr svg")).to_be_visible()
    page.wait_for_function("document.querySelector('.sign-space img').naturalWidth > 0")
    shot(page, "sheet-screen.png", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert pdf.startswith(b"%PDF-")
        assert 1 <= pages <= 2, (paper, pages)  # one order, at most two sheets of paper
        if SHOTS:
            Path(SHOTS, f"sheet-{paper}.pdf").write_bytes(pdf)
    # nothing sticks out to the right of the printed page's content box
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
