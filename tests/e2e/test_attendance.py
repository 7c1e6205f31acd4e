"""Attendance over real sockets: joining a meeting is recorded, the facilitator confirms it in
the room, and the cycle shows it."""

from __future__ import annotations

import pytest

from tests.live import LiveServer
from tests.reliability.helpers import Organizer, abort_all, acked, refused

pytestmark = pytest.mark.slow


async def test_who_joined_is_proposed_present_and_the_facilitators_confirmation_reaches_all(
    server: LiveServer,
) -> None:
    org = Organizer.bootstrap(server)
    group = org.group("Circle", ["Ana", "Ben", "Cleo"])
    made = org.http.post(
        f"/api/groups/{group.id}/cycles",
        json={
            "name": "Spring",
            "starts_at": "2027-01-12T17:00:00Z",
            "facilitator_id": group.facilitator_id,
        },
    )
    assert made.status_code == 201, made.text
    cycle = made.json()
    first = cycle["meetings"][0]["id"]
    peers = org.peers(group, first, ["Olivia", "Ana", "Ben"])
    try:
        for peer in peers.values():
            await peer.connect()
        olivia, ana = peers["Olivia"], peers["Ana"]
        acked(await olivia.send("advance_stage", expected_stage="lobby"))
        presence = org.http.get(f"/api/meetings/{first}/presence").json()
        assert {p["member_id"] for p in presence} == {
            group.facilitator_id,
            group.members["Ana"],
            group.members["Ben"],
        }

        shown = org.http.get(f"/api/cycles/{cycle['id']}").json()["meetings"][0]
        assert shown["attendance"] == {
            group.members["Ana"]: "present",
            group.members["Ben"]: "present",
            group.members["Cleo"]: "absent",
        }
        assert shown["confirmed"] == []

        cleo = group.members["Cleo"]
        refused(await ana.send("confirm_attendance", member_id=cleo, status="excused"), "forbidden")
        answer = acked(await olivia.send("confirm_attendance", member_id=cleo, status="excused"))
        event = await ana.wait_for(lambda m: m["type"] == "attendance_confirmed")
        assert (event["member_id"], event["status"], event["seq"]) == (
            cleo,
            "excused",
            answer["seq"],
        )
        bad = await olivia.send("confirm_attendance", member_id=cleo, status="late")
        refused(bad, "invalid_message")

        after = org.http.get(f"/api/cycles/{cycle['id']}").json()
        assert after["meetings"][0]["attendance"][cleo] == "excused"
        assert after["meetings"][0]["confirmed"] == [cleo]
        rows = {r["name"]: r for r in after["members"]}
        assert rows["Ana"]["client_at"] == first
        assert rows["Cleo"]["absent_last_time"] is False
    finally:
        await abort_all()
        org.close()
