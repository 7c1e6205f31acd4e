"""Calendars: "add to calendar" for a meeting, and each member's private, revocable feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import httpx
import icalendar
from fastapi import FastAPI
from sqlmodel import select

from app.store.models import CalendarFeed
from tests.api.factories import (
    browser,
    database,
    facilitator_of,
    make_group,
    make_member,
    make_organizer,
    sign_in_member,
)

Json = dict[str, Any]
JANUARY = datetime(2030, 1, 15, 23, 0, tzinfo=UTC)


async def _meeting(client: httpx.AsyncClient, group: Json, title: str, **fields: Any) -> Json:
    members = (await client.get(f"/api/groups/{group['id']}/members")).json()
    client_id = next(m["id"] for m in members if m["name"] == "Ana")
    made = await client.post(
        f"/api/groups/{group['id']}/meetings",
        json={
            "title": title,
            "facilitator_id": facilitator_of(group),
            "consultations": [{"client_id": client_id}],
            **fields,
        },
    )
    assert made.status_code == 201, made.text
    result: Json = made.json()
    return result


async def _circle(app: FastAPI, client: httpx.AsyncClient) -> tuple[Json, Json]:
    await make_organizer(app, client)
    group = await make_group(client)
    ana = await make_member(client, group["id"], "Ana")
    await make_member(client, group["id"], "Ben")
    group = (await client.get(f"/api/groups/{group['id']}")).json()
    return group, ana


async def test_add_to_calendar_gives_the_meeting_with_its_uid_time_zone_and_video_link(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, _ana = await _circle(app, client)
    meeting = await _meeting(
        client,
        group,
        "January meeting",
        scheduled_for=JANUARY.isoformat(),
        video_url="https://meet.example.org/circle",
    )
    response = await client.get(f"/api/meetings/{meeting['id']}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"{meeting['id']}@127.0.0.1"
    assert str(event["SUMMARY"]) == "January meeting"
    assert event.decoded("DTSTART") == JANUARY
    assert str(event["LOCATION"]) == "https://meet.example.org/circle"
    assert meeting["room_url"] in str(event["DESCRIPTION"])
    assert event["DTSTART"].to_ical() == b"20300115T230000Z"  # the default zone: UTC


async def test_a_meeting_without_a_date_cannot_be_added_to_a_calendar(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, _ana = await _circle(app, client)
    meeting = await _meeting(client, group, "Some day")
    response = await client.get(f"/api/meetings/{meeting['id']}/calendar.ics")
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("this meeting has no date yet")


async def test_a_member_subscribes_to_their_feed_and_a_new_link_revokes_the_old(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, ana = await _circle(app, client)
    await _meeting(client, group, "January meeting", scheduled_for=JANUARY.isoformat())
    await _meeting(client, group, "Undated")  # not in a calendar
    async with browser(app) as member:
        await sign_in_member(client, member, ana["id"])
        made = await member.post(f"/api/members/{ana['id']}/calendar-feed")
        assert made.status_code == 201, made.text
        link = made.json()
        assert link["webcal_url"] == "webcal://" + link["url"].removeprefix("http://")
    async with browser(app) as calendar_app:  # no cookie: the URL is the key
        feed = await calendar_app.get(urlparse(link["url"]).path)
        assert feed.status_code == 200
        cal = icalendar.Calendar.from_ical(feed.content)
        assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["January meeting"]
        # Stored as a keyed hash only.
        token = urlparse(link["url"]).path.removeprefix("/calendar/").removesuffix(".ics")
        async with database(app) as session:
            [row] = (await session.exec(select(CalendarFeed))).all()
            assert token not in row.token_hash
        # The organizer makes a new one: the old link stops working.
        renewed = await client.post(f"/api/members/{ana['id']}/calendar-feed")
        assert renewed.status_code == 201
        assert (await calendar_app.get(urlparse(link["url"]).path)).status_code == 404
        fresh = urlparse(renewed.json()["url"]).path
        assert (await calendar_app.get(fresh)).status_code == 200
        assert (await client.delete(f"/api/members/{ana['id']}/calendar-feed")).status_code == 204
        assert (await calendar_app.get(fresh)).status_code == 404


async def test_a_member_cannot_make_another_members_feed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, ana = await _circle(app, client)
    ben = next(m for m in group["members"] if m["name"] == "Ben")
    async with browser(app) as member:
        await sign_in_member(client, member, ana["id"])
        refused = await member.post(f"/api/members/{ben['id']}/calendar-feed")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
