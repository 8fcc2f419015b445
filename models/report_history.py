"""The asset history report: an asset's work orders over a period with their labour, parts
and downtime, the totals, and the asset's KPIs, in a fixed number of queries."""

from dataclasses import dataclass, field

from peewee import SQL, fn

from .downtime import Downtime
from .kpi import Cover, downtime_hours, first_time_fix, mtbf, mttr
from .meter import Meter
from .reports import money, order_rows
from .work_order import TYPES, WorkOrder

MAX_ORDERS = 500  # an asset with more work in one period is listed in part (CSV: all)


@dataclass
class AssetHistory:
    asset: object
    start: object
    end: object
    orders: list = field(default_factory=list)
    total_orders: int = 0
    by_type: dict = field(default_factory=dict)
    labour_minutes: int = 0
    parts_cost: object = 0
    downtime_hours: float = 0.0
    mttr: object = None
    mtbf: object = None
    first_time_fix: object = None
    meters: list = field(default_factory=list)


def _raised_in(cover, start, end):
    return cover.where(WorkOrder) & (WorkOrder.created_at >= start) & (WorkOrder.created_at < end)


def asset_orders(cover, start, end, limit=None):
    """The asset's work raised in [start, end), oldest first, with labour, parts and the
    downtime recorded on each."""
    rows = order_rows(_raised_in(cover, start, end), (WorkOrder.created_at, WorkOrder.id), limit)
    minutes = dict(
        Downtime.select(Downtime.work_order, fn.SUM(Downtime.minutes))
        .where(Downtime.work_order.in_([row.id for row in rows] or [0]))
        .group_by(Downtime.work_order)
        .tuples()
    )
    for row in rows:
        row.downtime_minutes = int(minutes.get(row.id) or 0)
    return rows


def build_asset_history(user, asset, start, end):
    cover = Cover(user, asset_id=asset.id)
    history = AssetHistory(asset, start, end)
    history.orders = asset_orders(cover, start, end, MAX_ORDERS)
    counts = dict(
        WorkOrder.select(WorkOrder.type, fn.COUNT(SQL("*")))
        .where(_raised_in(cover, start, end))
        .group_by(WorkOrder.type)
        .tuples()
    )
    history.by_type = {kind: counts.get(kind, 0) for kind in TYPES}
    history.total_orders = sum(counts.values())
    if history.total_orders > len(history.orders):  # totals over every order, not the shown
        everything = asset_orders(cover, start, end)
    else:
        everything = history.orders
    history.labour_minutes = sum(o.labour_minutes for o in everything)
    history.parts_cost = money(sum(o.parts_cost for o in everything))
    bounds = [(start, end)]
    history.downtime_hours = downtime_hours(cover, bounds)[0]
    history.mttr = mttr(cover, bounds)[0]
    history.mtbf = mtbf(cover, bounds)[0]
    history.first_time_fix = first_time_fix(cover, bounds)[0]
    history.meters = list(Meter.select().where(Meter.asset == asset.id).order_by(Meter.name))
    return history
