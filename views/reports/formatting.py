"""How report figures read: hours with one decimal, whole percentages, money with two
decimals and thousands separators, a dash for "no figure" (never a fake zero)."""

from . import bp

DASH = "–"


@bp.app_template_filter("figure")
def figure(value, digits=0, unit=""):
    if value is None:
        return DASH
    return f"{value:,.{digits}f}{unit}"


@bp.app_template_filter("percent")
def percent(value):
    return DASH if value is None else f"{round(value)}%"


@bp.app_template_filter("money")
def money(value):
    return DASH if value is None else f"{value:,.2f}"


@bp.app_template_filter("minutes_as_hours")
def minutes_as_hours(minutes):
    return f"{(minutes or 0) / 60:,.1f}"


@bp.app_template_filter("localdate")
def localdate(value, tz_name):
    """The day a UTC time falls on at the site: "12 Oct 2026"."""
    from models.clock import utc_to_local

    return DASH if value is None else utc_to_local(value, tz_name).strftime("%d %b %Y")
