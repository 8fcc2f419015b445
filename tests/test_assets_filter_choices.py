"""The asset list's client and project dropdowns at organisation size (more than a hundred of
each): at most PICK_LIMIT offered, narrowed by the chosen place and by the Find boxes, with
and without JavaScript, never beyond what the user sees; and the list's capped count."""

import re

import pytest
from conftest import PASSWORD

from models import Asset, Client, Project, db
from views.assets import register
from views.assets.choices import PICK_LIMIT

HX = {"HX-Request": "true"}


@pytest.fixture
def login(app):
    def sign_in(user):
        browser = app.test_client()
        response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        return browser

    return sign_in


@pytest.fixture
def big(make_org, make_location, make_user, make_client):
    """Three locations with 40 clients each, two projects a client (240 projects), one
    asset a project; and another organisation whose project matches every Find."""
    org = make_org()
    locations = [make_location(org, name=f"Site {i}") for i in range(3)]
    with db.atomic():
        Client.insert_many(
            [
                dict(organisation=org.id, location=locations[i % 3].id, name=f"Client {i:03d}")
                for i in range(120)
            ]
        ).execute()
        clients = list(Client.select().where(Client.organisation == org.id).order_by(Client.id))
        Project.insert_many(
            [
                dict(
                    organisation=org.id,
                    location=c.location_id,
                    client=c.id,
                    code=f"PJ-{i:03d}{'ab'[n]}",
                    name=f"Works {i} {'North' if n else 'South'}",
                )
                for i, c in enumerate(clients)
                for n in range(2)
            ]
        ).execute()
        projects = list(Project.select().where(Project.organisation == org.id))
        Asset.insert_many(
            [
                dict(
                    organisation=org.id,
                    location=p.location_id,
                    client=p.client_id,
                    project=p.id,
                    tag=f"T-{p.code}",
                    name="Pump",
                )
                for p in projects
            ]
        ).execute()
    foreign = make_client(name="Client 000 elsewhere")
    Project.create(
        organisation=foreign.organisation_id,
        location=foreign.location_id,
        client=foreign,
        code="PJ-000a",
        name="Works 0 South",
    )
    users = {
        "admin": make_user("admin", organisation=org),
        "limited": make_user("manager", locations=locations[:1]),
        "technician": make_user("technician", projects=projects[:3]),
        "client": make_user("client", client=clients[4]),
    }
    return dict(org=org, locations=locations, clients=clients, projects=projects, users=users)


