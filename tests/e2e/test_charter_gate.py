"""The charter at the door of the room, over real sockets: a member who has not agreed to the
current version is not let in (4409); once agreed they are; a new version does not cut them."""

from __future__ import annotations

import httpx
import pytest

from tests.live import LiveServer
from tests.reliability.helpers import Organizer, Peer, abort_all, acked

pytestmark = pytest.mark.slow


async def test_a_member_enters_only_after_agreeing_to_the_current_charter(
    server: LiveServer,
) -> None:
    org = Organizer.bootstrap(server)
    group = org.group("Circle", ["Ana", "Ben"])
    meeting = org.meeting(group, client="Ana")
    saved = org.http.post(f"/api/groups/{group.id}/charter", json={"text": "We keep it here."})
    assert saved.status_code == 201, saved.text
    ana_id = group.members["Ana"]
    cookie = org.member_cookie(ana_id)
    ana = Peer(server, meeting, cookie, ana_id, "Ana")
    try:
        await ana.open()
        refusal = await ana.wait_for(lambda m: m["type"] == "error")
        assert refusal["code"] == "charter_not_agreed"
        assert await ana.wait_closed() == 4409

        async with httpx.AsyncClient(
            base_url=server.url, cookies={"codev_session": cookie}
        ) as http:
            agreed = await http.post(f"/api/meetings/{meeting}/charter/accept", json={"version": 1})
            assert agreed.status_code == 200, agreed.text
        hello = await ana.connect()
        assert hello["you"]["member_id"] == ana_id

        # A new version: the open socket stays and can still act; the next entry asks again.
        again = org.http.post(f"/api/groups/{group.id}/charter", json={"text": "And we come."})
        assert again.status_code == 201
        acked(await ana.send("add_private_note", text="still here"))
        late = Peer(server, meeting, cookie, ana_id, "Ana again")
        await late.open()
        assert await late.wait_closed() == 4409

        # The room display is not asked.
        link = org.http.post(f"/api/meetings/{meeting}/display-link").json()["url"]
        key = link.split("key=")[1]
        display = Peer(server, meeting, None, display_key=key)
        assert (await display.connect())["role"] == "display"
    finally:
        await abort_all()
        org.close()
