"""List and detail pages of the hierarchy: full page or HTMX partial, filters, search and
sort checked against plain Python, stable paging, constant queries, archive and restore,
moves that carry descendants along, asset cycles, and breadcrumbs."""

import html as html_lib
import itertools
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest

from models import Asset, AuditEvent, Client, Document, Location, Meter, Project, db

STATUSES = ("operational", "degraded", "down", "retired")
CRITICALITIES = ("low", "medium", "high", "critical")
NAMES = ("pump", "chiller", "boiler", "fan coil", "lift", "pump")
MAKES = ("Grundfos", "Carrier", "Daikin")
HX = {"HX-Request": "true"}


@pytest.fixture
def admin(make_org, make_user):
    return make_user("admin", organisation=make_org())


@pytest.fixture
def signed_in(client, auth, admin):
    assert auth.login(admin).status_code == 302
    return client


@pytest.fixture
def register(admin, make_location, make_client, make_project, make_asset):
    """A small organisation whose rows differ in every column the lists filter, search
    and sort on, with duplicates so that ties are broken by id."""
    org = admin.organisation_id
    l1 = make_location(org, name="central", timezone="Europe/London", address="1 high street")
    l2 = make_location(org, name="north", timezone="Europe/Oslo", address="9 fjord road")
    l3 = make_location(org, name="annex", timezone="Europe/London", address="")
    c1 = make_client(l1, name="acme", contact_name="ann", email="ann@acme.example")
    c2 = make_client(l1, name="bolt", contact_name="bob", email="bob@bolt.example")
    c3 = make_client(l2, name="cogs", contact_name="ann", email="ann@cogs.example")
    projects = [
        make_project(c1, code="ACME-1", name="tower", status="active"),
        make_project(c1, code="ACME-2", name="depot", status="closed"),
        make_project(c2, code="BOLT-1", name="tower", status="on_hold"),
        make_project(c3, code="COGS-1", name="yard", status="active"),
    ]
    for i, project in enumerate(projects):
        project.start_date = date(2024, 1, 1) + timedelta(days=30 * (i % 3))
        project.end_date = date(2026, 1, 1) + timedelta(days=7 * ((i * 5) % 4))
        project.save()
    assets = []
    for i in range(40):
        asset = make_asset(
            projects[i % 4],
            tag=f"T-{(i * 7) % 40:03d}",
            name=NAMES[i % len(NAMES)],
            status=STATUSES[i % 3 if i % 5 else 3],
            criticality=CRITICALITIES[(i // 2) % 4],
            category=("hvac", "lifts", "plant")[i % 3],
            make=MAKES[i % len(MAKES)],
            model_name=f"m{i % 4}",
            serial=f"SN-{i:04d}",
            warranty_end=date(2025, 1, 1) + timedelta(days=(i * 13) % 50),
        )
        assets.append(asset)
    return dict(locations=[l1, l2, l3], clients=[c1, c2, c3], projects=projects)


def results_block(html):
    assert '<div id="results">' in html
    return html.split('<div id="results">', 1)[1]


def ids_in_order(response, kind):
    """Row ids in the order the list shows them."""
    assert response.status_code == 200
    found = re.findall(rf'href="/{kind}/(\d+)"', results_block(response.get_data(as_text=True)))
    return [int(i) for i in dict.fromkeys(found)]


@contextmanager
def counting_queries():
    queries = []
    db.obj.query_hooks.append(queries.append)
    try:
        yield queries
    finally:
        db.obj.query_hooks.remove(queries.append)


# Full page or partial


@pytest.mark.parametrize("path", ["/locations", "/clients", "/projects", "/assets"])
def test_list_pages_answer_a_full_page_or_the_results_partial(signed_in, register, path):
    full = signed_in.get(path + "?sort=-name")
    assert full.status_code == 200
    assert b"<html" in full.data
    assert "HX-Request" in full.headers["Vary"]

    partial = signed_in.get(path + "?sort=-name", headers=HX)
    assert partial.status_code == 200
    text = partial.get_data(as_text=True)
    assert "<html" not in text
    assert text.lstrip().startswith('<div id="results">')
    assert "HX-Request" in partial.headers["Vary"]
    kind = path.strip("/")
    assert ids_in_order(partial, kind) == ids_in_order(full, kind)

    # A boosted navigation or a history restore needs the whole page.
    for headers in ({**HX, "HX-Boosted": "true"}, {**HX, "HX-History-Restore-Request": "true"}):
        assert b"<html" in signed_in.get(path, headers=headers).data


# Filters, search and sort against plain Python


def _assets():
    return list(Asset.select().where(Asset.archived_at.is_null()))


def _asset_sort_key(name):
    projects = {p.id: p for p in Project.select()}
    clients = {c.id: c for c in Client.select()}
    column = {
        "project": lambda a: projects[a.project_id].code,
        "client": lambda a: clients[a.client_id].name,
    }.get(name, lambda a: getattr(a, name))
    return lambda a: (column(a), a.id)


def _ordered(rows, sort, key_for):
    key = key_for(sort.lstrip("-"))
    return [r.id for r in sorted(rows, key=key, reverse=sort.startswith("-"))]


def _search(rows, q, fields):
    return [r for r in rows if any(q.lower() in getattr(r, f).lower() for f in fields)]


ASSET_SEARCH = ("tag", "name", "serial", "make", "model_name")


@pytest.mark.parametrize(
    "sort",
    [
        "tag",
        "-tag",
        "name",
        "-name",
        "status",
        "-status",
        "criticality",
        "-criticality",
        "category",
        "warranty_end",
        "-warranty_end",
        "project",
        "-project",
        "client",
        "-client",
    ],
)
def test_assets_sort_by_each_column_with_id_breaking_ties(signed_in, register, sort):
    response = signed_in.get(f"/assets?sort={sort}&per_page=100")
    assert ids_in_order(response, "assets") == _ordered(_assets(), sort, _asset_sort_key)


@pytest.mark.parametrize(
    "query,keep",
    [
        ("status=down", lambda a, r: a.status == "down"),
        ("criticality=high", lambda a, r: a.criticality == "high"),
        (
            "status=degraded&criticality=low",
            lambda a, r: (a.status, a.criticality) == ("degraded", "low"),
        ),
        ("project={p0}", lambda a, r: a.project_id == r["projects"][0].id),
        ("client={c0}", lambda a, r: a.client_id == r["clients"][0].id),
        ("location={l1}", lambda a, r: a.location_id == r["locations"][1].id),
        ("location={l1}&client={c0}", lambda a, r: False),
        (
            "project={p3}&status=operational",
            lambda a, r: a.project_id == r["projects"][3].id and a.status == "operational",
        ),
    ],
)
def test_asset_filters_give_the_right_rows(signed_in, register, query, keep):
    query = query.format(
        p0=register["projects"][0].id,
        p3=register["projects"][3].id,
        c0=register["clients"][0].id,
        l1=register["locations"][1].id,
    )
    response = signed_in.get(f"/assets?{query}&per_page=100")
    expected = sorted(a.id for a in _assets() if keep(a, register))
    assert expected or "client" in query
    assert sorted(ids_in_order(response, "assets")) == expected
    # The partial for the same URL shows the same rows.
    partial = signed_in.get(f"/assets?{query}&per_page=100", headers=HX)
    assert sorted(ids_in_order(partial, "assets")) == expected


@pytest.mark.parametrize("q", ["pump", "PUMP", "grund", "sn-001", "T-00", "m3", "coil", "zzz"])
def test_asset_search_matches_tag_name_serial_make_and_model(signed_in, register, q):
    response = signed_in.get(f"/assets?q={q}&sort=name&per_page=100")
    expected = _ordered(_search(_assets(), q, ASSET_SEARCH), "name", _asset_sort_key)
    assert ids_in_order(response, "assets") == expected
    assert (q == "zzz") == (expected == [])


def test_asset_search_combines_with_filters_and_sort(signed_in, register):
    project = register["projects"][1]
    response = signed_in.get(f"/assets?q=pump&project={project.id}&sort=-tag&per_page=100")
    rows = [a for a in _search(_assets(), "pump", ASSET_SEARCH) if a.project_id == project.id]
    assert rows
    assert ids_in_order(response, "assets") == _ordered(rows, "-tag", _asset_sort_key)


def _project_sort_key(name):
    clients = {c.id: c.name for c in Client.select()}
    column = {"client": lambda p: clients[p.client_id]}.get(name, lambda p: getattr(p, name))
    return lambda p: (column(p), p.id)


@pytest.mark.parametrize(
    "query,keep,sort",
    [
        ("", lambda p, r: True, "code"),
        ("sort=-code", lambda p, r: True, "-code"),
        ("sort=name", lambda p, r: True, "name"),
        ("sort=client", lambda p, r: True, "client"),
        ("sort=-client", lambda p, r: True, "-client"),
        ("sort=status", lambda p, r: True, "status"),
        ("sort=start_date", lambda p, r: True, "start_date"),
        ("sort=-end_date", lambda p, r: True, "-end_date"),
        ("status=active", lambda p, r: p.status == "active", "code"),
        ("client={c0}", lambda p, r: p.client_id == r["clients"][0].id, "code"),
        ("location={l0}&sort=-name", lambda p, r: p.location_id == r["locations"][0].id, "-name"),
        ("q=TOWER", lambda p, r: p.name == "tower", "code"),
        ("q=cme-", lambda p, r: p.code.startswith("ACME"), "code"),
        ("q=tower&status=on_hold", lambda p, r: p.code == "BOLT-1", "code"),
    ],
)
def test_project_filters_search_and_sort(signed_in, register, query, keep, sort):
    query = query.format(c0=register["clients"][0].id, l0=register["locations"][0].id)
    response = signed_in.get(f"/projects?{query}&per_page=100")
    rows = [p for p in Project.select() if keep(p, register)]
    assert ids_in_order(response, "projects") == _ordered(rows, sort, _project_sort_key)


def _client_sort_key(name):
    locations = {loc.id: loc.name for loc in Location.select()}
    column = {
        "location": lambda c: locations[c.location_id],
        "contact": lambda c: c.contact_name,
    }.get(name, lambda c: getattr(c, name))
    return lambda c: (column(c), c.id)


@pytest.mark.parametrize(
    "query,keep,sort",
    [
        ("", lambda c, r: True, "name"),
        ("sort=-name", lambda c, r: True, "-name"),
        ("sort=location", lambda c, r: True, "location"),
        ("sort=-contact", lambda c, r: True, "-contact"),
        ("location={l0}", lambda c, r: c.location_id == r["locations"][0].id, "name"),
        ("q=ANN", lambda c, r: c.contact_name == "ann", "name"),
        ("q=bolt.example", lambda c, r: c.name == "bolt", "name"),
        ("q=ann&location={l1}", lambda c, r: c.name == "cogs", "name"),
    ],
)
def test_client_filters_search_and_sort(signed_in, register, query, keep, sort):
    query = query.format(l0=register["locations"][0].id, l1=register["locations"][1].id)
    response = signed_in.get(f"/clients?{query}&per_page=100")
    rows = [c for c in Client.select() if keep(c, register)]
    assert ids_in_order(response, "clients") == _ordered(rows, sort, _client_sort_key)


@pytest.mark.parametrize(
    "query,keep,sort",
    [
        ("", lambda loc: True, "name"),
        ("sort=-name", lambda loc: True, "-name"),
        ("sort=timezone", lambda loc: True, "timezone"),
        ("sort=-timezone", lambda loc: True, "-timezone"),
        ("q=FJORD", lambda loc: loc.name == "north", "name"),
        ("q=n", lambda loc: "n" in loc.name or "n" in loc.address, "name"),
    ],
)
def test_location_search_and_sort(signed_in, register, query, keep, sort):
    response = signed_in.get(f"/locations?{query}&per_page=100")
    rows = [loc for loc in Location.select() if keep(loc)]
    key = lambda name: lambda loc: (getattr(loc, name), loc.id)  # noqa: E731
    assert ids_in_order(response, "locations") == _ordered(rows, sort, key)


# Paging


@pytest.fixture
def eighty_assets(admin, make_location, make_client, make_project, make_asset):
    project = make_project(make_client(make_location(admin.organisation_id)))
    statuses = itertools.cycle(("down", "operational", "operational", "degraded", "retired"))
    return [make_asset(project, status=next(statuses), tag=f"E-{i:03d}") for i in range(80)]


def _walk(client, url):
    """Follow the pager's Next links from `url`; the ids of every page, in order."""
    pages = []
    while url:
        response = client.get(url)
        pages.append(ids_in_order(response, "assets"))
        found = re.search(r'<a href="([^"]+)"[^>]*>Next', response.get_data(as_text=True))
        url = html_lib.unescape(found.group(1)) if found else None
        assert len(pages) <= 10
    return pages


@pytest.mark.parametrize("sort", ["status", "-status"])
def test_paging_is_stable_over_duplicated_sort_values(signed_in, eighty_assets, sort):
    pages = _walk(signed_in, f"/assets?sort={sort}&per_page=25")
    assert [len(p) for p in pages] == [25, 25, 25, 5]
    walked = [i for page in pages for i in page]
    assert len(walked) == len(set(walked)) == 80
    assert set(walked) == {a.id for a in eighty_assets}
    assert walked == _ordered(eighty_assets, sort, lambda n: lambda a: (a.status, a.id))


def test_a_page_past_the_end_shows_the_last_page_with_a_notice(signed_in, eighty_assets):
    last = signed_in.get("/assets?sort=status&per_page=25&page=4")
    for headers in ({}, HX):
        past = signed_in.get("/assets?sort=status&per_page=25&page=99", headers=headers)
        assert past.status_code == 200
        assert ids_in_order(past, "assets") == ids_in_order(last, "assets")
        assert "There is no page 99; showing page 4, the last." in past.get_data(as_text=True)
    assert b"There is no page" not in last.data


# A constant number of queries per list page


@pytest.fixture
def large_register(admin, make_location, make_client, make_project, make_asset):
    """More than 100 rows of every kind, so per_page=100 shows four times per_page=25."""
    org = admin.organisation_id
    for i in range(101):
        location = make_location(org, name=f"loc {i:03d}")
        project = make_project(make_client(location, name=f"client {i:03d}"))
        parent = make_asset(project)
        if i % 3 == 0:
            make_asset(project, parent=parent)


@pytest.mark.parametrize("path", ["/locations", "/clients", "/projects", "/assets"])
def test_list_pages_run_the_same_queries_whatever_the_page_size(signed_in, large_register, path):
    counts = {}
    for per_page in (25, 100):
        for headers in ({}, HX):
            with counting_queries() as queries:
                response = signed_in.get(f"{path}?per_page={per_page}", headers=headers)
            assert len(ids_in_order(response, path.strip("/"))) == per_page
            counts[per_page, bool(headers)] = len(queries)
    assert counts[25, False] == counts[100, False], counts
    assert counts[25, True] == counts[100, True], counts
    assert counts[25, False] <= 8, counts


def test_detail_pages_run_a_bounded_number_of_queries(signed_in, large_register):
    asset = Asset.select().where(Asset.parent.is_null(False)).first()
    for url in (
        f"/assets/{asset.id}",
        f"/projects/{asset.project_id}",
        f"/clients/{asset.client_id}",
        f"/locations/{asset.location_id}",
    ):
        with counting_queries() as queries:
            assert signed_in.get(url).status_code == 200
        assert len(queries) <= 13, (url, len(queries))  # the asset page: 13 with its work


# Archive and restore


def _archive(client, kind, row, action="archive"):
    return client.post(f"/{kind}/{row.id}/{action}", follow_redirects=True)


def _audit_actions(row):
    return [
        e.action
        for e in AuditEvent.select()
        .where(AuditEvent.entity_type == type(row).__name__.lower(), AuditEvent.entity_id == row.id)
        .order_by(AuditEvent.id)
    ]


@pytest.mark.parametrize("kind", ["locations", "clients", "projects", "assets"])
def test_archive_takes_a_row_out_of_the_lists_and_restore_brings_it_back(
    signed_in, admin, make_location, make_client, make_project, make_asset, kind
):
    location = make_location(admin.organisation_id)
    client_row = make_client(location)
    project = make_project(client_row)
    asset = make_asset(project)
    # Each row archived has no active children: archive from the leaf up to `kind`.
    chain = [
        ("assets", asset),
        ("projects", project),
        ("clients", client_row),
        ("locations", location),
    ]
    chain = chain[: [k for k, _ in chain].index(kind) + 1]
    for k, row in chain:
        response = _archive(signed_in, k, row)
        assert response.status_code == 200
        assert b"is archived" in response.data
    row = chain[-1][1]
    assert type(row).get_by_id(row.id).archived_at is not None
    assert row.id not in ids_in_order(signed_in.get(f"/{kind}?per_page=100"), kind)
    page = signed_in.get(f"/{kind}/{row.id}")
    assert page.status_code == 200
    assert b"Archived" in page.data
    assert b"Restore" in page.data

    _archive(signed_in, kind, row)  # a second archive changes nothing
    assert _audit_actions(row).count("archive") == 1

    response = _archive(signed_in, kind, row, "restore")
    assert response.status_code == 200
    assert b"is restored" in response.data
    assert type(row).get_by_id(row.id).archived_at is None
    assert row.id in ids_in_order(signed_in.get(f"/{kind}?per_page=100"), kind)
    assert b"Archived" not in signed_in.get(f"/{kind}/{row.id}").data
    assert _audit_actions(row)[-2:] == ["archive", "restore"]


@pytest.mark.parametrize(
    "kind,message",
    [
        ("locations", "still has active clients"),
        ("clients", "still has active projects"),
        ("projects", "still has active assets"),
        ("assets", "still has active components"),
    ],
)
def test_archiving_a_row_with_active_children_is_refused(
    signed_in, admin, make_location, make_client, make_project, make_asset, kind, message
):
    location = make_location(admin.organisation_id)
    client_row = make_client(location)
    project = make_project(client_row)
    parent = make_asset(project)
    make_asset(project, parent=parent)
    row = {"locations": location, "clients": client_row, "projects": project, "assets": parent}[
        kind
    ]
    before = [e.id for e in AuditEvent.select()]
    response = _archive(signed_in, kind, row)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    for model in (Location, Client, Project, Asset):
        assert not model.select().where(model.archived_at.is_null(False)).exists()
    assert [e.id for e in AuditEvent.select()] == before
    assert row.id in ids_in_order(signed_in.get(f"/{kind}?per_page=100"), kind)


# Moves carry descendants along


def _hang_meter_and_document(asset):
    """A meter and a document on the asset: both carry its project, client and location."""
    meter = Meter.create(asset=asset, name="hours", unit="h")
    document = Document.create(
        organisation=asset.organisation_id,
        location=asset.location_id,
        client=asset.client_id,
        project=asset.project_id,
        asset=asset.id,
        kind="manual",
        title="Manual",
        filename="manual.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        storage_key=f"test/{asset.id}.pdf",
    )
    return [meter, document]


def _place(row):
    row = type(row).get_by_id(row.id)
    return (row.project_id, row.client_id, row.location_id)


def _project_form(project, **changes):
    data = {
        "code": project.code,
        "name": project.name,
        "client_id": project.client_id,
        "status": project.status,
        "start_date": "",
        "end_date": "",
        "description": "",
    }
    return {**data, **changes}


def test_moving_a_project_to_another_client_moves_everything_under_it(signed_in, register):
    project, target = register["projects"][0], register["clients"][2]
    other = [a.id for a in Asset.select().where(Asset.project != project.id)]
    other_before = {a.id: (a.client_id, a.location_id) for a in Asset.select() if a.id in other}
    parent = Asset.select().where(Asset.project == project.id).first()
    component = Asset.create(
        organisation=project.organisation_id,
        project=project,
        parent=parent,
        tag="T-COMP",
        name="component",
    )
    hanging = _hang_meter_and_document(parent) + _hang_meter_and_document(component)
    assert target.location_id != project.location_id

    response = signed_in.post(
        f"/projects/{project.id}/edit", data=_project_form(project, client_id=target.id)
    )
    assert response.status_code == 302
    project = Project.get_by_id(project.id)
    assert (project.client_id, project.location_id) == (target.id, target.location_id)
    moved = list(Asset.select().where(Asset.project == project.id))
    assert len(moved) == 11
    assert {(a.client_id, a.location_id) for a in moved} == {(target.id, target.location_id)}
    for row in hanging:
        assert _place(row) == (project.id, target.id, target.location_id), row
    assert {
        a.id: (a.client_id, a.location_id) for a in Asset.select() if a.id in other
    } == other_before
    event = (
        AuditEvent.select()
        .where(AuditEvent.entity_type == "project")
        .order_by(AuditEvent.id.desc())
        .first()
    )
    assert event.action == "update" and "client" in event.change_list()

    listed = ids_in_order(
        signed_in.get(f"/assets?location={target.location_id}&per_page=100"), "assets"
    )
    assert {a.id for a in moved} <= set(listed)


def test_moving_a_client_to_another_location_moves_everything_under_it(signed_in, register):
    client_row, target = register["clients"][0], register["locations"][2]
    hanging = _hang_meter_and_document(Asset.get(Asset.client == client_row.id))
    response = signed_in.post(
        f"/clients/{client_row.id}/edit",
        data={
            "name": client_row.name,
            "location_id": target.id,
            "contact_name": client_row.contact_name,
            "email": client_row.email,
        },
    )
    assert response.status_code == 302
    assert Client.get_by_id(client_row.id).location_id == target.id
    projects = list(Project.select().where(Project.client == client_row.id))
    assets = list(Asset.select().where(Asset.client == client_row.id))
    assert projects and assets
    assert {p.location_id for p in projects} == {a.location_id for a in assets} == {target.id}
    assert {_place(row)[1:] for row in hanging} == {(client_row.id, target.id)}
    others = Asset.select().where(Asset.client != client_row.id)
    assert target.id not in {a.location_id for a in others}
    listed = ids_in_order(signed_in.get(f"/projects?location={target.id}"), "projects")
    assert sorted(listed) == sorted(p.id for p in projects)


def test_moving_an_asset_to_another_project_takes_its_components_along(signed_in, register):
    """A component stays in its parent's project, as the asset form requires."""
    source, target = register["projects"][0], register["projects"][3]
    top = Asset.select().where(Asset.project == source.id).first()
    middle = Asset.create(
        organisation=top.organisation_id, project=source, parent=top, tag="T-MID", name="middle"
    )
    bottom = Asset.create(
        organisation=top.organisation_id, project=source, parent=middle, tag="T-BOT", name="bottom"
    )
    untouched = {
        a.id: a.project_id for a in Asset.select() if a.id not in (top.id, middle.id, bottom.id)
    }
    hanging = _hang_meter_and_document(top) + _hang_meter_and_document(bottom)
    response = signed_in.post(f"/assets/{top.id}/edit", data=_asset_form(top, project_id=target.id))
    assert response.status_code == 302
    for asset in (top, middle, bottom):
        asset = Asset.get_by_id(asset.id)
        assert (asset.project_id, asset.client_id, asset.location_id) == (
            target.id,
            target.client_id,
            target.location_id,
        ), asset.tag
    for row in hanging:
        assert _place(row) == (target.id, target.client_id, target.location_id), row
    assert Asset.get_by_id(middle.id).parent_id == top.id
    assert {a.id: a.project_id for a in Asset.select() if a.id in untouched} == untouched


def test_a_component_cannot_move_away_from_its_parents_project(signed_in, register):
    source, target = register["projects"][0], register["projects"][3]
    top = Asset.select().where(Asset.project == source.id).first()
    child = Asset.create(
        organisation=top.organisation_id, project=source, parent=top, tag="T-KID", name="kid"
    )
    response = signed_in.post(
        f"/assets/{child.id}/edit", data=_asset_form(child, project_id=target.id)
    )
    assert response.status_code == 422
    assert 'id="parent_tag-error"' in response.get_data(as_text=True)
    assert Asset.get_by_id(child.id).project_id == source.id


# Asset cycles


def _asset_form(asset, **changes):
    data = {
        "tag": asset.tag,
        "name": asset.name,
        "project_id": asset.project_id,
        "parent_tag": asset.parent.tag if asset.parent_id else "",
        "status": asset.status,
        "criticality": asset.criticality,
    }
    return {**data, **changes}


def test_an_asset_cannot_be_its_own_parent_or_under_its_components(
    signed_in, make_project, admin, make_location, make_client, make_asset
):
    project = make_project(make_client(make_location(admin.organisation_id)))
    top = make_asset(project, tag="TOP")
    middle = make_asset(project, tag="MID", parent=top)
    bottom = make_asset(project, tag="BOT", parent=middle)
    before = {a.id: a.parent_id for a in Asset.select()}
    for asset, parent_tag in (
        (top, "TOP"),
        (top, "MID"),
        (top, "BOT"),
        (middle, "BOT"),
        (middle, "MID"),
    ):
        response = signed_in.post(
            f"/assets/{asset.id}/edit", data=_asset_form(asset, parent_tag=parent_tag)
        )
        assert response.status_code == 422, (asset.tag, parent_tag)
        html = response.get_data(as_text=True)
        assert 'id="parent_tag-error"' in html
        assert "cannot be part of itself or its components" in html
    assert {a.id: a.parent_id for a in Asset.select()} == before

    # Moving a component up the tree is fine.
    response = signed_in.post(
        f"/assets/{bottom.id}/edit", data=_asset_form(bottom, parent_tag="TOP")
    )
    assert response.status_code == 302
    assert Asset.get_by_id(bottom.id).parent_id == top.id


# Breadcrumbs


def _crumbs(html):
    nav = re.search(r'<nav aria-label="Breadcrumb"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'href="([^"]+)"', nav), re.search(r'aria-current="page">([^<]*)<', nav)


def test_breadcrumbs_lead_from_location_to_client_to_project(signed_in, register):
    asset = Asset.select().where(Asset.project == register["projects"][2].id).first()
    component = Asset.create(
        organisation=asset.organisation_id,
        project=asset.project_id,
        parent=asset,
        tag="T-CHILD",
        name="child",
    )
    for row in (asset, component):
        links, current = _crumbs(signed_in.get(f"/assets/{row.id}").get_data(as_text=True))
        assert links == [
            f"/locations/{asset.location_id}",
            f"/clients/{asset.client_id}",
            f"/projects/{asset.project_id}",
        ]
        assert row.tag in current.group(1)
    links, _ = _crumbs(signed_in.get(f"/projects/{asset.project_id}").get_data(as_text=True))
    assert links == [f"/locations/{asset.location_id}", f"/clients/{asset.client_id}"]
    links, _ = _crumbs(signed_in.get(f"/clients/{asset.client_id}").get_data(as_text=True))
    assert links == [f"/locations/{asset.location_id}"]
    # Every crumb leads to a page the user can open.
    for link in links:
        assert signed_in.get(link).status_code == 200
