"""Personal invite links: ``/api/members/{id}/invite``, ``/api/invites/accept``, ``/invite/…``.

An invite is a long random token, stored as a keyed hash, that signs its member in. It stays
valid until it expires or the organizer revokes it, so the member can open it on each device;
making a new one revokes the old ones and ends the sessions they opened, so a leaked link is
fixed by sending a fresh one. Either way the member's open sockets are decided again at once.

Opening a link in a browser already signed in as someone else never swaps the identity on its
own (a page of another site could otherwise sign a visitor in as the sender, who would then read
what they type: login CSRF). The link shows who it is for and signs in only on a same-origin POST
from that page. A browser with no session is signed in at once.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from app.api.auth import CurrentIdentity, Identity, SessionToken, identity, sign_in
from app.api.deps import ServicesDep, SessionDep, SettingsDep
from app.api.routes._access import member_for
from app.api.routes._schemas import Body, MemberPublic, Token
from app.errors import AppError, Gone, NotFound, PermissionDenied
from app.mail.invites import check_can_send, send_invite
from app.realtime.broker import AccessChanged
from app.security import hash_token, new_token
from app.settings import Settings
from app.store.models import AuthSession, Group, Invite, Member, Organizer, utcnow

router = APIRouter(prefix="/api", tags=["invites"])
links = APIRouter(include_in_schema=False)
"""The link itself, opened by a browser: not part of the JSON API."""

NOT_VALID = "this invite link is not valid"
NO_LONGER_VALID = "this invite link is no longer valid: ask your organizer for a new one"
CROSS_SITE = "this sign-in must be confirmed on the invite link's own page"
MAX_FORM_BYTES = 1024


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
    """A new personal link for the member; their earlier links stop working, and so do the
    sessions those links opened."""
    settings = services.settings
    member = await member_for(session, who, member_id)
    send = body is not None and body.send
    if send:
        check_can_send(services.mail, member)
    now = utcnow()
    await _revoke(session, member.id, now)
    opened_by_old = select(Invite.id).where(col(Invite.member_id) == member.id)
    await session.exec(delete(AuthSession).where(col(AuthSession.invite_id).in_(opened_by_old)))
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
    await services.broker.publish_access(AccessChanged("member", member.id))
    return InviteLink(url=url, expires_at=expires_at, sent=send)


@router.delete("/members/{member_id}/invite", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invite(
    member_id: str, session: SessionDep, services: ServicesDep, who: CurrentIdentity
) -> None:
    """Revoke the member's links and sign them out everywhere: access ends now, not in 30 days."""
    member = await member_for(session, who, member_id)
    await _revoke(session, member.id, utcnow())
    await session.exec(delete(AuthSession).where(col(AuthSession.member_id) == member.id))
    await session.commit()
    await services.broker.publish_access(AccessChanged("member", member.id))


@router.post("/invites/accept")
async def accept_invite(
    body: InviteAccept,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    previous: SessionToken,
) -> MemberPublic:
    """Sign in with an invite token (for API clients; browsers open the link itself)."""
    member, invite_id = await _redeem(session, settings, body.token)
    await sign_in(
        response, session, settings, member_id=member.id, replacing=previous, invite_id=invite_id
    )
    return MemberPublic.of(member, show_email=False)


@links.get("/invite/{token}")
async def open_invite(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, previous: SessionToken
) -> Response:
    """Sign the member in and send them home, unless this browser is signed in as someone else:
    then a page says who the link is for and asks first. A bad link gets a page that says why."""
    try:
        member, invite_id = await _find(session, settings, token)
    except AppError as exc:
        return _page(exc.message, exc.status, _reader_language(request, "en"))
    current = await identity(session, settings, previous)
    if current is not None and current.member_id != member.id:
        return await _confirmation(request, session, token, member, current)
    return await _sign_in(session, settings, token, member, invite_id, previous)


@links.post("/invite")
async def confirm_invite(
    request: Request, session: SessionDep, settings: SettingsDep, previous: SessionToken
) -> Response:
    """The confirmation page's form: signs in as the link's member, from that page only."""
    if not _same_origin(request, settings):
        return _page(CROSS_SITE, PermissionDenied.status, _reader_language(request, "en"))
    token = await _form_token(request)
    try:
        member, invite_id = await _find(session, settings, token or "")
    except AppError as exc:
        return _page(exc.message, exc.status, _reader_language(request, "en"))
    return await _sign_in(session, settings, token or "", member, invite_id, previous)


async def _sign_in(
    session: AsyncSession,
    settings: Settings,
    token: str,
    member: Member,
    invite_id: str,
    previous: str | None,
) -> Response:
    await _mark_used(session, settings, token)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    await sign_in(
        response, session, settings, member_id=member.id, replacing=previous, invite_id=invite_id
    )
    _private(response)
    return response


