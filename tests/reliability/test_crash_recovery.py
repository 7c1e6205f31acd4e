"""SIGKILL in the middle of a stream of writes: nothing acknowledged is lost, nothing is applied
twice, and every client converges on the same gap-free history and the same state.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field

import pytest
from websockets.exceptions import ConnectionClosed

from tests.live import LiveServer
from tests.reliability.helpers import WITHIN, Json, Organizer, Peer, acked, advance, folded

pytestmark = pytest.mark.slow

WRITERS = ("Sam", "Ana", "Ben", "Dan")
PER_WRITER = 20
"""4 x 20 questions: under the 100 a consultation holds, and under the burst of one socket."""
IN_FLIGHT = 3
"""Commands each writer keeps unanswered: a pipeline, so some are in flight at the kill."""
KILL_AFTER_QUESTIONS = 30
"""Questions asked (seen by the writers) before the crash point."""


@dataclass
class Writer:
    peer: Peer
    plan: list[Json]
    """Every command this writer will send, with its cid, in order."""
    sent: list[str] = field(default_factory=list)
    """Cids whose frame went out before the kill."""

    def answers(self) -> dict[str, Json]:
        return {
            m["cid"]: m for m in self.peer.messages if m["type"] in ("ack", "error") and m["cid"]
        }


async def _stream(writer: Writer) -> None:
    """Send the plan, keeping up to IN_FLIGHT commands unanswered, until the socket dies."""
    plan = writer.plan
    try:
        for i, command in enumerate(plan):
            if i >= IN_FLIGHT:
                await writer.peer.answer(plan[i - IN_FLIGHT]["cid"])
            await writer.peer.post(command)
            writer.sent.append(command["cid"])
    except (ConnectionError, ConnectionClosed):
        return  # the server died under us


def _texts(state: Json) -> Counter[str]:
    return Counter(q["text"] for q in state["consultations"][0]["questions"])


async def test_acknowledged_commands_survive_a_sigkill_and_clients_converge(
    server: LiveServer,
) -> None:
    org = await asyncio.to_thread(Organizer.bootstrap, server)
    group = await asyncio.to_thread(org.group, "Crash circle", ["Claire", *WRITERS])
    meeting = await asyncio.to_thread(org.meeting, group, client="Claire", scribe="Sam")
    people = await asyncio.to_thread(org.peers, group, meeting, ["Olivia", "Claire", *WRITERS])
    org.close()
    everyone = list(people.values())
    for person in everyone:
        await person.connect()
    await advance(people["Olivia"], "lobby", "presentation")

    writers = [
        Writer(
            people[name],
            [
                {"type": "ask_question", "cid": f"{name}-{i}", "text": f"{name} asks question {i}?"}
                for i in range(PER_WRITER)
            ],
        )
        for name in WRITERS
    ]
    text_of = {c["cid"]: c["text"] for w in writers for c in w.plan}

    # The crash point: when a writer sees its own question, KILL_AFTER_QUESTIONS questions in.
    # Whatever any client receives after that point (the ack of that very question, among
    # others) is dropped, as if the client had gone down with the server: so at least one
    # command is applied on the server and unacknowledged on the client.
    crash = asyncio.Event()
    cutoffs: dict[Peer, int] = {}

    def watch(writer: Writer) -> None:
        def listener(message: Json) -> None:
            if message["type"] != "question_asked" or crash.is_set():
                return
            if message["question"]["author"] != writer.peer.member_id:
                return
            asked = [e for e in writer.peer.events if e["type"] == "question_asked"]
            if len(asked) >= KILL_AFTER_QUESTIONS:
                cutoffs.update({person: len(person.messages) for person in everyone})
                crash.set()

        writer.peer.listeners.append(listener)

    for w in writers:
        watch(w)
    streams = [asyncio.create_task(_stream(w)) for w in writers]
    await asyncio.wait_for(crash.wait(), WITHIN)
    server.kill()  # SIGKILL, mid-stream
    for person in everyone:
        await person.wait_closed()
        del person.messages[cutoffs[person] :]
        del person.frames[cutoffs[person] :]
    await asyncio.gather(*streams)

    before = {cid: ack for w in writers for cid, ack in w.answers().items()}
    assert all(a["type"] == "ack" for a in before.values()), before
    unanswered = [cid for w in writers for cid in w.sent if cid not in before]
    unsent = sum(len(w.plan) - len(w.sent) for w in writers)
    assert len(before) < len(text_of), "the kill came after the stream had ended"
    assert unanswered, "no command was in flight at the kill"

    # Restart on the same data dir and port; everyone resumes from the last seq they applied.
    await asyncio.to_thread(server.start)
    for person in everyone:
        since = person.last_seq
        hello = await person.connect(since=since)
        assert hello["resumed"] is True, (person.name, since, hello["seq"])
        if hello["seq"] > since:
            await person.wait_seq(hello["seq"])

    # Re-send what was sent but not acknowledged, with the ORIGINAL cid; then the rest of the plan.
    async def finish(writer: Writer) -> list[Json]:
        answers = []
        for command in writer.plan:
            if command["cid"] not in before:
                answers.append(acked(await writer.peer.send_raw(command)))
        return answers

    after = {
        a["cid"]: a for answers in await asyncio.gather(*map(finish, writers)) for a in answers
    }
    duplicates = [cid for cid, a in after.items() if a["duplicate"]]
    assert set(before) | set(after) == set(text_of)
    assert duplicates, "the question whose event came last before the crash was not a duplicate"

    final = max(a["seq"] for a in [*before.values(), *after.values()])
    for person in everyone:
        await person.wait_seq(final)

    # A fresh snapshot from the restarted server.
    fresh = Peer(server, meeting, people["Olivia"].cookie, name="fresh")
    snapshot = (await fresh.connect())["state"]
    await fresh.close()
    assert snapshot["seq"] == final
    questions = {q["id"]: q["text"] for q in snapshot["consultations"][0]["questions"]}
    texts = _texts(snapshot)

    # Every command acknowledged before the kill is there once, as the event its ack named.
    for cid, ack in before.items():
        assert questions.get(ack["seq"]) == text_of[cid], (cid, ack)
        assert texts[text_of[cid]] == 1, cid
    # Every re-sent command is applied exactly once; a duplicate names the seq it got first.
    for cid in unanswered:
        assert texts[text_of[cid]] == 1, cid
    for cid in duplicates:
        assert questions.get(after[cid]["seq"]) == text_of[cid], (cid, after[cid])
    assert sorted(texts) == sorted(text_of.values())
    assert set(texts.values()) == {1}

    # Every participant holds the same gap-free history and, folded, the same state.
    reference = [json.dumps(e, sort_keys=True) for e in people["Olivia"].events]
    for person in everyone:
        assert [e["seq"] for e in person.events] == list(range(1, final + 1)), person.name
        assert [json.dumps(e, sort_keys=True) for e in person.events] == reference, person.name
        first_hello = next(m for m in person.messages if m["type"] == "hello")
        mine = folded(first_hello, person.events).view_for(person.member_id)
        assert mine == snapshot, person.name
    for person in everyone:
        await person.close()
    print(
        f"\nacked before the kill: {len(before)}, sent but unacked: {len(unanswered)}, "
        f"unsent: {unsent}, duplicates on re-send: {len(duplicates)}, final seq: {final}"
    )
