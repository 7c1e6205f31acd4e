"""Scheduling meetings: the plan built from the form, its refusals, and who may do what."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.security import hash_token
from app.settings import Settings
from app.stages.commands import AdvanceStage
from app.store.models import Meeting
from tests.api.factories import (
    ORIGIN,
    Json,
    browser,
    database,
    end_meeting,
    facilitator_of,
    make_group,
    make_meeting,
    make_members,
    make_organizer,
    sign_in_member,
)


async def _circle(app: FastAPI, client: httpx.AsyncClient) -> tuple[Json, dict[str, Json]]:
    """An organizer who facilitates a group of four members."""
    await make_organizer(app, client)
    group = await make_group(client)
    members = await make_members(client, group["id"], "Claire", "Sam", "Ana", "Ben")
    return group, {m["name"]: m for m in members}


async def _schedule(client: httpx.AsyncClient, group: Json, **fields: Any) -> httpx.Response:
    body = {"title": "November", "facilitator_id": facilitator_of(group), **fields}
    return await client.post(f"/api/groups/{group['id']}/meetings", json=body)


def _refusal(response: httpx.Response, status: int = 422) -> str:
    assert response.status_code == status, response.text
    error: dict[str, str] = response.json()["error"]
    if status == 422:
        assert error["code"] == "invalid"
    return error["message"]


@pytest.mark.parametrize(
    ("preset", "minutes"),
    [
        ("120", [15, 20, 10, 40, 15, 20]),
        ("90", [10, 15, 5, 30, 15, 15]),
        ("60", [5, 10, 5, 20, 10, 10]),
        ("45", [5, 8, 2, 15, 10, 5]),
    ],
)
async def test_a_meeting_is_scheduled_with_a_timing_preset(
    app: FastAPI, client: httpx.AsyncClient, preset: str, minutes: list[int]
) -> None:
    group, people = await _circle(app, client)
    response = await _schedule(
        client,
        group,
        scheduled_for="2026-12-01T18:00:00+01:00",
        video_url="https://meet.example.org/circle",
        openers=["check_in"],
        consultations=[
            {
                "client_id": people["Claire"]["id"],
                "scribe_id": people["Sam"]["id"],
                "timekeeper_id": people["Ana"]["id"],
                "observer_ids": [people["Ben"]["id"]],
                "preset": preset,
                "strict_silent_client": True,
            }
        ],
    )
    assert response.status_code == 201, response.text
    meeting = response.json()
    assert meeting["stage"] == "lobby"
    assert meeting["scheduled_for"] == "2026-12-01T17:00:00Z"
    assert meeting["video_url"] == "https://meet.example.org/circle"
    assert meeting["room_url"] == f"{ORIGIN}/meeting.html?id={meeting['id']}"
    plan = meeting["plan"]
    assert plan["facilitator"] == facilitator_of(group)
    assert set(plan["participants"]) == {m["id"] for m in group["members"]} | {
        p["id"] for p in people.values()
    }
    assert plan["participants"][people["Claire"]["id"]] == {"name": "Claire", "language": "en"}
    [consultation] = plan["consultations"]
    assert consultation["minutes"] == minutes
    assert consultation["client"] == people["Claire"]["id"]
    assert consultation["observers"] == [people["Ben"]["id"]]
    assert consultation["strict_silent_client"] is True
    assert plan["openers"] == ["check_in"]
    fetched = await client.get(f"/api/meetings/{meeting['id']}")
    assert fetched.json() == meeting


async def test_a_meeting_is_scheduled_with_custom_minutes_and_two_consultations(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, people = await _circle(app, client)
    response = await _schedule(
        client,
        group,
        openers=["client_choice", "check_in"],
        opener_minutes={"check_in": 20},
        consultations=[
            {"preset": "custom", "minutes": [1, 2, 3, 4, 5, 6]},
            {"client_id": people["Sam"]["id"], "preset": "45"},
        ],
        participant_ids=[facilitator_of(group), people["Claire"]["id"], people["Sam"]["id"]],
        no_trace=True,
    )
    assert response.status_code == 201, response.text
    plan = response.json()["plan"]
    assert [c["minutes"] for c in plan["consultations"]] == [
        [1, 2, 3, 4, 5, 6],
        [5, 8, 2, 15, 10, 5],
    ]
    assert plan["opener_minutes"] == {"check_in": 20, "follow_up": 10, "client_choice": 5}
    assert len(plan["participants"]) == 3
    assert plan["no_trace"] is True


@pytest.mark.parametrize(
    ("consultation", "fragment"),
    [
        ({"preset": "custom"}, "custom preset needs minutes"),
        ({"preset": "90", "minutes": [1, 2, 3, 4, 5, 6]}, "minutes are for the custom preset"),
        ({"preset": "custom", "minutes": [1, 2, 3]}, "minutes"),
        ({"preset": "custom", "minutes": [0, 2, 3, 4, 5, 6]}, "minutes"),
        ({"preset": "100"}, "preset"),
        ({"preset": "90", "colour": "red"}, "colour"),
    ],
)
async def test_invalid_consultation_bodies_are_refused(
    app: FastAPI, client: httpx.AsyncClient, consultation: Json, fragment: str
) -> None:
    group, people = await _circle(app, client)
    body = {"client_id": people["Claire"]["id"], **consultation}
    assert fragment in _refusal(await _schedule(client, group, consultations=[body]))


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"title": ""}, "title"),
        ({"consultations": []}, "consultations"),
        ({"video_url": "http://meet.example.org/x"}, "https"),
        ({"video_url": "javascript:alert(1)"}, "video_url"),
        ({"scheduled_for": "2026-12-01T18:00:00"}, "timezone"),
        ({"openers": ["karaoke"]}, "openers"),
        ({"openers": ["check_in", "check_in"]}, "openers are check_in"),
    ],
)
async def test_invalid_meeting_bodies_are_refused(
    app: FastAPI, client: httpx.AsyncClient, fields: Json, fragment: str
) -> None:
    group, people = await _circle(app, client)
    body = {"consultations": [{"client_id": people["Claire"]["id"]}], **fields}
    assert fragment in _refusal(await _schedule(client, group, **body))


async def test_plan_clashes_are_refused_with_the_plans_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, people = await _circle(app, client)
    claire, sam = people["Claire"]["id"], people["Sam"]["id"]
    cases = [
        ([{"client_id": claire, "scribe_id": claire}], "one person holds two roles"),
        ([{"client_id": facilitator_of(group)}], "the facilitator cannot hold another role"),
        ([{}], "needs a client, or a client_choice opener"),
        ([{"client_id": claire}, {"client_id": claire}], "each consultation needs its own client"),
    ]
    for consultations, reason in cases:
        response = await _schedule(client, group, consultations=consultations)
        assert reason in _refusal(response), consultations
    response = await _schedule(
        client, group, participant_ids=[claire, sam], consultations=[{"client_id": claire}]
    )
    assert "the facilitator must be one of the participants" in _refusal(response)


async def test_ids_outside_the_group_are_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    group, people = await _circle(app, client)
    other = await make_group(client, "Other")
    [stranger] = await make_members(client, other["id"], "Stranger")
    cases: list[Json] = [
        {"participant_ids": [facilitator_of(group), stranger["id"]]},
        {"consultations": [{"client_id": people["Claire"]["id"], "scribe_id": stranger["id"]}]},
        {"facilitator_id": "no-such-member"},
    ]
    for fields in cases:
        body = {"consultations": [{"client_id": people["Claire"]["id"]}], **fields}
        message = _refusal(await _schedule(client, group, **body))
        assert message.startswith("not members of this group:")


async def test_a_follow_up_needs_a_previous_ended_meeting(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, people = await _circle(app, client)
    claire, sam = people["Claire"]["id"], people["Sam"]["id"]
    follow_up = {"openers": ["follow_up"], "consultations": [{"client_id": sam}]}
    refused = await _schedule(client, group, **follow_up)
    assert _refusal(refused) == "no previous consultation to follow up"

    past = await make_meeting(client, group, client_id=claire)
    assert _refusal(await _schedule(client, group, **follow_up)).startswith("no previous")
    await end_meeting(app, past["id"], claire, headline="Leading former peers")
    response = await _schedule(client, group, **follow_up)
    assert response.status_code == 201, response.text
    assert response.json()["plan"]["previous_plan"] == {
        "reporter": claire,
        "headline": "Leading former peers",
        "synthesis": "one-to-ones first",
        "action_items": [{"action": "Hold one-to-ones", "due": "2027-01-15", "indicator": ""}],
    }


async def test_the_follow_up_reviews_the_latest_ended_meeting(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, people = await _circle(app, client)
    older = await make_meeting(
        client, group, people["Claire"]["id"], scheduled_for="2026-01-05T18:00:00Z"
    )
    newer = await make_meeting(
        client, group, people["Sam"]["id"], scheduled_for="2026-02-05T18:00:00Z"
    )
    await end_meeting(app, newer["id"], people["Sam"]["id"], headline="newer")
    await end_meeting(app, older["id"], people["Claire"]["id"], headline="older")
    response = await _schedule(
        client, group, openers=["follow_up"], consultations=[{"client_id": people["Ana"]["id"]}]
    )
    assert response.json()["plan"]["previous_plan"]["headline"] == "newer"


async def test_meetings_are_listed_for_the_group(app: FastAPI, client: httpx.AsyncClient) -> None:
    group, people = await _circle(app, client)
    first = await make_meeting(
        client, group, people["Claire"]["id"], title="January", scheduled_for="2027-01-05T18:00:00Z"
    )
    second = await make_meeting(
        client, group, people["Sam"]["id"], title="February", scheduled_for="2027-02-05T18:00:00Z"
    )
    listed = (await client.get(f"/api/groups/{group['id']}/meetings")).json()
    assert [m["id"] for m in listed] == [second["id"], first["id"]]
    assert listed[0] == {
        "id": second["id"],
        "title": "February",
        "scheduled_for": "2027-02-05T18:00:00Z",
        "stage": "lobby",
        "room_url": f"{ORIGIN}/meeting.html?id={second['id']}",
    }


async def test_a_member_who_is_not_a_facilitator_cannot_schedule(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, people = await _circle(app, client)
    meeting = await make_meeting(client, group, people["Claire"]["id"])
    async with browser(app) as sam:
        await sign_in_member(client, sam, people["Sam"]["id"])
        body = {"consultations": [{"client_id": people["Claire"]["id"]}]}
        refused = await _schedule(sam, group, **body)
        assert (
            _refusal(refused, 403)
            == "only the organizer or a facilitator of this group may do this"
        )
        assert (await sam.get(f"/api/meetings/{meeting['id']}")).status_code == 200
        listed = await sam.get(f"/api/groups/{group['id']}/meetings")
        assert [m["id"] for m in listed.json()] == [meeting["id"]]
        patch = await sam.patch(f"/api/meetings/{meeting['id']}", json={"title": "Mine"})
        assert patch.status_code == 403
        assert (await sam.delete(f"/api/meetings/{meeting['id']}")).status_code == 403


async def test_a_facilitator_member_schedules_their_groups_meetings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, people = await _circle(app, client)
    ana = people["Ana"]["id"]
    await client.patch(f"/api/members/{ana}", json={"is_facilitator": True})
    async with browser(app) as facilitator:
        await sign_in_member(client, facilitator, ana)
        response = await facilitator.post(
            f"/api/groups/{group['id']}/meetings",
            json={
                "title": "Ana runs this one",
                "facilitator_id": ana,
                "consultations": [{"client_id": people["Ben"]["id"], "preset": "60"}],
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["plan"]["facilitator"] == ana


async def test_another_organizer_cannot_see_or_schedule_meetings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, people = await _circle(app, client)
    meeting = await make_meeting(client, group, people["Claire"]["id"])
    async with browser(app) as bruno:
        await make_organizer(app, bruno, email="bruno@example.org", name="Bruno")
        body = {"consultations": [{"client_id": people["Claire"]["id"]}]}
        assert (await _schedule(bruno, group, **body)).status_code == 404
        for method in ("GET", "DELETE"):
            response = await bruno.request(method, f"/api/meetings/{meeting['id']}")
            assert response.status_code == 404
        patched = await bruno.patch(f"/api/meetings/{meeting['id']}", json={"title": "x"})
        assert patched.status_code == 404
        link = await bruno.post(f"/api/meetings/{meeting['id']}/display-link")
        assert link.status_code == 404


async def test_title_date_and_video_change_any_time_but_the_plan_only_in_the_lobby(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, people = await _circle(app, client)
    meeting = await make_meeting(client, group, people["Claire"]["id"])
    path = f"/api/meetings/{meeting['id']}"

    replanned = await client.patch(
        path,
        json={
            "consultations": [{"client_id": people["Sam"]["id"], "preset": "120"}],
            "openers": ["check_in"],
        },
    )
    assert replanned.status_code == 200, replanned.text
    plan = replanned.json()["plan"]
    assert plan["consultations"][0]["client"] == people["Sam"]["id"]
    assert plan["consultations"][0]["minutes"] == [15, 20, 10, 40, 15, 20]
    assert plan["facilitator"] == meeting["plan"]["facilitator"]
    assert plan["participants"] == meeting["plan"]["participants"]
    state = await app.state.services.meetings.load(meeting["id"])
    assert state.plan.consultations[0].client == people["Sam"]["id"]

    clash = await client.patch(path, json={"consultations": [{"client_id": facilitator_of(group)}]})
    assert "facilitator cannot hold another role" in _refusal(clash)

    await app.state.services.meetings.execute(
        meeting["id"], facilitator_of(group), "go", AdvanceStage(expected_stage="lobby")
    )
    started = await client.patch(path, json={"no_trace": True})
    assert _refusal(started, 409) == "meeting has started"
    renamed = await client.patch(
        path, json={"title": "December", "video_url": None, "scheduled_for": "2026-12-01T18:00:00Z"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "December"
    assert renamed.json()["stage"] == "check_in"
    assert renamed.json()["scheduled_for"] == "2026-12-01T18:00:00Z"
    assert (await client.patch(path, json={"title": None})).status_code == 422


async def test_a_meeting_is_deleted(app: FastAPI, client: httpx.AsyncClient) -> None:
    group, people = await _circle(app, client)
    meeting = await make_meeting(client, group, people["Claire"]["id"])
    assert (await client.delete(f"/api/meetings/{meeting['id']}")).status_code == 204
    assert (await client.get(f"/api/meetings/{meeting['id']}")).status_code == 404
    assert (await client.get(f"/api/groups/{group['id']}/meetings")).json() == []


async def test_a_display_link_holds_a_key_stored_hashed(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    group, people = await _circle(app, client)
    meeting = await make_meeting(client, group, people["Claire"]["id"])
    response = await client.post(f"/api/meetings/{meeting['id']}/display-link")
    assert response.status_code == 201
    url = response.json()["url"]
    assert url.startswith(f"{ORIGIN}/display.html?meeting={meeting['id']}&key=")
    key = url.rsplit("=", 1)[1]
    async with database(app) as session:
        row = await session.get(Meeting, meeting["id"])
    assert row is not None
    assert row.display_key_hash == hash_token(settings.key, key)
    assert all(key not in str(value) for value in row.model_dump().values())
