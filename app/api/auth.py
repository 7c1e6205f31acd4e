"""Who is asking: session cookies for organizers and members, and the identity they carry.

The cookie holds a random token; the ``AuthSession`` table holds only its keyed hash, so a leaked
database cannot be replayed as cookies. Organizers sign in with a password, members with their
personal invite link; both end up with the same kind of session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyCookie
from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from app.access import admit, session_credential
from app.api.deps import SessionDep, SettingsDep
from app.errors import NotAuthenticated, PermissionDenied
from app.security import hash_token, new_token
from app.settings import Settings
from app.store.models import AuthSession, Meeting, Organizer, utcnow

SESSION_COOKIE = "codev_session"

_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="Set by login, first-run setup or an invite link; HttpOnly, SameSite=Lax.",
)


@dataclass(frozen=True, slots=True)
class Identity:
    """A signed-in person: an organizer account, or a member of one group (never both)."""

    organizer_id: str | None
    member_id: str | None


async def sign_in(
    response: Response,
    session: AsyncSession,
    settings: Settings,
    *,
    organizer_id: str | None = None,
    member_id: str | None = None,
    replacing: str | None = None,
    invite_id: str | None = None,
) -> Identity:
    """Start a session and set its cookie; commits, so the cookie never names a missing row.

    ``replacing`` is the token of the browser's previous session, ended so that signing in as
    someone else does not leave a live session behind. ``invite_id`` is the invite link that
    opened it, so a fresh link can end the sessions its predecessor opened.
    """
    if (organizer_id is None) == (member_id is None):
        raise ValueError("a session belongs to exactly one organizer or one member")
    if replacing:
        await _forget(session, settings, replacing)
    token = new_token()
    ttl = timedelta(days=settings.session_ttl_days)
    session.add(
        AuthSession(
            token_hash=hash_token(settings.key, token),
            organizer_id=organizer_id,
            member_id=member_id,
            invite_id=invite_id,
            expires_at=utcnow() + ttl,
        )
    )
    await session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,  # page scripts never see it: an XSS cannot carry it away
        samesite="lax",  # not sent on cross-site POSTs (the Origin check is the second lock)
    )
    return Identity(organizer_id=organizer_id, member_id=member_id)


async def sign_out(
    response: Response, session: AsyncSession, settings: Settings, token: str | None
) -> Identity | None:
    """End the session server-side (a copied cookie stops working) and clear the cookie;
    the identity whose session ended, if there was one (its open sockets must be told)."""
    who = await identity(session, settings, token)
    if token:
        await _forget(session, settings, token)
        await session.commit()
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
    )
    return who


async def identity(session: AsyncSession, settings: Settings, token: str | None) -> Identity | None:
    """The person a session token belongs to, or None if it is unknown or expired."""
    if not token or len(token) > 200:
        return None
    row = await session.get(AuthSession, hash_token(settings.key, token))
    if row is None:
        return None
    if row.expires_at <= utcnow():
        await session.delete(row)
        await session.commit()
        return None
    return Identity(organizer_id=row.organizer_id, member_id=row.member_id)


async def _forget(session: AsyncSession, settings: Settings, token: str) -> None:
    token_hash = hash_token(settings.key, token)
    await session.exec(delete(AuthSession).where(col(AuthSession.token_hash) == token_hash))


SessionToken = Annotated[str | None, Depends(_cookie)]
"""The raw session cookie, if any (for sign-out and for replacing a session)."""


async def current_identity(
    session: SessionDep, settings: SettingsDep, token: SessionToken
) -> Identity:
    who = await identity(session, settings, token)
    if who is None:
        raise NotAuthenticated("sign in first: no valid session")
    return who


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


async def current_organizer(session: SessionDep, who: CurrentIdentity) -> Organizer:
    """The signed-in organizer; a member's session is refused (it is signed in, but not allowed)."""
    if who.organizer_id is None:
        raise PermissionDenied("only an organizer may do this")
    organizer = await session.get(Organizer, who.organizer_id)
    if organizer is None:  # deleted meanwhile; its sessions go with it, so this is a race
        raise NotAuthenticated("sign in first: no valid session")
    return organizer


CurrentOrganizer = Annotated[Organizer, Depends(current_organizer)]


async def resolve_participant(
    session: AsyncSession, settings: Settings, token: str | None, meeting_id: str
) -> tuple[Meeting, str]:
    """The meeting and the member id acting in it (``app.access`` decides, as for sockets)."""
    admitted = await admit(session, meeting_id, session_credential(settings.key, token))
    return admitted.meeting, admitted.member_id
