"""The asset register's list against a plain-Python reference over generated data: every
filter (warranty windows included) and the search, every sort walked page by page, a constant
and small number of queries per request, and search that never crosses a client's bounds."""

import datetime
import html as html_lib
import random
import re
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from conftest import PASSWORD, TEST_DATABASE_URL

from models import Asset, Client, Project, db
from views.assets import register as assets_register

HX = {"HX-Request": "true"}
STATUSES = ("operational", "degraded", "down", "retired")
CRITICALITIES = ("low", "medium", "high", "critical")
CATEGORIES = ("chiller", "lift", "pump", "fire panel", "")
MAKES = ("Carrier", "Daikin", "Grundfos", "Otis", "Kühlmann", "")
NAMES = ("Chiller", "Passenger lift", "Booster pump", "Fire alarm panel", "Fan coil unit")
# Days from today: on either side of every warranty window's edges, and none.
WARRANTY_OFFSETS = (-400, -1, 0, 1, 29, 30, 31, 89, 90, 91, 364, 365, 366, 1000, None)


@pytest.fixture
def login(app):
    def sign_in(user):
        browser = app.test_client()
        response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        return browser

    return sign_in


@pytest.fixture
def register(make_org, make_location, make_client, make_project, make_user):
    """Three locations, four clients, six projects and 130 assets whose columns vary
    independently (a seeded generator), with components, archived rows, and an asset of
    another organisation that matches every search."""
    rng = random.Random(20240601)
    org = make_org()
    locations = [make_location(org, name=f"site {i}") for i in range(3)]
    clients = [make_client(locations[i % 3], name=f"client {i}") for i in range(4)]
    projects = [make_project(clients[i % 4], code=f"PR-{i}") for i in range(6)]
    today = datetime.date.today()
    rows = []
    for i in range(130):
        project = projects[rng.randrange(6)]
        offset = WARRANTY_OFFSETS[i % len(WARRANTY_OFFSETS)]
        rows.append(
            dict(
                organisation=org.id,
                project=project.id,
                client=project.client_id,
                location=project.location_id,
                tag=f"{rng.choice(('AHU', 'LFT', 'PMP'))}-{i:04d}",
                name=f"{rng.choice(NAMES)} {rng.randrange(1, 9)}",
                category=rng.choice(CATEGORIES),
                make=rng.choice(MAKES),
                model_name=rng.choice(("X100", "x-200", "Vita 3", "")),
                serial=rng.choice(("SN-", "sn_", "100%-")) + f"{rng.randrange(10**5):05d}",
                status=rng.choice(STATUSES),
                criticality=rng.choice(CRITICALITIES),
                warranty_end=None if offset is None else today + datetime.timedelta(days=offset),
                archived_at=datetime.datetime(2024, 1, 1) if i % 25 == 7 else None,
            )
        )
    with db.atomic():
        Asset.insert_many(rows).execute()
    assets = list(Asset.select().where(Asset.organisation == org.id).order_by(Asset.id))
    for child, parent in zip(assets[1::9], assets[::9], strict=False):
        if child.project_id == parent.project_id:
            Asset.update(parent=parent.id).where(Asset.id == child.id).execute()
    # Another organisation: its asset matches every search and filter value by name.
    other = make_project(code="PR-0")
    Asset.create(
        organisation=other.organisation_id,
        project=other,
        tag="AHU-0001",
        name="Chiller Booster pump Passenger lift",
        make="Carrier",
        serial="SN-00001",
        category="chiller",
    )
    users = {
        "admin": make_user("admin", organisation=org),
        "limited": make_user("manager", locations=locations[:1]),
        "technician": make_user("technician", projects=projects[:2]),
        "client": make_user("client", client=clients[1]),
    }
    return dict(locations=locations, clients=clients, projects=projects, users=users, org=org)


def live(org):
    return list(Asset.select().where(Asset.organisation == org.id, Asset.archived_at.is_null()))


def listed(response):
    """Asset ids in the order the results show them."""
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    results = text.split('<div id="results">', 1)[1]
    return [int(i) for i in dict.fromkeys(re.findall(r'href="/assets/(\d+)"', results))]


def warranty_rule(window):
    today = datetime.date.today()
    if window == "expired":
        return lambda a: a.warranty_end is not None and a.warranty_end < today
    horizon = today + datetime.timedelta(days=int(window))
    return lambda a: a.warranty_end is not None and today <= a.warranty_end <= horizon


def searched(q):
    q = q.lower()
    fields = ("tag", "name", "serial", "make", "model_name")
    return lambda a: any(q in getattr(a, f).lower() for f in fields)


# Filters and search against plain Python


