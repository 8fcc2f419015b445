"""Documents and photos on an asset: uploads checked by content (a refused file is 422 at the
field with nothing stored, an oversized one a clear 413), files served with the right headers
only through an asset the user sees and the document belongs to, and deletion by managers."""

import html
import io
import re
from pathlib import Path

import pytest
from conftest import PASSWORD
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from models import AuditEvent, Document

HX = {"HX-Request": "true"}
MB = 1024 * 1024


def image_bytes(kind="PNG", size=(640, 480)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, kind)
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256)) * 8


def docx_bytes():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    location = make_location(org)
    client_a, client_b = make_client(location), make_client(location)
    asset, other = make_asset(make_project(client_a)), make_asset(make_project(client_b))
    users = {
        "admin": make_user("admin", organisation=org),
        "manager": make_user("manager", organisation=org),
        "technician": make_user("technician", projects=[asset.project]),
        "client": make_user("client", client=client_a),
        "stranger": make_user("admin"),
    }
    return dict(asset=asset, other=other, users=users)


@pytest.fixture
def login(app):
    def sign_in(user):
        browser = app.test_client()
        response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        return browser

    return sign_in


@pytest.fixture
def stored(app):
    """The files under local storage now (the instance directory outlives each test)."""
    root = Path(app.instance_path) / "uploads"

    def files():
        return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()

    return files


def upload(browser, asset, data, filename, kind="photo", title="", headers=None):
    # Encoded in memory: the test client would spool a large body to a temporary file that
    # it never closes (a ResourceWarning, an error under filterwarnings=error).
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(data), filename), "kind": kind, "title": title}
    )
    return browser.post(
        f"/assets/{asset.id}/documents",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers or {},
    )


def field_error(text, field_id="file"):
    """The message shown at one field (linked by its id), or None."""
    found = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</', text, re.DOTALL)
    return html.unescape(found.group(1)).strip() if found else None


def file_url(doc):
    return f"/assets/{doc.asset_id}/documents/{doc.id}/{doc.filename}"


def thumb_url(asset_id, doc):
    return f"/assets/{asset_id}/documents/{doc.id}/thumbnail"


# Uploading


@pytest.mark.parametrize("role", ["admin", "technician", "client"])
def test_anyone_who_sees_the_asset_uploads_a_photo(site, login, stored, role):
    browser, asset = login(site["users"][role]), site["asset"]
    before = stored()
    response = upload(browser, asset, PNG, "Site visit.png", title="Plant room")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assets/{asset.id}#documents"
    doc = Document.get()
    assert (doc.asset_id, doc.kind, doc.title, doc.filename) == (
        asset.id,
        "photo",
        "Plant room",
        "Site visit.png",
    )
    assert (doc.content_type, doc.size, doc.uploaded_by_id) == (
        "image/png",
        len(PNG),
        site["users"][role].id,
    )
    assert (doc.project_id, doc.client_id, doc.location_id) == (
        asset.project_id,
        asset.client_id,
        asset.location_id,
    )
    new_files = stored() - before
    assert len(new_files) == 2  # the file and its thumbnail
    assert PNG in {p.read_bytes() for p in new_files}
    assert AuditEvent.get(AuditEvent.action == "upload").entity_id == asset.id
    page = browser.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert f'src="{thumb_url(asset.id, doc)}"' in page


def test_a_file_is_served_with_its_type_and_disposition(site, login):
    browser, asset = login(site["users"]["technician"]), site["asset"]
    assert upload(browser, asset, PNG, "pump photo.png").status_code == 302
    assert upload(browser, asset, PDF, "Manual (EN).pdf", kind="manual").status_code == 302
    assert upload(browser, asset, docx_bytes(), "report.docx", kind="report").status_code == 302
    assert upload(browser, asset, b"just text\n", "notes.txt", kind="other").status_code == 302
    docs = {d.content_type: d for d in Document.select()}
    expected = {
        "image/png": ("inline", "pump%20photo.png", PNG),
        "application/pdf": ("inline", "Manual%20_EN.pdf", PDF),
        "text/plain": ("attachment", "notes.txt", b"just text\n"),
    }
    for content_type, (disposition, quoted, body) in expected.items():
        response = browser.get(file_url(docs[content_type]))
        assert response.status_code == 200
        assert response.headers["Content-Type"] == content_type
        assert (
            response.headers["Content-Disposition"] == f"{disposition}; filename*=UTF-8''{quoted}"
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.data == body
    docx = next(d for t, d in docs.items() if t.endswith("document"))
    response = browser.get(file_url(docx))
    assert response.headers["Content-Disposition"].startswith("attachment;")

    thumb = browser.get(thumb_url(asset.id, docs["image/png"]))
    assert thumb.status_code == 200
    assert thumb.headers["Content-Type"] == "image/jpeg"
    assert thumb.headers["Content-Disposition"].startswith("inline;")
    assert thumb.data.startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(thumb.data)).size == (320, 240)
    # A PDF has no thumbnail.
    pdf = docs["application/pdf"]
    assert browser.get(thumb_url(asset.id, pdf)).status_code == 404


