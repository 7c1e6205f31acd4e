"""Deletions and no-trace purges, recorded outside the database so a restore cannot undo them.

An append-only file in the data dir, one JSON line per deletion: what kind, which id, when; ids
only, never content. ``codev restore`` replays it on the restored database (every line: replaying
one already applied changes nothing), so a backup taken before a purge or a deletion does not
bring the content back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

FILE = "tombstones.jsonl"

Kind = Literal["purge", "meeting", "member", "group"]
"""``purge``: a no-trace meeting ended and its content was erased; the others: a row deleted."""
KINDS: frozenset[str] = frozenset({"purge", "meeting", "member", "group"})


@dataclass(frozen=True, slots=True)
class Tombstone:
    kind: Kind
    id: str
    at: str


class Tombstones:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE

    def record(self, kind: Kind, id_: str) -> None:
        """Append one line and flush it to disk before returning (several processes may share
        the file: one ``write`` of one line in append mode)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"kind": kind, "id": id_, "at": datetime.now(UTC).isoformat()}) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def record_purge(self, meeting_id: str) -> None:
        self.record("purge", meeting_id)

    def __iter__(self) -> Iterator[Tombstone]:
        """Every recorded line in order; a torn last line (a crash mid-write) is skipped."""
        if not self.path.exists():
            return
        with self.path.open() as lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("kind") in KINDS:
                    yield Tombstone(entry["kind"], str(entry["id"]), str(entry.get("at", "")))
