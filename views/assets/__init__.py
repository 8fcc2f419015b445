"""Assets: the register of equipment, its components, meters, documents, CSV in and out,
bulk changes and QR labels. One blueprint; a module per part of the page."""

from flask import Blueprint

bp = Blueprint("assets", __name__, url_prefix="/assets")

from . import bulk, choices, documents, meters, register, transfer  # noqa: E402,F401  (routes)
