"""A group and a meeting on a live server, with every person's socket ready to connect."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.live import LiveServer
from tests.support import Participant, bootstrap_organizer, session_cookie_for_invite

NAMES = ("Claire", "Ana", "Ben")
"""Claire is the client; Ana and Ben consult; the organizer (Olivia) facilitates."""


@dataclass
class Scheduled:
    org: httpx.Client
    group_id: str
    members: dict[str, dict[str, Any]]
    """Name → the member as the API returned it (Olivia: the organizer's own member)."""
    invites: dict[str, str]
    """Name → the invite link that signed them in."""
    cookies: dict[str, str]

    def meeting(self, title: str, *, no_trace: bool = False) -> str:
        response = self.org.post(
            f"/api/groups/{self.group_id}/meetings",
            json={
                "title": title,
                "facilitator_id": self.members["Olivia"]["id"],
                "consultations": [{"client_id": self.members["Claire"]["id"], "preset": "90"}],
                "no_trace": no_trace,
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def people(self, server: LiveServer, meeting_id: str) -> dict[str, Participant]:
        return {
            name: Participant(name, member["id"], self.cookies[name], server, meeting_id)
            for name, member in self.members.items()
        }


def schedule(server: LiveServer) -> Scheduled:
    """The first organizer, a group with Claire, Ana and Ben, everyone signed in."""
    org = bootstrap_organizer(server)
    group = org.post("/api/groups", json={"name": "Managers' circle"}).json()
    members: dict[str, dict[str, Any]] = {}
    for name in NAMES:
        body = {"name": name, "email": f"{name.lower()}@example.org"}
        members[name] = org.post(f"/api/groups/{group['id']}/members", json=body).json()
    listed = org.get(f"/api/groups/{group['id']}/members").json()
    members["Olivia"] = next(m for m in listed if m["is_facilitator"])
    cookies = {"Olivia": org.cookies["codev_session"]}
    invites = {}
    for name in NAMES:
        invites[name] = org.post(f"/api/members/{members[name]['id']}/invite").json()["url"]
        cookies[name] = session_cookie_for_invite(server, invites[name])
    return Scheduled(org, group["id"], members, invites, cookies)


def codev(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    """``codev ARGS`` as an operator runs it, beside the server, on its data dir."""
    env = {
        **os.environ,
        "CODEV_DATA_DIR": str(server.data_dir),
        "CODEV_SECRET_KEY": "live-test-key",
        **server.env,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["type"] == "ack", answer
    return answer


def database_text(data_dir: Path) -> str:
    """Every row of the SQLite database as SQL text, to look for what must be gone."""
    import sqlite3

    connection = sqlite3.connect(data_dir / "codev.db")
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


async def consult(people: dict[str, Participant], mark: str) -> list[str]:
    """A whole consultation, every stage, with ``mark`` and a number in every text anyone
    types; returns those texts."""
    olivia, claire, ana, ben = (people[n] for n in ("Olivia", "Claire", "Ana", "Ben"))
    texts: list[str] = []

    def typed(what: str) -> str:
        texts.append(f"{mark}-{len(texts)}-{what}")
        return texts[-1]

    async def advance(stage: str) -> None:
        ok(await olivia.send("advance_stage", expected_stage=stage))

    await advance("lobby")
    ok(await ana.send("add_private_note", text=typed("note")))
    ok(
        await claire.send(
            "set_case",
            headline=typed("headline"),
            topic_type="problem",
            context=typed("context"),
            question=typed("question"),
        )
    )
    refused = await ana.send("ask_question", text=typed("refused"))
    assert refused["code"] == "wrong_stage", refused
    await advance("presentation")
    asked = ok(await ana.send("ask_question", text=typed("ask")))
    ok(await claire.send("answer_question", question_id=asked["seq"], text=typed("answer")))
    await advance("clarification")
    ok(await claire.send("set_contract", text=typed("contract"), help_wanted=["ideas"]))
    ok(await ben.send("rephrase_contract", text=typed("rephrase")))
    await advance("contract")
    ok(await ana.send("add_contribution", kind="suggestion", text=typed("contribution")))
    ok(await ben.send("add_contribution", kind="experience", text=typed("experience")))
    await advance("consultation")
    ok(await claire.send("set_synthesis", text=typed("synthesis")))
    ok(
        await claire.send(
            "save_action_item",
            action=typed("action"),
            objective=typed("objective"),
            indicator=typed("indicator"),
        )
    )
    await advance("synthesis")
    ok(await claire.send("post_learning", text=typed("learning")))
    ok(
        await ben.send(
            "submit_evaluation",
            appreciation=typed("appreciation"),
            expectations=typed("expectations"),
            learnings=typed("learnings"),
            applications=typed("applications"),
        )
    )
    await advance("conclusion")
    return texts  # the meeting has ended