def test_each_filter_alone_and_combined_gives_exactly_the_right_rows(register, login):
    browser = login(register["users"]["admin"])
    assets = live(register["org"])
    loc, cli, pro = register["locations"], register["clients"], register["projects"]
    cases = [({"location": loc[i].id}, lambda a, i=i: a.location_id == loc[i].id) for i in (0, 2)]
    cases += [({"client": c.id}, lambda a, c=c: a.client_id == c.id) for c in cli]
    cases += [({"project": p.id}, lambda a, p=p: a.project_id == p.id) for p in pro[:3]]
    cases += [({"category": c}, lambda a, c=c: a.category == c) for c in CATEGORIES if c]
    cases += [({"status": s}, lambda a, s=s: a.status == s) for s in STATUSES]
    cases += [({"criticality": c}, lambda a, c=c: a.criticality == c) for c in CRITICALITIES]
    cases += [({"warranty": w}, warranty_rule(w)) for w in ("30", "90", "365", "expired")]
    cases += [
        (
            {"client": cli[0].id, "status": "down", "warranty": "365"},
            lambda a: a.client_id == cli[0].id and a.status == "down" and warranty_rule("365")(a),
        ),
        (
            {"location": loc[0].id, "category": "pump", "criticality": "high"},
            lambda a: (a.location_id, a.category, a.criticality) == (loc[0].id, "pump", "high"),
        ),
        ({"location": loc[1].id, "client": cli[0].id}, lambda a: False),  # client 0 is at site 0
    ]
    for n, (params, keep) in enumerate(cases):
        expected = sorted((a for a in assets if keep(a)), key=lambda a: (a.tag, a.id))
        url = "/assets?" + urlencode({**params, "per_page": 100})
        assert listed(browser.get(url)) == [a.id for a in expected], params
        if n % 4 == 0:  # the partial applies the same filters
            assert listed(browser.get(url, headers=HX)) == [a.id for a in expected], params
    assert all(len(c[0]) for c in cases)


def test_the_warranty_windows_include_their_edges(register, login):
    today = datetime.date.today()
    browser = login(register["users"]["admin"])
    for window in ("30", "90", "365", "expired"):
        shown = set(listed(browser.get(f"/assets?warranty={window}&per_page=100")))
        ends = {a.warranty_end for a in live(register["org"]) if a.id in shown}
        offsets = {(end - today).days for end in ends}
        if window == "expired":
            assert offsets == {-400, -1}
        else:
            wanted = {o for o in WARRANTY_OFFSETS if o is not None and 0 <= o <= int(window)}
            assert offsets == wanted, window


SEARCHES = (
    "chiller",
    "CHILLER",
    "pUmP 3",
    "ahu-00",
    "lft",
    "0042",
    "4",
    "sn_",
    "100%",
    "%",
    "_",
    "x-2",
    "VITA",
    "kühl",
    "KÜHLMANN",
    "carrier",
    "Fire alarm panel 2",
)


def test_search_matches_tag_name_serial_make_and_model_substrings_in_any_case(register, login):
    browser = login(register["users"]["admin"])
    assets = live(register["org"])
    for q in (*SEARCHES, "no such thing", '"', "'; --", " "):
        expected = sorted(
            (a for a in assets if searched(q.strip())(a)), key=lambda a: (a.name, a.id)
        )
        url = "/assets?" + urlencode({"q": q, "sort": "name", "per_page": 100})
        assert listed(browser.get(url))[:100] == [a.id for a in expected][:100], q
        if q in SEARCHES:
            assert expected, q  # the data really has matches for this term


def test_search_combines_with_filters(register, login):
    browser = login(register["users"]["admin"])
    project = register["projects"][2]
    expected = sorted(
        (
            a
            for a in live(register["org"])
            if searched("pump")(a) and a.project_id == project.id and a.status != "retired"
        ),
        key=lambda a: (a.tag, a.id),
    )
    for status in ("operational", "degraded", "down"):
        url = f"/assets?q=Pump&project={project.id}&status={status}&per_page=100"
        got = listed(browser.get(url))
        assert got == [a.id for a in expected if a.status == status]


@pytest.mark.parametrize("sort", ["tag", "-name"])
def test_a_search_past_its_count_limit_still_pages_in_sort_order(
    register, login, monkeypatch, sort
):
    """A frequent term counts to the limit ("5+") and its pages are the first matches in
    the sort order, however the database finds them."""
    monkeypatch.setattr(assets_register, "SEARCH_COUNT_LIMIT", 5)
    browser = login(register["users"]["admin"])
    key = {"tag": lambda a: (a.tag, a.id), "-name": lambda a: (a.name, a.id)}[sort]
    expected = sorted(
        (a for a in live(register["org"]) if searched("pump")(a)),
        key=key,
        reverse=sort.startswith("-"),
    )
    assert len(expected) > 10
    url = "/assets?" + urlencode({"q": "pump", "sort": sort, "per_page": 25})
    assert listed(browser.get(url)) == [a.id for a in expected[:5]]


