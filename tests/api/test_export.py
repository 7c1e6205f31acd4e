"""Exports: each participant's own record; private notes stay their author's; no-trace rules."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.stages import commands as c
from app.stages.vocabulary import Stage
from tests.api.factories import (
    Json,
    browser,
    facilitator_of,
    make_group,
    make_meeting,
    make_members,
    make_organizer,
    sign_in_member,
)


async def _consultation_under_way(
    app: FastAPI, client: httpx.AsyncClient, *, no_trace: bool = False
) -> tuple[Json, dict[str, Json], str]:
    await make_organizer(app, client)
    group = await make_group(client)
    members = {m["name"]: m for m in await make_members(client, group["id"], "Claire", "Ana")}
    meeting = await make_meeting(client, group, members["Claire"]["id"], no_trace=no_trace)
    run = app.state.services.meetings.execute
    facilitator, claire, ana = facilitator_of(group), members["Claire"]["id"], members["Ana"]["id"]
    await run(meeting["id"], facilitator, "1", c.AdvanceStage(expected_stage=Stage.LOBBY))
    await run(meeting["id"], claire, "2", c.SetCase(headline="Leading peers", topic_type="problem"))
    await run(meeting["id"], ana, "3", c.AddPrivateNote(text="Ana's own thought"))
    await run(meeting["id"], claire, "4", c.AddPrivateNote(text="Claire's own thought"))
    return group, members, meeting["id"]


async def test_a_participant_exports_the_record_with_only_their_own_private_notes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _group, members, meeting_id = await _consultation_under_way(app, client)
    async with browser(app) as ana:
        await sign_in_member(client, ana, members["Ana"]["id"])
        response = await ana.get(f"/api/meetings/{meeting_id}/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/markdown")
    assert "Leading peers" in response.text
    assert "Ana's own thought" in response.text
    assert "Claire's own thought" not in response.text


async def test_in_a_no_trace_meeting_only_the_client_exports_and_only_before_the_end(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, members, meeting_id = await _consultation_under_way(app, client, no_trace=True)
    async with browser(app) as ana, browser(app) as claire:
        await sign_in_member(client, ana, members["Ana"]["id"])
        await sign_in_member(client, claire, members["Claire"]["id"])
        refused = await ana.get(f"/api/meetings/{meeting_id}/export")
        exported = await claire.get(f"/api/meetings/{meeting_id}/export")
        await app.state.services.meetings.execute(
            meeting_id, facilitator_of(group), "5", c.EndMeeting(expected_stage=Stage.PRESENTATION)
        )
        after = await claire.get(f"/api/meetings/{meeting_id}/export")
    assert refused.status_code == 403
    assert exported.status_code == 200
    assert "Leading peers" in exported.text
    assert after.status_code == 410


async def test_the_clients_marks_and_closed_record_are_exported_only_as_each_may_see_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, members, meeting_id = await _consultation_under_way(app, client)
    run = app.state.services.meetings.execute
    facilitator, claire, ana = facilitator_of(group), members["Claire"]["id"], members["Ana"]["id"]
    for number, stage in enumerate((Stage.PRESENTATION, Stage.CLARIFICATION, Stage.CONTRACT)):
        await run(meeting_id, facilitator, f"a{number}", c.AdvanceStage(expected_stage=stage))
    idea = await run(meeting_id, ana, "5", c.AddContribution(kind="suggestion", text="Ana's idea"))
    await run(meeting_id, claire, "6", c.MarkContribution(contribution_id=idea.seq, mark="keep"))
    async with browser(app) as ana_browser, browser(app) as claire_browser:
        await sign_in_member(client, ana_browser, ana)
        await sign_in_member(client, claire_browser, claire)

        async def exports() -> tuple[str, str, str]:
            path = f"/api/meetings/{meeting_id}/export"
            answers = [await b.get(path) for b in (ana_browser, claire_browser, client)]
            assert [a.status_code for a in answers] == [200, 200, 200]
            return answers[0].text, answers[1].text, answers[2].text

        during, claires, facilitators = await exports()
        assert "Ana's idea — *Ana*\n" in during
        assert "Leading peers" in during
        for owner in (claires, facilitators):
            assert "Ana's idea — *Ana* **[keep]**" in owner

        await run(meeting_id, facilitator, "7", c.EndMeeting(expected_stage=Stage.CONSULTATION))
        after, claires, facilitators = await exports()
        assert "Ana's idea" in after
        assert "Leading peers" not in after
        assert "Claire keeps this record private" in after
        assert "Leading peers" in claires
        assert "Leading peers" in facilitators

        await run(meeting_id, claire, "8", c.ShareRecord(consultation=0, shared=True))
        shared, _, _ = await exports()
        assert "Leading peers" in shared
        assert "[keep]" not in shared
        await run(meeting_id, claire, "9", c.ShareRecord(consultation=0, shared=False))
        unshared, _, _ = await exports()
        assert "Leading peers" not in unshared
