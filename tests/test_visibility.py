"""Who sees what: the exact rows each role sees, through models.visibility and the pages.

A seeded world of two organisations is checked role by role against a plain-Python
statement of the rule in PRODUCT.md, so a change to the rule or to a query shows up here.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest

from models import Asset, Client, Location, Project, utcnow
from models.visibility import get_visible, visible

MODELS = {"locations": Location, "clients": Client, "projects": Project, "assets": Asset}
ROLES = ("admin", "manager", "limited", "technician", "client", "other_admin")


@dataclass
class World:
    org_a: object
    org_b: object
    locations: list = field(default_factory=list)
    clients: list = field(default_factory=list)
    projects: list = field(default_factory=list)
    assets: list = field(default_factory=list)
    users: dict = field(default_factory=dict)
    scope: dict = field(default_factory=dict)  # role -> rule(row): may the role see it?

    def rows(self, kind):
        return getattr(self, kind)


def _archive(row):
    row.archived_at = utcnow()
    row.save()
    return row


@pytest.fixture
def world(make_org, make_location, make_client, make_project, make_asset, make_user):
    """Org A: three locations, two clients each, two projects each, two assets and a
    component per project, plus archived rows. Org B: the same shape, smaller."""
    org_a, org_b = make_org(name="Org A"), make_org(name="Org B")
    w = World(org_a, org_b)
    for org, n_locations in ((org_a, 3), (org_b, 1)):
        for li in range(n_locations):
            location = make_location(org, name=f"{org.name} L{li}")
            w.locations.append(location)
            for ci in range(2):
                client = make_client(location, name=f"{org.name} L{li} C{ci}")
                w.clients.append(client)
                for _ in range(2):
                    project = make_project(client)
                    w.projects.append(project)
                    for _ in range(2):
                        w.assets.append(make_asset(project))
                    w.assets.append(make_asset(project, parent=w.assets[-1]))
    a_locations = [loc for loc in w.locations if loc.organisation_id == org_a.id]
    a_clients = [c for c in w.clients if c.organisation_id == org_a.id]
    a_projects = [p for p in w.projects if p.organisation_id == org_a.id]
    l0, l1, l2 = a_locations
    c00, c01 = a_clients[0], a_clients[1]  # both at L0
    c10 = a_clients[2]  # at L1

    # Archived rows: out of every list, still answering on their own page when in scope.
    w.assets.append(_archive(make_asset(a_projects[0])))
    archived_project = make_project(c01)
    w.projects.append(archived_project)
    w.assets.append(_archive(make_asset(archived_project)))
    _archive(archived_project)
    w.clients.append(_archive(make_client(l2)))
    w.locations.append(_archive(make_location(org_a)))

    technician_projects = [p for p in a_projects if p.client_id == c00.id] + [
        p for p in a_projects if p.client_id == c10.id
    ][:1]
    w.users = {
        "admin": make_user("admin", organisation=org_a),
        "manager": make_user("manager", organisation=org_a),
        "limited": make_user("manager", organisation=org_a, locations=[l0, l1]),
        "technician": make_user("technician", projects=technician_projects),
        "client": make_user("client", client=c01),
        "other_admin": make_user("admin", organisation=org_b),
    }
    w.scope = {
        "admin": lambda row: row.organisation_id == org_a.id,
        "manager": lambda row: row.organisation_id == org_a.id,
        "limited": lambda row: _location_id(row) in {l0.id, l1.id},
        "technician": _technician_rule({p.id for p in technician_projects}, a_projects),
        "client": _client_rule(c01),
        "other_admin": lambda row: row.organisation_id == org_b.id,
    }
    return w


def _location_id(row):
    return row.id if isinstance(row, Location) else row.location_id


def _technician_rule(project_ids, projects):
    member = [p for p in projects if p.id in project_ids]
    clients, locations = {p.client_id for p in member}, {p.location_id for p in member}

    def rule(row):
        if isinstance(row, Location):
            return row.id in locations
        if isinstance(row, Client):
            return row.id in clients
        if isinstance(row, Project):
            return row.id in project_ids
        return row.project_id in project_ids

    return rule


def _client_rule(client):
    def rule(row):
        if isinstance(row, Location):
            return row.id == client.location_id
        if isinstance(row, Client):
            return row.id == client.id
        return row.client_id == client.id

    return rule


def expected(world, role, kind, archived=False):
    """Ids of `kind` the role may see, by the rule as PRODUCT.md states it."""
    rule = world.scope[role]
    return {
        row.id for row in world.rows(kind) if rule(row) and (archived or row.archived_at is None)
    }


def listed_ids(html, kind):
    """Row ids linked from a list page's results region."""
    results = html.split('<div id="results">', 1)[1]
    return {int(i) for i in re.findall(rf'href="/{kind}/(\d+)"', results)}


