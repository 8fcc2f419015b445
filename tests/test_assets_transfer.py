"""CSV import and export through the pages: a preview that must be clean before a one-time
token imports it, clear messages for files that cannot be read (never a 500), the template,
and the export that streams the filtered list a user may see, safe for spreadsheets, and
that imports back unchanged."""

import csv
import datetime
import html
import io
import re

import pytest
from conftest import PASSWORD

from models import Asset, AuditEvent, utcnow
from models.asset_io import COLUMNS

TOKEN_ACTION = re.compile(r'action="/assets/import/([0-9a-f]{32})"')


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    north, south = make_location(org, name="North"), make_location(org, name="South")
    client_a, client_b = make_client(north, name="Acme"), make_client(south, name="Bolt")
    pa = make_project(client_a, code="PA-1")
    pa2 = make_project(client_a, code="PA-2")
    pb = make_project(client_b, code="PB-1")
    assets = [
        make_asset(pa, tag="CH-1", name="Chiller one", status="down", make="Carrier"),
        make_asset(pa, tag="CH-2", name="Chiller two", category="HVAC", serial="SN-77"),
        make_asset(pa2, tag="LF-1", name="Lift", status="degraded", criticality="high"),
        make_asset(pb, tag="BO-1", name="Boiler", make="Viessmann", model_name="Vitoplex"),
    ]
    assets.append(make_asset(pa, tag="CH-1A", name="Compressor", parent=assets[0]))
    users = {
        "admin": make_user("admin", organisation=org),
        "manager": make_user("manager", organisation=org),
        "manager2": make_user("manager", organisation=org),
        "limited": make_user("manager", locations=[north]),
        "technician": make_user("technician", projects=[pa]),
        "client": make_user("client", client=client_a),
        "stranger": make_user("admin"),
    }
    return dict(projects={"PA-1": pa, "PA-2": pa2, "PB-1": pb}, assets=assets, users=users)


@pytest.fixture
def login(app):
    def sign_in(user):
        browser = app.test_client()
        response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        return browser

    return sign_in


def post_file(browser, data, filename="assets.csv"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return browser.post(
        "/assets/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def token_of(response):
    found = TOKEN_ACTION.search(response.get_data(as_text=True))
    return found.group(1) if found else None


def row_errors(response):
    """(line, column, problem) from the preview's table of problems."""
    text = response.get_data(as_text=True)
    cells = re.findall(
        r'data-label="Line"[^>]*>(\d+)</td>\s*<td data-label="Column"[^>]*>([^<]*)</td>'
        r'\s*<td data-label="Problem"[^>]*>([^<]*)</td>',
        text,
    )
    return [(int(line), column, html.unescape(problem)) for line, column, problem in cells]


def file_error(response):
    """The message shown at the file field, or None."""
    text = response.get_data(as_text=True)
    found = re.search(r'id="file-error"[^>]*>(.*?)</', text, re.DOTALL)
    return html.unescape(found.group(1)).strip() if found else None


def counts(response):
    """(new, updated) as the clean preview states them."""
    text = response.get_data(as_text=True)
    found = re.search(r"(\d+)</strong> new asset.*?(\d+)</strong> update", text, re.DOTALL)
    return tuple(map(int, found.groups())) if found else None


def snapshot():
    """Every asset's columns, to show that nothing changed."""
    return sorted(
        Asset.select(
            Asset.id,
            Asset.tag,
            Asset.name,
            Asset.project,
            Asset.parent,
            Asset.category,
            Asset.make,
            Asset.model_name,
            Asset.serial,
            Asset.install_date,
            Asset.warranty_end,
            Asset.status,
            Asset.criticality,
            Asset.description,
            Asset.archived_at,
        ).tuples()
    )


CLEAN = (
    "tag,name,project_code,parent_tag,install_date,status,criticality\n"
    "CH-1,Chiller one (roof),PA-1,,2020-01-31,degraded,critical\n"
    "NEW-1,Pump 1,PA-2,,,operational,\n"
    "NEW-1A,Pump 1 motor,PA-2,NEW-1,,,\n"
)


# The import page and its roles


@pytest.mark.parametrize("role", ["admin", "manager", "limited"])
def test_managers_open_the_import_page(site, login, role):
    response = login(site["users"][role]).get("/assets/import")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in text
    assert "project_code" in text  # the column help


@pytest.mark.parametrize("role", ["technician", "client"])
def test_other_roles_may_not_import(site, login, role):
    browser = login(site["users"][role])
    before = snapshot()
    assert browser.get("/assets/import").status_code == 403
    assert post_file(browser, CLEAN).status_code == 403
    assert browser.post("/assets/import/" + "a" * 32).status_code == 403
    assert snapshot() == before


# Preview, then import once


def test_a_clean_file_previews_then_imports_once(site, login):
    browser = login(site["users"]["manager"])
    before = snapshot()
    response = post_file(browser, CLEAN)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Ready to import" in text
    assert counts(response) == (2, 1)
    token = token_of(response)
    assert token
    assert snapshot() == before  # a preview writes nothing

    done = browser.post(f"/assets/import/{token}", follow_redirects=True)
    assert done.status_code == 200
    assert done.request.path == "/assets"
    assert "Imported: 2 new and 1 updated assets." in done.get_data(as_text=True)
    chiller = Asset.get(Asset.tag == "CH-1")
    assert (chiller.name, chiller.status, chiller.criticality) == (
        "Chiller one (roof)",
        "degraded",
        "critical",
    )
    assert chiller.install_date == datetime.date(2020, 1, 31)
    assert chiller.make == "Carrier"  # a column not in the file is left alone
    pump, motor = Asset.get(Asset.tag == "NEW-1"), Asset.get(Asset.tag == "NEW-1A")
    pa2 = site["projects"]["PA-2"]
    assert (pump.project_id, pump.client_id, pump.location_id) == (
        pa2.id,
        pa2.client_id,
        pa2.location_id,
    )
    assert motor.parent_id == pump.id
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.action.startswith("import"))]
    assert sorted(actions) == ["import_create", "import_create", "import_update"]

    # The token is spent: a second post (a double click, the back button) imports nothing.
    after = snapshot()
    again = browser.post(f"/assets/import/{token}")
    assert again.status_code == 302
    assert again.headers["Location"] == "/assets/import"
    page = browser.get("/assets/import").get_data(as_text=True)
    assert "That import was already done or has expired. Upload the file again." in page
    assert snapshot() == after


