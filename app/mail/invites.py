"""The invite link by mail, when the organizer asks for it (``{"send": true}``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict
from app.mail.messages import Mail
from app.mail.outbox import Outbox
from app.store.models import Group, Member

NO_MAIL = "this server sends no mail (CODEV_SMTP_URL and CODEV_MAIL_FROM): copy the link instead"
NO_ADDRESS = "this member has no email address: add one, or copy the link instead"


def check_can_send(outbox: Outbox, member: Member) -> None:
    """Refuse before anything changes: the organizer then still has the old link."""
    if not outbox.enabled:
        raise Conflict(NO_MAIL)
    if not member.email:
        raise Conflict(NO_ADDRESS)


async def send_invite(
    outbox: Outbox, session: AsyncSession, member: Member, url: str, expires_at: datetime
) -> None:
    """Queue the invite mail in the caller's transaction."""
    assert member.email is not None
    group = await session.get(Group, member.group_id)
    mail = Mail(
        kind="invite",
        to=member.email,
        name=member.name,
        language=member.language,
        group=group.name if group else "",
        link=url,
        expires=expires_at,
    )
    outbox.enqueue(session, mail, member.id)
