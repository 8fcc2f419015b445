"""A report as a PDF (WeasyPrint, on the server) or as CSV, from what the HTML page shows.

The PDF renderer fetches nothing over the network: stylesheets come from the app's static
folder and images are inlined as data: URLs by the views, so a report renders the same on a
machine with no route to itself, and never fetches a URL a user could have slipped in.
"""

import csv
import io
import mimetypes
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, current_app, render_template, request

from models.asset_io import neutralise

PAPERS = {"a4": "A4", "letter": "Letter"}


def _fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static = Path(current_app.static_folder).resolve()
    prefix = current_app.static_url_path.rstrip("/") + "/"

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = urlsplit(url).path
            if not path.startswith(prefix):
                raise ValueError(f"not fetched for a report: {url}")
            target = (static / path[len(prefix) :]).resolve()
            if static not in target.parents or not target.is_file():
                raise ValueError(f"no such static file: {url}")
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": kind})

    return StaticOnly()


def pdf_bytes(html):
    """The PDF of a report page rendered for print (its @page rules give size and margins)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=request.host_url, url_fetcher=_fetcher()).write_pdf()


def slug(text):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "report"


def download(data, filename, mimetype, inline=False):
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


def document(body, title, paper, context):
    """The standalone HTML a PDF is rendered from: the report's body, its stylesheet and the
    page size, without the app's navigation."""
    context = {**context, "pdf": True}
    return render_template(
        "reports/document.html", body=body, doc_title=title, paper=paper, **context
    )


def pdf_response(html, name):
    return download(pdf_bytes(html), f"{slug(name)}.pdf", "application/pdf", inline=True)


def csv_response(header, rows, name):
    """One table as CSV; cells a spreadsheet would run as formulas are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(_cell(value)) for value in row])
    return download(out.getvalue(), f"{slug(name)}.csv", "text/csv")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if hasattr(value, "hour"):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if hasattr(value, "isoformat") else value


def paper_arg(default):
    value = request.args.get("paper", "")
    return value if value in PAPERS else default
