"""Random and mutated frames over one live socket: every frame gets an answer (ack, error, pong or
hello) or a documented close, the server never crashes, another meeting never notices, and the
fuzzed meeting changes only through acknowledged commands.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.stages import COMMAND_TYPES
from tests.live import LiveServer, free_port
from tests.reliability.helpers import UNSEQUENCED, WITHIN, Json, Organizer, Peer

pytestmark = pytest.mark.slow

T = TypeVar("T")

FRAME_CAP = 64 * 1024
CLOSES = {"bad_utf8": 1007}
"""The only closes a frame may cause: a text frame that is not UTF-8 (RFC 6455: 1007)."""
ANSWERS = ("ack", "error", "pong", "hello")

# --- what the frames are made of ------------------------------------------------------------------

STAGES = st.sampled_from(
    [
        "lobby",
        "check_in",
        "follow_up",
        "client_choice",
        "presentation",
        "clarification",
        "contract",
        "consultation",
        "synthesis",
        "conclusion",
        "ended",
    ]
)
PEOPLE = ("@facilitator", "@client", "@scribe", "@consultant")
"""Stand-ins for member ids, replaced by the real ones when the frame is sent."""
MEMBER = st.sampled_from(PEOPLE) | st.text(max_size=70)
TEXT = st.text(min_size=1, max_size=40)
ITEM = st.integers(min_value=1, max_value=60)
RATING = st.integers(min_value=1, max_value=5)

FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "advance_stage": {"expected_stage": STAGES},
    "return_to_stage": {"expected_stage": STAGES, "stage": STAGES},
    "end_meeting": {"expected_stage": STAGES},
    "pause_timer": {},
    "resume_timer": {},
    "extend_timer": {"seconds": st.integers(min_value=1, max_value=3_600)},
    "report_follow_up": {"text": TEXT},
    "propose_topic": {
        "headline": TEXT,
        "topic_type": st.sampled_from(["problem", "project", "preoccupation"]),
    },
    "choose_client": {"member_id": MEMBER, "consultation": st.integers(0, 1)},
    "set_case": {
        "headline": TEXT,
        "topic_type": st.sampled_from(["problem", "project", "preoccupation"]),
        "context": st.text(max_size=80),
        "question": st.text(max_size=80),
    },
    "ask_question": {"text": TEXT},
    "answer_question": {"question_id": ITEM, "text": TEXT},
    "mark_answered_aloud": {"question_id": ITEM, "answered": st.booleans()},
    "set_contract": {
        "text": TEXT,
        "help_wanted": st.lists(
            st.sampled_from(["ideas", "experiences", "hypotheses", "resources", "reactions"]),
            max_size=5,
            unique=True,
        ),
    },
    "rephrase_contract": {"text": TEXT},
    "add_contribution": {
        "kind": st.sampled_from(
            ["reaction", "hypothesis", "suggestion", "experience", "question", "resource"]
        ),
        "text": TEXT,
    },
    "mark_contribution": {
        "contribution_id": ITEM,
        "mark": st.sampled_from(["keep", "maybe", None]),
    },
    "signal": {"signal": st.sampled_from(["off_contract", "please_clarify"])},
    "withdraw_signal": {"signal_id": ITEM},
    "withdraw_item": {"item_id": ITEM},
    "edit_item": {"item_id": ITEM, "text": TEXT},
    "set_item_aside": {"item_id": ITEM},
    "add_scribe_note": {"text": TEXT},
    "set_synthesis": {"text": st.text(max_size=80)},
    "save_action_item": {"action": TEXT, "due": st.dates().map(str), "indicator": TEXT},
    "remove_action_item": {"item_id": ITEM},
    "post_learning": {"text": TEXT},
    "submit_evaluation": {
        "appreciation": st.text(max_size=40),
        "ratings": st.fixed_dictionaries({}, optional={"climate": RATING, "usefulness": RATING}),
    },
    "share_record": {"consultation": st.integers(0, 1), "shared": st.booleans()},
    "add_private_note": {"text": TEXT},
    "set_ready": {"ready": st.booleans()},
    "raise_hand": {},
    "lower_hand": {},
    "call_on": {"member_id": MEMBER},
    "clear_queue": {},
    "confirm_attendance": {
        "member_id": MEMBER,
        "status": st.sampled_from(["present", "excused", "absent"]),
    },
    "show_charter": {"version": st.integers(1, 5), "text": TEXT},
    "hide_charter": {},
    "set_display_timer": {"shown": st.booleans()},
}

CID = st.one_of(st.uuids().map(str), st.uuids().map(str), st.text(min_size=1, max_size=6))
"""Mostly fresh cids; some short ones, which collide now and then."""
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
VALID = st.sampled_from(sorted(FIELDS)).flatmap(
    lambda kind: st.fixed_dictionaries({"type": st.just(kind), "cid": CID, **FIELDS[kind]})
)
FACILITATING = st.sampled_from(
    [
        *("advance_stage", "return_to_stage", "add_private_note", "extend_timer", "pause_timer"),
        *("resume_timer", "call_on", "clear_queue", "post_learning"),
        *("confirm_attendance", "show_charter", "hide_charter", "set_display_timer"),
        *("set_item_aside",),
    ]
).flatmap(lambda kind: st.fixed_dictionaries({"type": st.just(kind), "cid": CID, **FIELDS[kind]}))
"""Commands the fuzzing socket (the facilitator) may send in some stage: so some go through."""
DEEP = "\u2063deep\u2063"
"""A placeholder replaced, in the frame's text, by nested lists too deep to build in Python."""


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid command with one thing wrong with it, as the frame's text."""
    command: Json = dict(draw(VALID))
    key = draw(st.sampled_from(sorted(command)))
    how = draw(st.sampled_from(["drop", "retype", "huge", "deep", "extra", "type", "cid"]))
    depth = 0
    if how == "drop":
        del command[key]
    elif how == "retype":
        command[key] = draw(JSON)
    elif how == "huge":
        command[key] = "x" * draw(st.sampled_from([2_001, 8_001, 60_000]))
    elif how == "deep":
        command[key] = DEEP
        depth = draw(st.sampled_from([10, 500, 2_000, 20_000]))
    elif how == "extra":
        command[draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in command))] = draw(
            JSON
        )
    elif how == "type":
        command["type"] = draw(st.text(max_size=30).filter(lambda t: t not in COMMAND_TYPES))
    else:
        command["cid"] = draw(st.sampled_from(["", "c" * 65]) | JSON)
    text = json.dumps(command)
    return text.replace(json.dumps(DEEP), "[" * depth + "]" * depth) if depth else text


