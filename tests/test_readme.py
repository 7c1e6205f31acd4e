"""The README's protocol section is what client writers rely on: it must name every message."""

from __future__ import annotations

import re
from pathlib import Path

from app.stages import COMMAND_TYPES
from app.stages.events import Event
from app.stages.vocabulary import Stage

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
PROTOCOL = README[README.index("## Protocol") : README.index("## Limits")]


def _event_types() -> set[str]:
    return {member.model_fields["type"].default for member in Event.__args__[0].__args__}  # type: ignore[attr-defined]


def test_readme_documents_every_command_a_client_can_send() -> None:
    missing = [t for t in COMMAND_TYPES if f"`{t}`" not in PROTOCOL]
    assert missing == []


def test_readme_documents_every_event_a_client_can_receive() -> None:
    missing = sorted(t for t in _event_types() if f"`{t}`" not in PROTOCOL)
    assert missing == []


def test_readme_names_every_stage_slug() -> None:
    missing = [s.value for s in Stage if f"`{s.value}`" not in PROTOCOL]
    assert missing == []


def test_readme_shows_the_two_commands() -> None:
    assert re.search(r"^make run", README, re.MULTILINE)
    assert re.search(r"^make test", README, re.MULTILINE)
