"""The calendar draws schedule occurrences not generated yet (the forecast) beside the
work orders, for the people who may see them."""

import datetime as dt
import re

from models import User
from models.schedule_commands import create_schedule


def test_a_monthly_schedule_shows_as_forecast_next_month(
    client, auth, make_location, make_client, make_project, make_asset, make_user
):
    location = make_location(timezone="UTC")
    project = make_project(client=make_client(location=location))
    asset = make_asset(project=project, tag="EXT-01")
    manager = make_user("manager", organisation=project.organisation_id)
    User.update(timezone="UTC").where(User.id == manager.id).execute()
    today = dt.date.today()
    create_schedule(
        manager,
        [],
        project=project,
        asset=asset,
        title="Extinguisher check",
        trigger="calendar",
        unit="month",
        interval=1,
        start_date=today.replace(day=1),
    )
    auth.login(manager)
    following = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    page = client.get(f"/calendar?date={following}").get_data(as_text=True)
    assert page.count("Extinguisher check") >= 1 and re.search(r"forecast", page, re.I)
    outsider = make_user("manager", organisation=make_project().organisation_id)
    auth.logout()
    auth.login(outsider)
    other = client.get(f"/calendar?date={following}").get_data(as_text=True)
    assert "Extinguisher check" not in other
