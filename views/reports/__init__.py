"""Reports a client would sign: the service report of one order, an asset's history, the
period report with its KPIs, each as a page, a PDF and CSV; and the KPI help page."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import (  # noqa: E402,F401  (routes register on bp)
    asset_history,
    deliveries,
    formatting,
    index,
    period,
    service,
)