def test_world_has_the_intended_shape(world):
    assert len(expected(world, "admin", "locations")) == 3
    assert len(expected(world, "admin", "clients")) == 6
    assert len(expected(world, "admin", "projects")) == 12
    assert len(expected(world, "admin", "assets")) == 36
    assert len(expected(world, "other_admin", "assets")) == 12
    for role in ("limited", "technician", "client"):
        for kind in MODELS:
            seen = expected(world, role, kind)
            assert seen and seen < expected(world, "admin", kind), (role, kind)
    assert expected(world, "technician", "clients") != expected(world, "client", "clients")


@pytest.mark.parametrize("role", ROLES)
def test_visible_returns_exactly_the_rows_in_scope(world, role):
    user = world.users[role]
    for kind, model in MODELS.items():
        got = {row.id for row in visible(model, user)}
        assert got == expected(world, role, kind), kind
        got_archived = {row.id for row in visible(model, user, archived=True)}
        assert got_archived == expected(world, role, kind, archived=True), kind
        for row in world.rows(kind):
            in_scope = world.scope[role](row)
            assert (get_visible(model, user, row.id) is not None) == in_scope, (kind, row.id)


@pytest.mark.parametrize("role", ROLES)
def test_list_pages_show_exactly_the_rows_in_scope(world, role, client, auth):
    assert auth.login(world.users[role]).status_code == 302
    for kind in MODELS:
        response = client.get(f"/{kind}?per_page=100")
        assert response.status_code == 200, kind
        assert listed_ids(response.get_data(as_text=True), kind) == expected(world, role, kind)


@pytest.mark.parametrize("role", ROLES)
def test_home_counts_only_rows_in_scope(world, role, client, auth):
    auth.login(world.users[role])
    html = client.get("/").get_data(as_text=True)
    tiles = dict(re.findall(r'href="/(\w+)"><strong>([\d,]+)</strong>', html))
    assert tiles == {kind: str(len(expected(world, role, kind))) for kind in MODELS}


@pytest.mark.parametrize("role", ROLES)
def test_detail_pages_answer_404_outside_scope(world, role, client, auth):
    auth.login(world.users[role])
    for kind in MODELS:
        for row in world.rows(kind):
            response = client.get(f"/{kind}/{row.id}")
            if world.scope[role](row):
                assert response.status_code == 200, (kind, row.id)
                if row.archived_at is not None:
                    assert b"Archived" in response.data
            else:
                assert response.status_code == 404, (kind, row.id)
                # A hidden row's page says nothing about it.
                assert str(row).encode() not in response.data


