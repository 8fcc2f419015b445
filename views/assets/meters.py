"""Meters on an asset: add a meter, add a reading in one step, see the readings."""

from flask import abort, redirect, url_for
from flask_login import current_user, login_required
from peewee import IntegrityError

from models import Asset, Meter
from models.clock import local_to_utc
from models.meter import ReadingError, chart_points

from ..access import manageable_or_404, visible_or_404
from ..forms import MeterForm, ReadingForm
from ..rendering import is_htmx, message_response, render
from . import bp


def asset_meter_or_404(asset_id, meter_id):
    asset = visible_or_404(Asset, asset_id)
    meter = Meter.get_or_none(Meter.id == meter_id, Meter.asset == asset.id)
    if meter is None:
        abort(404)
    return asset, meter


def meters_context(asset, reading_forms=None, meter_form=None):
    """What the asset page's meters block shows: each meter, its sparkline and a form."""
    meters = list(Meter.select().where(Meter.asset == asset.id).order_by(Meter.name))
    rows = []
    for meter in meters:
        readings = list(reversed(meter.recent_readings(limit=60)))
        # Fresh forms are not bound to the request: after a reading they start empty.
        form = (reading_forms or {}).get(meter.id) or ReadingForm(
            formdata=None, prefix=f"m{meter.id}"
        )
        rows.append(
            {"meter": meter, "points": chart_points(readings), "count": len(readings), "form": form}
        )
    return {
        "asset": asset,
        "meters": rows,
        "meter_form": meter_form or MeterForm(formdata=None),
        "can_add_meter": current_user.is_manager,
    }


def _create_meter(asset, form):
    """Create the meter; False when the same name won a race to the unique index."""
    try:
        Meter.create_for(
            current_user,
            asset,
            name=form.name.data,
            unit=form.unit.data,
            increasing=form.increasing.data,
            lower_limit=_number(form.lower_limit.data),
            upper_limit=_number(form.upper_limit.data),
        )
    except IntegrityError:
        return False
    return True


def _refuse_if_archived(asset):
    if asset.archived_at is not None:
        return message_response(
            "This asset is archived: restore it before recording on it.",
            409,
            page_title="Asset archived",
        )
    return None


def _number(value):
    return None if value is None else float(value)


@bp.route("/<id:asset_id>/meters/<id:meter_id>/readings", methods=["POST"])
@login_required
def add_reading(asset_id, meter_id):
    """Record a meter reading from the asset page; anyone who can see the asset may."""
    asset, meter = asset_meter_or_404(asset_id, meter_id)
    if archived_response := _refuse_if_archived(asset):
        return archived_response
    form = ReadingForm(prefix=f"m{meter.id}")
    status = 422
    if form.validate_on_submit():
        read_at = (
            local_to_utc(form.read_at.data, asset.location.timezone) if form.read_at.data else None
        )
        try:
            meter.add_reading(current_user, float(form.value.data), read_at, form.note.data)
        except ReadingError as error:
            form.value.errors.append(str(error))
        else:
            if not is_htmx():
                return redirect(url_for("assets.show", asset_id=asset.id) + "#meters")
            form, status = None, 200
    context = meters_context(asset, reading_forms={meter.id: form} if form else None)
    return render("assets/show.html", "meters", status=status, **_page(asset, context))


@bp.route("/<id:asset_id>/meters", methods=["POST"])
@login_required
def add_meter(asset_id):
    """Give an asset a meter (runtime hours, cycles, a temperature, ...)."""
    asset = manageable_or_404(Asset, asset_id)
    form = MeterForm()
    status = 422
    if archived_response := _refuse_if_archived(asset):
        return archived_response
    if form.validate_on_submit():
        taken = "This asset already has a meter with this name."
        if Meter.select().where(Meter.asset == asset.id, Meter.name == form.name.data).exists():
            form.name.errors.append(taken)
        elif not _create_meter(asset, form):
            form.name.errors.append(taken)  # added by someone else a moment ago
        elif not is_htmx():
            return redirect(url_for("assets.show", asset_id=asset.id) + "#meters")
        else:
            form, status = None, 200
    context = meters_context(asset, meter_form=form)
    return render("assets/show.html", "meters", status=status, **_page(asset, context))


@bp.route("/<id:asset_id>/meters/<id:meter_id>")
@login_required
def meter(asset_id, meter_id):
    """One meter: its chart over the last readings and the table of all of them."""
    asset, meter = asset_meter_or_404(asset_id, meter_id)
    readings = meter.recent_readings(limit=500)
    return render(
        "assets/meter.html",
        asset=asset,
        meter=meter,
        readings=readings,
        points=chart_points(list(reversed(readings)), width=720, height=200),
        form=ReadingForm(formdata=None, prefix=f"m{meter.id}"),
    )


def _page(asset, context):
    """The asset page's other blocks are not rendered for a block request, but a full page
    (JavaScript off) needs everything: fill it in."""
    from .register import show_context

    if is_htmx():
        return context
    return {**show_context(asset), **context}
