"""Work orders: dispatch (the list, bulk changes, the board), one order's page and its
lifecycle, and each technician's own work."""

from flask import Blueprint

bp = Blueprint("work_orders", __name__)

from . import (  # noqa: E402,F401  (routes register on bp)
    board,
    checklists,
    dispatch,
    my_work,
    orders,
    records,
    records_files,
    records_items,
    sheet,
    signoff,
)
