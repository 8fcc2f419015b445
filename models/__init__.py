"""Fettle's data model: one module per aggregate, re-exported here."""

from .action_token import ActionToken
from .alert_detection import AlertMark
from .alert_preferences import AlertPreference, AlertSettings
from .asset import ASSET_STATUSES, CRITICALITIES, Asset
from .audit import AuditEvent
from .base import BaseModel, db, is_postgres, open_database, utcnow
from .calendar_feed import CalendarFeed
from .checklist import ChecklistItem
from .client import Client
from .comment import Comment, Mention
from .counter import Counter
from .document import DOCUMENT_KINDS, Document
from .downtime import Downtime
from .forecast import ForecastOccurrence
from .location import TIMEZONES, Location
from .meter import Meter, MeterReading
from .notification import Notification
from .organisation import Organisation
from .outbox import OutboxAttachment, OutboxEmail
from .part import PartUsed
from .procedure import Procedure, ProcedureItem
from .project import PROJECT_STATUSES, Project
from .report_delivery import ReportDelivery
from .schedule import Occurrence, Schedule, ScheduleAssignee
from .signoff import Signature
from .time_entry import TimeEntry
from .user import ROLES, ManagerLocation, ProjectMember, User
from .work_order import Activity, Assignment, WorkOrder
from .work_order_file import WorkOrderFile

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
    TimeEntry,
    PartUsed,
    Downtime,
    Comment,
    Mention,
    WorkOrderFile,
    Signature,
    Procedure,
    ProcedureItem,
    ChecklistItem,
    Schedule,
    ScheduleAssignee,
    Occurrence,
    ForecastOccurrence,
    CalendarFeed,
    Notification,
    OutboxEmail,
    OutboxAttachment,
    AlertPreference,
    AlertSettings,
    AlertMark,
    ActionToken,
    ReportDelivery,
]

__all__ = [
    "ActionToken",
    "AlertMark",
    "AlertPreference",
    "AlertSettings",
    "ASSET_STATUSES",
    "Activity",
    "Assignment",
    "CalendarFeed",
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
    "Signature",
    "Schedule",
    "ScheduleAssignee",
    "Occurrence",
    "ForecastOccurrence",
    "TIMEZONES",
    "Asset",
    "AuditEvent",
    "BaseModel",
    "Client",
    "Comment",
    "Downtime",
    "Mention",
    "Notification",
    "OutboxAttachment",
    "OutboxEmail",
    "PartUsed",
    "TimeEntry",
    "WorkOrderFile",
    "Location",
    "ManagerLocation",
    "Organisation",
    "Project",
    "ReportDelivery",
    "ProjectMember",
    "User",
    "db",
    "is_postgres",
    "open_database",
    "utcnow",
]
