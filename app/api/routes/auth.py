"""``/api/auth``: organizers sign in with email and password, and anyone signs out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from pydantic import Field
from sqlmodel import col, select

from app.api.auth import SessionToken, sign_in, sign_out
from app.api.deps import ServicesDep, SessionDep, SettingsDep
from app.api.routes._schemas import Body, OrganizerPublic
from app.api.throttle import THROTTLED, Guard, GuardDep, client_address
from app.errors import NotAuthenticated
from app.realtime.broker import AccessChanged
from app.security import hash_password, verify_password
from app.store.models import Member, Organizer

router = APIRouter(prefix="/api/auth", tags=["auth"])

WRONG = "wrong email or password"


class Login(Body):
    email: str = Field(min_length=1, max_length=254)
    """Not validated as an address: any string is just an unknown email (same answer)."""
    password: str = Field(min_length=1, max_length=256)


_decoy_hash: str | None = None


async def _decoy(guard: Guard) -> str:
    """A hash to check unknown emails against, so they take as long as a wrong password."""
    global _decoy_hash
    if _decoy_hash is None:
        _decoy_hash = await guard.hash(hash_password, "not the password of anyone")
    return _decoy_hash


@router.post("/login", responses=THROTTLED)
async def login(
    body: Login,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    guard: GuardDep,
    previous: SessionToken,
) -> OrganizerPublic:
    email = body.email.strip().lower()
    address = client_address(request)
    guard.attempt(address=address, account=email)  # before any hashing: refusals cost nothing
    organizer = (await session.exec(select(Organizer).where(col(Organizer.email) == email))).first()
    stored = organizer.password_hash if organizer is not None else await _decoy(guard)
    # argon2 takes tens of milliseconds: on the guard's own threads, a bounded few at a time.
    valid = await guard.hash(verify_password, stored, body.password)
    if not valid or organizer is None:
        raise NotAuthenticated(WRONG)
    guard.succeeded(address=address, account=email)
    await sign_in(response, session, settings, organizer_id=organizer.id, replacing=previous)
    return OrganizerPublic.of(organizer)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    response: Response, session: SessionDep, services: ServicesDep, token: SessionToken
) -> None:
    """Always succeeds: signing out twice, or when signed out, is not an error. The sockets
    opened with this session close (4401); the person's other sessions keep theirs."""
    who = await sign_out(response, session, services.settings, token)
    if who is None:
        return
    acting_as = [who.member_id] if who.member_id is not None else []
    if who.organizer_id is not None:  # an organizer acts as their member row in each group
        rows = await session.exec(
            select(Member.id).where(col(Member.organizer_id) == who.organizer_id)
        )
        acting_as = list(rows.all())
    for member_id in acting_as:
        await services.broker.publish_access(AccessChanged("member", member_id))
