"""The reports as documents: the period report's PDF (its text read back with pypdf), the
service report of one order, the asset history, and the logo printed on all of them."""

# ruff: noqa: F811 (the `site` fixture is shared with test_reports_views)

import io

import pytest
from pypdf import PdfReader
from test_reports_views import MARCH, get, site, text  # noqa: F401  (site is a fixture)
from test_work_orders_signoff import squiggle

from models import PartUsed, Signature, WorkOrder
from models.signoff import read_signature
from models.storage import get_storage

A4 = (595, 842)  # points, rounded
LETTER = (612, 792)


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    app.config["STORAGE_URL"] = f"file://{tmp_path / 'store'}"


def pdf_text(response):
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def page_size(reader):
    box = reader.pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_the_period_pdf_has_the_key_figures_and_page_numbers(client, auth, site):
    response = get(
        client,
        auth,
        site["manager"],
        f"/reports/period?client={site['acme'].id}&{MARCH}&format=pdf",
    )
    reader, words = pdf_text(response)
    for expected in (
        "Northwind Maintenance",
        "Maintenance report",
        "Acme Foods · March 2026",
        "6.0 h",  # MTTR
        "63.00",  # parts
        "5.0 h",  # downtime
        "2.0 h",  # labour
        "Fan belt squeal",
        "Damper stuck",
        f"Page 1 of {len(reader.pages)}",
    ):
        assert expected in words, expected
    assert "Globex" not in words and "999.99" not in words
    assert page_size(reader) == A4  # a London client: A4 unless Letter is asked for
    assert (
        'filename="maintenance-report-acme-foods-march-2026.pdf"'
        in response.headers["Content-Disposition"]
    )


def test_letter_paper_when_asked(client, auth, site):
    url = f"/reports/period?client={site['acme'].id}&{MARCH}&format=pdf&paper=letter"
    reader, _ = pdf_text(get(client, auth, site["acme_user"], url))
    assert page_size(reader) == LETTER


