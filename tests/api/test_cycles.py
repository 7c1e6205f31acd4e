"""Cycles over REST: all meetings scheduled at once, a rotation every member is client in once,
swaps, and attendance read from the meetings themselves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from app.stages import commands as c
from app.store.models import Cycle, Meeting, MeetingPresence
from tests.api.factories import (
    browser,
    database,
    facilitator_of,
    make_group,
    make_members,
    make_organizer,
    sign_in_member,
)

Json = dict[str, Any]
START = "2027-01-12T18:00:00+01:00"


async def _group(client: httpx.AsyncClient, app: FastAPI, *names: str) -> tuple[Json, list[Json]]:
    await make_organizer(app, client)
    group = await make_group(client)
    members = await make_members(client, group["id"], *names)
    return group, members


async def _cycle(client: httpx.AsyncClient, group: Json, **fields: Any) -> Json:
    body = {
        "name": "Spring cycle",
        "starts_at": START,
        "rhythm_weeks": 2,
        "facilitator_id": facilitator_of(group),
        "video_url": "https://meet.example.org/circle",
        **fields,
    }
    response = await client.post(f"/api/groups/{group['id']}/cycles", json=body)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


async def _start(app: FastAPI, group: Json, meeting_id: str) -> None:
    """The facilitator opens the meeting, through the live write path."""
    meetings = app.state.services.meetings
    await meetings.execute(
        meeting_id, facilitator_of(group), None, c.AdvanceStage(expected_stage="lobby")
    )


async def test_a_cycle_schedules_one_meeting_per_member_every_n_weeks_each_with_its_client(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, ben, cleo) = await _group(client, app, "Ana", "Ben", "Cleo")
    cycle = await _cycle(client, group)

    assert cycle["planned_meetings"] == 3
    meetings = cycle["meetings"]
    assert [m["title"] for m in meetings] == [f"Spring cycle · {n}" for n in (1, 2, 3)]
    assert [m["scheduled_for"] for m in meetings] == [
        "2027-01-12T17:00:00Z",
        "2027-01-26T17:00:00Z",
        "2027-02-09T17:00:00Z",
    ]
    assert [m["clients"] for m in meetings] == [[ana["id"]], [ben["id"]], [cleo["id"]]]
    first = (await client.get(f"/api/meetings/{meetings[0]['id']}")).json()
    assert first["video_url"] == "https://meet.example.org/circle"
    assert first["cycle_id"] == cycle["id"]
    assert first["plan"]["facilitator"] == facilitator_of(group)
    assert first["plan"]["consultations"][0]["client"] == ana["id"]
    listed = (await client.get(f"/api/groups/{group['id']}/meetings")).json()
    assert len(listed) == 3
    assert [r["planned_at"] for r in cycle["members"]] == [m["id"] for m in meetings]
    assert not any(r["due"] for r in cycle["members"])


async def test_two_consultations_a_meeting_halve_the_meetings_and_extras_choose_on_the_day(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, ben, cleo) = await _group(client, app, "Ana", "Ben", "Cleo")
    cycle = await _cycle(client, group, consultations_per_meeting=2)
    assert [m["clients"] for m in cycle["meetings"]] == [[ana["id"], ben["id"]], [cleo["id"], None]]
    second = (await client.get(f"/api/meetings/{cycle['meetings'][1]['id']}")).json()
    assert "client_choice" in second["plan"]["openers"]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"starts_at": "2027-01-12T18:00:00"}, "starts_at"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"rhythm_weeks": 0}, "rhythm_weeks"),
        ({"rhythm_weeks": "2"}, "rhythm_weeks"),
        ({"planned_meetings": 25}, "planned_meetings"),
        ({"planned_meetings": 0}, "planned_meetings"),
        ({"name": "  "}, "name"),
        ({"consultations_per_meeting": 3}, "consultations_per_meeting"),
        ({"video_url": "http://meet.example.org"}, "video_url"),
        ({"facilitator_id": "nobody"}, "not members of this group"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_bad_cycle_input_gets_a_typed_error_and_schedules_nothing(
    client: httpx.AsyncClient, app: FastAPI, fields: Json, where: str
) -> None:
    group, _ = await _group(client, app, "Ana", "Ben")
    body = {"name": "Spring", "starts_at": START, "facilitator_id": facilitator_of(group)}
    response = await client.post(f"/api/groups/{group['id']}/cycles", json={**body, **fields})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"
    assert where in response.json()["error"]["message"]
    async with database(app) as session:
        assert (await session.exec(select(Cycle))).all() == []
        assert (await session.exec(select(Meeting))).all() == []


async def test_a_member_reads_the_cycle_but_may_not_create_one_or_swap_turns(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, ben) = await _group(client, app, "Ana", "Ben")
    cycle = await _cycle(client, group)
    async with browser(app) as member:
        await sign_in_member(client, member, ana["id"])
        read = await member.get(f"/api/cycles/{cycle['id']}")
        assert read.status_code == 200
        assert [r["name"] for r in read.json()["members"]] == ["Ana", "Ben"]
        listed = await member.get(f"/api/groups/{group['id']}/cycles")
        assert [c["id"] for c in listed.json()] == [cycle["id"]]
        body = {"name": "Mine", "starts_at": START, "facilitator_id": ana["id"]}
        made = await member.post(f"/api/groups/{group['id']}/cycles", json=body)
        assert made.status_code == 403
        swap = {"member_ids": [ana["id"], ben["id"]]}
        swapped = await member.post(f"/api/cycles/{cycle['id']}/rotation/swap", json=swap)
        assert swapped.status_code == 403
    after = (await client.get(f"/api/cycles/{cycle['id']}")).json()
    assert [m["clients"] for m in after["meetings"]] == [[ana["id"]], [ben["id"]]]


async def test_another_groups_organizer_finds_no_such_cycle(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, _ = await _group(client, app, "Ana", "Ben")
    cycle = await _cycle(client, group)
    async with browser(app) as other:
        await make_organizer(app, other, email="oscar@example.org")
        response = await other.get(f"/api/cycles/{cycle['id']}")
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "there is no such cycle"
        listed = await other.get(f"/api/groups/{group['id']}/cycles")
        assert listed.status_code == 404
        swap = await other.post(
            f"/api/cycles/{cycle['id']}/rotation/swap", json={"member_ids": ["a", "b"]}
        )
        assert swap.status_code == 404


async def test_a_swap_exchanges_two_turns_in_one_request_and_the_lobby_plans_follow(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, ben, cleo) = await _group(client, app, "Ana", "Ben", "Cleo")
    cycle = await _cycle(client, group)
    response = await client.post(
        f"/api/cycles/{cycle['id']}/rotation/swap", json={"member_ids": [ana["id"], cleo["id"]]}
    )
    assert response.status_code == 200, response.text
    assert [m["clients"] for m in response.json()["meetings"]] == [
        [cleo["id"]],
        [ben["id"]],
        [ana["id"]],
    ]
    first = (await client.get(f"/api/meetings/{cycle['meetings'][0]['id']}")).json()
    assert first["plan"]["consultations"][0]["client"] == cleo["id"]


async def test_a_member_who_has_been_client_is_not_given_another_turn(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, ben, cleo) = await _group(client, app, "Ana", "Ben", "Cleo")
    cycle = await _cycle(client, group)
    await _start(app, group, cycle["meetings"][0]["id"])
    response = await client.post(
        f"/api/cycles/{cycle['id']}/rotation/swap", json={"member_ids": [ana["id"], cleo["id"]]}
    )
    assert response.status_code == 422
    assert "already been client" in response.json()["error"]["message"]
    after = (await client.get(f"/api/cycles/{cycle['id']}")).json()
    assert [m["clients"] for m in after["meetings"]] == [[ana["id"]], [ben["id"]], [cleo["id"]]]
    assert after["members"][0]["client_at"] == cycle["meetings"][0]["id"]


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["same", "same"], "two different members"),
        (["nobody", "stranger"], "not members who take turns"),
        (["one"], "member_ids"),
    ],
)
async def test_a_bad_swap_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, ids: list[str], message: str
) -> None:
    group, members = await _group(client, app, "Ana", "Ben")
    cycle = await _cycle(client, group)
    response = await client.post(
        f"/api/cycles/{cycle['id']}/rotation/swap", json={"member_ids": ids}
    )
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]
    after = (await client.get(f"/api/cycles/{cycle['id']}")).json()
    assert [m["clients"] for m in after["meetings"]] == [[m["id"]] for m in members]


async def test_swapping_with_a_new_member_hands_them_the_turn_and_the_other_is_due_again(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (_ana, ben) = await _group(client, app, "Ana", "Ben")
    cycle = await _cycle(client, group)
    [dana] = await make_members(client, group["id"], "Dana")
    before = (await client.get(f"/api/cycles/{cycle['id']}")).json()
    assert [(r["name"], r["due"]) for r in before["members"]][-1] == ("Dana", True)
    response = await client.post(
        f"/api/cycles/{cycle['id']}/rotation/swap", json={"member_ids": [ben["id"], dana["id"]]}
    )
    assert response.status_code == 200, response.text
    rows = {r["name"]: r for r in response.json()["members"]}
    assert rows["Dana"]["planned_at"] == cycle["meetings"][1]["id"]
    assert rows["Ben"]["due"] is True


async def test_attendance_is_proposed_from_presence_confirmed_by_the_facilitator_and_shown(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, ben, cleo) = await _group(client, app, "Ana", "Ben", "Cleo")
    cycle = await _cycle(client, group)
    first = cycle["meetings"][0]["id"]
    assert cycle["meetings"][0]["attendance"] == {}  # nothing before the meeting starts
    await _start(app, group, first)
    async with database(app) as session:
        session.add(MeetingPresence(meeting_id=first, member_id=ana["id"]))
        await session.commit()
    await app.state.services.meetings.execute(
        first,
        facilitator_of(group),
        None,
        c.ConfirmAttendance(member_id=cleo["id"], status="excused"),
    )

    after = (await client.get(f"/api/cycles/{cycle['id']}")).json()
    row = after["meetings"][0]
    assert row["attendance"] == {ana["id"]: "present", ben["id"]: "absent", cleo["id"]: "excused"}
    assert row["confirmed"] == [cleo["id"]]
    standing = {r["name"]: r["absent_last_time"] for r in after["members"]}
    assert standing == {"Ana": False, "Ben": True, "Cleo": False}
    presence = (await client.get(f"/api/meetings/{first}/presence")).json()
    assert [p["member_id"] for p in presence] == [ana["id"]]


async def test_moving_one_meeting_of_the_cycle_changes_only_its_date(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, _ = await _group(client, app, "Ana", "Ben")
    cycle = await _cycle(client, group)
    second = cycle["meetings"][1]["id"]
    moved = await client.patch(
        f"/api/meetings/{second}", json={"scheduled_for": "2027-02-02T17:30:00Z"}
    )
    assert moved.status_code == 200, moved.text
    after = (await client.get(f"/api/cycles/{cycle['id']}")).json()
    assert [m["scheduled_for"] for m in after["meetings"]] == [
        "2027-01-12T17:00:00Z",
        "2027-02-02T17:30:00Z",
    ]
    bad = await client.patch(f"/api/meetings/{second}", json={"scheduled_for": "2027-02-02"})
    assert bad.status_code == 422


async def test_a_member_who_joins_later_is_proposed_for_a_free_turn_and_fill_plans_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, ben) = await _group(client, app, "Ana", "Ben")
    cycle = await _cycle(client, group, planned_meetings=3)
    assert [m["clients"] for m in cycle["meetings"]] == [[ana["id"]], [ben["id"]], [None]]
    assert cycle["meetings"][2]["proposed"] == [None]  # nobody is due
    [dana] = await make_members(client, group["id"], "Dana")
    shown = (await client.get(f"/api/cycles/{cycle['id']}")).json()
    assert shown["meetings"][2]["proposed"] == [dana["id"]]
    assert shown["meetings"][2]["clients"] == [None]  # a proposal, not yet a plan

    filled = await client.post(f"/api/cycles/{cycle['id']}/rotation/fill")
    assert filled.status_code == 200, filled.text
    third = filled.json()["meetings"][2]
    assert (third["clients"], third["proposed"]) == ([dana["id"]], [None])
    plan = (await client.get(f"/api/meetings/{third['id']}")).json()["plan"]
    assert plan["consultations"][0]["client"] == dana["id"]
    assert dana["id"] in plan["participants"]
    again = await client.post(f"/api/cycles/{cycle['id']}/rotation/fill")
    assert [m["clients"] for m in again.json()["meetings"]] == [
        [ana["id"]],
        [ben["id"]],
        [dana["id"]],
    ]


async def test_a_member_absent_last_time_is_proposed_after_the_others(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, _ben, cleo, dana) = await _group(client, app, "Ana", "Ben", "Cleo", "Dana")
    cycle = await _cycle(client, group)
    first, _, third, fourth = (m["id"] for m in cycle["meetings"])
    for meeting_id in (third, fourth):  # their clients are to be chosen again
        freed = await client.patch(
            f"/api/meetings/{meeting_id}",
            json={"openers": ["client_choice"], "consultations": [{"client_id": None}]},
        )
        assert freed.status_code == 200, freed.text
    await _start(app, group, first)
    async with database(app) as session:  # Cleo did not come to meeting 1; Dana did
        session.add_all([MeetingPresence(meeting_id=first, member_id=m["id"]) for m in (ana, dana)])
        await session.commit()
    shown = (await client.get(f"/api/cycles/{cycle['id']}")).json()
    assert [m["proposed"] for m in shown["meetings"]][2:] == [[dana["id"]], [cleo["id"]]]
    filled = (await client.post(f"/api/cycles/{cycle['id']}/rotation/fill")).json()
    assert [m["clients"] for m in filled["meetings"]][2:] == [[dana["id"]], [cleo["id"]]]
    assert {r["name"]: r["absent_last_time"] for r in filled["members"]}["Cleo"] is True


async def test_only_the_organizer_or_a_facilitator_fills_the_rotation(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, _ben) = await _group(client, app, "Ana", "Ben")
    cycle = await _cycle(client, group, planned_meetings=3)
    await make_members(client, group["id"], "Dana")
    async with browser(app) as member:
        await sign_in_member(client, member, ana["id"])
        refused = await member.post(f"/api/cycles/{cycle['id']}/rotation/fill")
        assert refused.status_code == 403
    after = (await client.get(f"/api/cycles/{cycle['id']}")).json()
    assert after["meetings"][2]["clients"] == [None]


async def test_deleting_the_group_deletes_its_cycles_and_presence(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, _) = await _group(client, app, "Ana", "Ben")
    cycle = await _cycle(client, group)
    async with database(app) as session:
        session.add(MeetingPresence(meeting_id=cycle["meetings"][0]["id"], member_id=ana["id"]))
        await session.commit()
    assert (await client.delete(f"/api/groups/{group['id']}")).status_code == 204
    async with database(app) as session:
        assert (await session.exec(select(Cycle))).all() == []
        assert (await session.exec(select(MeetingPresence))).all() == []
    assert (await client.get(f"/api/cycles/{cycle['id']}")).status_code == 404
