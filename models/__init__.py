"""Fettle's data model: one module per aggregate, re-exported here."""

from .asset import ASSET_STATUSES, CRITICALITIES, Asset
from .audit import AuditEvent
from .base import BaseModel, db, is_postgres, open_database, utcnow
from .checklist import ChecklistItem
from .client import Client
from .counter import Counter
from .document import DOCUMENT_KINDS, Document
from .location import TIMEZONES, Location
from .meter import Meter, MeterReading
from .organisation import Organisation
from .procedure import Procedure, ProcedureItem
from .project import PROJECT_STATUSES, Project
from .user import ROLES, ManagerLocation, ProjectMember, User
from .work_order import Activity, Assignment, WorkOrder

MODELS = [
    Organisation,
    Location,
    Client,
    Project,
    User,
    ManagerLocation,
    ProjectMember,
    Asset,
    AuditEvent,
    Meter,
    MeterReading,
    Document,
    Counter,
    WorkOrder,
    Assignment,
    Activity,
    Procedure,
    ProcedureItem,
    ChecklistItem,
]

__all__ = [
    "ASSET_STATUSES",
    "Activity",
    "Assignment",
    "ChecklistItem",
    "Procedure",
    "ProcedureItem",
    "Counter",
    "WorkOrder",
    "DOCUMENT_KINDS",
    "Document",
    "Meter",
    "MeterReading",
    "CRITICALITIES",
    "MODELS",
    "PROJECT_STATUSES",
    "ROLES",
    "TIMEZONES",
    "Asset",
    "AuditEvent",
    "BaseModel",
    "Client",
    "Location",
    "ManagerLocation",
    "Organisation",
    "Project",
    "ProjectMember",
    "User",
    "db",
    "is_postgres",
    "open_database",
    "utcnow",
]