@pytest.mark.parametrize("role", ROLES)
def test_detail_pages_list_only_children_in_scope(world, role, client, auth):
    """A page in scope may have children out of scope (a technician's client has projects
    the technician is not on): only the visible ones are shown."""
    auth.login(world.users[role])
    children = {"locations": "clients", "clients": "projects", "projects": "assets"}
    for kind, child_kind in children.items():
        allowed = expected(world, role, child_kind)
        for row in world.rows(kind):
            if not world.scope[role](row):
                continue
            html = client.get(f"/{kind}/{row.id}").get_data(as_text=True)
            linked = {int(i) for i in re.findall(rf'href="/{child_kind}/(\d+)"', html)}
            assert linked <= allowed | expected(world, role, child_kind, archived=True)
            own = {
                c.id
                for c in world.rows(child_kind)
                if getattr(c, kind[:-1] + "_id") == row.id and c.id in allowed
            }
            assert own <= linked, (kind, row.id)


def _unchanged(world):
    """A snapshot of every hierarchy row, to show a refused request changed nothing."""
    return {
        kind: {row.id: row.__data__ for row in model.select()} for kind, model in MODELS.items()
    }


def _managing_routes(kind, row_id):
    return [
        ("get", f"/{kind}/{row_id}/edit"),
        ("post", f"/{kind}/{row_id}/edit"),
        ("post", f"/{kind}/{row_id}/archive"),
        ("post", f"/{kind}/{row_id}/restore"),
    ]


@pytest.mark.parametrize("role", ["technician", "client"])
def test_technicians_and_client_users_cannot_manage_the_hierarchy(world, role, client, auth):
    auth.login(world.users[role])
    before = _unchanged(world)
    for kind in MODELS:
        for method in ("get", "post"):
            response = getattr(client, method)(f"/{kind}/new", data={"name": "x"})
            assert response.status_code == 403, (method, kind)
        for row in world.rows(kind):
            status = 403 if world.scope[role](row) else 404
            for method, url in _managing_routes(kind, row.id):
                response = getattr(client, method)(url, data={"name": "Renamed"})
                assert response.status_code == status, (method, url)
    assert _unchanged(world) == before


def test_a_limited_manager_cannot_create_locations_or_reach_other_locations(world, client, auth):
    limited = world.users["limited"]
    auth.login(limited)
    before = _unchanged(world)
    assert client.get("/locations/new").status_code == 403
    assert client.post("/locations/new", data={"name": "Mine", "timezone": "UTC"}).status_code == (
        403
    )
    for kind in MODELS:
        for row in world.rows(kind):
            if row.organisation_id != world.org_a.id or world.scope["limited"](row):
                continue
            for method, url in _managing_routes(kind, row.id):
                response = getattr(client, method)(url, data={"name": "Renamed"})
                assert response.status_code == 404, (method, url)
    assert _unchanged(world) == before


def test_a_limited_manager_manages_rows_in_their_locations(world, client, auth):
    auth.login(world.users["limited"])
    for kind in MODELS:
        row = next(r for r in world.rows(kind) if world.scope["limited"](r))
        assert client.get(f"/{kind}/{row.id}/edit").status_code == 200, kind
    assert client.get("/clients/new").status_code == 200


def test_a_limited_manager_cannot_place_rows_outside_their_locations(world, client, auth):
    auth.login(world.users["limited"])
    before = _unchanged(world)
    outside = next(
        loc
        for loc in world.locations
        if loc.organisation_id == world.org_a.id
        and not world.scope["limited"](loc)
        and loc.archived_at is None
    )
    outside_client = next(c for c in world.clients if c.location_id == outside.id)
    outside_project = next(p for p in world.projects if p.location_id == outside.id)
    own_client = next(c for c in world.clients if world.scope["limited"](c))
    own_project = next(p for p in world.projects if world.scope["limited"](p))
    own_asset = next(a for a in world.assets if world.scope["limited"](a) and not a.parent_id)
    posts = [
        ("/clients/new", {"name": "New client", "location_id": outside.id}, "location_id"),
        (
            f"/clients/{own_client.id}/edit",
            {"name": own_client.name, "location_id": outside.id},
            "location_id",
        ),
        (
            "/projects/new",
            {"code": "NEW-1", "name": "New", "client_id": outside_client.id},
            "client_id",
        ),
        (
            f"/projects/{own_project.id}/edit",
            {
                "code": own_project.code,
                "name": own_project.name,
                "client_id": outside_client.id,
                "status": "active",
            },
            "client_id",
        ),
        (
            "/assets/new",
            {"tag": "NEW-A", "name": "New", "project_id": outside_project.id},
            "project_id",
        ),
        (
            f"/assets/{own_asset.id}/edit",
            {
                "tag": own_asset.tag,
                "name": own_asset.name,
                "project_id": outside_project.id,
                "status": "operational",
                "criticality": "medium",
            },
            "project_id",
        ),
    ]
    for url, data, field_name in posts:
        response = client.post(url, data=data)
        assert response.status_code == 422, url
        assert f'id="{field_name}-error"'.encode() in response.data, url
    assert _unchanged(world) == before


