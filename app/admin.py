"""The operator's commands: ``codev organizers``, ``groups``, ``export-member``, ``delete-member``,
``backup`` and ``restore``. They work on the database directly, beside a running server.

A member's data, for a data-protection request, is their row, their invite and session metadata
(never a token) and what they put into meetings: what they wrote, and as a client their case,
contract, answers and plan. ``delete-member`` erases all of that for good: the rows go, their
events are replaced by content-free ``redacted`` ones (the sequence stays gap-free), each
meeting's snapshot is rewritten without them, and their name in plans becomes a placeholder.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlmodel import col

from app.ops import backup as backups
from app.settings import Settings
from app.stages import MeetingState, Stage
from app.store.event_log import redact
from app.store.models import (
    AuthSession,
    Group,
    Invite,
    Meeting,
    MeetingEvent,
    Member,
    Organizer,
    ProcessedCommand,
)
from app.store.tombstones import Tombstones

DELETED_NAME = "(deleted member)"

CLIENT_EVENTS = frozenset(
    {
        "case_set",
        "question_answered",
        "question_answered_aloud",
        "contract_set",
        "contribution_marked",
        "client_signalled",
        "signal_withdrawn",
        "synthesis_set",
        "action_item_saved",
        "action_item_removed",
    }
)
"""Events only a consultation's client sends (they carry no author: the client is it)."""

COMMANDS = ("organizers", "groups", "export-member", "delete-member", "backup", "restore")


class AdminError(Exception):
    """Raised when an admin command cannot do what was asked; nothing was changed."""


def add_parsers(commands: Any) -> None:
    """Add the admin commands to ``codev``'s sub-command parser."""
    listing = commands.add_parser("organizers", help="list the organizer accounts")
    listing.add_argument("--json", action="store_true", help="one JSON document")
    listing = commands.add_parser("groups", help="list the groups, their organizer and size")
    listing.add_argument("--json", action="store_true", help="one JSON document")
    export = commands.add_parser(
        "export-member", help="a person's own data (data-protection request)"
    )
    export.add_argument("member", help="a member id, or an email (every group's member)")
    export.add_argument("--format", choices=("json", "markdown"), default="json")
    export.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    erase = commands.add_parser("delete-member", help="erase a member and everything of theirs")
    erase.add_argument("member", help="a member id, or an email (every group's member)")
    erase.add_argument("--yes", action="store_true", help="really delete (it cannot be undone)")
    save = commands.add_parser("backup", help="a consistent copy of the SQLite database")
    save.add_argument("path", type=Path)
    load = commands.add_parser("restore", help="restore a backup (server stopped)")
    load.add_argument("path", type=Path, nargs="?")
    load.add_argument(
        "--replay-only",
        action="store_true",
        help="only replay deletions and purges (after pg_restore, on PostgreSQL)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one admin command; errors are printed in one line and exit with 1."""
    try:
        return _run(args, settings)
    except (AdminError, backups.BackupError) as exc:
        print(f"codev {args.command}: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "backup":
        backups.backup(settings, args.path)
        print(f"backed up to {args.path}")
        return 0
    if args.command == "restore":
        if args.replay_only:
            done = backups.replay(settings)
        elif args.path is None:
            raise AdminError("give the backup file to restore (or --replay-only)")
        else:
            done = backups.restore(settings, args.path)
            print(f"restored {args.path}")
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(done.items()) if n)
        print(f"replayed deletions and purges: {counts or 'none was needed'}")
        return 0
    engine = backups.tool_engine(settings)
    try:
        with engine.begin() as connection:
            if args.command == "organizers":
                _print_rows(_organizers(connection), args.json)
            elif args.command == "groups":
                _print_rows(_groups(connection), args.json)
            elif args.command == "export-member":
                text = _export(connection, args.member, args.format)
                if args.output:
                    args.output.write_text(text)
                    args.output.chmod(0o600)
                else:
                    print(text, end="")
            else:
                if not args.yes:
                    raise AdminError("this erases the member for good: add --yes")
                erased = _delete_member(connection, args.member)
                tombstones = Tombstones(settings.data_dir)
                for member_id in erased:
                    tombstones.record("member", member_id)
                print(f"deleted {len(erased)} member(s): " + ", ".join(erased))
    finally:
        engine.dispose()
    return 0


# --- listings ---------------------------------------------------------------------------------


def _organizers(connection: Connection) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(
            col(Organizer.id), col(Organizer.email), col(Organizer.name), col(Organizer.created_at)
        ).order_by(col(Organizer.created_at))
    )
    return [dict(row._mapping) for row in rows]