def _same_origin(request: Request, settings: Settings) -> bool:
    """Sent by a page of this server. ``Sec-Fetch-Site`` says so in current browsers; an older
    one sends ``Origin``; a client that is not a browser sends neither and has no victim."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    return origin is None or origin.rstrip("/") in settings.origins


async def _form_token(request: Request) -> str | None:
    """The ``token`` field of a small url-encoded form (no multipart parser needed for one)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        values = parse_qs(body.decode("ascii"), max_num_fields=4).get("token", [])
    except (UnicodeDecodeError, ValueError):
        return None
    return values[0] if len(values) == 1 else None


async def _redeem(session: AsyncSession, settings: Settings, token: str) -> tuple[Member, str]:
    """The member an invite token signs in (now) and the invite's id, or NotFound / Gone."""
    found = await _find(session, settings, token)
    await _mark_used(session, settings, token)
    return found


async def _mark_used(session: AsyncSession, settings: Settings, token: str) -> None:
    token_hash = hash_token(settings.key, token)
    await session.exec(
        update(Invite).where(col(Invite.token_hash) == token_hash).values(last_used_at=utcnow())
    )


async def _find(session: AsyncSession, settings: Settings, token: str) -> tuple[Member, str]:
    """The member an invite token is for and the invite's id, or NotFound / Gone."""
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
    return member, invite.id


async def _revoke(session: AsyncSession, member_id: str, now: datetime) -> None:
    await session.exec(
        update(Invite)
        .where(col(Invite.member_id) == member_id, col(Invite.revoked_at).is_(None))
        .values(revoked_at=now)
    )


CONFIRMATION = {
    "en": {
        "title": "Whose invite link is this?",
        "for": "This invite link signs in <strong>{member}</strong> ({group}).",
        "now": "This browser is signed in as <strong>{current}</strong>.",
        "continue": "Continue as {member}",
        "stay": "Stay signed in as {current}",
        "hint": "If this link was not meant for you, stay: nothing changes.",
    },
    "fr": {
        "title": "À qui est ce lien d'invitation\u00a0?",
        "for": "Ce lien d'invitation connecte <strong>{member}</strong> ({group}).",
        "now": "Ce navigateur est connecté en tant que <strong>{current}</strong>.",
        "continue": "Continuer en tant que {member}",
        "stay": "Garder la session de {current}",
        "hint": "Si ce lien ne vous est pas destiné, restez\u00a0: rien ne change.",
    },
}


async def _confirmation(
    request: Request, session: AsyncSession, token: str, member: Member, current: Identity
) -> Response:
    """Who the link is for and who is signed in here, with a form that switches on a click."""
    group = await session.get(Group, member.group_id)
    signed_in: Member | Organizer | None
    if current.member_id is not None:
        signed_in = await session.get(Member, current.member_id)
    else:
        signed_in = await session.get(Organizer, current.organizer_id)
    language = _reader_language(request, member.language)
    words = {
        "member": html.escape(member.name),
        "group": html.escape(group.name if group else ""),
        "current": html.escape(signed_in.name if signed_in else ""),
    }
    text = {key: value.format(**words) for key, value in CONFIRMATION[language].items()}
    page = (
        f'<!doctype html><html lang="{language}"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="/app.css"><title>Codev</title><main class="narrow">'
        f"<h1>{text['title']}</h1><p>{text['for']}</p><p>{text['now']}</p>"
        '<form method="post" action="/invite">'
        f'<input type="hidden" name="token" value="{html.escape(token)}">'
        f'<button type="submit" class="primary" data-testid="invite-continue">'
        f"{text['continue']}</button></form>"
        f'<p><a href="/" data-testid="invite-stay">{text["stay"]}</a></p>'
        f"<p>{text['hint']}</p></main></html>"
    )
    response = HTMLResponse(page)
    _private(response)
    # The token is in this page's URL: no other site gets it as a Referer; this form's own POST
    # needs the origin, which browsers replace with "null" under no-referrer.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _reader_language(request: Request, fallback: str) -> str:
    """English or French, as the browser asks (as the room does), else the link's member's."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";", 1)[0].strip().lower()[:2]
        if tag in CONFIRMATION:
            return tag
    return fallback if fallback in CONFIRMATION else "en"


# What a member reads when their link does not work, in the language their browser asks for.
PAGE_FR = {
    NOT_VALID: "Ce lien d'invitation n'est pas valide",
    NO_LONGER_VALID: "Ce lien d'invitation n'est plus valide\u00a0: demandez-en un nouveau "
    "à la personne qui organise votre groupe",
    CROSS_SITE: "Cette connexion doit être confirmée sur la page du lien d'invitation",
}


def _page(message: str, status_code: int, language: str = "en") -> Response:
    french = language == "fr" and message in PAGE_FR
    text, home = (PAGE_FR[message], "Accueil") if french else (message.capitalize(), "Home")
    html = (
        f'<!doctype html><html lang="{"fr" if french else "en"}"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/app.css">'
        f'<title>Codev</title><main class="narrow"><h1>Codev</h1><p>{text}.</p>'
        f'<p><a href="/">{home}</a></p></main></html>'
    )
    response = HTMLResponse(html, status_code=status_code)
    _private(response)
    return response


def _private(response: Response) -> None:
    """The token is in the URL: keep it out of caches and out of the next site's Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