def test_a_photo_named_thumbnail_still_opens_in_full(site, login):
    browser, asset = login(site["users"]["technician"]), site["asset"]
    assert upload(browser, asset, JPEG, "thumbnail.jpg").status_code == 302
    doc = Document.get()
    page = browser.get(f"/assets/{asset.id}").get_data(as_text=True)
    [link] = set(re.findall(rf'href="(/assets/{asset.id}/documents/{doc.id}/[^"]*)"', page))
    assert browser.get(link).data == JPEG
    assert browser.get(thumb_url(asset.id, doc)).data != JPEG


@pytest.mark.parametrize(
    "data,filename,kind,message",
    [
        (EXE, "photo.jpg", "photo", "This type of file is not accepted."),
        (EXE, "manual.pdf", "manual", "This type of file is not accepted."),
        (
            b"PK\x03\x04not really a zip",
            "sheet.xlsx",
            "other",
            "This type of file is not accepted.",
        ),
        (b"", "empty.pdf", "manual", "The file is empty."),
        (PDF, "photo.jpg", "photo", "A photo must be an image (JPEG, PNG, WebP or GIF)."),
        (PNG[:40], "cut.png", "photo", "This image could not be read. Is the file complete?"),
        (b"%PDF-" + b"0" * (21 * MB), "big.pdf", "manual", "Files can be at most 20 MB."),
        (PNG, "photo.png", "selfie", "Not a valid choice."),
    ],
    ids=["exe-as-jpg", "exe-as-pdf", "bad-zip", "empty", "pdf-photo", "cut-png", "21mb", "kind"],
)
def test_a_refused_upload_is_422_at_the_field_with_nothing_stored(
    site, login, stored, data, filename, kind, message
):
    browser, asset = login(site["users"]["technician"]), site["asset"]
    before = stored()
    response = upload(browser, asset, data, filename, kind=kind)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "<html" in text
    assert field_error(text, "kind" if kind == "selfie" else "file").startswith(message)
    assert Document.select().count() == 0
    assert stored() == before
    assert not AuditEvent.select().where(AuditEvent.action == "upload").exists()


def test_a_missing_file_is_asked_for(site, login):
    browser, asset = login(site["users"]["technician"]), site["asset"]
    response = browser.post(f"/assets/{asset.id}/documents", data={"kind": "photo"}, headers=HX)
    assert response.status_code == 422
    text = response.get_data(as_text=True).strip()
    assert "<html" not in text
    assert re.fullmatch(r'<section[^>]*\bid="documents".*</section>', text, re.DOTALL)
    assert field_error(text) == "Choose a file to upload."


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_file_over_the_request_limit_is_a_clear_413(site, login, stored, headers):
    browser, asset = login(site["users"]["technician"]), site["asset"]
    before = stored()
    response = upload(
        browser, asset, b"%PDF-" + b"0" * (26 * MB), "huge.pdf", "manual", "", headers
    )
    assert response.status_code == 413
    assert "That upload is too large." in response.get_data(as_text=True)
    assert Document.select().count() == 0
    assert stored() == before


def test_uploading_to_an_asset_out_of_sight_is_404(site, login, stored):
    before = stored()
    for role, asset in (("technician", site["other"]), ("client", site["other"])):
        browser = login(site["users"][role])
        assert upload(browser, asset, PNG, "x.png").status_code == 404
    browser = login(site["users"]["stranger"])
    assert upload(browser, site["asset"], PNG, "x.png").status_code == 404
    assert Document.select().count() == 0
    assert stored() == before