def offered(text, name):
    """(value, label) of the enabled options of the dropdown `name`, but its "all" option."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', text, re.S)
    assert select, name
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select.group(1))
    return [(int(value), label) for value, label in options]


def more(text, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', text, re.S).group(1)
    return "disabled>More" in select


def find_box(text, name):
    return re.search(rf'<input type="search" name="{name}_q" value="([^"]*)"', text)


def page_text(browser, url, headers=None):
    response = browser.get(url, headers=headers or {})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_long_dropdowns_offer_a_hundred_and_a_find_box(big, login):
    text = page_text(login(big["users"]["admin"]), "/assets")
    projects = offered(text, "project")
    assert [label for _, label in projects] == sorted(
        f"{p.code} {p.name}" for p in big["projects"]
    )[:PICK_LIMIT]
    assert len(offered(text, "client")) == PICK_LIMIT
    assert more(text, "project") and more(text, "client")
    assert find_box(text, "project") and find_box(text, "client")
    assert len(offered(text, "location")) == 3
    assert not find_box(text, "location")


@pytest.mark.parametrize("find", ["pj-01", "north", "Works 11 ", "PJ-119b", "%", "zzz"])
def test_the_find_box_narrows_the_dropdown_without_javascript(big, login, find):
    """Typed in the Find box and sent with the Filter button, as with JavaScript off."""
    browser = login(big["users"]["admin"])
    text = page_text(browser, "/assets?" + f"project_q={find}".replace(" ", "+"))
    expected = sorted(
        f"{p.code} {p.name}"
        for p in big["projects"]
        if find.strip().lower() in p.code.lower() or find.strip().lower() in p.name.lower()
    )
    assert [label for _, label in offered(text, "project")] == expected[:PICK_LIMIT]
    assert more(text, "project") == (len(expected) > PICK_LIMIT)
    assert find_box(text, "project").group(1) == find.strip()
    # The Find box does not filter the list itself.
    assert "of 240" in text


def test_the_chosen_project_and_client_are_always_offered(big, login):
    browser = login(big["users"]["admin"])
    last = max(big["projects"], key=lambda p: p.code)  # beyond the first hundred
    client = max(big["clients"], key=lambda c: c.name)
    text = page_text(browser, f"/assets?project={last.id}&client={client.id}&project_q=PJ-00")
    assert f'<option value="{last.id}" selected>{last.code} {last.name}</option>' in text
    assert f'<option value="{client.id}" selected>{client.name}</option>' in text
    assert [p for p in offered(text, "project") if p[0] == last.id] == [
        (last.id, f"{last.code} {last.name}")
    ]


def test_a_chosen_place_narrows_the_dropdowns_below_it(big, login):
    browser = login(big["users"]["admin"])
    site = big["locations"][1]
    text = page_text(browser, f"/assets?location={site.id}")
    clients = {c.id for c in big["clients"] if c.location_id == site.id}
    assert {i for i, _ in offered(text, "client")} == clients
    assert not more(text, "client") and not find_box(text, "client")
    client = big["clients"][7]
    text = page_text(browser, f"/assets?client={client.id}")
    assert {i for i, _ in offered(text, "project")} == {
        p.id for p in big["projects"] if p.client_id == client.id
    }
    assert not find_box(text, "project")


def test_the_choices_are_swapped_out_of_band_for_htmx(big, login):
    browser = login(big["users"]["admin"])
    text = page_text(browser, "/assets/choices/project?project_q=119", HX)
    assert "<html" not in text and "<main" not in text
    assert re.search(r'<select name="project" id="choose-project"[^>]*hx-swap-oob="true"', text)
    assert [label for _, label in offered(text, "project")] == [
        "PJ-119a Works 119 South",
        "PJ-119b Works 119 North",
    ]
    assert 'name="client"' not in text and 'id="pick-project"' not in text
    # A location picked: both pickers, Find boxes included, narrowed to the location.
    site = big["locations"][2]
    text = page_text(browser, f"/assets/choices/for-location?location={site.id}", HX)
    assert re.search(r'<div class="picker" id="pick-client" hx-swap-oob="true"', text)
    assert re.search(r'<div class="picker" id="pick-project" hx-swap-oob="true"', text)
    assert {i for i, _ in offered(text, "client")} == {
        c.id for c in big["clients"] if c.location_id == site.id
    }
    assert len(offered(text, "project")) == 80 and not find_box(text, "project")
    # A client picked: its projects.
    client = big["clients"][9]
    text = page_text(browser, f"/assets/choices/for-client?client={client.id}", HX)
    assert 'id="pick-client"' not in text
    assert {i for i, _ in offered(text, "project")} == {
        p.id for p in big["projects"] if p.client_id == client.id
    }
    # A new place drops a client or project outside it (the full page keeps showing the
    # URL's choice, however contradictory, so that the empty list can be explained).
    elsewhere = next(p for p in big["projects"] if p.location_id != site.id)
    url = f"/assets/choices/for-location?location={site.id}&project={elsewhere.id}"
    text = page_text(browser, url + f"&client={elsewhere.client_id}", HX)
    assert "selected" not in text
    assert elsewhere.id not in {i for i, _ in offered(text, "project")}
    text = page_text(
        browser, f"/assets/choices/for-client?client={client.id}&project={elsewhere.id}", HX
    )
    assert "selected" not in text
    text = page_text(browser, f"/assets?location={site.id}&project={elsewhere.id}")
    assert f'<option value="{elsewhere.id}" selected>' in text
    # Without HTMX (a link opened by hand): the list with the same filters.
    response = browser.get(f"/assets/choices/project?client={client.id}&project_q=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/assets?")
    assert f"client={client.id}" in response.headers["Location"]
    assert browser.get("/assets/choices/asset", headers=HX).status_code == 404


def test_choices_need_a_sign_in(big, app):
    browser = app.test_client()
    response = browser.get("/assets/choices/project?project_q=PJ", headers=HX)
    assert response.status_code == 401 and "PJ-" not in response.get_data(as_text=True)
    response = browser.get("/assets/choices/project?project_q=PJ")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["limited", "technician", "client"])
def test_choices_never_offer_what_the_user_cannot_see(big, login, role):
    user = big["users"][role]
    browser = login(user)
    sees = {
        "limited": lambda p: p.location_id == big["locations"][0].id,
        "technician": lambda p: p in big["projects"][:3],
        "client": lambda p: p.client_id == user.client_id,
    }[role]
    mine = {p.id for p in big["projects"] if sees(p)}
    foreign = next(p for p in big["projects"] if not sees(p))
    for url in (
        "/assets",
        "/assets?project_q=PJ-0",
        f"/assets?project={foreign.id}&client={foreign.client_id}",
    ):
        got = {i for i, _ in offered(page_text(browser, url), "project")}
        assert got <= mine, url
    text = page_text(browser, f"/assets/choices/project?project_q=Works&project={foreign.id}", HX)
    got = {i for i, _ in offered(text, "project")}
    assert got <= mine and (got == mine or len(got) == PICK_LIMIT)
    text = page_text(browser, "/assets/choices/for-location?client_q=Client", HX)
    clients = {i for i, _ in offered(text, "client")}
    assert clients <= {p.client_id for p in big["projects"] if sees(p)}


def test_the_filter_bar_costs_two_queries_whatever_the_organisation_size(big, login):
    from models import db as proxy

    queries = []
    proxy.obj.query_hooks.append(queries.append)
    try:
        browser = login(big["users"]["admin"])
        queries.clear()
        page_text(browser, "/assets")
        full = [q for q in queries if not q.sql.lstrip().upper().startswith("PRAGMA")]
        queries.clear()
        page_text(browser, "/assets", HX)
        part = [q for q in queries if not q.sql.lstrip().upper().startswith("PRAGMA")]
        queries.clear()
        page_text(browser, "/assets/choices/project?project_q=PJ", HX)
        choices = [q for q in queries if not q.sql.lstrip().upper().startswith("PRAGMA")]
    finally:
        proxy.obj.query_hooks.remove(queries.append)
    assert len(full) - len(part) == 2, [q.sql[:80] for q in full]
    assert len(choices) == 2, [q.sql[:80] for q in choices]  # the user, the dropdown


# The list's count stops at COUNT_LIMIT: "10,000+", and pages only as far as that.


def test_a_long_list_counts_up_to_the_limit_and_pages_that_far(big, login, monkeypatch):
    monkeypatch.setattr(register, "COUNT_LIMIT", 60)
    browser = login(big["users"]["admin"])
    text = page_text(browser, "/assets?sort=tag")
    assert "1–25 of 60+" in text and "Page 1 of 3+" in text
    assert "Last »" not in text
    assert "Download these 60+ assets as CSV" in text
    seen = []
    for number in (1, 2, 3):
        text = page_text(browser, f"/assets?sort=tag&page={number}", HX)
        seen += re.findall(r'href="/assets/(\d+)"', text)
    assert len(seen) == len(set(seen)) == 60
    tags = sorted(f"T-{p.code}" for p in big["projects"])
    assert [Asset.get_by_id(int(i)).tag for i in seen] == tags[:60]
    # Past the last counted page: the last one, with a word on how to reach the others.
    text = page_text(browser, "/assets?sort=tag&page=40")
    assert "Only the first 60 can be paged through; showing page 3" in text
    # Sorted the other way, the end of the list is the first page.
    text = page_text(browser, "/assets?sort=-tag")
    assert f">{tags[-1]}<" in text
    # A narrower list is counted exactly, with its last page.
    monkeypatch.setattr(register, "COUNT_LIMIT", 79)
    site = big["locations"][0]
    text = page_text(browser, f"/assets?location={site.id}")  # 80 assets
    assert "1–25 of 79+" in text and "Last »" not in text
    monkeypatch.setattr(register, "COUNT_LIMIT", 80)
    text = page_text(browser, f"/assets?location={site.id}")
    assert "1–25 of 80<" in text and "Last »" in text


def test_a_limited_manager_filtering_by_location_sees_only_their_own(big, login):
    """Their own location drops the scope's `location IN (...)` from the query (see
    register._visible_assets); another location still shows nothing."""
    browser = login(big["users"]["limited"])
    own, other = big["locations"][0], big["locations"][1]
    text = page_text(browser, f"/assets?location={own.id}&per_page=100")
    shown = set(re.findall(r'href="/assets/(\d+)"', text))
    mine = Asset.select(Asset.id).where(Asset.location == own.id)
    assert shown == {str(a.id) for a in mine} and len(shown) == 80
    text = page_text(browser, f"/assets?location={other.id}")
    assert not re.findall(r'href="/assets/(\d+)"', text) and "Nothing found" in text
