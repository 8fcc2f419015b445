"""The hierarchy drill-down: counts at each level, only what the user may see."""

import re

import pytest


@pytest.fixture
def world(make_location, make_client, make_project, make_asset, make_user):
    north = make_location(name="North")
    south = make_location(name="South", organisation=north.organisation_id)
    acme = make_client(location=north, name="Acme")
    bolt = make_client(location=north, name="Bolt")
    cove = make_client(location=south, name="Cove")
    p1 = make_project(client=acme, code="ACM-1")
    p2 = make_project(client=acme, code="ACM-2")
    p3 = make_project(client=bolt, code="BLT-1")
    p4 = make_project(client=cove, code="COV-1")
    chiller = make_asset(project=p1, tag="CH-1")
    make_asset(project=p1, tag="CH-1-A", parent=chiller)
    make_asset(project=p1, tag="CH-1-B", parent=chiller)
    make_asset(project=p2, tag="AHU-1")
    for n in range(3):
        make_asset(project=p3, tag=f"LFT-{n}")
    make_asset(project=p4, tag="GEN-1")
    org = north.organisation_id
    return dict(
        north=north,
        south=south,
        acme=acme,
        bolt=bolt,
        p1=p1,
        chiller=chiller,
        admin=make_user("admin", organisation=org),
        client_user=make_user("client", organisation=org, client=acme),
        tech=make_user("technician", organisation=org, projects=[p3]),
    )


def cells(html):
    """Each table row's cell texts."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    found = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]
    return [row for row in found if row]


def test_counts_at_each_level(client, auth, world):
    auth.login(world["admin"])
    top = cells(client.get("/browse").get_data(as_text=True))
    assert ["North", "Europe/London", "2", "3", "7"] in top
    assert ["South", "Europe/London", "1", "1", "1"] in top
    level = cells(client.get(f"/browse?location={world['north'].id}").get_data(as_text=True))
    assert level[0][0] == "Acme" and level[0][2:] == ["2", "4"]
    level = cells(client.get(f"/browse?client={world['acme'].id}").get_data(as_text=True))
    assert [row[0] for row in level] == ["ACM-1", "ACM-2"] and level[0][3] == "3"
    page = client.get(f"/browse?project={world['p1'].id}").get_data(as_text=True)
    assert cells(page)[0][0] == "CH-1" and cells(page)[0][3] == "2"
    assert "All 3 assets" in page


def test_each_level_shows_only_what_the_user_sees(client, auth, world):
    auth.login(world["client_user"])
    top = cells(client.get("/browse").get_data(as_text=True))
    assert [row[0] for row in top] == ["North"] and top[0][2:] == ["1", "2", "4"]
    assert client.get(f"/browse?location={world['south'].id}").status_code == 404
    assert client.get(f"/browse?client={world['bolt'].id}").status_code == 404
    auth.logout()
    auth.login(world["tech"])
    level = cells(client.get(f"/browse?location={world['north'].id}").get_data(as_text=True))
    assert [row[0] for row in level] == ["Bolt"] and level[0][2:] == ["1", "3"]
    assert client.get(f"/browse?project={world['p1'].id}").status_code == 404


def test_junk_parameters_fall_back_to_the_top(client, auth, world):
    auth.login(world["admin"])
    for query in ("location=abc", "client=-1", "project=99999999999", "location=²"):
        assert client.get(f"/browse?{query}").status_code in (200, 404), query
