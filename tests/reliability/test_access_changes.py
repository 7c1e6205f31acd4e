"""Access ends when it ends: a socket whose access changes is decided again at once.

Each test opens real sockets, makes one change over REST (revoke, new invite, delete, logout,
replan, new display link, delete the meeting or group) and checks that the socket it cuts gets one
``error`` with the documented code and closes with 4401 / 4403 / 4404, that a command it sends
just after the change is neither applied nor acked, and that an event published after the change
never reaches it; the others' sockets stay and keep receiving.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.live import LiveServer, free_port
from tests.reliability.conftest import Live
from tests.reliability.helpers import Group, Organizer, Peer, acked, cid
from tests.support import session_cookie_for_invite

pytestmark = pytest.mark.slow

CUTS: list[tuple[str, float]] = []
"""(what, seconds from the change's request to the close) for every socket cut here: the
figures of the report (``-s`` prints them); not asserted, timing is not a test."""


@pytest.fixture(scope="module", autouse=True)
def _report_the_cuts() -> Iterator[None]:
    yield
    if CUTS:
        times = sorted(t for _, t in CUTS)
        print(
            f"\nsockets cut: {len(CUTS)}; change → close: min {times[0] * 1000:.0f} ms, "
            f"median {times[len(times) // 2] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
        )


@dataclass
class Circle:
    group: Group
    meeting: str
    people: dict[str, Peer]


async def _circle(live: Live, name: str, members: list[str], **plan: object) -> Circle:
    """A fresh group and meeting on the shared server, every named person's socket open."""
    org = live.org
    group = await asyncio.to_thread(org.group, name, members)
    meeting = await asyncio.to_thread(org.meeting, group, client=members[0], **plan)  # type: ignore[arg-type]
    people = await asyncio.to_thread(org.peers, group, meeting, ["Olivia", *members])
    for person in people.values():
        await person.connect()
    return Circle(group, meeting, people)


def _rest(live: Live, method: str, path: str, cookie: str | None = None, **kw: object) -> None:
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


async def _cut(
    what: str,
    change: Callable[[], None],
    victims: dict[Peer, tuple[int, str]],
    witness: Peer | None = None,
    *,
    announced: bool = True,
) -> None:
    """Make ``change``; each victim gets one error and its close code, and nothing after it.
    A change not ``announced`` (no notice: the sweep finds it) may serve a command meanwhile."""
    caught_up = witness.last_seq if witness is not None else 0
    for victim in victims:
        if victim.last_seq < caught_up:
            await victim.wait_seq(caught_up)
    marks = {id(v): len(v.messages) for v in victims}
    before = witness.last_seq if witness is not None else 0
    started = time.monotonic()
    await asyncio.to_thread(change)
    # At once: each victim tries to act, and the witness publishes an event.
    attempts = {}
    for victim in victims:
        if victim.display_key is None and announced:
            attempts[id(victim)] = attempt = cid()
            note = {"type": "add_private_note", "cid": attempt, "text": f"{victim.name} after"}
            with contextlib.suppress(ConnectionClosed):
                await victim.post(note)
    after = None
    if witness is not None:
        after = acked(await witness.send("add_private_note", text="published after"))["seq"]
    for victim, (close_code, error_code) in victims.items():
        assert await victim.wait_closed() == close_code, victim.name
        CUTS.append((what, time.monotonic() - started))
        since = victim.messages[marks[id(victim)] :]
        errors = [(m["code"], m["cid"]) for m in since if m["type"] == "error"]
        assert errors == [(error_code, None)], (victim.name, since)
        assert not any(m["type"] == "ack" for m in since), (victim.name, since)
        if after is not None:
            leaked = [m for m in victim.events if m["seq"] >= after]
            assert leaked == [], (victim.name, leaked)
    if witness is not None:
        # None of the victims' attempts was applied: the witness's own events are all there is.
        final = acked(await witness.send("add_private_note", text="and later"))["seq"]
        await witness.wait_seq(final)
        seqs = [e["seq"] for e in witness.events if e["seq"] > before]
        assert seqs[-2:] == [after, final], seqs
        assert final == after + 1  # type: ignore[operator]
        assert not witness.closed.is_set()


async def _still_served(peer: Peer, witness: Peer) -> None:
    """The peer's socket stayed: it receives the witness's next event and its commands apply."""
    seq = acked(await witness.send("add_private_note", text="for everyone still here"))["seq"]
    await peer.wait_seq(seq)
    acked(await peer.send("add_private_note", text=f"{peer.name} is still here"))


async def test_revoking_a_members_invite_closes_their_open_socket(shared: Live) -> None:
    circle = await _circle(shared, "Revoked circle", ["Claire", "Ana"])
    olivia, claire, ana = circle.people.values()

    def revoke() -> None:
        _rest(shared, "DELETE", f"/api/members/{ana.member_id}/invite")

    await _cut("invite revoked", revoke, {ana: SIGNED_OUT}, olivia)
    await _still_served(claire, olivia)
    await ana.open()  # and the cookie no longer opens the socket
    assert await ana.wait_closed() == 4401


async def test_a_new_invite_link_ends_the_sessions_the_old_link_opened(shared: Live) -> None:
    circle = await _circle(shared, "Leaked link circle", ["Claire", "Ana"])
    olivia, claire, ana = circle.people.values()
    fresh: list[str] = []

    def reinvite() -> None:
        made = shared.org.http.post(f"/api/members/{ana.member_id}/invite")
        assert made.status_code == 201, made.text
        fresh.append(made.json()["url"])

    await _cut("new invite link", reinvite, {ana: SIGNED_OUT}, olivia)
    await _still_served(claire, olivia)
    # The fresh link signs Ana in again.
    cookie = await asyncio.to_thread(session_cookie_for_invite, shared.server, fresh[0])
    again = Peer(shared.server, circle.meeting, cookie, ana.member_id, "Ana, fresh link")
    assert (await again.connect())["you"]["member_id"] == ana.member_id
    await again.close()


async def test_a_deleted_member_loses_their_open_socket(shared: Live) -> None:
    circle = await _circle(shared, "Deleted member circle", ["Claire", "Ana", "Ben"])
    olivia, claire, ana, ben = circle.people.values()
    ana_again = Peer(shared.server, circle.meeting, ana.cookie, ana.member_id, "Ana, 2nd tab")
    await ana_again.connect()

    def delete() -> None:
        _rest(shared, "DELETE", f"/api/members/{ana.member_id}")

    await _cut("member deleted", delete, {ana: SIGNED_OUT, ana_again: SIGNED_OUT}, olivia)
    await _still_served(claire, olivia)
    await _still_served(ben, olivia)


async def test_logging_out_closes_the_sockets_of_that_session_only(shared: Live) -> None:
    circle = await _circle(shared, "Logout circle", ["Claire", "Ana"])
    olivia, claire, ana = circle.people.values()
    # Ana signs in on a second browser with the same link: another session, another socket.
    link = await asyncio.to_thread(shared.org.http.post, f"/api/members/{ana.member_id}/invite")
    assert link.status_code == 201, link.text
    url = link.json()["url"]
    await ana.wait_closed()  # the new link ended her first session (the test above)
    tab = await asyncio.to_thread(session_cookie_for_invite, shared.server, url)
    phone = await asyncio.to_thread(session_cookie_for_invite, shared.server, url)
    in_tab = Peer(shared.server, circle.meeting, tab, ana.member_id, "Ana in a tab")
    on_phone = Peer(shared.server, circle.meeting, phone, ana.member_id, "Ana on her phone")
    await in_tab.connect()
    await on_phone.connect()

    def logout() -> None:
        _rest(shared, "POST", "/api/auth/logout", cookie=tab)

    await _cut("member logged out", logout, {in_tab: SIGNED_OUT}, olivia)
    await _still_served(on_phone, olivia)
    await _still_served(claire, olivia)


async def test_an_organizer_logging_out_elsewhere_closes_that_sessions_socket(
    shared: Live,
) -> None:
    circle = await _circle(shared, "Organizer logout circle", ["Claire", "Ana"])
    olivia, claire, _ana = circle.people.values()
    async with httpx.AsyncClient(base_url=shared.server.url, timeout=10) as laptop:
        signed_in = await laptop.post(
            "/api/auth/login", json={"email": "org@example.org", "password": "a long password"}
        )
        assert signed_in.status_code == 200, signed_in.text
        cookie = str(laptop.cookies["codev_session"])
    elsewhere = Peer(shared.server, circle.meeting, cookie, olivia.member_id, "Olivia, laptop")
    await elsewhere.connect()

    def logout() -> None:
        _rest(shared, "POST", "/api/auth/logout", cookie=cookie)

    await _cut("organizer logged out", logout, {elsewhere: SIGNED_OUT}, olivia)
    await _still_served(claire, olivia)  # her other session (the witness) is untouched


async def test_a_lobby_replan_that_drops_a_participant_closes_their_socket(shared: Live) -> None:
    circle = await _circle(
        shared, "Replanned circle", ["Claire", "Ana", "Ben"], participants=["Claire", "Ana", "Ben"]
    )
    olivia, claire, ana, ben = circle.people.values()
    keep = [circle.group.facilitator_id, claire.member_id, ben.member_id]

    def replan() -> None:
        _rest(shared, "PATCH", f"/api/meetings/{circle.meeting}", json={"participant_ids": keep})

    await _cut("replanned out", replan, {ana: NOT_A_PARTICIPANT}, olivia)
    await _still_served(claire, olivia)
    await _still_served(ben, olivia)
    await ana.open()
    assert await ana.wait_closed() == 4403


def _display_key(live: Live, meeting: str) -> str:
    link = live.org.http.post(f"/api/meetings/{meeting}/display-link")
    assert link.status_code == 201, link.text
    return parse_qs(urlparse(link.json()["url"]).query)["key"][0]


async def test_replacing_the_display_link_closes_the_old_display(shared: Live) -> None:
    circle = await _circle(shared, "Display circle", ["Claire", "Ana"])
    olivia, claire, _ana = circle.people.values()
    old_key = await asyncio.to_thread(_display_key, shared, circle.meeting)
    old = Peer(shared.server, circle.meeting, None, name="old display", display_key=old_key)
    await old.connect()
    new_key: list[str] = []

    def replace() -> None:
        new_key.append(_display_key(shared, circle.meeting))

    await _cut("display link replaced", replace, {old: GONE}, olivia)
    new = Peer(shared.server, circle.meeting, None, name="new display", display_key=new_key[0])
    assert (await new.connect())["role"] == "display"
    await _still_served(claire, olivia)
    await new.close()


async def test_deleting_a_meeting_closes_its_sockets_with_an_error(shared: Live) -> None:
    circle = await _circle(shared, "Deleted meeting circle", ["Claire", "Ana"])
    other = await _circle(shared, "Untouched circle", ["Claire", "Ana"])

    def delete() -> None:
        _rest(shared, "DELETE", f"/api/meetings/{circle.meeting}")

    await _cut("meeting deleted", delete, dict.fromkeys(circle.people.values(), GONE))
    await _still_served(other.people["Claire"], other.people["Olivia"])


async def test_deleting_a_group_closes_the_sockets_of_all_its_meetings(shared: Live) -> None:
    circle = await _circle(shared, "Deleted group circle", ["Claire", "Ana"])
    org = shared.org
    second = await asyncio.to_thread(org.meeting, circle.group, client="Ana", title="Second")
    in_second = await asyncio.to_thread(org.peers, circle.group, second, ["Olivia", "Claire"])
    for person in in_second.values():
        await person.connect()
    other = await _circle(shared, "Neighbouring circle", ["Claire", "Ana"])

    def delete() -> None:
        _rest(shared, "DELETE", f"/api/groups/{circle.group.id}")

    # The members are signed out with their group (4401); the organizer is not, and finds
    # the meetings gone (4404).
    victims = {
        peer: GONE if peer.name == "Olivia" else SIGNED_OUT
        for peer in [*circle.people.values(), *in_second.values()]
    }
    await _cut("group deleted", delete, victims)
    await _still_served(other.people["Ana"], other.people["Olivia"])


# --- a change nobody announced: the sweep ---------------------------------------------------------


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A server that decides every socket's access again twice a second."""
    data = tmp_path_factory.mktemp("swept") / "data"
    server = LiveServer(data, free_port(), env={"CODEV_ACCESS_SWEEP_SECONDS": "0.5"})
    server.start()
    org = Organizer.bootstrap(server)
    try:
        yield Live(server, org)
    finally:
        org.close()
        server.stop()


def _behind_the_servers_back(data_dir: Path, statement: str, *args: str) -> None:
    """Change the database directly, as a lost notice would leave it: no notice is published."""
    with contextlib.closing(sqlite3.connect(data_dir / "codev.db", timeout=10)) as db:
        changed = db.execute(statement, args).rowcount
        db.commit()
    assert changed == 1


async def test_a_change_whose_notice_was_lost_is_caught_by_the_sweep(swept: Live) -> None:
    circle = await _circle(swept, "Swept circle", ["Claire", "Ana", "Ben"])
    olivia, claire, ana, ben = circle.people.values()
    data = swept.server.data_dir

    def sign_ana_out() -> None:
        _behind_the_servers_back(data, "DELETE FROM authsession WHERE member_id = ?", ana.member_id)

    def expire_bens_session() -> None:
        _behind_the_servers_back(
            data,
            "UPDATE authsession SET expires_at = '2000-01-01 00:00:00.000000' WHERE member_id = ?",
            ben.member_id,
        )

    await _cut("swept: session gone", sign_ana_out, {ana: SIGNED_OUT}, announced=False)
    await _cut("swept: expired", expire_bens_session, {ben: SIGNED_OUT}, announced=False)
    await _still_served(claire, olivia)