def _groups(connection: Connection) -> list[dict[str, Any]]:
    members = select(func.count()).where(col(Member.group_id) == col(Group.id)).scalar_subquery()
    meetings = select(func.count()).where(col(Meeting.group_id) == col(Group.id)).scalar_subquery()
    rows = connection.execute(
        select(
            col(Group.id),
            col(Group.name),
            col(Organizer.email).label("organizer"),
            members.label("members"),
            meetings.label("meetings"),
        )
        .join(Organizer, col(Organizer.id) == col(Group.organizer_id))
        .order_by(col(Group.created_at))
    )
    return [dict(row._mapping) for row in rows]


def _print_rows(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, default=str, indent=2))
        return
    if not rows:
        print("(none)")
        return
    columns = list(rows[0])
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    for line in [columns, *cells]:
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


def _cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


# --- one person's data ------------------------------------------------------------------------


@dataclass
class _Found:
    member: Member
    group: Group
    meetings: list[tuple[Meeting, MeetingState]] = field(default_factory=list)


def _find(connection: Connection, who: str) -> list[_Found]:
    """The members named by an id, or every member with this email (one per group)."""
    key = col(Member.email) == who.strip() if "@" in who else col(Member.id) == who
    members = [
        Member.model_validate(row._mapping) for row in connection.execute(select(Member).where(key))
    ]
    if not members:
        raise AdminError(f"there is no member {who}")
    found = []
    for member in members:
        group_row = connection.execute(select(Group).where(col(Group.id) == member.group_id)).one()
        item = _Found(member, Group.model_validate(group_row._mapping))
        meetings = connection.execute(
            select(Meeting)
            .where(col(Meeting.group_id) == member.group_id)
            .order_by(col(Meeting.created_at))
        )
        for row in meetings:
            meeting = Meeting.model_validate(row._mapping)
            state = backups.load_state(connection, meeting.id)
            if state is not None and _takes_part(state, member.id):
                item.meetings.append((meeting, state))
        found.append(item)
    return found


def _takes_part(state: MeetingState, member_id: str) -> bool:
    return member_id == state.plan.facilitator or member_id in state.plan.participants


def theirs(state: MeetingState, member_id: str) -> list[dict[str, Any]]:
    """Everything ``member_id`` put into the meeting, each item with its ``kind``."""
    data = state.model_dump(mode="json")
    out: list[dict[str, Any]] = []
    for key in ("private_notes", "proposals", "follow_up_reports"):
        out += [{"kind": key, **x} for x in data[key] if x.get("author") == member_id]
    for index, record in enumerate(data["consultations"]):
        where = {"consultation": index + 1}
        for key in ("questions", "rephrasings", "contributions", "scribe_notes"):
            out += [{"kind": key, **where, **x} for x in record[key] if x["author"] == member_id]
        for item in out:
            if item["kind"] == "questions":  # the answer is the client's, not theirs
                item.pop("answer", None)
                item.pop("answered_at", None)
                item.pop("answered_aloud", None)
        for key in ("learnings", "evaluations"):
            if member_id in record[key]:
                out.append({"kind": key, **where, **record[key][member_id]})
        if state.plan.consultations[index].client != member_id:
            continue
        if record["case"]:
            out.append({"kind": "case", **where, **record["case"]})
        out += [{"kind": "contract", **where, **x} for x in record["contract"]]
        out += [
            {"kind": "answers", **where, "question_id": q["id"], "answer": q["answer"]}
            for q in record["questions"]
            if q["answer"]
        ]
        out += [{"kind": "signals", **where, **x} for x in record["signals"]]
        if record["synthesis"]:
            out.append({"kind": "synthesis", **where, "text": record["synthesis"]})
        out += [{"kind": "action_items", **where, **x} for x in record["action_items"]]
    return out


def _export(connection: Connection, who: str, form: str) -> str:
    people = []
    for found in _find(connection, who):
        member, member_id = found.member, found.member.id
        invites = connection.execute(
            select(
                col(Invite.created_at),
                col(Invite.expires_at),
                col(Invite.revoked_at),
                col(Invite.last_used_at),
            ).where(col(Invite.member_id) == member_id)
        )
        sessions = connection.execute(
            select(col(AuthSession.created_at), col(AuthSession.expires_at)).where(
                col(AuthSession.member_id) == member_id
            )
        )
        people.append(
            {
                "member": member.model_dump(mode="json", exclude={"organizer_id"}),
                "group": {"id": found.group.id, "name": found.group.name},
                "invites": [dict(row._mapping) for row in invites],
                "sessions": [dict(row._mapping) for row in sessions],
                "meetings": [
                    {
                        "id": meeting.id,
                        "title": meeting.title,
                        "scheduled_for": meeting.scheduled_for,
                        "stage": state.stage.value,
                        "facilitator": state.plan.facilitator == member_id,
                        "items": theirs(state, member_id),
                    }
                    for meeting, state in found.meetings
                ],
            }
        )
    document = json.loads(json.dumps(people, default=str))
    if form == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return _markdown(document)


