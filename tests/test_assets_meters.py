"""Meters on the asset page: managers add meters, anyone who sees the asset adds readings
(typed in the asset location's time zone), bad readings answer 422 at the field with nothing
saved, HTMX gets the meters block alone, and rows outside scope or of another asset 404."""

import datetime
import html
import re

import pytest
from conftest import PASSWORD

from models import AuditEvent, Meter, MeterReading, utcnow

HX = {"HX-Request": "true"}


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    """An asset in New York and one in another project of the same organisation, users of
    every role, and an admin of another organisation."""
    org = make_org()
    location = make_location(org, timezone="America/New_York")
    client_row = make_client(location)
    project, other_project = make_project(client_row), make_project(make_client(location))
    asset, other = make_asset(project), make_asset(other_project)
    users = {
        "admin": make_user("admin", organisation=org),
        "manager": make_user("manager", organisation=org),
        "limited": make_user("manager", locations=[make_location(org)]),
        "technician": make_user("technician", projects=[project]),
        "client": make_user("client", client=client_row),
        "stranger": make_user("admin"),
    }
    meter = Meter.create_for(users["admin"], asset, name="Runtime", unit="h")
    other_meter = Meter.create_for(users["admin"], other, name="Runtime", unit="h")
    return dict(asset=asset, other=other, meter=meter, other_meter=other_meter, users=users)


@pytest.fixture
def login(app):
    """A test client signed in as `user` (one client per user, so roles can be mixed)."""

    def sign_in(user):
        browser = app.test_client()
        response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        return browser

    return sign_in


SECTION = re.compile(r'<section[^>]*\bid="meters"[^>]*>(.*?)</section>', re.DOTALL)


def meters_section(text):
    """The meters block of a response (it must be there)."""
    found = SECTION.search(text)
    assert found, "no meters section"
    return found.group(1)


def is_meters_block_alone(text):
    return "<html" not in text and SECTION.fullmatch(text.strip()) is not None


def field_error(text, field_id):
    """The message shown at one field (linked by its id), or None."""
    found = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</', text, re.DOTALL)
    return html.unescape(found.group(1)).strip() if found else None


def readings(meter):
    return [
        (r.value, r.read_at, r.note)
        for r in MeterReading.select()
        .where(MeterReading.meter == meter.id)
        .order_by(MeterReading.read_at, MeterReading.id)
    ]


