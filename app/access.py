"""Who may hold a meeting's socket: one decision, made at the handshake and again whenever it
may have changed (an access-changed notice, the periodic sweep).

A socket is opened with a *credential*: the keyed hash of its session cookie, or of a room
display's key (never the raw token). ``decide`` turns (meeting, credential) pairs into the person
they admit, or the refusal a socket gets (NotAuthenticated → 4401, PermissionDenied → 4403,
NotFound → 4404). It reads each row once per call, so a sweep of thousands of sockets costs a few
queries, not a few per socket.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import AppError, NotAuthenticated, NotFound, PermissionDenied
from app.security import hash_token
from app.store.models import AuthSession, Group, Meeting, Member, utcnow

DISPLAY = "display"
"""The member id of room displays: it matches no author, so displays see no private note."""

CLOSE_CODES: dict[type[AppError], int] = {
    NotAuthenticated: 4401,
    PermissionDenied: 4403,
    NotFound: 4404,
}
"""The socket's close code for each refusal: the client learns why it was refused."""
CLOSE_POLICY = 1008

NO_MEETING = "there is no such meeting"
SIGN_IN = "sign in first: no valid session"
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class Credential:
    """What a socket proved at its handshake: a session token's hash (None: no cookie), or a
    display key's hash."""

    token_hash: str | None
    display: bool = False


def session_credential(key: bytes, token: str | None) -> Credential:
    if not token or len(token) > 200:
        return Credential(None)
    return Credential(hash_token(key, token))


def display_credential(key: bytes, display_key: str) -> Credential:
    return Credential(hash_token(key, display_key), display=True)


@dataclass(frozen=True, slots=True)
class Admitted:
    """Who a credential admits to a meeting."""

    meeting: Meeting
    member_id: str
    name: str
    display: bool


def close_code(refusal: AppError) -> int:
    return CLOSE_CODES.get(type(refusal), CLOSE_POLICY)


async def admit(session: AsyncSession, meeting_id: str, credential: Credential) -> Admitted:
    """The person ``credential`` admits to the meeting; raises the refusal otherwise."""
    (decision,) = await decide(session, [(meeting_id, credential)])
    if isinstance(decision, AppError):
        raise decision
    return decision


async def decide(
    session: AsyncSession, asks: Sequence[tuple[str, Credential]]
) -> list[Admitted | AppError]:
    """For each (meeting id, credential): who it admits, or why not. Read-only."""
    rows = _Rows(session)
    await rows.read(asks)
    return [rows.decide(meeting_id, credential) for meeting_id, credential in asks]


def checker(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[[Sequence[tuple[str, Credential]]], Awaitable[list[Admitted | AppError]]]:
    """``decide`` on a session of its own, for the hub's live checks."""

    async def check(asks: Sequence[tuple[str, Credential]]) -> list[Admitted | AppError]:
        async with sessions() as session:
            return await decide(session, asks)

    return check


class _Person(NamedTuple):
    id: str
    group_id: str
    name: str
    organizer_id: str | None


class _Rows:
    """The rows one ``decide`` call needs, each read once, in a few IN (...) queries. Plain
    columns, not ORM objects, but for meetings: a sweep reads thousands of sessions."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.meetings: dict[str, Meeting] = {}
        self.participants: dict[str, frozenset[str]] = {}
        self.sessions: dict[str, tuple[str | None, str | None]] = {}
        """Token hash → (member id, organizer id) of each unexpired session."""
        self.members: dict[str, _Person] = {}
        self.organizer_members: dict[tuple[str, str], _Person] = {}
        """(organizer id, group id) → the organizer's own member row in that group."""
        self.organized: dict[str, str] = {}
        """Group id → its organizer's id, for the groups where an organizer has no member row."""

    async def read(self, asks: Sequence[tuple[str, Credential]]) -> None:
        meeting_ids = {meeting_id for meeting_id, _ in asks}
        for meeting in await self._all([Meeting], col(Meeting.id), meeting_ids):
            self.meetings[meeting.id] = meeting
            # Only the plan's participant ids; the state was written by this server.
            plan = json.loads(meeting.state)["plan"]
            self.participants[meeting.id] = frozenset(plan["participants"])
        hashes = {c.token_hash for _, c in asks if not c.display and c.token_hash is not None}
        now = utcnow()
        columns = [AuthSession.token_hash, AuthSession.member_id, AuthSession.organizer_id]
        key = col(AuthSession.token_hash)
        for token_hash, member_id, organizer_id, expires_at in await self._all(
            [*columns, AuthSession.expires_at], key, hashes
        ):
            if expires_at > now:
                self.sessions[token_hash] = (member_id, organizer_id)
        person = [Member.id, Member.group_id, Member.name, Member.organizer_id]
        member_ids = {m for m, _ in self.sessions.values() if m is not None}
        for row in await self._all(person, col(Member.id), member_ids):
            self.members[row[0]] = _Person(*row)
        organizers = {o for _, o in self.sessions.values() if o is not None}
        if not organizers:
            return
        for row in await self._all(person, col(Member.organizer_id), organizers):
            member = _Person(*row)
            assert member.organizer_id is not None
            self.organizer_members[(member.organizer_id, member.group_id)] = member
        groups = {m.group_id for m in self.meetings.values()}
        for group_id, organizer_id in await self._all(
            [Group.id, Group.organizer_id], col(Group.id), groups
        ):
            self.organized[group_id] = organizer_id

    async def _all(self, columns: list[Any], key: Any, values: Iterable[str]) -> list[Any]:
        """Rows of ``columns`` (tuples; objects for one table) where ``key`` is in ``values``."""
        wanted = sorted(values)
        found: list[Any] = []
        for start in range(0, len(wanted), _CHUNK):
            query = select(*columns).where(key.in_(wanted[start : start + _CHUNK]))
            found.extend((await self._session.exec(query)).all())
        return found

    def decide(self, meeting_id: str, credential: Credential) -> Admitted | AppError:
        meeting = self.meetings.get(meeting_id)
        if credential.display:
            expected = meeting.display_key_hash if meeting is not None else None
            if meeting is None or expected is None or credential.token_hash is None:
                return NotFound(NO_MEETING)
            if not hmac.compare_digest(expected, credential.token_hash):
                return NotFound(NO_MEETING)
            return Admitted(meeting, DISPLAY, "Room display", display=True)
        signed_in = self.sessions.get(credential.token_hash or "")
        if signed_in is None:
            return NotAuthenticated(SIGN_IN)
        member_id, organizer_id = signed_in
        if meeting is None:
            return NotFound(NO_MEETING)
        # A member acts as themselves; an organizer acts as their own member row in the
        # meeting's group. No tie to the group: "no such meeting", so ids are not confirmed.
        member: _Person | None = None
        if member_id is not None:
            member = self.members.get(member_id)
            if member is not None and member.group_id != meeting.group_id:
                member = None
        elif organizer_id is not None:
            member = self.organizer_members.get((organizer_id, meeting.group_id))
            if member is None and self.organized.get(meeting.group_id) == organizer_id:
                return PermissionDenied(
                    "you organize this group but are not one of its members, so you cannot join"
                )
        if member is None:
            return NotFound(NO_MEETING)
        if member.id not in self.participants[meeting.id]:
            return PermissionDenied("you are not a participant of this meeting")
        return Admitted(meeting, member.id, member.name, display=False)