@dataclass(frozen=True)
class Frame:
    kind: str
    """text; binary; bad_utf8 (a text frame that is not UTF-8); replay (an applied command
    again, same cid); advance (advance_stage from the current stage, up to the conclusion)."""
    text: str = ""
    data: bytes = b""
    index: int = 0

    def __repr__(self) -> str:
        shown = (
            self.text if len(self.text) <= 120 else f"{self.text[:100]}…({len(self.text)} chars)"
        )
        return f"Frame({self.kind!r}, {shown!r}, {self.data[:40]!r}, {self.index})"


FRAMES = st.one_of(
    VALID.map(lambda c: Frame("text", json.dumps(c))),
    FACILITATING.map(lambda c: Frame("text", json.dumps(c))),
    FACILITATING.map(lambda c: Frame("text", json.dumps(c))),
    mutated().map(lambda t: Frame("text", t)),
    mutated().map(lambda t: Frame("text", t)),
    JSON.map(lambda v: Frame("text", json.dumps(v))),
    st.text(max_size=60).map(lambda t: Frame("text", t)),
    st.text(max_size=30)
    .filter(lambda t: t not in COMMAND_TYPES)
    .map(lambda t: Frame("text", json.dumps({"type": t, "cid": "unknown"}))),
    st.builds(
        lambda cid, t: Frame("text", json.dumps({"type": "ping", "cid": cid, "client_time": t})),
        CID,
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    st.integers(min_value=0, max_value=2**40).map(
        lambda n: Frame("text", json.dumps({"type": "resync", "since": n}))
    ),
    st.binary(max_size=60).map(lambda b: Frame("binary", data=b)),
    st.binary(max_size=30).map(lambda b: Frame("bad_utf8", data=b"\xff" + b)),
    st.integers(min_value=0).map(lambda i: Frame("replay", index=i)),
    st.just(Frame("advance")),
)

# --- the live world the property runs in ----------------------------------------------------------


class LoopThread:
    """An event loop in a thread, so one socket can live across Hypothesis examples."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class World:
    server: LiveServer
    thread: LoopThread
    fuzzer: Peer
    """The facilitator of meeting A: the socket every frame goes through."""
    watcher: Peer
    """A consultant in meeting A, who only watches."""
    bystander: Peer
    """The client of meeting B, which nobody fuzzes."""
    ids: dict[str, str]
    known: int = 0
    """Meeting A's seq as far as the acks tell."""
    implied: int = 0
    """Events the acks account for: each new ack's events, counted."""
    effective: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Cid → (frame, seq) of each command that changed the meeting."""
    answered: dict[str, int] = field(default_factory=dict)
    """How many frames got each kind of answer."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("fuzz") / "data"
    # The rate limit is not under test here: let every frame through.
    env = {"CODEV_FRAMES_PER_SECOND": "100000", "CODEV_FRAME_BURST": "100000"}
    server = LiveServer(data_dir=data, port=free_port(), env=env)
    server.start()
    thread = LoopThread()
    try:
        org = Organizer.bootstrap(server)
        group = org.group("Fuzz circle", ["Claire", "Sam", "Ana"])
        fuzzed = org.meeting(group, client="Claire", scribe="Sam", title="Fuzzed")
        other = org.meeting(group, client="Claire", scribe="Sam", title="Untouched")
        a = org.peers(group, fuzzed, ["Olivia", "Ana"])
        b = org.peers(group, other, ["Claire"])
        org.close()
        ids = {
            "@facilitator": group.facilitator_id,
            "@client": group.members["Claire"],
            "@scribe": group.members["Sam"],
            "@consultant": group.members["Ana"],
        }
        world = World(server, thread, a["Olivia"], a["Ana"], b["Claire"], ids)
        for peer in (world.fuzzer, world.watcher, world.bystander):
            thread.run(peer.connect())
        yield world
        for peer in (world.fuzzer, world.watcher, world.bystander):
            thread.run(peer.close())
    finally:
        thread.close()
        server.stop()


def _with_people(text: str, ids: dict[str, str]) -> str:
    for stand_in, member_id in ids.items():
        text = text.replace(json.dumps(stand_in), json.dumps(member_id))
    return text


def _current_stage(peer: Peer) -> str:
    for message in reversed(peer.messages):
        if message["type"] == "stage_changed":
            return str(message["stage"])
        if message["type"] == "hello" and message["state"] is not None:
            return str(message["state"]["stage"])
    raise AssertionError("no snapshot and no stage change seen")


def _type_of(text: str) -> object:
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return message.get("type") if isinstance(message, dict) else None


async def _exchange(world: World, frame: Frame) -> None:
    """Send one frame and check what comes back against the contract."""
    peer = world.fuzzer
    if peer.closed.is_set():  # a previous frame closed it (as allowed): come back with since
        hello = await peer.connect(since=world.known)
        assert hello["seq"] == world.known, "the meeting changed without an ack"
    assert peer.ws is not None
    text = _with_people(frame.text, world.ids)
    if frame.kind == "replay":
        if not world.effective:
            text = json.dumps({"type": "ping"})
        else:
            cids = sorted(world.effective)
            text = world.effective[cids[frame.index % len(cids)]][0]
    if frame.kind == "advance":
        stage = _current_stage(peer)
        if stage == "conclusion":  # ending the meeting would leave little else to fuzz
            text = json.dumps({"type": "ping"})
        else:
            command = {"type": "advance_stage", "cid": uuid.uuid4().hex, "expected_stage": stage}
            text = json.dumps(command)
    assert len(text.encode()) < FRAME_CAP or frame.kind in ("binary", "bad_utf8")
    start = len(peer.messages)
    if frame.kind == "binary":
        await peer.ws.send(frame.data)
    elif frame.kind == "bad_utf8":
        await peer.ws.send(frame.data, text=True)
    else:
        await peer.ws.send(text)
    try:
        # A hello answers a resync; another one is the fresh snapshot that follows an event
        # changing what the socket may see (a consultation closing), not an answer.
        resync = _type_of(text) == "resync"
        answer = await peer.wait_for(
            lambda m: m["type"] in ANSWERS and (m["type"] != "hello" or resync), start=start
        )
    except ConnectionError:
        expected = CLOSES.get(frame.kind)
        assert peer.close_code == expected, (
            f"{frame.kind} frame closed the socket with {peer.close_code}: {text[:200]!r}"
        )
        closed = f"close {peer.close_code}"
        world.answered[closed] = world.answered.get(closed, 0) + 1
        return
    assert frame.kind not in CLOSES, f"a {frame.kind} frame was answered: {answer}"
    world.answered[answer["type"]] = world.answered.get(answer["type"], 0) + 1
    until = next(i for i, m in enumerate(peer.messages) if m is answer)
    new = [
        m["seq"]
        for m in peer.messages[start:until]
        if m["type"] not in UNSEQUENCED and m["seq"] > world.known
    ]
    if answer["type"] == "error":
        assert not new, f"refused, yet events {new} followed {text[:200]!r}: {answer}"
        assert answer["code"], answer
        assert answer["message"], answer
        return
    if answer["type"] != "ack":
        assert not new, f"events {new} followed a {answer['type']}"
        return
    if answer["duplicate"]:
        assert not new, f"a duplicate ack, yet events {new}"
        assert answer["cid"] in world.effective, f"duplicate of a cid never applied: {answer}"
        assert answer["seq"] == world.effective[answer["cid"]][1], answer
        return
    assert new == list(range(world.known + 1, answer["seq"] + 1)), (new, answer, world.known)
    if new:
        world.effective[answer["cid"]] = (text, answer["seq"])
    world.implied += len(new)
    world.known = answer["seq"]


def test_random_and_mutated_frames_get_answers_and_change_only_what_was_acked(
    world: World,
) -> None:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(FRAMES, min_size=1, max_size=6))
    @example(
        [
            Frame(
                "text",
                '{"type": "ask_question", "cid": "d", "text": ' + "[" * 2_000 + "]" * 2_000 + "}",
            )
        ]
    )
    @example([Frame("text", "[" * 20_000 + "]" * 20_000)])
    def frames_are_answered(frames: list[Frame]) -> None:
        for frame in frames:
            world.thread.run(_exchange(world, frame), timeout=2 * WITHIN)

    frames_are_answered()
    print(
        f"\nanswers: {world.answered}; {len(world.effective)} commands changed the meeting, "
        f"now at seq {world.known}"
    )

    async def afterwards() -> tuple[Json, Json, int]:
        # The fuzzed meeting holds exactly what the acks account for, in a gap-free sequence.
        if world.known:
            await world.watcher.wait_seq(world.known)
        again = Peer(world.server, world.fuzzer.meeting_id, world.fuzzer.cookie, name="again")
        fresh = await again.connect()
        await again.close()
        # The other meeting saw nothing, and its socket is still open.
        other = Peer(world.server, world.bystander.meeting_id, world.bystander.cookie)
        untouched = await other.connect()
        await other.close()
        return fresh, untouched, world.watcher.last_seq

    fresh, untouched, watched = world.thread.run(afterwards())
    assert fresh["seq"] == world.known == world.implied == watched
    seqs = [e["seq"] for e in world.watcher.events]
    assert seqs == list(range(1, world.known + 1))
    assert untouched["seq"] == 0
    assert world.bystander.events == []
    assert not world.bystander.closed.is_set()
    # And the server still answers over HTTP.
    assert httpx.get(f"{world.server.url}/api/setup", timeout=10).status_code == 200


def test_the_fuzzer_knows_every_command_type() -> None:
    assert sorted(FIELDS) == sorted(COMMAND_TYPES)