# Adding a meter


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_add_a_meter_and_are_sent_back_to_the_meters(site, login, role):
    browser = login(site["users"][role])
    asset = site["asset"]
    response = browser.post(
        f"/assets/{asset.id}/meters",
        data={"name": "Starts", "unit": "cycles", "increasing": "y", "upper_limit": "1000"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assets/{asset.id}#meters"
    meter = Meter.get(Meter.asset == asset.id, Meter.name == "Starts")
    assert (meter.unit, meter.increasing, meter.upper_limit) == ("cycles", True, 1000.0)
    assert (meter.project_id, meter.client_id, meter.location_id) == (
        asset.project_id,
        asset.client_id,
        asset.location_id,
    )
    event = AuditEvent.get(AuditEvent.entity_type == "meter", AuditEvent.entity_id == meter.id)
    assert event.action == "create"


def test_adding_a_meter_over_htmx_answers_the_meters_block(site, login):
    browser = login(site["users"]["manager"])
    asset = site["asset"]
    response = browser.post(
        f"/assets/{asset.id}/meters", data={"name": "Supply temp", "unit": "°C"}, headers=HX
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert is_meters_block_alone(text)
    assert "Supply temp" in meters_section(text)
    assert Meter.get(Meter.name == "Supply temp").increasing is False  # box left unticked


def test_other_roles_may_not_add_a_meter_to_an_asset_they_see(site, login):
    for role in ("technician", "client"):
        browser = login(site["users"][role])
        response = browser.post(
            f"/assets/{site['asset'].id}/meters", data={"name": "Starts", "unit": "cycles"}
        )
        assert response.status_code == 403, role
    assert not Meter.select().where(Meter.name == "Starts").exists()


def test_adding_a_meter_to_an_asset_out_of_sight_is_404_whatever_the_role(site, login):
    for role in ("technician", "client", "limited", "stranger"):
        browser = login(site["users"][role])
        hidden = site["other"] if role in ("technician", "client") else site["asset"]
        response = browser.post(f"/assets/{hidden.id}/meters", data={"name": "X", "unit": "h"})
        assert response.status_code == 404, role
    assert not Meter.select().where(Meter.name == "X").exists()


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_meter_name_used_on_the_asset_is_refused_at_the_field(site, login, headers):
    browser = login(site["users"]["manager"])
    asset = site["asset"]
    response = browser.post(
        f"/assets/{asset.id}/meters", data={"name": "Runtime", "unit": "h"}, headers=headers
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert ("<html" in text) == (not headers)
    meters_section(text)
    assert field_error(text, "name") == "This asset already has a meter with this name."
    assert Meter.select().where(Meter.asset == asset.id).count() == 1
    # The same name on another asset is fine.
    other = site["other"]
    ok = browser.post(f"/assets/{other.id}/meters", data={"name": "Starts", "unit": "h"})
    assert ok.status_code == 302


BAD_METERS = [
    ({"name": "", "unit": "h"}, "name", "This field is required."),
    ({"name": "   ", "unit": "h"}, "name", "This field is required."),
    ({"name": "Temp", "unit": ""}, "unit", "This field is required."),
    ({"name": "Temp", "unit": " "}, "unit", "This field is required."),
    ({"name": "x" * 81, "unit": "h"}, "name", "Field cannot be longer than 80 characters."),
    (
        {"name": "Temp", "unit": "C", "lower_limit": "10", "upper_limit": "5"},
        "upper_limit",
        "The upper limit must be above the lower limit.",
    ),
    ({"name": "Temp", "unit": "C", "lower_limit": "cold"}, "lower_limit", "Not a valid decimal"),
    ({"name": "Esc\x1bhere", "unit": "h"}, "name", "Contains characters that are not allowed."),
]


def test_a_bad_meter_form_is_422_at_the_field(site, login):
    browser = login(site["users"]["admin"])
    for data, field, message in BAD_METERS:
        response = browser.post(f"/assets/{site['asset'].id}/meters", data=data, headers=HX)
        assert response.status_code == 422, data
        error = field_error(response.get_data(as_text=True), field)
        assert error is not None and error.startswith(message), (data, error)
    assert Meter.select().count() == 2


# Readings


def post_reading(browser, asset, meter, headers=None, **fields):
    data = {f"m{meter.id}-{name}": value for name, value in fields.items()}
    return browser.post(
        f"/assets/{asset.id}/meters/{meter.id}/readings", data=data, headers=headers or {}
    )


@pytest.mark.parametrize("role", ["admin", "limited_in", "technician", "client"])
def test_anyone_who_sees_the_asset_adds_a_reading(site, login, make_user, role):
    if role == "limited_in":
        user = make_user("manager", locations=[site["asset"].location])
    else:
        user = site["users"][role]
    browser = login(user)
    asset, meter = site["asset"], site["meter"]
    response = post_reading(browser, asset, meter, value="1250.5", note="on arrival")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assets/{asset.id}#meters"
    [(value, read_at, note)] = readings(meter)
    assert (value, note) == (1250.5, "on arrival")
    assert abs(read_at - utcnow()) < datetime.timedelta(minutes=1)
    stored = Meter.get_by_id(meter.id)
    assert (stored.last_value, stored.last_read_at) == (1250.5, read_at)
    event = AuditEvent.get(AuditEvent.action == "reading")
    assert (event.user_id, event.entity_id) == (user.id, asset.id)


def test_a_reading_over_htmx_answers_only_the_meters_block(site, login):
    browser = login(site["users"]["technician"])
    asset, meter = site["asset"], site["meter"]
    response = post_reading(browser, asset, meter, headers=HX, value="42")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert is_meters_block_alone(text)
    assert "42 h" in meters_section(text)
    assert [v for v, *_ in readings(meter)] == [42.0]


def test_the_time_read_is_the_wall_clock_at_the_assets_location(site, login):
    browser = login(site["users"]["technician"])
    asset, meter = site["asset"], site["meter"]
    # New York: EST (UTC-5) in January, EDT (UTC-4) in July.
    assert post_reading(browser, asset, meter, value="10", read_at="2024-01-15T09:30").status_code
    assert post_reading(browser, asset, meter, value="20", read_at="2024-07-15T09:30").status_code
    assert [(v, t) for v, t, _ in readings(meter)] == [
        (10.0, datetime.datetime(2024, 1, 15, 14, 30)),
        (20.0, datetime.datetime(2024, 7, 15, 13, 30)),
    ]
    # The meter page shows it back in New York time.
    page = browser.get(f"/assets/{asset.id}/meters/{meter.id}").get_data(as_text=True)
    assert "15 Jan 2024 09:30 EST" in page
    assert "15 Jul 2024 09:30 EDT" in page


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_lower_reading_on_an_increasing_meter_is_422_and_saves_nothing(site, login, headers):
    browser = login(site["users"]["technician"])
    asset, meter = site["asset"], site["meter"]
    assert post_reading(browser, asset, meter, value="500").status_code == 302
    before = (readings(meter), AuditEvent.select().count(), Meter.get_by_id(meter.id).last_value)

    response = post_reading(browser, asset, meter, headers=headers, value="499", note="typo?")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert ("<html" in text) == (not headers)
    meters_section(text)
    assert field_error(text, f"m{meter.id}-value").startswith(
        "This meter only goes up: the reading before was 500 h."
    )
    after = (readings(meter), AuditEvent.select().count(), Meter.get_by_id(meter.id).last_value)
    assert after == before


def test_a_back_dated_reading_must_fit_between_its_neighbours(site, login):
    browser = login(site["users"]["technician"])
    asset, meter = site["asset"], site["meter"]
    assert post_reading(browser, asset, meter, value="100", read_at="2024-01-01T08:00").status_code
    assert post_reading(browser, asset, meter, value="300", read_at="2024-03-01T08:00").status_code
    too_high = post_reading(browser, asset, meter, value="301", read_at="2024-02-01T08:00")
    assert too_high.status_code == 422
    assert "a later reading is 300 h" in field_error(
        too_high.get_data(as_text=True), f"m{meter.id}-value"
    )
    fits = post_reading(browser, asset, meter, value="200", read_at="2024-02-01T08:00")
    assert fits.status_code == 302
    assert [v for v, *_ in readings(meter)] == [100.0, 200.0, 300.0]
    assert Meter.get_by_id(meter.id).last_value == 300.0  # the latest stays the latest


def test_a_meter_that_may_go_down_accepts_a_lower_reading(site, login):
    browser = login(site["users"]["manager"])
    asset = site["asset"]
    browser.post(f"/assets/{asset.id}/meters", data={"name": "Temp", "unit": "C"})
    temp = Meter.get(Meter.name == "Temp", Meter.asset == asset.id)
    assert post_reading(browser, asset, temp, value="21.5").status_code == 302
    assert post_reading(browser, asset, temp, value="-4").status_code == 302
    assert [v for v, *_ in readings(temp)] == [21.5, -4.0]


BAD_READINGS = [
    ({"value": ""}, "value", "This field is required."),
    ({"value": "lots"}, "value", "Not a valid decimal value."),
    ({"value": "1e400"}, "value", "That number is too large."),
    ({"value": "NaN"}, "value", "That number is too large."),
    ({"value": "-Infinity"}, "value", "That number is too large."),
    ({"value": "5", "read_at": "2999-01-01T10:00"}, "value", "A reading cannot be in the future."),
]
# The asset page's reading form shows only the value: errors on the time read and the note
# have nowhere to show until the template renders those fields too.
BAD_READINGS_ELSEWHERE = [
    ({"value": "5", "read_at": "yesterday"}, "read_at", "Not a valid datetime value."),
    ({"value": "5", "read_at": "9999-12-31T23:00"}, "read_at", "Enter a date between"),
    ({"value": "5", "read_at": "0001-01-01T00:00"}, "read_at", "Enter a date between"),
    ({"value": "5", "note": "n" * 201}, "note", "Field cannot be longer than 200 characters."),
    ({"value": "5", "note": "bell\x07"}, "note", "Contains characters that are not allowed."),
]


def _check_bad_readings(site, login, cases):
    browser = login(site["users"]["technician"])
    asset, meter = site["asset"], site["meter"]
    for fields, field, message in cases:
        response = post_reading(browser, asset, meter, headers=HX, **fields)
        assert response.status_code == 422, fields
        assert readings(meter) == []
        error = field_error(response.get_data(as_text=True), f"m{meter.id}-{field}")
        assert error is not None and message in error, (fields, error)


def test_bad_readings_are_422_at_the_field(site, login):
    _check_bad_readings(site, login, BAD_READINGS)


def test_bad_times_and_notes_are_refused_with_nothing_saved(site, login):
    browser = login(site["users"]["technician"])
    asset, meter = site["asset"], site["meter"]
    for fields, _field, _message in BAD_READINGS_ELSEWHERE:
        for headers in ({}, HX):
            response = post_reading(browser, asset, meter, headers=headers, **fields)
            assert response.status_code == 422, fields
    assert readings(meter) == []


def test_bad_times_and_notes_are_422_at_their_fields(site, login):
    _check_bad_readings(site, login, BAD_READINGS_ELSEWHERE)


def test_a_reading_for_another_meters_prefix_is_not_taken(site, login):
    browser = login(site["users"]["technician"])
    asset, meter = site["asset"], site["meter"]
    response = browser.post(
        f"/assets/{asset.id}/meters/{meter.id}/readings",
        data={f"m{site['other_meter'].id}-value": "7", "value": "7"},
    )
    assert response.status_code == 422
    assert readings(meter) == [] and readings(site["other_meter"]) == []


def test_readings_on_assets_out_of_sight_or_of_another_asset_404(site, login):
    browser = login(site["users"]["technician"])  # sees `asset`, not `other`
    asset, meter = site["asset"], site["meter"]
    other, other_meter = site["other"], site["other_meter"]
    for url_asset, url_meter in ((other, other_meter), (asset, other_meter), (other, meter)):
        response = post_reading(browser, url_asset, url_meter, value="1")
        assert response.status_code == 404
        response = browser.post(
            f"/assets/{url_asset.id}/meters/{url_meter.id}/readings",
            data={f"m{url_meter.id}-value": "1"},
        )
        assert response.status_code == 404
    assert readings(meter) == [] and readings(other_meter) == []
    stranger = login(site["users"]["stranger"])
    assert post_reading(stranger, asset, meter, value="1").status_code == 404
    assert readings(meter) == []


# The meter page


def test_the_meter_page_shows_the_chart_and_every_reading(site, login):
    asset, meter, admin = site["asset"], site["meter"], site["users"]["admin"]
    start = datetime.datetime(2024, 1, 1, 12, 0)
    for day in range(5):
        meter.add_reading(admin, 100.0 + day * 10, start + datetime.timedelta(days=day))
    browser = login(site["users"]["client"])
    response = browser.get(f"/assets/{asset.id}/meters/{meter.id}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<polyline" in text
    for day in range(5):
        assert f"{100 + day * 10}" in text


def test_a_meter_of_another_asset_is_404_even_when_both_are_visible(site, login):
    browser = login(site["users"]["admin"])  # sees both assets
    asset, other = site["asset"], site["other"]
    assert browser.get(f"/assets/{asset.id}/meters/{site['meter'].id}").status_code == 200
    assert browser.get(f"/assets/{other.id}/meters/{site['other_meter'].id}").status_code == 200
    assert browser.get(f"/assets/{asset.id}/meters/{site['other_meter'].id}").status_code == 404
    assert browser.get(f"/assets/{other.id}/meters/{site['meter'].id}").status_code == 404
    assert browser.get(f"/assets/{asset.id}/meters/99999").status_code == 404


def test_the_meter_page_of_an_asset_out_of_sight_is_404(site, login):
    for role in ("technician", "client", "limited", "stranger"):
        browser = login(site["users"][role])
        asset, meter = (
            (site["other"], site["other_meter"])
            if role in ("technician", "client")
            else (site["asset"], site["meter"])
        )
        response = browser.get(f"/assets/{asset.id}/meters/{meter.id}")
        assert response.status_code == 404, role
        assert b"Runtime" not in response.data


def test_an_archived_asset_takes_no_readings_meters_or_files(site, login):
    asset, meter = site["asset"], site["meter"]
    manager = login(site["users"]["manager"])
    asset.archive(site["users"]["manager"])
    reading = manager.post(
        f"/assets/{asset.id}/meters/{meter.id}/readings", data={f"m{meter.id}-value": "5"}
    )
    added = manager.post(f"/assets/{asset.id}/meters", data={"name": "Cycles", "unit": "n"})
    assert (reading.status_code, added.status_code) == (409, 409)
    assert "archived" in reading.get_data(as_text=True)
    assert MeterReading.select().count() == 0 and Meter.select().count() == 2


def test_after_a_reading_the_forms_start_empty(site, login):
    asset, meter = site["asset"], site["meter"]
    tech = login(site["users"]["technician"])
    response = tech.post(
        f"/assets/{asset.id}/meters/{meter.id}/readings",
        data={f"m{meter.id}-value": "42.5"},
        headers=HX,
    )
    block = meters_section(response.get_data(as_text=True))
    assert 'value="42.5"' not in block and "42.5 h" in block
