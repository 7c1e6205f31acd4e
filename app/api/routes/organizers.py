"""``/api/organizers``: a signed-in organizer opens an account for a colleague.

There is no self-service sign-up: every account is vouched for by an existing organizer (the
first one by whoever could read the server's console).
"""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from app.api.auth import CurrentOrganizer
from app.api.deps import SessionDep
from app.api.routes._schemas import Body, Email, Name, OrganizerPublic, Password
from app.api.throttle import GuardDep
from app.errors import Conflict
from app.security import hash_password
from app.store.models import Organizer

router = APIRouter(prefix="/api/organizers", tags=["organizers"])

TAKEN = "an organizer with this email already exists"


class OrganizerCreate(Body):
    email: Email
    name: Name
    password: Password


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_organizer(
    body: OrganizerCreate, session: SessionDep, guard: GuardDep, _by: CurrentOrganizer
) -> OrganizerPublic:
    email = body.email.lower()
    if (await session.exec(select(Organizer.id).where(col(Organizer.email) == email))).first():
        raise Conflict(TAKEN)
    password_hash = await guard.hash(hash_password, body.password)
    organizer = Organizer(email=email, name=body.name, password_hash=password_hash)
    session.add(organizer)
    try:
        await session.commit()
    except IntegrityError as exc:  # the same email created by a racing request
        raise Conflict(TAKEN) from exc
    return OrganizerPublic.of(organizer)
