"""``/api/auth``: organizers sign in with email and password, and anyone signs out."""

from __future__ import annotations

import asyncio
from functools import cache

from fastapi import APIRouter, Response, status
from pydantic import Field
from sqlmodel import col, select

from app.api.auth import SessionToken, sign_in, sign_out
from app.api.deps import ServicesDep, SessionDep, SettingsDep
from app.api.routes._schemas import Body, OrganizerPublic
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


@cache
def _decoy_hash() -> str:
    """A hash to check unknown emails against, so they take as long as a wrong password."""
    return hash_password("not the password of anyone")


async def _decoy() -> str:
    return await asyncio.to_thread(_decoy_hash)


@router.post("/login")
async def login(
    body: Login,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    previous: SessionToken,
) -> OrganizerPublic:
    email = body.email.strip().lower()
    organizer = (await session.exec(select(Organizer).where(col(Organizer.email) == email))).first()
    stored = organizer.password_hash if organizer is not None else await _decoy()
    # argon2 takes tens of milliseconds: off the event loop, where live meetings are served.
    valid = await asyncio.to_thread(verify_password, stored, body.password)
    if not valid or organizer is None:
        raise NotAuthenticated(WRONG)
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
