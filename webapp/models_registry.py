"""Imports every model so metadata (and Alembic autogenerate) sees all tables."""

from webapp.accounts.models import Account, ApiToken, RoleAssignment, Unit
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Document, Dossier, DossierCodeCounter, StepRecord, SupplementPause, WorkItem
from webapp.jobs.models import FailedJob, JobStats, OutboxMessage
from webapp.notifications.models import Notification
from webapp.portal.models import Draft
from webapp.procedures.models import Procedure, ProcedureVersion

__all__ = [
    "Account", "ApiToken", "AuditEntry", "Document", "Dossier", "DossierCodeCounter", "Draft", "FailedJob", "JobStats",
    "Notification",
    "OutboxMessage", "Procedure",
    "ProcedureVersion", "RoleAssignment", "StepRecord", "SupplementPause", "Unit", "WorkItem",
]
