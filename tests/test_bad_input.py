"""No input makes a 500: every form and list page fed junk answers 400/422 (or a sensible
page), shows the message at the field, and saves nothing."""

import re
from dataclasses import dataclass, field
from io import BytesIO

import pytest
from conftest import PASSWORD
from wtforms.validators import InputRequired, Length

from models import MODELS, Asset, AuditEvent, Client, Location, Project, utcnow
from views.forms import AssetForm, ClientForm, LocationForm, ProjectForm

LONG = "x" * 10_000


@dataclass
class Site:
    """Org A (signed in as its admin) with rows whose unique values can be duplicated, and
    org B whose ids must never be accepted."""

    admin: object
    l1: object
    l2: object
    c1: object
    c2: object
    p1: object
    p2: object
    a1: object
    a2: object
    a3: object
    a4: object
    foreign: dict = field(default_factory=dict)
    archived: dict = field(default_factory=dict)


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org, other = make_org(), make_org()
    l1 = make_location(org, name="Head office")
    l2 = make_location(org, name="North")
    c1 = make_client(l1, name="Acme")
    c2 = make_client(l2, name="Bolt")
    p1 = make_project(c1, code="ACME-1", name="Acme tower")
    p2 = make_project(c2, code="BOLT-1", name="Bolt depot")
    a1 = make_asset(p1, tag="AHU-0001", name="Air handler")
    a2 = make_asset(p1, tag="AHU-0001-F", name="Fan", parent=a1)
    a3 = make_asset(p1, tag="CH-0001", name="Chiller")
    a4 = make_asset(p2, tag="LFT-0001", name="Lift")
    b_location = make_location(other, name="Elsewhere")
    b_client = make_client(b_location, name="Other client")
    b_project = make_project(b_client, code="OTHER-1")
    make_asset(b_project, tag="OTHER-A")
    archived_location = make_location(org, name="Closed branch", archived_at=utcnow())
    archived_client = make_client(l1, name="Gone client", archived_at=utcnow())
    archived_project = make_project(c1, code="OLD-1", archived_at=utcnow())
    return Site(
        admin=make_user("admin", organisation=org),
        l1=l1,
        l2=l2,
        c1=c1,
        c2=c2,
        p1=p1,
        p2=p2,
        a1=a1,
        a2=a2,
        a3=a3,
        a4=a4,
        foreign={
            "location_id": b_location.id,
            "client_id": b_client.id,
            "project_id": b_project.id,
        },
        archived={
            "location_id": archived_location.id,
            "client_id": archived_client.id,
            "project_id": archived_project.id,
        },
    )