def _markdown(people: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for person in people:
        member = person["member"]
        lines += [f"# {member['name']} — {person['group']['name']}", ""]
        for key in ("id", "email", "language", "is_facilitator", "created_at"):
            lines.append(f"- {key}: {member[key]}")
        lines += ["", "## Invite links", ""]
        lines += [
            f"- created {i['created_at']}, expires {i['expires_at']}"
            + (f", revoked {i['revoked_at']}" if i["revoked_at"] else "")
            + (f", last used {i['last_used_at']}" if i["last_used_at"] else "")
            for i in person["invites"]
        ] or ["- none"]
        lines += ["", "## Signed-in browsers", ""]
        lines += [
            f"- since {s['created_at']}, until {s['expires_at']}" for s in person["sessions"]
        ] or ["- none"]
        for meeting in person["meetings"]:
            lines += ["", f"## Meeting: {meeting['title']} ({meeting['stage']})", ""]
            for item in meeting["items"]:
                details = {k: v for k, v in item.items() if k not in ("kind", "author")}
                text = "; ".join(f"{k}: {v}" for k, v in details.items() if v not in (None, ""))
                lines.append(f"- {item['kind']}: {text}")
            if not meeting["items"]:
                lines.append("- nothing written")
        lines.append("")
    return "\n".join(lines)


# --- erasure ----------------------------------------------------------------------------------


def _delete_member(connection: Connection, who: str) -> list[str]:
    found = _find(connection, who)
    for item in found:  # first check everything, so that a refusal changes nothing
        for meeting, state in item.meetings:
            if state.stage not in (Stage.LOBBY, Stage.ENDED):
                raise AdminError(
                    f"{item.member.name} is in meeting {meeting.id} ({meeting.title!r}), which "
                    "is running: run this once it has ended"
                )
    for item in found:
        member_id = item.member.id
        for meeting, state in item.meetings:
            _erase_from_meeting(connection, meeting.id, state, member_id)
        connection.execute(delete(ProcessedCommand).where(col(ProcessedCommand.actor) == member_id))
        connection.execute(delete(Member).where(col(Member.id) == member_id))  # cascades
    return [item.member.id for item in found]


def _erase_from_meeting(
    connection: Connection, meeting_id: str, state: MeetingState, member_id: str
) -> None:
    clients = {i: c.client for i, c in enumerate(state.plan.consultations)}
    rows = connection.execute(
        select(col(MeetingEvent.seq), col(MeetingEvent.audience), col(MeetingEvent.payload)).where(
            col(MeetingEvent.meeting_id) == meeting_id
        )
    ).all()
    for seq, audience, payload in rows:
        event = json.loads(payload)
        if (
            audience == member_id
            or any(_authored_by(event, member_id))
            or (event["type"] in CLIENT_EVENTS and clients.get(event["consultation"]) == member_id)
        ):
            new, kind, audience = redact(payload), "redacted", None
        elif "plan" in event:
            new, kind = json.dumps(_renamed(event, member_id)), event["type"]
        else:
            continue
        connection.execute(
            update(MeetingEvent)
            .where(col(MeetingEvent.meeting_id) == meeting_id, col(MeetingEvent.seq) == seq)
            .values(payload=new, type=kind, audience=audience)
        )
    cleaned = _without(state, member_id)
    connection.execute(
        update(Meeting)
        .where(col(Meeting.id) == meeting_id)
        .values(state=cleaned.model_dump_json(), seq=cleaned.seq)
    )


def _authored_by(value: Any, member_id: str) -> Iterator[bool]:
    if isinstance(value, dict):
        if value.get("author") == member_id:
            yield True
        for item in value.values():
            yield from _authored_by(item, member_id)
    elif isinstance(value, list):
        for item in value:
            yield from _authored_by(item, member_id)


def _renamed(data: dict[str, Any], member_id: str) -> dict[str, Any]:
    """``data`` with the member's name in its plan replaced by a placeholder."""
    participant = data.get("plan", {}).get("participants", {}).get(member_id)
    if participant is not None:
        participant["name"] = DELETED_NAME
    return data


def _without(state: MeetingState, member_id: str) -> MeetingState:
    """The state with everything the member put in removed, as of its own seq."""
    data = _renamed(state.model_dump(mode="json"), member_id)

    def kept(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [x for x in items if x.get("author") != member_id]

    for key in ("private_notes", "proposals", "follow_up_reports"):
        data[key] = kept(data[key])
    for index, record in enumerate(data["consultations"]):
        for key in ("questions", "rephrasings", "contributions", "scribe_notes"):
            record[key] = kept(record[key])
        for key in ("learnings", "evaluations"):
            record[key].pop(member_id, None)
        if state.plan.consultations[index].client == member_id:
            record.update(case=None, contract=[], synthesis="", action_items=[], signals=[])
            for question in record["questions"]:
                question.update(answer=None, answered_at=None, answered_aloud=False)
            for contribution in record["contributions"]:
                contribution["mark"] = None
    return MeetingState.model_validate(data)