@pytest.mark.parametrize("role", ["admin", "technician"])
def test_a_search_of_one_or_two_letters_pages_through_its_first_matches(
    register, login, monkeypatch, role
):
    """Letters being typed: the first matches at once (walked in tag order for a manager,
    sorted from a technician's few assets), and a third letter to go further."""
    monkeypatch.setattr(assets_register, "SHORT_SEARCH_COUNT_LIMIT", 4)
    browser = login(register["users"][role])
    projects = {p.id for p in register["projects"][:2]} if role == "technician" else None
    mine = [a for a in live(register["org"]) if projects is None or a.project_id in projects]
    expected = sorted((a for a in mine if searched("pu")(a)), key=lambda a: (a.tag, a.id))
    assert len(expected) > 4
    page = browser.get("/assets?q=pu&per_page=25")
    assert listed(page) == [a.id for a in expected[:4]]
    assert "of 4+" in page.get_data(as_text=True)
    three = [a for a in mine if searched("pum")(a)]
    assert len(listed(browser.get("/assets?q=pum&per_page=100"))) == len(three) > 4


# Every sort, both ways, page by page


SORTS = {
    "tag": lambda a, names: a.tag,
    "name": lambda a, names: a.name,
    "category": lambda a, names: a.category,
    "status": lambda a, names: a.status,
    "criticality": lambda a, names: a.criticality,
    "warranty_end": lambda a, names: a.warranty_end,
    "project": lambda a, names: names["project"][a.project_id],
    "client": lambda a, names: names["client"][a.client_id],
}


def _expected_orders(assets, key, descending):
    """The order by (key, id), with the rows that have no value first or last: SQLite and
    PostgreSQL place NULLs at opposite ends, and either is a stable order."""
    valued = sorted((a for a in assets if key(a) is not None), key=lambda a: (key(a), a.id))
    empty = sorted((a for a in assets if key(a) is None), key=lambda a: a.id)
    if descending:
        valued.reverse()
        empty.reverse()
    ids = lambda rows: [a.id for a in rows]  # noqa: E731
    return {tuple(ids(empty) + ids(valued)), tuple(ids(valued) + ids(empty))}


def _walk(browser, url):
    pages = []
    while url:
        response = browser.get(url)
        pages.append(listed(response))
        found = re.search(r'<a href="([^"]+)"[^>]*>Next', response.get_data(as_text=True))
        url = html_lib.unescape(found.group(1)) if found else None
        assert len(pages) <= 10
    return pages


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_sort_both_ways_walks_each_asset_exactly_once(register, login, sort):
    browser = login(register["users"]["admin"])
    assets = live(register["org"])
    names = {
        "project": {p.id: p.code for p in Project.select()},
        "client": {c.id: c.name for c in Client.select()},
    }
    key = lambda a: SORTS[sort](a, names)  # noqa: E731
    for descending in (False, True):
        pages = _walk(browser, f"/assets?sort={'-' if descending else ''}{sort}&per_page=50")
        assert [len(p) for p in pages] == [50, 50, len(assets) - 100]
        walked = [i for page in pages for i in page]
        assert len(walked) == len(set(walked)) == len(assets)
        assert tuple(walked) in _expected_orders(assets, key, descending), (sort, descending)


@pytest.mark.parametrize("sort", list(SORTS))
def test_a_limited_managers_sorts_walk_their_own_assets_exactly_once(register, login, sort):
    """A limited manager's scope is checked inside the list's indexes (migration 0006), and a
    sort by project or client picks ids with its one join: the same rows, in the same order."""
    browser = login(register["users"]["limited"])
    location = register["locations"][0].id
    assets = [a for a in live(register["org"]) if a.location_id == location]
    names = {
        "project": {p.id: p.code for p in Project.select()},
        "client": {c.id: c.name for c in Client.select()},
    }
    key = lambda a: SORTS[sort](a, names)  # noqa: E731
    for descending in (False, True):
        pages = _walk(browser, f"/assets?sort={'-' if descending else ''}{sort}&per_page=25")
        walked = [i for page in pages for i in page]
        assert len(walked) == len(set(walked)) == len(assets)
        assert tuple(walked) in _expected_orders(assets, key, descending), (sort, descending)


