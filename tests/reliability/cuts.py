"""Cutting a socket's access over real sockets: make a change, check what the cut sockets got.

Shared by ``tests/reliability/test_access_changes.py`` and ``tests/scaleout/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from websockets.exceptions import ConnectionClosed

from tests.reliability.conftest import Live
from tests.reliability.helpers import Group, Peer, acked, cid

CUTS: list[tuple[str, float]] = []
"""(what, seconds from the change's request to the close) for every socket cut here: the
figures of the report (``-s`` prints them); not asserted, timing is not a test."""


def report_cuts() -> None:
    """Print how many sockets were cut and how long each cut took (seen with ``-s``)."""
    if CUTS:
        times = sorted(t for _, t in CUTS)
        print(
            f"\nsockets cut: {len(CUTS)}; change → close: min {times[0] * 1000:.0f} ms, "
            f"median {times[len(times) // 2] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
        )
        for what in dict.fromkeys(w for w, _ in CUTS):
            took = [t * 1000 for w, t in CUTS if w == what]
            print(f"  {what}: {len(took)} cut, {min(took):.0f} to {max(took):.0f} ms")


@dataclass
class Circle:
    group: Group
    meeting: str
    people: dict[str, Peer]


async def open_circle(live: Live, name: str, members: list[str], **plan: object) -> Circle:
    """A fresh group and meeting on the shared server, every named person's socket open."""
    org = live.org
    group = await asyncio.to_thread(org.group, name, members)
    meeting = await asyncio.to_thread(org.meeting, group, client=members[0], **plan)  # type: ignore[arg-type]
    people = await asyncio.to_thread(org.peers, group, meeting, ["Olivia", *members])
    for person in people.values():
        await person.connect()
    return Circle(group, meeting, people)


def rest(live: Live, method: str, path: str, cookie: str | None = None, **kw: object) -> None:
    """One REST call, as the organizer (or with ``cookie``), that must succeed."""
    if cookie is None:
        response = live.org.http.request(method, path, **kw)  # type: ignore[arg-type]
    else:
        with httpx.Client(base_url=live.server.url, timeout=10) as client:
            client.cookies.set("codev_session", cookie)
            response = client.request(method, path, **kw)  # type: ignore[arg-type]
    assert response.status_code < 300, response.text


SIGNED_OUT = (4401, "not_authenticated")
NOT_A_PARTICIPANT = (4403, "forbidden")
GONE = (4404, "not_found")


async def cut(
    what: str,
    change: Callable[[], None],
    victims: dict[Peer, tuple[int, str]],
    witness: Peer | None = None,
    *,
    announced: bool = True,
    across_processes: bool = False,
) -> None:
    """Make ``change``; each victim gets one error and its close code, and nothing after it.
    A change not ``announced`` (no notice: the sweep finds it) may serve a command meanwhile.
    ``across_processes``: a victim on another process may have a command applied in the few
    milliseconds before the notice reaches that process through Redis, but it is never acked
    and nothing published after the change reaches the victim."""
    caught_up = witness.last_seq if witness is not None else 0
    for victim in victims:
        if victim.last_seq < caught_up:
            await victim.wait_seq(caught_up)
    marks = {id(v): len(v.messages) for v in victims}
    before = witness.last_seq if witness is not None else 0
    started = time.monotonic()

    async def closed(victim: Peer) -> int | None:
        code = await victim.wait_closed()
        CUTS.append((what, time.monotonic() - started))
        return code

    await asyncio.to_thread(change)
    closes = {victim: asyncio.create_task(closed(victim)) for victim in victims}
    # At once: each victim tries to act, and the witness publishes an event.
    for victim in victims:
        if victim.display_key is None and announced:
            note = {"type": "add_private_note", "cid": cid(), "text": f"{victim.name} after"}
            with contextlib.suppress(ConnectionClosed):
                await victim.post(note)
    after = None
    if witness is not None:
        after = acked(await witness.send("add_private_note", text="published after"))["seq"]
    for victim, (close_code, error_code) in victims.items():
        assert await closes[victim] == close_code, victim.name
        since = victim.messages[marks[id(victim)] :]
        errors = [(m["code"], m["cid"]) for m in since if m["type"] == "error"]
        assert errors == [(error_code, None)], (victim.name, since)
        assert not any(m["type"] == "ack" for m in since), (victim.name, since)
        if after is not None:
            leaked = [m for m in victim.events if m["seq"] >= after]
            assert leaked == [], (victim.name, leaked)
    if witness is not None:
        # None of the victims' attempts was applied (the witness would see each as a redacted
        # note of someone else): its own notes are all that followed the change.
        final = acked(await witness.send("add_private_note", text="and later"))["seq"]
        await witness.wait_seq(final)
        followed = [e for e in witness.events if e["seq"] > before]
        if not across_processes:
            assert not any(e["type"] == "redacted" for e in followed), followed
            assert final == after + 1  # type: ignore[operator]
        assert not witness.closed.is_set()


async def still_served(peer: Peer, witness: Peer) -> None:
    """The peer's socket stayed: it received every event since its hello (those published while
    its access was being decided again too), the witness's next one, and its commands apply."""
    seq = acked(await witness.send("add_private_note", text="for everyone still here"))["seq"]
    await peer.wait_seq(seq)
    assert peer.hello is not None
    seqs = [e["seq"] for e in peer.events]
    assert seqs == list(range(peer.hello["seq"] + 1, seq + 1)), (peer.name, seqs)
    acked(await peer.send("add_private_note", text=f"{peer.name} is still here"))