def test_a_malformed_token_is_404(site, login):
    browser = login(site["users"]["manager"])
    before = snapshot()
    for token in ("abc", "A" * 32, "g" * 32, "a" * 31, "a" * 33, "..%2F..%2Fkey", "%00" + "a" * 29):
        assert browser.post(f"/assets/import/{token}").status_code == 404, token
    assert snapshot() == before


def test_another_users_token_is_not_usable(site, login):
    owner, other = login(site["users"]["manager"]), login(site["users"]["manager2"])
    token = token_of(post_file(owner, CLEAN))
    before = snapshot()
    response = other.post(f"/assets/import/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/assets/import"
    assert snapshot() == before
    # The owner still can.
    assert owner.post(f"/assets/import/{token}").headers["Location"] == "/assets"
    assert Asset.select().where(Asset.tag == "NEW-1").exists()


def test_a_register_changed_since_the_preview_is_checked_again(site, login):
    browser = login(site["users"]["manager"])
    token = token_of(post_file(browser, CLEAN))
    project = site["projects"]["PA-2"]
    project.archived_at = utcnow()
    project.save()
    before = snapshot()
    response = browser.post(f"/assets/import/{token}")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "The register changed since the preview" in text
    assert (3, "project_code", "project_code no active project 'PA-2' that you can see") in (
        row_errors(response)
    )
    assert snapshot() == before


# Files with problems: 422, a clear message, nothing saved


def test_row_errors_are_listed_and_nothing_is_saved(site, login):
    browser = login(site["users"]["limited"])  # North only: PB-1 and BO-1 are out of reach
    text = (
        "tag,name,project_code,parent_tag,install_date,status\n"
        "OK-1,Fine,PA-1,,,\n"
        ",No tag,PA-1,,,\n"
        "X-2,,PA-1,,,\n"
        "X-3,Far away,PB-1,,,\n"
        "BO-1,Not mine,PA-1,,,\n"
        "X-5,Bad date,PA-1,,31/01/2020,\n"
        "X-6,Bad status,PA-1,,,broken\n"
        "OK-1,Twice,PA-1,,,\n"
        "X-8,Orphan,PA-1,NOPE,,\n"
        "X-9,Other project parent,PA-2,CH-1,,\n"
    )
    before = snapshot()
    response = post_file(browser, text)
    assert response.status_code == 422
    assert token_of(response) is None
    assert "Ready to import" not in response.get_data(as_text=True)
    assert row_errors(response) == [
        (3, "tag", "tag is required"),
        (4, "name", "name is required"),
        (5, "project_code", "project_code no active project 'PB-1' that you can see"),
        (6, "tag", "tag 'BO-1' belongs to an asset you cannot change"),
        (7, "install_date", "install_date '31/01/2020' is not a date: use YYYY-MM-DD"),
        (8, "status", "status 'broken' is not one of operational, degraded, down, retired"),
        (9, "tag", "tag 'OK-1' is already on line 2"),
        (10, "parent_tag", "parent_tag no asset 'NOPE' that you can see"),
        (11, "parent_tag", "parent_tag the parent is in another project"),
    ]
    assert snapshot() == before


def test_formula_cells_are_refused(site, login):
    browser = login(site["users"]["manager"])
    before = snapshot()
    for cell in ("=1+1", '=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-SUM(A1)", "@A1"):
        data = io.StringIO()
        csv.writer(data).writerow(["tag", "name", "project_code", "make"])
        csv.writer(data).writerow(["F-1", "Formula", "PA-1", cell])
        response = post_file(browser, data.getvalue())
        assert response.status_code == 422
        assert row_errors(response) == [
            (2, "make", "make looks like a spreadsheet formula; remove the leading = + - or @")
        ], cell
    assert snapshot() == before


@pytest.mark.parametrize(
    "data,message",
    [
        (
            "tag,name,project_code\nC-1,Café,PA-1\n".encode("cp1252"),
            "This file is not UTF-8 text. In Excel, save it as 'CSV UTF-8 (Comma delimited)'.",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is not UTF-8 text."),
        (b"", "The file is empty: the first line must name the columns."),
        (b"\n\n", "The file is empty: the first line must name the columns."),
        (
            b"tag,name\nC-1,Chiller\n",
            "Missing required column(s): project_code. Download the template to see the columns.",
        ),
        (b"tag,name,project_code,colour\n", "Unknown column(s): colour."),
        (b"tag,name,project_code,tag\n", "Column(s) named twice: tag."),
        (
            b'tag,name,project_code\nC-1,"' + b"x" * 200_000 + b'",PA-1\n',
            "This is not a readable CSV file",
        ),
    ],
    ids=["cp1252", "binary", "empty", "blank-lines", "missing", "unknown", "twice", "huge-cell"],
)
def test_a_file_that_cannot_be_read_gets_a_clear_message(site, login, data, message):
    browser = login(site["users"]["manager"])
    before = snapshot()
    response = post_file(browser, data)
    assert response.status_code == 422
    assert file_error(response).startswith(message), file_error(response)
    assert token_of(response) is None
    assert snapshot() == before


@pytest.mark.parametrize(
    "data,message",
    [
        (b"tag,name,project_code\n", "The file has a header but no assets."),
        (b"tag,name,project_code\n,,\n", "The file has a header but no assets."),
    ],
)
def test_a_file_without_rows_says_so(site, login, data, message):
    response = post_file(login(site["users"]["manager"]), data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert token_of(response) is None


def test_other_encodings_and_odd_bytes_never_make_a_500(site, login):
    browser = login(site["users"]["manager"])
    text = "tag,name,project_code\nU-1,Kühlung,PA-1\n"
    for data in (
        text.encode("utf-16"),  # with a BOM: accepted
        b"\xef\xbb\xbf" + text.encode("utf-8"),  # Excel's UTF-8 with a BOM
        text.replace("\n", "\r\n").encode("utf-8"),
    ):
        response = post_file(browser, data)
        assert response.status_code == 200, data[:20]
        assert token_of(response)
    response = post_file(browser, b"tag,name,project_code\nN-1,Nul\x00here,PA-1\n")
    assert response.status_code == 422
    assert (2, "name", "name contains characters that are not allowed") in row_errors(response)
    response = post_file(browser, "tag,name,project_code\nU-1,\ufffe\ud7ff,PA-1\n".encode())
    assert response.status_code in (200, 422)
    assert post_file(browser, b"\xff\xfe\x00").status_code == 422  # a broken UTF-16 file
    assert browser.post("/assets/import", data={}).status_code == 422
    assert Asset.select().where(Asset.tag.startswith("U-")).count() == 0


# The template


def test_the_template_lists_the_columns_and_imports_once_its_project_exists(
    site, login, make_project, make_client
):
    browser = login(site["users"]["admin"])
    response = browser.get("/assets/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 2
    project = site["projects"]["PA-1"]
    make_project(make_client(project.location), code=rows[1][COLUMNS.index("project_code")])
    preview = post_file(browser, response.data)
    assert preview.status_code == 200 and token_of(preview)


# Export


def export(browser, query=""):
    response = browser.get("/assets/export.csv" + query)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=fettle-assets.csv"
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    return response, rows


def test_the_export_has_the_import_columns_and_every_visible_live_asset(site, login):
    archived = site["assets"][1]
    archived.archived_at = utcnow()
    archived.save()
    response, rows = export(login(site["users"]["admin"]))
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(header) == COLUMNS
    assert [r["tag"] for r in rows] == ["BO-1", "CH-1", "CH-1A", "LF-1"]
    by_tag = {r["tag"]: r for r in rows}
    assert by_tag["CH-1A"]["parent_tag"] == "CH-1"
    assert by_tag["BO-1"]["project_code"] == "PB-1"
    assert (by_tag["BO-1"]["make"], by_tag["BO-1"]["model"]) == ("Viessmann", "Vitoplex")
    assert (by_tag["LF-1"]["status"], by_tag["LF-1"]["criticality"]) == ("degraded", "high")


EXPORT_CASES = [
    ("?status=down", ["CH-1"]),
    ("?status=degraded&criticality=high", ["LF-1"]),
    ("?project={PA-1}", ["CH-1", "CH-1A", "CH-2"]),
    ("?client={Acme}", ["CH-1", "CH-1A", "CH-2", "LF-1"]),
    ("?location={South}", ["BO-1"]),
    ("?category=HVAC", ["CH-2"]),
    ("?q=chiller", ["CH-1", "CH-2"]),
    ("?q=sn-77", ["CH-2"]),
    ("?q=VIESS", ["BO-1"]),
    ("?q=ch&project={PA-1}&sort=-name", ["CH-1A", "CH-2", "CH-1"]),
    ("?sort=name", ["BO-1", "CH-1", "CH-2", "CH-1A", "LF-1"]),
    ("?sort=-tag", ["LF-1", "CH-2", "CH-1A", "CH-1", "BO-1"]),
    ("?sort=-status", ["BO-1", "CH-1", "CH-1A", "CH-2", "LF-1"]),  # by tag
    ("?status=nonsense&page=99&per_page=1", ["BO-1", "CH-1", "CH-1A", "CH-2", "LF-1"]),
    ("?q=nothing-like-it", []),
]


def test_the_export_honours_the_lists_filters(site, login):
    pa = site["projects"]["PA-1"]
    ids = {
        "PA-1": pa.id,
        "Acme": pa.client_id,
        "South": site["projects"]["PB-1"].location_id,
    }
    browser = login(site["users"]["admin"])
    for query, tags in EXPORT_CASES:
        query = re.sub(r"\{([^}]+)\}", lambda m: str(ids[m.group(1)]), query)
        _response, rows = export(browser, query)
        assert [r["tag"] for r in rows] == tags, query
        if "page" not in query:  # the list shows the same assets
            listed = browser.get("/assets" + query).get_data(as_text=True)
            shown = re.findall(r'href="/assets/\d+">([^<]+)</a>', listed)
            assert sorted(shown) == sorted(tags), query


@pytest.mark.parametrize(
    "role,tags",
    [
        ("client", ["CH-1", "CH-1A", "CH-2", "LF-1"]),
        ("technician", ["CH-1", "CH-1A", "CH-2"]),
        ("limited", ["CH-1", "CH-1A", "CH-2", "LF-1"]),
        ("stranger", []),
    ],
)
def test_each_user_exports_only_what_they_may_see(site, login, role, tags):
    browser = login(site["users"][role])
    assert [r["tag"] for r in export(browser)[1]] == tags
    # Naming another client's project or searching for its asset changes nothing.
    pb = site["projects"]["PB-1"]
    assert export(browser, f"?project={pb.id}")[1] == []
    assert export(browser, "?q=boiler")[1] == []


def test_exported_cells_are_safe_to_open_in_a_spreadsheet(site, login):
    chiller = site["assets"][0]
    chiller.name = '=HYPERLINK("http://evil","x")'
    chiller.make = "+cmd|' /C calc'!A0"
    chiller.model_name = "-2+3"
    chiller.serial = "@SUM(A1)"
    chiller.description = 'plain, with a comma and a "quote"\nand a second line'
    chiller.save()
    rows = {r["tag"]: r for r in export(login(site["users"]["admin"]))[1]}
    row = rows["CH-1"]
    assert row["name"] == '\'=HYPERLINK("http://evil","x")'
    assert row["make"] == "'+cmd|' /C calc'!A0"
    assert row["model"] == "'-2+3"
    assert row["serial"] == "'@SUM(A1)"
    assert row["description"] == chiller.description
    for other in rows.values():
        for value in other.values():
            assert value[:1] not in ("=", "+", "-", "@"), value


def test_an_export_imports_back_unchanged(site, login):
    """Export, import the same file: a clean preview of updates only, and no change."""
    chiller, lift = site["assets"][0], site["assets"][2]
    chiller.install_date, chiller.warranty_end = (
        datetime.date(2019, 5, 1),
        datetime.date(2029, 1, 1),
    )
    chiller.description = 'Roof plant, "north" side\nsecond line; ünïcödé'
    chiller.save()
    lift.name, lift.serial, lift.make = "=Lift (spare)", "-0042", "+Otis"
    lift.save()
    browser = login(site["users"]["admin"])
    response, rows = export(browser)
    assert len(rows) == 5
    before = snapshot()

    preview = post_file(browser, response.data)
    assert row_errors(preview) == []
    assert preview.status_code == 200
    assert counts(preview) == (0, 5)
    assert browser.post(f"/assets/import/{token_of(preview)}").status_code == 302
    assert snapshot() == before


def test_short_rows_import_with_defaults_for_the_missing_cells(site, login):
    """A spreadsheet drops empty trailing cells: a row shorter than the header is fine."""
    browser = login(site["users"]["manager"])
    text = (
        "tag,name,project_code,category,status,criticality,install_date\n"
        "S-1,Short one,PA-1\n"
        "CH-2,Chiller two renamed,PA-1,HVAC\n"
    )
    preview = post_file(browser, text)
    assert preview.status_code == 200, row_errors(preview)
    assert counts(preview) == (1, 1)
    done = browser.post(f"/assets/import/{token_of(preview)}")
    assert done.status_code == 302
    new = Asset.get(Asset.tag == "S-1")
    assert (new.category, new.status, new.criticality, new.install_date) == (
        "",
        "operational",
        "medium",
        None,
    )
    updated = Asset.get(Asset.tag == "CH-2")
    assert (updated.name, updated.category, updated.status) == (
        "Chiller two renamed",
        "HVAC",
        "operational",
    )


def test_an_import_that_moves_an_asset_takes_its_components_meters_and_documents(site, login):
    """As an edit does: nothing is left behind in the old project (or visible to its client)."""
    from models import Meter

    chiller, compressor = site["assets"][0], site["assets"][4]
    admin = site["users"]["admin"]
    meter = Meter.create_for(admin, compressor, name="Runtime", unit="h")
    browser = login(site["users"]["manager"])
    preview = post_file(browser, "tag,name,project_code\nCH-1,Chiller one,PB-1\n")
    assert counts(preview) == (0, 1)
    assert browser.post(f"/assets/import/{token_of(preview)}").status_code == 302
    pb = site["projects"]["PB-1"]
    place = (pb.id, pb.client_id, pb.location_id)
    for row in (Asset.get_by_id(chiller.id), Asset.get_by_id(compressor.id)):
        assert (row.project_id, row.client_id, row.location_id) == place, row.tag
    assert Asset.get_by_id(compressor.id).parent_id == chiller.id
    meter = Meter.get_by_id(meter.id)
    assert (meter.project_id, meter.client_id, meter.location_id) == place
    # Client A no longer sees either of them; client B's users would.
    client_a = login(site["users"]["client"])
    assert client_a.get(f"/assets/{compressor.id}").status_code == 404
