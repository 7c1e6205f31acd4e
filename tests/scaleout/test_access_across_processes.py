"""Access ends on every process: a change made on one process cuts the sockets on the other.

The notice goes through Redis (``codev:access``), in the same queue as the events of the process
that made the change, so the other process holds its sockets before any later event arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.live import LiveServer
from tests.reliability.conftest import Live
from tests.reliability.cuts import GONE, SIGNED_OUT, cut, report_cuts, rest, still_served
from tests.reliability.helpers import Group, Organizer, Peer, abort_all
from tests.scaleout.test_two_processes import RedisServer, cluster

pytestmark = pytest.mark.slow

__all__ = ["cluster"]  # the fixture, shared with test_two_processes

Cluster = tuple[LiveServer, LiveServer, RedisServer]


@pytest.fixture(scope="module", autouse=True)
def _report_the_cuts() -> Iterator[None]:
    yield
    report_cuts()


@pytest.fixture(autouse=True)
async def _no_socket_left_open() -> AsyncIterator[None]:
    yield
    await abort_all()


async def _two_sides(cluster: Cluster, members: list[str]) -> tuple[Live, Group, str]:
    """The organizer on process one, a group and a meeting; process two started too."""
    one, two, _broker = cluster
    org = await asyncio.to_thread(Organizer.bootstrap, one)
    group = await asyncio.to_thread(org.group, "Split circle", members)
    meeting = await asyncio.to_thread(org.meeting, group, client=members[0])
    await asyncio.to_thread(two.start)
    return Live(one, org), group, meeting


def _on(server: LiveServer, peer: Peer) -> Peer:
    return Peer(
        server, peer.meeting_id, peer.cookie, peer.member_id, f"{peer.name} on {server.port}"
    )


async def test_a_member_revoked_on_one_process_loses_their_socket_on_the_other(
    cluster: Cluster,
) -> None:
    one, two, _broker = cluster
    live, group, meeting = await _two_sides(cluster, ["Claire", "Ana"])
    people = await asyncio.to_thread(live.org.peers, group, meeting, ["Olivia", "Claire", "Ana"])
    olivia = people["Olivia"]  # on process one, where the change is made
    claire, ana = _on(two, people["Claire"]), _on(two, people["Ana"])
    ana_here = _on(one, people["Ana"])
    for person in (olivia, claire, ana, ana_here):
        await person.connect()

    def revoke() -> None:
        rest(live, "DELETE", f"/api/members/{ana.member_id}/invite")

    victims = {ana: SIGNED_OUT, ana_here: SIGNED_OUT}
    await cut("revoked, other process", revoke, victims, olivia, across_processes=True)
    await still_served(claire, olivia)
    live.org.close()


async def test_a_meeting_deleted_on_one_process_closes_its_sockets_on_the_other(
    cluster: Cluster,
) -> None:
    one, two, _broker = cluster
    live, group, meeting = await _two_sides(cluster, ["Claire", "Ana"])
    other = await asyncio.to_thread(live.org.meeting, group, client="Ana", title="Other meeting")
    people = await asyncio.to_thread(live.org.peers, group, meeting, ["Olivia", "Claire", "Ana"])
    elsewhere = await asyncio.to_thread(live.org.peers, group, other, ["Olivia", "Claire"])
    victims = [_on(two, p) for p in people.values()] + [_on(one, people["Ana"])]
    bystanders = [_on(two, elsewhere["Claire"]), _on(one, elsewhere["Olivia"])]
    for person in (*victims, *bystanders):
        await person.connect()

    def delete() -> None:
        rest(live, "DELETE", f"/api/meetings/{meeting}")

    await cut("meeting deleted, other process", delete, dict.fromkeys(victims, GONE))
    await still_served(bystanders[0], bystanders[1])
    live.org.close()


async def test_a_group_deleted_on_one_process_closes_its_sockets_on_the_other(
    cluster: Cluster,
) -> None:
    _one, two, _broker = cluster
    live, group, meeting = await _two_sides(cluster, ["Claire", "Ana"])
    people = await asyncio.to_thread(live.org.peers, group, meeting, ["Olivia", "Claire", "Ana"])
    on_two = {name: _on(two, p) for name, p in people.items()}
    for person in on_two.values():
        await person.connect()

    def delete() -> None:
        rest(live, "DELETE", f"/api/groups/{group.id}")

    # Members are signed out with their group (4401); the organizer finds the meeting gone.
    victims = {p: GONE if name == "Olivia" else SIGNED_OUT for name, p in on_two.items()}
    await cut("group deleted, other process", delete, victims)
    live.org.close()