# Serving only through an asset the user sees, and the document's own asset


@pytest.fixture
def two_documents(site, login):
    admin = login(site["users"]["admin"])
    assert upload(admin, site["asset"], PNG, "a.png").status_code == 302
    assert upload(admin, site["other"], PNG, "b.png").status_code == 302
    mine = Document.get(Document.asset == site["asset"].id)
    theirs = Document.get(Document.asset == site["other"].id)
    return mine, theirs


def _urls(asset_id, doc):
    return (f"/assets/{asset_id}/documents/{doc.id}/{doc.filename}", thumb_url(asset_id, doc))


def test_another_clients_document_is_404_by_any_url(site, login, two_documents):
    mine, theirs = two_documents
    browser = login(site["users"]["client"])  # client A: sees `asset`, not `other`
    for url in _urls(mine.asset_id, mine):
        assert browser.get(url).status_code == 200
    for url in _urls(theirs.asset_id, theirs) + _urls(mine.asset_id, theirs):
        response = browser.get(url)
        assert response.status_code == 404, url
        assert response.data != PNG


def test_another_organisations_document_is_404(site, login, two_documents):
    mine, _theirs = two_documents
    browser = login(site["users"]["stranger"])
    for url in _urls(mine.asset_id, mine):
        assert browser.get(url).status_code == 404
    assert browser.post(f"/assets/{mine.asset_id}/documents/{mine.id}/delete").status_code == 404
    assert Document.select().count() == 2


def test_a_document_answers_only_under_its_own_asset(site, login, two_documents):
    mine, theirs = two_documents
    browser = login(site["users"]["admin"])  # sees both assets
    for url in _urls(mine.asset_id, theirs) + _urls(theirs.asset_id, mine):
        assert browser.get(url).status_code == 404, url
    response = browser.post(f"/assets/{mine.asset_id}/documents/{theirs.id}/delete")
    assert response.status_code == 404
    assert Document.select().count() == 2
    assert browser.get(f"/assets/{mine.asset_id}/documents/99999/x.png").status_code == 404


# Deleting


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_delete_a_document_and_its_files(site, login, stored, two_documents, role):
    mine, theirs = two_documents
    files_before = stored()
    browser = login(site["users"][role])
    response = browser.post(f"/assets/{mine.asset_id}/documents/{mine.id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assets/{mine.asset_id}#documents"
    assert [d.id for d in Document.select()] == [theirs.id]
    gone = files_before - stored()
    assert {p.name for p in gone} == {
        Path(mine.storage_key).name,
        Path(mine.thumbnail_key).name,
    }
    assert browser.get(file_url(mine)).status_code == 404
    event = AuditEvent.get(AuditEvent.action == "delete_document")
    assert (event.entity_id, event.user_id) == (mine.asset_id, site["users"][role].id)
    # Once is enough: a second post finds nothing.
    again = browser.post(f"/assets/{mine.asset_id}/documents/{mine.id}/delete")
    assert again.status_code == 404


@pytest.mark.parametrize("role", ["technician", "client"])
def test_other_roles_may_not_delete(site, login, stored, two_documents, role):
    mine, theirs = two_documents
    files_before = stored()
    browser = login(site["users"][role])
    response = browser.post(f"/assets/{mine.asset_id}/documents/{mine.id}/delete")
    assert response.status_code == 403
    # A document they cannot see is not confirmed to exist.
    response = browser.post(f"/assets/{theirs.asset_id}/documents/{theirs.id}/delete")
    assert response.status_code == 404
    assert Document.select().count() == 2
    assert stored() == files_before
    assert browser.get(file_url(mine)).data == PNG


def test_deleting_takes_a_post(site, login, two_documents):
    mine, _ = two_documents
    browser = login(site["users"]["admin"])
    browser.get(f"/assets/{mine.asset_id}/documents/{mine.id}/delete")  # any name: the file
    assert Document.select().count() == 2
    assert browser.get(file_url(mine)).data == PNG


def test_a_file_lost_from_storage_is_404_not_an_error(site, login, app, two_documents):
    mine, _ = two_documents
    (Path(app.instance_path) / "uploads" / mine.storage_key).unlink()
    browser = login(site["users"]["admin"])
    assert browser.get(file_url(mine)).status_code == 404
    assert browser.get(thumb_url(mine.asset_id, mine)).status_code == 200
