"""Personal invite links: ``/api/members/{id}/invite``, ``/api/invites/accept``, ``/invite/…``.

An invite is a long random token, stored as a keyed hash, that signs its member in. It stays
valid until it expires or the organizer revokes it, so the member can open it on each device;
making a new one revokes the old ones, so a leaked link is fixed by sending a fresh one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from app.api.auth import CurrentIdentity, SessionToken, sign_in
from app.api.deps import ServicesDep, SessionDep, SettingsDep
from app.api.routes._access import member_for
from app.api.routes._schemas import Body, MemberPublic, Token
from app.errors import AppError, Gone, NotFound
from app.mail.invites import check_can_send, send_invite
from app.security import hash_token, new_token
from app.settings import Settings
from app.store.models import AuthSession, Invite, Member, utcnow

router = APIRouter(prefix="/api", tags=["invites"])
links = APIRouter(include_in_schema=False)
"""The link itself, opened by a browser: not part of the JSON API."""

NOT_VALID = "this invite link is not valid"
NO_LONGER_VALID = "this invite link is no longer valid: ask your organizer for a new one"


class InviteLink(BaseModel):
    url: str
    expires_at: datetime
    sent: bool = False
    """True when the link was also queued for the member's mailbox (see ``GET /api/mail``)."""


class InviteCreate(Body):
    send: bool = False
    """Also mail the link to the member (needs mail on the server and the member's address)."""


class InviteAccept(Body):
    token: Token


@router.post("/members/{member_id}/invite", status_code=status.HTTP_201_CREATED)
async def create_invite(
    member_id: str,
    session: SessionDep,
    services: ServicesDep,
    who: CurrentIdentity,
    body: InviteCreate | None = None,
) -> InviteLink:
    """A new personal link for the member; their earlier links stop working."""
    settings = services.settings
    member = await member_for(session, who, member_id)
    send = body is not None and body.send
    if send:
        check_can_send(services.mail, member)
    now = utcnow()
    await _revoke(session, member.id, now)
    token = new_token()
    expires_at = now + timedelta(days=settings.invite_ttl_days)
    session.add(
        Invite(
            member_id=member.id, token_hash=hash_token(settings.key, token), expires_at=expires_at
        )
    )
    url = f"{settings.base_url}/invite/{token}"
    if send:
        await send_invite(services.mail, session, member, url, expires_at)
    await session.commit()
    services.mail.wake()
    return InviteLink(url=url, expires_at=expires_at, sent=send)


@router.delete("/members/{member_id}/invite", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invite(member_id: str, session: SessionDep, who: CurrentIdentity) -> None:
    """Revoke the member's links and sign them out everywhere: access ends now, not in 30 days."""
    member = await member_for(session, who, member_id)
    await _revoke(session, member.id, utcnow())
    await session.exec(delete(AuthSession).where(col(AuthSession.member_id) == member.id))
    await session.commit()


@router.post("/invites/accept")
async def accept_invite(
    body: InviteAccept,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    previous: SessionToken,
) -> MemberPublic:
    """Sign in with an invite token (for API clients; browsers open the link itself)."""
    member = await _redeem(session, settings, body.token)
    await sign_in(response, session, settings, member_id=member.id, replacing=previous)
    return MemberPublic.of(member, show_email=False)


@links.get("/invite/{token}")
async def open_invite(
    token: str, session: SessionDep, settings: SettingsDep, previous: SessionToken
) -> Response:
    """Sign the member in and send them home; a bad link gets a short page that says why."""
    try:
        member = await _redeem(session, settings, token)
    except AppError as exc:
        return _page(exc.message, exc.status)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    await sign_in(response, session, settings, member_id=member.id, replacing=previous)
    _private(response)
    return response


async def _redeem(session: AsyncSession, settings: Settings, token: str) -> Member:
    """The member an invite token signs in, or NotFound / Gone."""
    if len(token) > 200:
        raise NotFound(NOT_VALID)
    found = await session.exec(
        select(Invite).where(col(Invite.token_hash) == hash_token(settings.key, token))
    )
    invite = found.first()
    if invite is None:
        raise NotFound(NOT_VALID)
    now = utcnow()
    if invite.revoked_at is not None or invite.expires_at <= now:
        raise Gone(NO_LONGER_VALID)
    member = await session.get(Member, invite.member_id)
    if member is None:  # deleted meanwhile; the invite goes with it, so this is a race
        raise NotFound(NOT_VALID)
    invite.last_used_at = now
    session.add(invite)
    return member


async def _revoke(session: AsyncSession, member_id: str, now: datetime) -> None:
    await session.exec(
        update(Invite)
        .where(col(Invite.member_id) == member_id, col(Invite.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def _page(message: str, status_code: int) -> Response:
    html = (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Codev</title><main><h1>Codev</h1><p>{message.capitalize()}.</p>"
        '<p><a href="/">Home</a></p></main></html>'
    )
    response = HTMLResponse(html, status_code=status_code)
    _private(response)
    return response


def _private(response: Response) -> None:
    """The token is in the URL: keep it out of caches and out of the next site's Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
