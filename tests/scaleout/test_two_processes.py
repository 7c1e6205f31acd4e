"""Two server processes on PostgreSQL + Redis serve the same meeting (DESIGN §5)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.databases import fresh_database
from tests.e2e.test_full_consultation import _schedule
from tests.live import LiveServer, free_port
from tests.support import Participant

pytestmark = pytest.mark.slow


class RedisServer:
    """A private redis-server on a free port, so the test can restart it at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the scale-out tests"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                client.ping()
                client.close()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer, RedisServer]]:
    broker = RedisServer()
    broker.start()
    with fresh_database("postgresql", tmp_path) as url:
        env = {"CODEV_DATABASE_URL": url, "CODEV_REDIS_URL": f"redis://127.0.0.1:{broker.port}/0"}
        one = LiveServer(data_dir=tmp_path / "one", port=free_port(), env=env)
        two = LiveServer(data_dir=tmp_path / "two", port=free_port(), env=env)
        # Both processes must accept the other's origin and share the secret key (LiveServer's).
        origins = f"{one.url},{two.url}"
        one.env["CODEV_ALLOWED_ORIGINS"] = two.env["CODEV_ALLOWED_ORIGINS"] = origins
        one.start()
        try:
            yield one, two, broker
        finally:
            one.stop()
            two.stop()
            broker.stop()


def _on(server: LiveServer, person: Participant) -> Participant:
    return Participant(person.name, person.member_id, person.cookie, server, person.meeting_id)


async def test_participants_on_two_processes_see_one_gap_free_order_even_across_a_redis_restart(
    cluster: tuple[LiveServer, LiveServer, RedisServer],
) -> None:
    one, two, broker = cluster
    _meeting_id, people = await asyncio.to_thread(_schedule, one)
    await asyncio.to_thread(two.start)
    olivia = _on(one, people["Olivia"])
    claire = _on(two, people["Claire"])
    sam, ana, ben = _on(one, people["Sam"]), _on(two, people["Ana"]), _on(two, people["Ben"])
    everyone = [olivia, claire, sam, ana, ben]
    for person in everyone:
        await person.connect()

    await olivia.send("advance_stage", expected_stage="lobby")
    await olivia.send("advance_stage", expected_stage="check_in")
    await olivia.send("choose_client", member_id=claire.member_id)
    await olivia.send("advance_stage", expected_stage="client_choice")
    await olivia.send("advance_stage", expected_stage="presentation")

    # Two facilitator sockets, one on each process, race to move the stage: one wins.
    olivia_two = _on(two, people["Olivia"])
    await olivia_two.connect()
    answers = await asyncio.gather(
        olivia.send("advance_stage", expected_stage="clarification"),
        olivia_two.send("advance_stage", expected_stage="clarification"),
    )
    assert sorted(a["type"] for a in answers) == ["ack", "error"]
    assert next(a for a in answers if a["type"] == "error")["code"] == "stage_mismatch"
    await olivia.send("return_to_stage", expected_stage="contract", stage="clarification")

    async def ask(person: Participant, count: int, batch: str) -> None:
        for n in range(count):
            answer = await person.send("ask_question", text=f"{person.name} asks {batch}{n}")
            assert answer["type"] == "ack", answer

    await asyncio.gather(ask(sam, 8, "a"), ask(ana, 8, "a"), ask(ben, 8, "a"))

    # Redis goes away and comes back: commands keep committing, and nobody misses anything.
    broker.stop()
    await asyncio.gather(ask(sam, 3, "b"), ask(ana, 3, "b"))
    broker.start()
    await asyncio.gather(ask(sam, 3, "c"), ask(ben, 3, "c"))
    final = int((await olivia.send("advance_stage", expected_stage="clarification"))["seq"])

    everyone.append(olivia_two)
    for person in everyone:
        await person.wait_seq(final, within=20)
    reference = [(e["seq"], e["type"], e.get("question", {}).get("text")) for e in olivia.events]
    assert [seq for seq, _, _ in reference] == list(range(1, final + 1))
    for person in everyone:
        assert person.hello is not None
        joined = person.hello["seq"]
        seen = [(e["seq"], e["type"], e.get("question", {}).get("text")) for e in person.events]
        assert seen == [r for r in reference if r[0] > joined], person.name
    questions = [text for _, kind, text in reference if kind == "question_asked"]
    assert len(questions) == len(set(questions)) == 36
    for person in everyone:
        await person.close()


async def test_marks_and_a_shared_record_reach_each_socket_as_it_may_see_them_on_either_process(
    cluster: tuple[LiveServer, LiveServer, RedisServer],
) -> None:
    one, two, _broker = cluster
    _meeting_id, people = await asyncio.to_thread(_schedule, one)
    await asyncio.to_thread(two.start)
    olivia, claire = _on(one, people["Olivia"]), _on(two, people["Claire"])
    ana, sam = _on(one, people["Ana"]), _on(two, people["Sam"])
    for person in (olivia, claire, ana, sam):
        await person.connect()
    await olivia.send("advance_stage", expected_stage="lobby")
    await olivia.send("advance_stage", expected_stage="check_in")
    await olivia.send("choose_client", member_id=claire.member_id)
    await olivia.send("advance_stage", expected_stage="client_choice")
    headline = "A case that stays with Claire"
    assert (await claire.send("set_case", headline=headline, topic_type="problem"))["type"] == "ack"
    for stage in ("presentation", "clarification", "contract"):
        await olivia.send("advance_stage", expected_stage=stage)
    idea = await ana.send("add_contribution", kind="suggestion", text="Ask them")
    mark = await claire.send("mark_contribution", contribution_id=idea["seq"], mark="keep")
    for person in (olivia, ana, sam):  # on the other process than Claire, and on hers
        event = await person.wait_for(lambda m: m.get("seq") == mark["seq"], within=20)
        assert event["type"] == ("contribution_marked" if person is olivia else "redacted")
    ended = (await olivia.send("end_meeting", expected_stage="consultation"))["seq"]

    # At the end Ana (process one) gets a snapshot without the case; Claire shares it from
    # process two, and Ana's socket gets the event and then the case.
    first = await ana.wait_for(lambda m: m["type"] == "hello" and m["seq"] >= ended, within=20)
    assert headline not in str(first["state"])
    start = len(ana.received)
    shared = await claire.send("share_record", consultation=0, shared=True)
    event = await ana.wait_for(lambda m: m.get("seq") == shared["seq"], within=20, start=start)
    assert (event["type"], event["shared"]) == ("record_shared", True)
    again = await ana.wait_for(
        lambda m: m["type"] == "hello" and m["seq"] >= shared["seq"], within=20, start=start
    )
    assert headline in str(again["state"])
    assert '"mark": "keep"' in json.dumps(olivia.received)  # so the check below can fail
    assert '"mark": "keep"' not in json.dumps(ana.received)
    for person in (olivia, claire, ana, sam):
        await person.close()
