"""``/api/setup``: create the first organizer account with the link printed on first start."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel
from sqlmodel import col, delete, select

from app.api.auth import SessionToken, sign_in
from app.api.deps import SessionDep, SettingsDep
from app.api.routes._schemas import Body, Email, Name, OrganizerPublic, Password, Token
from app.api.throttle import THROTTLED, GuardDep, client_address
from app.errors import Conflict, Gone, PermissionDenied
from app.security import hash_password, hash_token
from app.store.models import Organizer, SetupToken, utcnow

router = APIRouter(prefix="/api/setup", tags=["setup"])


class SetupStatus(BaseModel):
    needs_setup: bool


class SetupCreate(Body):
    token: Token
    email: Email
    name: Name
    password: Password


@router.get("")
async def setup_status(session: SessionDep) -> SetupStatus:
    """Whether the server still waits for its first organizer (the pages ask before sign-in)."""
    first = (await session.exec(select(Organizer.id).limit(1))).first()
    return SetupStatus(needs_setup=first is None)


@router.post("", status_code=status.HTTP_201_CREATED, responses=THROTTLED)
async def create_first_organizer(
    body: SetupCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    guard: GuardDep,
    previous: SessionToken,
) -> OrganizerPublic:
    """Create the first organizer and sign them in; the link then stops working."""
    if (await session.exec(select(Organizer.id).limit(1))).first() is not None:
        raise Conflict("setup is already done: sign in instead")
    address = client_address(request)
    guard.attempt(address=address)
    token_hash = hash_token(settings.key, body.token)
    setup = await session.get(SetupToken, token_hash)
    if setup is None:
        raise PermissionDenied("this setup link is not valid")
    if setup.expires_at <= utcnow():
        raise Gone("this setup link has expired: restart the server to print a new one")
    # Consuming the token is the lock: of two racing requests only one deletes the row.
    consumed = await session.exec(
        delete(SetupToken).where(col(SetupToken.token_hash) == token_hash)
    )
    if consumed.rowcount != 1:
        raise PermissionDenied("this setup link is not valid")
    guard.succeeded(address=address)
    await session.exec(delete(SetupToken))
    password_hash = await guard.hash(hash_password, body.password)
    organizer = Organizer(email=body.email.lower(), name=body.name, password_hash=password_hash)
    session.add(organizer)
    await session.flush()
    await sign_in(response, session, settings, organizer_id=organizer.id, replacing=previous)
    return OrganizerPublic.of(organizer)