def test_an_admin_cannot_reach_another_organisation(world, client, auth):
    auth.login(world.users["admin"])
    before = _unchanged(world)
    for kind in MODELS:
        for row in world.rows(kind):
            if row.organisation_id == world.org_a.id:
                continue
            assert client.get(f"/{kind}/{row.id}").status_code == 404
            for method, url in _managing_routes(kind, row.id):
                assert getattr(client, method)(url, data={"name": "x"}).status_code == 404, url
    b_location = next(loc for loc in world.locations if loc.organisation_id == world.org_b.id)
    response = client.post("/clients/new", data={"name": "Spy", "location_id": b_location.id})
    assert response.status_code == 422
    assert _unchanged(world) == before


def _pages(world):
    asset, project = world.assets[0], world.projects[0]
    return [
        "/",
        "/locations",
        "/clients",
        "/projects",
        "/assets",
        "/assets?status=down&page=2",
        "/locations/new",
        "/clients/new",
        "/projects/new",
        "/assets/new",
        f"/locations/{asset.location_id}",
        f"/clients/{asset.client_id}",
        f"/projects/{project.id}",
        f"/assets/{asset.id}",
        f"/locations/{asset.location_id}/edit",
        f"/clients/{asset.client_id}/edit",
        f"/projects/{project.id}/edit",
        f"/assets/{asset.id}/edit",
    ]


def _posts(world):
    asset, project = world.assets[0], world.projects[0]
    rows = {
        "locations": asset.location_id,
        "clients": asset.client_id,
        "projects": project.id,
        "assets": asset.id,
    }
    urls = ["/logout"] + [f"/{kind}/new" for kind in rows]
    for kind, row_id in rows.items():
        urls += [f"/{kind}/{row_id}/edit", f"/{kind}/{row_id}/archive", f"/{kind}/{row_id}/restore"]
    return urls


def test_signed_out_requests_redirect_to_sign_in(world, client):
    before = _unchanged(world)
    for method, urls in (("get", _pages(world)), ("post", _posts(world))):
        for url in urls:
            response = getattr(client, method)(url, data={"name": "x"})
            assert response.status_code == 302, url
            location = urlsplit(response.headers["Location"])
            assert location.path == "/login", url
            assert parse_qs(location.query)["next"] == [url], url
    assert _unchanged(world) == before


def test_signed_out_htmx_requests_get_a_message_not_a_redirect(world, client):
    response = client.get("/assets", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert b"<html" not in response.data
    assert b"/login" in response.data


@pytest.mark.parametrize("kind", list(MODELS))
def test_unknown_and_impossible_ids_answer_404(world, client, auth, kind):
    auth.login(world.users["admin"])
    for row_id in ("999999", "2147483648", "99999999999", "0", "-1", "abc", "1.5", "%00"):
        for method, url in [("get", f"/{kind}/{row_id}"), *_managing_routes(kind, row_id)]:
            response = getattr(client, method)(url, data={"name": "x"})
            assert response.status_code == 404, (method, url)
