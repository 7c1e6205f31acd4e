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
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.live import LiveServer, free_port
from tests.reliability.conftest import Live
from tests.reliability.cuts import (
    GONE,
    NOT_A_PARTICIPANT,
    SIGNED_OUT,
    cut,
    open_circle,
    report_cuts,
    rest,
    still_served,
)
from tests.reliability.helpers import Organizer, Peer
from tests.support import session_cookie_for_invite

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _report_the_cuts() -> Iterator[None]:
    yield
    report_cuts()


async def test_revoking_a_members_invite_closes_their_open_socket(shared: Live) -> None:
    circle = await open_circle(shared, "Revoked circle", ["Claire", "Ana"])
    olivia, claire, ana = circle.people.values()

    def revoke() -> None:
        rest(shared, "DELETE", f"/api/members/{ana.member_id}/invite")

    await cut("invite revoked", revoke, {ana: SIGNED_OUT}, olivia)
    await still_served(claire, olivia)
    await ana.open()  # and the cookie no longer opens the socket
    assert await ana.wait_closed() == 4401


async def test_a_new_invite_link_ends_the_sessions_the_old_link_opened(shared: Live) -> None:
    circle = await open_circle(shared, "Leaked link circle", ["Claire", "Ana"])
    olivia, claire, ana = circle.people.values()
    fresh: list[str] = []

    def reinvite() -> None:
        made = shared.org.http.post(f"/api/members/{ana.member_id}/invite")
        assert made.status_code == 201, made.text
        fresh.append(made.json()["url"])

    await cut("new invite link", reinvite, {ana: SIGNED_OUT}, olivia)
    await still_served(claire, olivia)
    # The fresh link signs Ana in again.
    cookie = await asyncio.to_thread(session_cookie_for_invite, shared.server, fresh[0])
    again = Peer(shared.server, circle.meeting, cookie, ana.member_id, "Ana, fresh link")
    assert (await again.connect())["you"]["member_id"] == ana.member_id
    await again.close()


async def test_a_deleted_member_loses_their_open_socket(shared: Live) -> None:
    circle = await open_circle(shared, "Deleted member circle", ["Claire", "Ana", "Ben"])
    olivia, claire, ana, ben = circle.people.values()
    ana_again = Peer(shared.server, circle.meeting, ana.cookie, ana.member_id, "Ana, 2nd tab")
    await ana_again.connect()

    def delete() -> None:
        rest(shared, "DELETE", f"/api/members/{ana.member_id}")

    await cut("member deleted", delete, {ana: SIGNED_OUT, ana_again: SIGNED_OUT}, olivia)
    await still_served(claire, olivia)
    await still_served(ben, olivia)


async def test_logging_out_closes_the_sockets_of_that_session_only(shared: Live) -> None:
    circle = await open_circle(shared, "Logout circle", ["Claire", "Ana"])
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
        rest(shared, "POST", "/api/auth/logout", cookie=tab)

    await cut("member logged out", logout, {in_tab: SIGNED_OUT}, olivia)
    await still_served(on_phone, olivia)
    await still_served(claire, olivia)


async def test_an_organizer_logging_out_elsewhere_closes_that_sessions_socket(
    shared: Live,
) -> None:
    circle = await open_circle(shared, "Organizer logout circle", ["Claire", "Ana"])
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
        rest(shared, "POST", "/api/auth/logout", cookie=cookie)

    await cut("organizer logged out", logout, {elsewhere: SIGNED_OUT}, olivia)
    await still_served(claire, olivia)  # her other session (the witness) is untouched


async def test_a_lobby_replan_that_drops_a_participant_closes_their_socket(shared: Live) -> None:
    circle = await open_circle(
        shared, "Replanned circle", ["Claire", "Ana", "Ben"], participants=["Claire", "Ana", "Ben"]
    )
    olivia, claire, ana, ben = circle.people.values()
    keep = [circle.group.facilitator_id, claire.member_id, ben.member_id]

    def replan() -> None:
        rest(shared, "PATCH", f"/api/meetings/{circle.meeting}", json={"participant_ids": keep})

    await cut("replanned out", replan, {ana: NOT_A_PARTICIPANT}, olivia)
    await still_served(claire, olivia)
    await still_served(ben, olivia)
    await ana.open()
    assert await ana.wait_closed() == 4403


def _display_key(live: Live, meeting: str) -> str:
    link = live.org.http.post(f"/api/meetings/{meeting}/display-link")
    assert link.status_code == 201, link.text
    return parse_qs(urlparse(link.json()["url"]).query)["key"][0]


async def test_replacing_the_display_link_closes_the_old_display(shared: Live) -> None:
    circle = await open_circle(shared, "Display circle", ["Claire", "Ana"])
    olivia, claire, _ana = circle.people.values()
    old_key = await asyncio.to_thread(_display_key, shared, circle.meeting)
    old = Peer(shared.server, circle.meeting, None, name="old display", display_key=old_key)
    await old.connect()
    new_key: list[str] = []

    def replace() -> None:
        new_key.append(_display_key(shared, circle.meeting))

    await cut("display link replaced", replace, {old: GONE}, olivia)
    new = Peer(shared.server, circle.meeting, None, name="new display", display_key=new_key[0])
    assert (await new.connect())["role"] == "display"
    await still_served(claire, olivia)
    await new.close()


async def test_deleting_a_meeting_closes_its_sockets_with_an_error(shared: Live) -> None:
    circle = await open_circle(shared, "Deleted meeting circle", ["Claire", "Ana"])
    other = await open_circle(shared, "Untouched circle", ["Claire", "Ana"])

    def delete() -> None:
        rest(shared, "DELETE", f"/api/meetings/{circle.meeting}")

    await cut("meeting deleted", delete, dict.fromkeys(circle.people.values(), GONE))
    await still_served(other.people["Claire"], other.people["Olivia"])


async def test_deleting_a_group_closes_the_sockets_of_all_its_meetings(shared: Live) -> None:
    circle = await open_circle(shared, "Deleted group circle", ["Claire", "Ana"])
    org = shared.org
    second = await asyncio.to_thread(org.meeting, circle.group, client="Ana", title="Second")
    in_second = await asyncio.to_thread(org.peers, circle.group, second, ["Olivia", "Claire"])
    for person in in_second.values():
        await person.connect()
    other = await open_circle(shared, "Neighbouring circle", ["Claire", "Ana"])

    def delete() -> None:
        rest(shared, "DELETE", f"/api/groups/{circle.group.id}")

    # The members are signed out with their group (4401); the organizer is not, and finds
    # the meetings gone (4404).
    victims = {
        peer: GONE if peer.name == "Olivia" else SIGNED_OUT
        for peer in [*circle.people.values(), *in_second.values()]
    }
    await cut("group deleted", delete, victims)
    await still_served(other.people["Ana"], other.people["Olivia"])


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
    circle = await open_circle(swept, "Swept circle", ["Claire", "Ana", "Ben"])
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

    await cut("swept: session gone", sign_ana_out, {ana: SIGNED_OUT}, announced=False)
    await cut("swept: expired", expire_bens_session, {ben: SIGNED_OUT}, announced=False)
    await still_served(claire, olivia)
