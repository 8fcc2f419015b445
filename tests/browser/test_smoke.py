"""A person signs in with a real browser and finds an asset, on a desktop and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from models import Asset, Client, db

pytestmark = pytest.mark.browser

DEMO_USERS = [
    "admin@example.com",
    "manager@example.com",
    "tech@example.com",
    "client@example.com",
]


def sign_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")


def open_assets(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assets").click()
    expect(page).to_have_url(re.compile(r"/assets$"))
    expect(page.get_by_role("heading", level=1, name="Assets")).to_be_visible()


@pytest.mark.parametrize("email", DEMO_USERS)
def test_each_demo_user_signs_in_and_opens_an_asset(live_server, page, demo_password, email):
    live_server.load_demo()
    sign_in(page, live_server, email, demo_password)
    open_assets(page)

    rows = page.locator("#results tbody tr")
    expect(rows.first.locator("td[data-label=Tag]").get_by_role("link")).to_be_visible()
    if email == "client@example.com":
        with live_server.app.app_context(), db.connection_context():
            northgate = (
                Asset.select()
                .join(Client, on=(Asset.client == Client.id))
                .where(Client.name == "Northgate Mall Ltd")
                .count()
            )
        expect(page.locator("#results .pager")).to_contain_text(f"of {northgate:,}")
        clients = page.locator('#results td[data-label="Client"]')
        expect(clients.first).to_be_visible()
        names = {name.strip() for name in clients.all_inner_texts()}
        assert names == {"Northgate Mall Ltd"}
        project_filter = page.get_by_label("Project", exact=True)
        options = [o.strip() for o in project_filter.locator("option").all_inner_texts()]
        assert options[0] == "Project: all"
        assert options[1:] and all(o.startswith("NGM-") for o in options[1:]), options

    first = rows.first.locator("td[data-label=Tag]").get_by_role("link")
    tag = first.inner_text().strip()
    first.click()
    expect(page).to_have_url(re.compile(r"/assets/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(tag)
    expect(page.get_by_role("heading", name="Details")).to_be_visible()


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 800}])
def test_technician_searches_for_an_asset_on_a_phone(live_server, page, demo_password):
    live_server.load_demo()
    Component = Asset.alias()
    with live_server.app.app_context(), db.connection_context():
        # An asset of Tom's that is not on the first page of the list: the search must find it.
        asset = (
            Asset.select(Asset.id, Asset.tag, Asset.name)
            .join(Client, on=(Asset.client == Client.id))
            .where(
                Client.name == "Quayside Data Centres",
                Asset.parent.is_null(),
                # no components, whose tags would also contain this tag
                Asset.id.not_in(
                    Component.select(Component.parent).where(Component.parent.is_null(False))
                ),
            )
            .order_by(Asset.tag.desc())
            .first()
        )
    assert asset is not None

    sign_in(page, live_server, "tech@example.com", demo_password)
    open_assets(page)
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#results").get_by_role("link", name=asset.tag, exact=True)).to_have_count(
        0
    )

    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    search = page.get_by_role("searchbox", name=re.compile("Search"))
    search.press_sequentially(asset.tag, delay=20)
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(asset.tag)))
    assert page.evaluate("window.__sameDocument === true"), "the list reloaded the page"

    link = rows.first.get_by_role("link", name=asset.tag, exact=True)
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(rf"/assets/{asset.id}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(asset.tag)
    expect(page.get_by_role("heading", level=1)).to_contain_text(asset.name)