def _subquery_plan(sql, params):
    """SQLite's plan lines for the subqueries of `sql` (the id picker of the rows query)."""
    rows = db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    inside, lines = set(), []
    for node, parent, _, detail in rows:
        if "SUBQUERY" in detail or parent in inside:
            inside.add(node)
            lines.append(detail)
    return lines


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's plan; PostgreSQL's needs real data")
@pytest.mark.parametrize("sort", list(SORTS))
def test_an_admins_page_is_picked_from_a_covering_index_in_order(
    register, login, sort, monkeypatch
):
    """The page's ids come from one of migration 0006's indexes alone, already in order: an
    OFFSET then walks index entries, never table rows, and nothing is sorted. A column added
    to the picker, or a join it does not need, would undo that at 200,000 assets. (A list
    is long when more rows match than the list counts: here, more than 50.) A short list,
    whose rows are fewer than that, is sorted instead (paginate's `sort_matches`)."""
    monkeypatch.setattr(assets_register, "COUNT_LIMIT", 50)
    browser = login(register["users"]["admin"])
    for order in (sort, f"-{sort}"):
        with counting_queries() as queries:
            browser.get(f"/assets?sort={order}&page=2", headers=HX)
        (rows_query,) = [q for q in queries if "IN (SELECT" in q.sql]
        plan = _subquery_plan(rows_query.sql, rows_query.params)
        assert any("USING COVERING INDEX asset_list_" in line for line in plan), plan
        assert not any("TEMP B-TREE" in line for line in plan), plan
        with counting_queries() as queries:
            browser.get(f"/assets?sort={order}&status=down", headers=HX)
        (rows_query,) = [q for q in queries if "IN (SELECT" in q.sql]
        plan = _subquery_plan(rows_query.sql, rows_query.params)
        assert any("TEMP B-TREE FOR ORDER BY" in line for line in plan), plan


# A constant, small number of queries


@contextmanager
def counting_queries():
    """The statements a request runs, less SQLite's PRAGMA optimize when its connection is
    closed (housekeeping, not the page's work; PostgreSQL has none)."""
    queries = []

    def hook(event):
        if not event.sql.lstrip().upper().startswith("PRAGMA"):
            queries.append(event)

    db.obj.query_hooks.append(hook)
    try:
        yield queries
    finally:
        db.obj.query_hooks.remove(hook)


@pytest.mark.parametrize("role", ["admin", "limited", "client"])
def test_queries_per_request_do_not_grow_with_the_page(register, login, role):
    browser = login(register["users"][role])
    counts = {}
    for per_page in (25, 100):
        for headers in ({}, HX):
            for query in ("", "&q=pump&sort=-client", "&status=down&sort=project&warranty=365"):
                with counting_queries() as queries:
                    response = browser.get(f"/assets?per_page={per_page}{query}", headers=headers)
                assert response.status_code == 200
                counts.setdefault((bool(headers), query), set()).add(len(queries))
    for (partial, query), seen in counts.items():
        assert len(seen) == 1, (partial, query, seen)
    full = max(n for (partial, _), seen in counts.items() if not partial for n in seen)
    part = max(n for (partial, _), seen in counts.items() if partial for n in seen)
    assert full <= 6, counts
    assert part < full, counts


def test_a_full_page_shows_a_hundred_rows_of_distinct_projects_and_clients(register, login):
    """The per_page=100 page really has rows from every project: the count above is for a
    page that would show an N+1 if each row loaded its project or client."""
    browser = login(register["users"]["admin"])
    response = browser.get("/assets?per_page=100&sort=tag")
    assert len(listed(response)) == 100
    text = response.get_data(as_text=True)
    assert {p.code for p in register["projects"]} <= set(
        re.findall(r'data-label="Project"[^>]*>([^<]+)<', text)
    )


# Search never crosses a client's bounds


@pytest.mark.parametrize("role", ["client", "technician", "limited"])
def test_a_scoped_users_search_and_filters_never_show_other_rows(register, login, role):
    user = register["users"][role]
    browser = login(user)
    in_scope = {
        "client": lambda a: a.client_id == user.client_id,
        "technician": lambda a: a.project_id in {p.id for p in register["projects"][:2]},
        "limited": lambda a: a.location_id == register["locations"][0].id,
    }[role]
    assets = live(register["org"])
    mine = [a for a in assets if in_scope(a)]
    assert mine and len(mine) < len(assets)
    for q in ("chiller", "ahu", "SN-", "carrier", "a", "-0", "kühl"):
        got = set(listed(browser.get("/assets?" + urlencode({"q": q, "per_page": 100}))))
        assert got == {a.id for a in mine if searched(q)(a)}, q
    for client in register["clients"]:
        got = set(listed(browser.get(f"/assets?client={client.id}&per_page=100")))
        assert got == {a.id for a in mine if a.client_id == client.id}
    # The filter bar offers only what the user sees.
    page = browser.get("/assets").get_data(as_text=True)
    offered = set(re.findall(r'<option value="(\d+)"[^>]*>client \d', page))
    assert offered == {str(c) for c in {a.client_id for a in mine}}
