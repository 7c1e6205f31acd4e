"""``/api/mail``: what the outbox sent or could not send, for the organizer.

Only the organizer sees it, and only the mails to members of their own groups.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import col, select

from app.api.auth import CurrentOrganizer
from app.api.deps import ServicesDep, SessionDep
from app.store.models import Group, Member, OutboxMail

router = APIRouter(prefix="/api", tags=["mail"])

LISTED = 200


class MailItem(BaseModel):
    id: str
    member_id: str | None
    to: str
    kind: str
    """invite, meeting, update, cancel, reminder or prepare."""
    subject: str
    status: str
    """pending, sent or failed (for good: a refused address, or too many attempts)."""
    attempts: int
    error: str | None
    """The mail server's last answer when a try failed."""
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    """When a pending mail is tried next."""


class MailReport(BaseModel):
    enabled: bool
    """False: this server sends no mail (people copy links)."""
    server: str | None
    """Host, port and mode of the mail server (never its password)."""
    error: str | None
    """A wrong mail setting, or the server's answer when it could not be used."""
    mails: list[MailItem]
    """The latest mails to members of your groups, newest first."""


@router.get("/mail")
async def mail_report(
    session: SessionDep, services: ServicesDep, organizer: CurrentOrganizer
) -> MailReport:
    rows = await session.exec(
        select(OutboxMail)
        .join(Member, col(Member.id) == col(OutboxMail.member_id))
        .join(Group, col(Group.id) == col(Member.group_id))
        .where(col(Group.organizer_id) == organizer.id)
        .order_by(col(OutboxMail.created_at).desc(), col(OutboxMail.id))
        .limit(LISTED)
    )
    status = services.mail.status()
    return MailReport(
        enabled=status.enabled,
        server=status.server,
        error=status.error,
        mails=[
            MailItem(
                id=row.id,
                member_id=row.member_id,
                to=row.to_address,
                kind=row.kind,
                subject=row.subject,
                status=row.status,
                attempts=row.attempts,
                error=row.last_error,
                created_at=row.created_at,
                sent_at=row.sent_at,
                next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            )
            for row in rows.all()
        ],
    )