def test_the_logo_goes_on_every_report(client, auth, site):
    from PIL import Image

    auth.login(site["admin"])
    out = io.BytesIO()
    Image.new("RGB", (400, 100), (18, 52, 59)).save(out, "PNG")
    response = client.post(
        "/reports/logo",
        data={"logo": (io.BytesIO(out.getvalue()), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = text(client.get(f"/reports/period?client={site['acme'].id}&{MARCH}"))
    assert 'class="report-logo" src="data:image/png;base64,' in page
    reader, _ = pdf_text(client.get(f"/reports/period?client={site['acme'].id}&{MARCH}&format=pdf"))
    assert reader.pages[0].images  # the logo, inlined: the PDF fetched nothing


def test_only_admins_set_the_logo_and_only_images_are_taken(client, auth, site):
    assert get(client, auth, site["manager"], "/reports/logo").status_code == 403
    auth.login(site["admin"])
    response = client.post(
        "/reports/logo",
        data={"logo": (io.BytesIO(b"MZ\x90\x00"), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "PNG, JPEG, WebP or GIF" in text(response)
    assert client.post("/reports/logo", data={}).status_code == 422


@pytest.fixture
def signed_order(app, site):
    """A repair done properly: started, a part fitted, signed by the client, completed."""
    tech = site["tech"]
    order = WorkOrder.open_for(
        site["manager"],
        site["acme1"],
        [tech],
        title="Replace fan belt",
        asset=site["ahu"],
        requires_signature=True,
        description="Belt squeals at start-up.",
    )
    order.transition(tech, "in_progress", "open")
    PartUsed.add(tech, order, "V-belt SPA 1250", "2", "12.50")
    storage = get_storage(app.config["STORAGE_URL"], app.instance_path)
    Signature.take(tech, order, read_signature(squiggle()), "Ann Client", storage)
    order.transition(tech, "completed", "in_progress")
    return order


def test_the_service_report_has_what_the_client_signs_for(client, auth, site, signed_order):
    order = signed_order
    auth.login(site["acme_user"])
    response = client.get(f"/reports/service?order={order.id}")
    assert response.status_code == 200
    page = text(response)
    for expected in (
        "Service report",
        order.reference,
        "Replace fan belt",
        "Belt squeals at start-up.",
        "AHU-01",
        "V-belt SPA 1250",
        "25.00",
        "Ann Client",
        "Tom Tech",
        "Completed",
        f"/work-orders/{order.id}/signature.png",
        "<svg",  # the QR code back to the order
    ):
        assert expected in page, expected
    reader, words = pdf_text(client.get(f"/reports/service?order={order.id}&format=pdf"))
    for expected in (order.reference, "Replace fan belt", "V-belt SPA 1250", "25.00", "Ann Client"):
        assert expected in words, expected
    assert reader.pages[-1].images  # the signature, inlined


def test_the_service_report_is_for_those_who_see_the_order(client, auth, site, signed_order):
    url = f"/reports/service?order={signed_order.id}"
    assert get(client, auth, site["tech"], url).status_code == 200
    for user in ("globex_user", "stranger"):
        assert get(client, auth, site[user], url).status_code == 404
        assert client.get(url + "&format=pdf").status_code == 404
    auth.login(site["manager"])
    assert client.get("/reports/service?order=abc").status_code == 404
    assert client.get(url + "&format=docx").status_code == 404


def test_an_open_order_is_marked_as_a_draft(client, auth, site):
    order = WorkOrder.get(WorkOrder.title == "Damper stuck")
    page = text(get(client, auth, site["manager"], f"/reports/service?order={order.id}"))
    assert "Draft: this work is open, not completed yet." in page


def test_the_asset_history_lists_the_work_with_totals(client, auth, site):
    asset = site["ahu"]
    url = f"/reports/asset-history?asset={asset.id}&period=range&from=2026-03-01&to=2026-03-31"
    response = get(client, auth, site["acme_user"], url)
    assert response.status_code == 200
    page = text(response)
    for expected in (
        "Asset history",
        "AHU-01",
        "Fan belt squeal",
        "Damper stuck",
        "63.00",
        "6.0 h",
        "Total, 6 orders",
    ):
        assert expected in page, expected
    rows = text(client.get(url + "&format=csv")).splitlines()
    assert rows[0].startswith("number,raised (site time)") and len(rows) == 7
    _, words = pdf_text(client.get(url + "&format=pdf"))
    assert "Fan belt squeal" in words and "Page 1 of" in words


def test_the_asset_history_is_for_those_who_see_the_asset(client, auth, site):
    url = f"/reports/asset-history?asset={site['ahu'].id}"
    assert get(client, auth, site["globex_user"], url).status_code == 404
    assert get(client, auth, site["tech"], url).status_code == 200  # last 12 months
    bad = client.get(url + "&period=range&from=2026-03-31&to=2026-03-01")
    assert bad.status_code == 422
    assert "The end is before the start" in text(bad)
    assert client.get("/reports/asset-history").status_code == 404


def test_the_reports_page_finds_an_asset_or_an_order(client, auth, site):
    auth.login(site["acme_user"])
    assert client.get("/reports").status_code == 200
    found = client.get("/reports/find?kind=asset&q=AHU-01")
    assert found.headers["Location"].endswith(f"/reports/asset-history?asset={site['ahu'].id}")
    order = WorkOrder.get(WorkOrder.title == "Fan belt squeal")
    found = client.get(f"/reports/find?kind=service&q=WO-{order.number:06d}")
    assert found.headers["Location"].endswith(f"/reports/service?order={order.id}")
    hidden = client.get("/reports/find?kind=asset&q=GLX-PUMP")
    assert hidden.headers["Location"].endswith("/reports?missing=asset")
    assert "No asset with that tag" in text(client.get("/reports?missing=asset"))
    assert client.get("/reports/kpis").status_code == 200
