"""A client user follows the dashboard to its monthly report, changes the month with the
form, downloads the PDF and a CSV; on a phone the report reads top to bottom; printed from
the browser it keeps its table headers on every page.

Set SCREENSHOTS=<folder> to keep the screenshots and the printed PDF for a look."""

import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from .test_smoke import sign_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SCREENSHOTS")


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


@pytest.fixture
def demo(live_server, demo_password):
    live_server.load_demo()
    return live_server


def test_a_client_user_reads_prints_and_downloads_its_report(page, demo, demo_password):
    sign_in(page, demo, "client@example.com", demo_password)
    page.get_by_role("link", name=re.compile("Mean time to repair")).click()
    expect(page.get_by_role("heading", name="Maintenance report")).to_be_visible()
    expect(page.locator(".report-head")).to_contain_text("Northgate Mall Ltd")
    shot(page, "reports-client-range-1280.png")

    page.goto(f"{demo.url}/reports")
    page.get_by_role("link", name=re.compile(r"^[A-Z][a-z]+ \d{4}$")).first.click()
    expect(page.locator("svg.chart")).to_have_count(6)
    month = page.locator("input[name=month]").input_value()
    page.locator("input[name=month]").fill("2020-01")
    page.get_by_role("button", name="Show report").click()
    expect(page.locator(".report-empty")).to_contain_text("No work was raised")
    page.go_back()
    expect(page.locator("input[name=month]")).to_have_value(month)

    with page.expect_download() as download:
        page.locator("a.csv-link").first.click()
    assert download.value.suggested_filename.endswith("-work-done.csv")

    href = page.get_by_role("button", name="PDF (A4)").get_attribute("href")
    pdf = page.request.get(demo.url + href, timeout=60_000)  # a PDF is seconds on a busy CI
    assert pdf.headers["content-type"] == "application/pdf"
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Northgate Mall Ltd" in words and "Page 1 of" in words

    page.emulate_media(media="print")
    printed = page.pdf(format="A4")
    if SHOTS:
        Path(SHOTS, "reports-browser-print-a4.pdf").write_bytes(printed)
    pages = PdfReader(io.BytesIO(printed)).pages
    assert len(pages) >= 2
    assert "Fettle" not in pages[0].extract_text().splitlines()[0]  # no app navigation
    headers = [p.extract_text() for p in pages if "Completed" in p.extract_text()]
    assert headers  # the work done table's header row, printed


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 800}])
def test_the_report_reads_on_a_phone(page, demo, demo_password, viewport):
    sign_in(page, demo, "manager@example.com", demo_password)
    page.goto(f"{demo.url}/reports")
    page.get_by_label("Client").select_option(label="Riverside General Hospital")
    page.get_by_role("button", name="Show report").first.click()
    expect(page.get_by_role("heading", name="Maintenance report")).to_be_visible()
    # A boosted navigation swaps the body in and only then fetches the report's stylesheet:
    # measure once it applies (before, the tables lay out unstyled, 940 px wide).
    page.wait_for_function(
        "[...document.styleSheets].some(s => (s.href || '').includes('/static/report.css'))"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width  # nothing wider than the screen
    shot(page, "reports-period-375.png")