def sign_in(client, user):
    """Straight into the session: these tests are about forms, not the (slow) password hash."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def admin_client(client, site):
    sign_in(client, site.admin)
    return client


def snapshot():
    """Every row of every table, to show that a refused request wrote nothing at all."""
    return {m.__name__: {r.id: r.__data__ for r in m.select()} for m in MODELS}


@dataclass
class FormSpec:
    name: str
    form_class: type
    model: type
    url: object  # site -> url
    valid: object  # site -> payload
    row: object = None  # site -> the row an edit form changes
    ids: tuple = ()  # select fields holding row ids
    selects: tuple = ()  # select fields with fixed choices
    dates: tuple = ()
    unique: tuple = ()  # (field, site -> a value another row of the organisation has)
    extra: tuple = ()  # (case id, site -> changes, fields with an error)

    @property
    def texts(self):
        return _text_fields(self.form_class)

    @property
    def required(self):
        return _required_fields(self.form_class)


def _unbound(form_class):
    return {
        name: value
        for name in dir(form_class)
        if hasattr(value := getattr(form_class, name, None), "field_class")
    }


def _text_fields(form_class):
    return tuple(
        name
        for name, f in _unbound(form_class).items()
        if f.field_class.__name__ in ("StringField", "TextAreaField", "EmailField")
    )


def _required_fields(form_class):
    return tuple(
        name
        for name, f in _unbound(form_class).items()
        if name in _text_fields(form_class)
        and any(isinstance(v, InputRequired) for v in f.kwargs.get("validators", ()))
    )


def _max_length(form_class, name):
    validators = _unbound(form_class)[name].kwargs.get("validators", ())
    return next(v.max for v in validators if isinstance(v, Length))


ASSET_BLANKS = {
    "parent_tag": "",
    "category": "",
    "make": "",
    "model_name": "",
    "serial": "",
    "install_date": "",
    "warranty_end": "",
    "description": "",
}

FORMS = [
    FormSpec(
        "location_new",
        LocationForm,
        Location,
        url=lambda s: "/locations/new",
        valid=lambda s: {"name": "South", "timezone": "Europe/Paris", "address": "1 Quay"},
        selects=("timezone",),
        unique=("name", lambda s: s.l2.name),
    ),
    FormSpec(
        "location_edit",
        LocationForm,
        Location,
        url=lambda s: f"/locations/{s.l1.id}/edit",
        valid=lambda s: {"name": "Head office (old)", "timezone": "UTC", "address": ""},
        row=lambda s: s.l1,
        selects=("timezone",),
        unique=("name", lambda s: s.l2.name),
    ),
    FormSpec(
        "client_new",
        ClientForm,
        Client,
        url=lambda s: "/clients/new",
        valid=lambda s: {
            "name": "Cogs Ltd",
            "location_id": str(s.l1.id),
            "contact_name": "Cat",
            "email": "cat@cogs.example",
            "phone": "+44 1234",
            "address": "",
        },
        ids=("location_id",),
        unique=("name", lambda s: s.c2.name),
        extra=(("bad_email", lambda s: {"email": "not-an-email"}, ("email",)),),
    ),
    FormSpec(
        "client_edit",
        ClientForm,
        Client,
        url=lambda s: f"/clients/{s.c1.id}/edit",
        valid=lambda s: {
            "name": "Acme Group",
            "location_id": str(s.l2.id),
            "contact_name": "",
            "email": "",
            "phone": "",
            "address": "",
        },
        row=lambda s: s.c1,
        ids=("location_id",),
        unique=("name", lambda s: s.c2.name),
        extra=(("bad_email", lambda s: {"email": "a@@b"}, ("email",)),),
    ),
    FormSpec(
        "project_new",
        ProjectForm,
        Project,
        url=lambda s: "/projects/new",
        valid=lambda s: {
            "code": "ACME-2",
            "name": "Acme annex",
            "client_id": str(s.c1.id),
            "status": "planned",
            "start_date": "2024-01-01",
            "end_date": "2024-12-31",
            "description": "",
        },
        ids=("client_id",),
        selects=("status",),
        dates=("start_date", "end_date"),
        unique=("code", lambda s: s.p2.code),
        extra=(
            (
                "end_before_start",
                lambda s: {"start_date": "2024-06-01", "end_date": "2024-05-31"},
                ("end_date",),
            ),
        ),
    ),
    FormSpec(
        "project_edit",
        ProjectForm,
        Project,
        url=lambda s: f"/projects/{s.p1.id}/edit",
        valid=lambda s: {
            "code": "ACME-1",
            "name": "Acme tower (phase 2)",
            "client_id": str(s.c2.id),
            "status": "on_hold",
            "start_date": "",
            "end_date": "2030-01-01",
            "description": "Moved",
        },
        row=lambda s: s.p1,
        ids=("client_id",),
        selects=("status",),
        dates=("start_date", "end_date"),
        unique=("code", lambda s: s.p2.code),
        extra=(
            (
                "end_before_start",
                lambda s: {"start_date": "2024-06-01", "end_date": "2023-01-01"},
                ("end_date",),
            ),
        ),
    ),
    FormSpec(
        "asset_new",
        AssetForm,
        Asset,
        url=lambda s: "/assets/new",
        valid=lambda s: {
            **ASSET_BLANKS,
            "tag": "PMP-0001",
            "name": "Pump",
            "project_id": str(s.p1.id),
            "parent_tag": s.a1.tag,
            "status": "degraded",
            "criticality": "high",
            "install_date": "2020-02-29",
        },
        ids=("project_id",),
        selects=("status", "criticality"),
        dates=("install_date", "warranty_end"),
        unique=("tag", lambda s: s.a3.tag),
        extra=(
            ("unknown_parent", lambda s: {"parent_tag": "NOPE-9"}, ("parent_tag",)),
            ("parent_in_other_project", lambda s: {"parent_tag": s.a4.tag}, ("parent_tag",)),
            ("parent_of_other_org", lambda s: {"parent_tag": "OTHER-A"}, ("parent_tag",)),
        ),
    ),
    FormSpec(
        "asset_edit",
        AssetForm,
        Asset,
        url=lambda s: f"/assets/{s.a1.id}/edit",
        valid=lambda s: {
            **ASSET_BLANKS,
            "tag": "AHU-0001",
            "name": "Air handler 1",
            "project_id": str(s.p1.id),
            "status": "down",
            "criticality": "critical",
            "warranty_end": "2031-12-31",
        },
        row=lambda s: s.a1,
        ids=("project_id",),
        selects=("status", "criticality"),
        dates=("install_date", "warranty_end"),
        unique=("tag", lambda s: s.a3.tag),
        extra=(
            ("own_parent", lambda s: {"parent_tag": s.a1.tag}, ("parent_tag",)),
            ("component_as_parent", lambda s: {"parent_tag": s.a2.tag}, ("parent_tag",)),
            ("parent_in_other_project", lambda s: {"parent_tag": s.a4.tag}, ("parent_tag",)),
        ),
    ),
]

BAD_CHOICES = [
    "abc",
    "",
    " ",
    "-1",
    "0",
    "1.5",
    "99999999999999999999",
    "1 OR 1=1",
    "1; DROP TABLE asset; --",
    "🙂",
    "²",
    "\x00",
]
BAD_DATES = ["2024-13-45", "2024-02-30", "abc", "31/12/2024", "99999-01-01", "2024-01-01\x00", "🙂"]


def _cases(spec):
    """(case id, [(label, site -> changes to the valid payload)], fields that must show an
    error). A changed value of None leaves the field out; a change of None posts nothing.
    Each case posts every one of its payloads in turn, so a case is one test."""

    def change(label, **values):
        return (label, lambda s: {n: v(s) if callable(v) else v for n, v in values.items()})

    cases = [("empty", [("nothing", None)], spec.required + (() if spec.row else spec.ids))]
    for name in spec.required:
        changes = [change("missing", **{name: None}), change("blank", **{name: "   "})]
        changes.append(change("list", **{name: ["", "Second"]}))
        cases.append((f"required_{name}", changes, (name,)))
    if spec.row is None:
        for name in spec.ids:
            cases.append((f"required_{name}", [change("missing", **{name: None})], (name,)))
    for name in spec.texts:
        limit = _max_length(spec.form_class, name)
        changes = [
            change("10k chars", **{name: LONG}),
            change("one over the limit", **{name: "é" * (limit + 1)}),
            change("NUL", **{name: "a\x00b"}),
            change("control characters", **{name: "a\x1b[31mb\x07"}),
            change("DEL", **{name: "a\x7fb"}),
        ]
        cases.append((f"junk_{name}", changes, (name,)))
    for name in spec.selects:
        changes = [change(repr(v), **{name: v}) for v in BAD_CHOICES]
        changes.append(change("label, not value", **{name: "Operational"}))
        cases.append((f"bad_{name}", changes, (name,)))
    for name in spec.ids:
        changes = [change(repr(v), **{name: v}) for v in BAD_CHOICES]
        changes += [
            change("other organisation", **{name: lambda s, n=name: str(s.foreign[n])}),
            change("archived", **{name: lambda s, n=name: str(s.archived[n])}),
            change("list", **{name: lambda s, n=name: [str(s.foreign[n]), str(s.l1.id)]}),
        ]
        cases.append((f"bad_{name}", changes, (name,)))
    for name in spec.dates:
        changes = [change(repr(v), **{name: v}) for v in BAD_DATES]
        cases.append((f"bad_{name}", changes, (name,)))
    if spec.unique:
        name, existing = spec.unique
        changes = [
            change("same", **{name: existing}),
            change("padded", **{name: lambda s, e=existing: f"  {e(s)} "}),
        ]
        cases.append((f"duplicate_{name}", changes, (name,)))
    for case, values, fields in spec.extra:
        cases.append((case, [(case, values)], fields))
    return cases


FORM_CASES = [
    pytest.param(spec, changes, fields, id=f"{spec.name}-{case}")
    for spec in FORMS
    for case, changes, fields in _cases(spec)
]


def _payload(spec, site, change):
    if change is None:
        return {}
    payload = spec.valid(site)
    for name, value in change(site).items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return payload


def assert_refused(response, fields=(), before=None, label=""):
    assert response.status_code in (400, 422), (label, response.status_code)
    html = response.get_data(as_text=True)
    for name in fields:
        assert f'id="{name}-error"' in html, (label, name)
    if before is not None:
        assert snapshot() == before, label


@pytest.mark.parametrize("spec,changes,fields", FORM_CASES)
def test_junk_in_a_form_is_refused_at_the_field(admin_client, site, spec, changes, fields):
    before = snapshot()
    for label, change in changes:
        response = admin_client.post(spec.url(site), data=_payload(spec, site, change))
        assert_refused(response, fields, before, label)
        assert b"<html" in response.data  # the whole form page again, values kept


def test_an_htmx_post_gets_the_form_back_in_place(admin_client, site):
    for spec in FORMS:
        before = snapshot()
        data = {**spec.valid(site), spec.required[0]: ""}
        response = admin_client.post(spec.url(site), data=data, headers={"HX-Request": "true"})
        assert_refused(response, spec.required[:1], before, spec.name)
        text = response.get_data(as_text=True)
        assert "<html" not in text
        assert text.lstrip().startswith('<form id="form"'), spec.name


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.name)
@pytest.mark.parametrize(
    "body",
    [
        "[1, 2, 3]",
        '"name"',
        "42",
        "null",
        '{"name": {"nested": true}}',
        '{"name": ["a", "b"], "tag": 7}',
        '{"name": ',
    ],
    ids=["list", "string", "number", "null", "object_value", "list_value", "broken"],
)
def test_a_json_body_is_refused(admin_client, site, spec, body):
    before = snapshot()
    response = admin_client.post(spec.url(site), data=body, content_type="application/json")
    assert_refused(response, before=before)


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.name)
def test_a_file_in_a_text_field_is_refused(admin_client, site, spec):
    before = snapshot()
    payload = spec.valid(site)
    name = spec.required[0]
    payload[name] = (BytesIO(b"not text"), "junk.txt")
    response = admin_client.post(spec.url(site), data=payload, content_type="multipart/form-data")
    assert_refused(response, (name,), before)


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.name)
def test_a_valid_form_saves_redirects_and_audits(admin_client, site, spec):
    counts = {m: m.select().count() for m in (Location, Client, Project, Asset)}
    payload = spec.valid(site)
    response = admin_client.post(spec.url(site), data=payload)
    assert response.status_code == 302, response.get_data(as_text=True)
    row_id = int(re.fullmatch(r"/\w+/(\d+)", response.location).group(1))
    row = spec.model.get_by_id(row_id)
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert (event.entity_type, event.entity_id, event.user_id) == (
        spec.model.__name__.lower(),
        row.id,
        site.admin.id,
    )
    if spec.row is None:
        assert event.action == "create"
        counts[spec.model] += 1
    else:
        assert row.id == spec.row(site).id
        assert event.action == "update"
    for name in ("name", "code", "tag", "timezone", "status", "criticality", "email"):
        if name in payload:
            assert getattr(row, name) == payload[name], name
    assert {m: m.select().count() for m in counts} == counts
    assert admin_client.get(response.location).status_code == 200


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.name)
def test_every_field_at_its_limit_in_any_script_is_saved_verbatim(admin_client, site, spec):
    """The form's limits fit the columns (PostgreSQL would refuse a longer value), counted in
    characters, and odd but harmless text (emoji, quotes, SQL, markup) is kept as typed."""
    payload = spec.valid(site)
    for name in spec.texts:
        if name in ("email", "parent_tag"):
            continue
        limit = _max_length(spec.form_class, name)
        sample = "🙂 Ünï ' \" <b>x</b> ; DROP TABLE asset; -- % _ \\ "
        payload[name] = (sample * limit)[: limit - 1] + "🙂"
    response = admin_client.post(spec.url(site), data=payload)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    row = spec.model.get_by_id(int(response.location.rsplit("/", 1)[1]))
    for name in spec.texts:
        if name not in ("email", "parent_tag"):
            assert len(getattr(row, name)) == _max_length(spec.form_class, name)
            assert getattr(row, name) == payload[name], name
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "<b>x</b>" not in page  # shown escaped


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.name)
def test_a_duplicate_saved_meanwhile_is_refused_by_the_database(
    admin_client, site, spec, monkeypatch
):
    """Two people saving the same tag at once both pass the form's check: the unique
    index refuses the second, which gets a message and leaves nothing half-saved."""
    monkeypatch.setattr("views.saving.taken", lambda *args, **kwargs: False)
    name, existing = spec.unique
    before = snapshot()
    response = admin_client.post(spec.url(site), data={**spec.valid(site), name: existing(site)})
    assert_refused(response, before=before)
    assert b"clashes with a record saved meanwhile" in response.data


def test_unique_values_are_unique_per_organisation_only(admin_client, site):
    response = admin_client.post(
        "/clients/new", data={"name": "Other client", "location_id": str(site.l1.id)}
    )
    assert response.status_code == 302
    response = admin_client.post(
        "/assets/new",
        data={"tag": "OTHER-A", "name": "Same tag elsewhere", "project_id": str(site.p1.id)},
    )
    assert response.status_code == 302


def test_an_edit_keeping_its_own_unique_value_is_not_a_clash(admin_client, site):
    response = admin_client.post(
        f"/locations/{site.l1.id}/edit",
        data={"name": site.l1.name, "timezone": "Asia/Tokyo", "address": ""},
    )
    assert response.status_code == 302
    assert Location.get_by_id(site.l1.id).timezone == "Asia/Tokyo"


def test_an_edit_that_changes_nothing_writes_no_audit(admin_client, site):
    data = {"name": site.l1.name, "timezone": site.l1.timezone, "address": site.l1.address}
    before = AuditEvent.select().count()
    assert admin_client.post(f"/locations/{site.l1.id}/edit", data=data).status_code == 302
    assert AuditEvent.select().count() == before


# Sign-in


def _signed_in(client):
    return client.get("/").status_code == 200


LOGIN_CASES = [
    ("empty", {}, ("email", "password")),
    ("missing_email", {"password": PASSWORD}, ("email",)),
    ("missing_password", {"email": "{email}"}, ("password",)),
    ("blank_email", {"email": "   ", "password": PASSWORD}, ("email",)),
    ("long_email", {"email": LONG, "password": PASSWORD}, ("email",)),
    ("long_password", {"email": "{email}", "password": LONG}, ("password",)),
    ("nul_email", {"email": "{email}\x00", "password": PASSWORD}, ("email",)),
    ("nul_password", {"email": "{email}", "password": PASSWORD + "\x00"}, ("password",)),
    ("control_email", {"email": "\x1b{email}", "password": PASSWORD}, ("email",)),
    ("sql_email", {"email": "' OR '1'='1' --", "password": PASSWORD}, ()),
    ("sql_password", {"email": "{email}", "password": "' OR '1'='1"}, ()),
    ("unicode_email", {"email": "ü@例え.jp", "password": "🙂"}, ()),
    ("list_email", {"email": ["nobody@example.com", "{email}"], "password": PASSWORD}, ()),
    ("wrong_password", {"email": "{email}", "password": "wrong"}, ()),
]


@pytest.mark.parametrize("data,fields", [pytest.param(d, f, id=i) for i, d, f in LOGIN_CASES])
def test_junk_at_sign_in_is_refused(client, site, data, fields):
    email = site.admin.email
    data = {
        k: [x.replace("{email}", email) for x in v]
        if isinstance(v, list)
        else v.replace("{email}", email)
        for k, v in data.items()
    }
    before = snapshot()
    response = client.post("/login", data=data)
    assert_refused(response, fields, before)
    if not fields:
        assert b"do not match an active account" in response.data
    assert not _signed_in(client)


@pytest.mark.parametrize("body", ["[1, 2]", '"x"', '{"email": {"a": 1}}', "{"])
def test_a_json_body_at_sign_in_is_refused(client, site, body):
    response = client.post("/login", data=body, content_type="application/json")
    assert_refused(response)
    assert not _signed_in(client)


@pytest.mark.parametrize("name", ["email", "password"])
def test_a_file_at_sign_in_is_refused(client, site, name):
    data = {"email": site.admin.email, "password": PASSWORD}
    data[name] = (BytesIO(PASSWORD.encode()), "password.txt")
    response = client.post("/login", data=data, content_type="multipart/form-data")
    assert_refused(response, (name,))
    assert not _signed_in(client)


@pytest.mark.parametrize("target", ["/assets\x00", "/\x1b[31m", "\x00//evil.example", LONG])
def test_junk_next_at_sign_in_is_ignored(client, site, target):
    """A bad `next` has no field to show a message at: sign in and go home instead."""
    response = client.post(
        "/login", data={"email": site.admin.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.location == "/"
    assert _signed_in(client)


# Query strings on list pages

LIST_PAGES = ["/locations", "/clients", "/projects", "/assets"]
KIND_IDS = {
    "/locations": ("locations", lambda s: {s.l1.id, s.l2.id}),
    "/clients": ("clients", lambda s: {s.c1.id, s.c2.id}),
    "/projects": ("projects", lambda s: {s.p1.id, s.p2.id}),
    "/assets": ("assets", lambda s: {s.a1.id, s.a2.id, s.a3.id, s.a4.id}),
}

# (query, what the rows should be: "all" the visible rows, or "none")
QUERY_JUNK = [
    ("page=-1", "all"),
    ("page=abc", "all"),
    ("page=0", "all"),
    ("page=1.5", "all"),
    ("page=²", "all"),
    ("page=٣", "all"),
    ("page=99999999999", "all"),
    ("page=99999999", "all"),
    ("page=1&page=abc", "all"),
    ("per_page=100000", "all"),
    ("per_page=-5", "all"),
    ("per_page=²", "all"),
    ("per_page=0", "all"),
    ("sort=nonexistent", "all"),
    ("sort=-;drop", "all"),
    ("sort=--name", "all"),
    ("sort=id;DROP TABLE asset", "all"),
    ("sort=", "all"),
    ("status=bogus", "all"),
    ("status=", "all"),
    ("criticality=🙂", "all"),
    ("project=abc", "all"),
    ("project=-1", "all"),
    ("project=²", "all"),
    ("project=99999999999999999999", "all"),
    ("client=1 OR 1=1", "all"),
    ("location=%00", "all"),
    ("q=%00", "all"),
    ("q=" + "x" * 10_000, "none"),
    ("q=%25", "none"),
    ("q=_", "none"),
    ("q=%5C", "none"),
    ("q=' OR 1=1 --", "none"),
    ("q=🙂", "none"),
    ("q=%FF%FE", "none"),
]


@pytest.mark.parametrize("query,rows", QUERY_JUNK, ids=[q[:30] for q, _ in QUERY_JUNK])
def test_junk_query_strings_give_a_sensible_list(admin_client, site, query, rows):
    for path in LIST_PAGES:
        response = admin_client.get(f"{path}?{query}")
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert '<div id="results">' in html
        kind, expected = KIND_IDS[path]
        results = html.split('<div id="results">', 1)[1]
        listed = {int(i) for i in re.findall(rf'href="/{kind}/(\d+)"', results)}
        assert listed == (expected(site) if rows == "all" else set()), path
        if query.startswith("sort=") and query != "sort=" and "name" not in query:
            assert "That sort order is not available" in html
        if query == "page=99999999":
            assert "There is no page 99999999" in html
