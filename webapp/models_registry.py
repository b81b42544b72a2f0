"""Imports every model so metadata (and Alembic autogenerate) sees all tables."""

from webapp.accounts.models import Account, ApiToken, RoleAssignment, Unit
from webapp.audit.models import AuditEntry
from webapp.connectors.models import PortalSync
from webapp.deadlines.models import DeadlineAlert
from webapp.dossiers.models import (
    ConnectorCallRecord,
    Document,
    Dossier,
    DossierCodeCounter,
    DossierNote,
    StepRecord,
    SupplementPause,
    WorkItem,
)
from webapp.feedback.models import Rating
from webapp.notifications.models import Notification
from webapp.outbox.models import FailedJob, JobStats, OutboxMessage
from webapp.payments.models import Payment
from webapp.portal.models import Draft, DraftAttachment
from webapp.procedures.models import Procedure, ProcedureVersion
from webapp.reports.models import QualitySnapshot
from webapp.timers.models import TimerDue
from webapp.tracking.models import LookupThrottle

__all__ = [
    "Account", "ApiToken", "AuditEntry", "ConnectorCallRecord", "DeadlineAlert", "Document", "Dossier",
    "DossierCodeCounter", "DossierNote",
    "Draft", "DraftAttachment",
    "FailedJob", "JobStats",
    "LookupThrottle", "Notification", "OutboxMessage", "Payment", "PortalSync", "Procedure",
    "ProcedureVersion", "QualitySnapshot", "Rating", "RoleAssignment", "StepRecord", "SupplementPause", "TimerDue",
    "Unit", "WorkItem",
]
