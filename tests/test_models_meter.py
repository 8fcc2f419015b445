"""Meters and readings: increasing meters refuse going back, limits, the chart."""

import datetime

import pytest

from models import AuditEvent, Meter, MeterReading, utcnow
from models.meter import ReadingError, chart_points


@pytest.fixture
def meter(make_asset, make_user):
    asset = make_asset()
    user = make_user("technician", organisation=asset.organisation_id)
    meter = Meter.create_for(user, asset, name="Runtime", unit="h", upper_limit=50000)
    return meter, user


def test_meter_carries_its_assets_place_in_the_hierarchy(meter):
    m, _ = meter
    asset = m.asset
    assert (m.organisation_id, m.location_id, m.client_id, m.project_id) == (
        asset.organisation_id,
        asset.location_id,
        asset.client_id,
        asset.project_id,
    )


def test_readings_go_up_and_update_the_last_value(meter):
    m, user = meter
    m.add_reading(user, 100.0)
    m.add_reading(user, 120.5)
    assert Meter.get_by_id(m.id).last_value == 120.5
    with pytest.raises(ReadingError, match="only goes up: the reading before was 120.5 h"):
        m.add_reading(user, 119)
    assert MeterReading.select().count() == 2
    assert AuditEvent.select().where(AuditEvent.action == "reading").count() == 2


def test_backdated_reading_must_fit_between_its_neighbours(meter):
    m, user = meter
    now = utcnow()
    m.add_reading(user, 100, read_at=now - datetime.timedelta(days=10))
    m.add_reading(user, 300, read_at=now - datetime.timedelta(days=1))
    m.add_reading(user, 200, read_at=now - datetime.timedelta(days=5))
    with pytest.raises(ReadingError, match="later reading is 300"):
        m.add_reading(user, 350, read_at=now - datetime.timedelta(days=3))
    assert Meter.get_by_id(m.id).last_value == 300  # the newest stays the last value


def test_a_meter_that_can_go_down_accepts_lower_readings(make_asset, make_user):
    asset = make_asset()
    user = make_user("technician", organisation=asset.organisation_id)
    m = Meter.create_for(user, asset, name="Supply air", unit="°C", increasing=False)
    m.add_reading(user, 18)
    m.add_reading(user, 12)
    assert Meter.get_by_id(m.id).last_value == 12


@pytest.mark.parametrize("value", [float("nan"), float("inf"), None])
def test_non_numbers_are_refused(meter, value):
    m, user = meter
    with pytest.raises(ReadingError):
        m.add_reading(user, value)


def test_future_readings_are_refused(meter):
    m, user = meter
    with pytest.raises(ReadingError, match="future"):
        m.add_reading(user, 5, read_at=utcnow() + datetime.timedelta(hours=2))


def test_limits(meter):
    m, _ = meter
    assert m.out_of_limits(50001) and not m.out_of_limits(49999)


def test_chart_points_scale_into_the_box(meter):
    m, user = meter
    now = utcnow()
    for days, value in ((30, 0), (20, 50), (10, 100)):
        m.add_reading(user, value, read_at=now - datetime.timedelta(days=days))
    readings = list(reversed(m.recent_readings()))
    points = [tuple(map(float, p.split(","))) for p in chart_points(readings, 100, 50, 0).split()]
    assert points == [(0.0, 50.0), (50.0, 25.0), (100.0, 0.0)]
    assert chart_points(readings[:1]) == ""
