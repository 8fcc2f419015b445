"""Wall-clock times at a site and the naive UTC times the database stores."""

import datetime
import zoneinfo


def zone(name):
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_to_utc(value, tz_name):
    """A time typed as seen on a clock at the site, as naive UTC."""
    if value is None:
        return None
    local = value.replace(tzinfo=zone(tz_name))
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def utc_to_local(value, tz_name):
    """A stored naive UTC time as a naive wall-clock time at the site (for form fields)."""
    if value is None:
        return None
    moment = value.replace(tzinfo=datetime.UTC).astimezone(zone(tz_name))
    return moment.replace(tzinfo=None)


def local_day_bounds(day, tz_name):
    """The UTC start and end of a calendar day at the site (23 or 25 hours across DST)."""
    start = datetime.datetime.combine(day, datetime.time())
    return local_to_utc(start, tz_name), local_to_utc(start + datetime.timedelta(days=1), tz_name)
