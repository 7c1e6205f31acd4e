"""Mail through a real SMTP server: invites, meeting invitations with their ``.ics``, changes,
cancellations and reminders, in each member's language; bounces and retries; never case content.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
from fastapi import FastAPI
from sqlmodel import select

from app.mail.meetings import remind_due
from app.stages import MeetingState
from app.stages.state import Case, ConsultationRecord
from app.stages.vocabulary import TopicType
from app.store.models import Meeting, OutboxMail
from tests.api.factories import (
    browser,
    database,
    facilitator_of,
    make_group,
    make_organizer,
    sign_in_member,
)
from tests.mail.conftest import Mailbox, calendar_of, eventually, everything_in, html_of, text_of

Json = dict[str, Any]
SECRET = "Marguerite-confidential-7731"


async def _group(app: FastAPI, client: httpx.AsyncClient) -> tuple[Json, dict[str, Json]]:
    await make_organizer(app, client)
    group = await make_group(client, "Cercle des gestionnaires")
    people = {}
    for name, address, language in (
        ("Claire", "claire@example.org", "fr"),
        ("Sam", "sam@example.org", "en"),
        ("Noemail", None, "en"),
    ):
        body: Json = {"name": name, "language": language}
        if address:
            body["email"] = address
        made = await client.post(f"/api/groups/{group['id']}/members", json=body)
        assert made.status_code == 201, made.text
        people[name] = made.json()
    return group, people


async def _meeting(
    client: httpx.AsyncClient, group: Json, people: dict[str, Json], when: datetime, **extra: Any
) -> Json:
    body: Json = {
        "title": "Rencontre de janvier",
        "scheduled_for": when.isoformat(),
        "video_url": "https://meet.example.org/cercle",
        "facilitator_id": facilitator_of(group),
        "consultations": [{"client_id": people["Claire"]["id"], "preset": "90"}],
        **extra,
    }
    made = await client.post(f"/api/groups/{group['id']}/meetings", json=body)
    assert made.status_code == 201, made.text
    result: Json = made.json()
    return result


def _event(box: Mailbox, address: str, index: int = -1) -> Any:
    cal = calendar_of(box.to(address)[index])
    assert cal is not None
    return cal, cal.walk("VEVENT")[0]


async def test_a_member_with_an_email_gets_their_invite_link_in_their_language(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    _, people = await _group(app, client)
    made = await client.post(f"/api/members/{people['Claire']['id']}/invite", json={"send": True})
    assert made.status_code == 201, made.text
    assert made.json()["sent"] is True
    await smtp_box.wait(lambda: len(smtp_box.to("claire@example.org")) == 1)
    message = smtp_box.to("claire@example.org")[0]
    assert smtp_box.envelopes[0] == ("codev@example.org", ["claire@example.org"])
    assert message["Subject"] == "Votre invitation à Cercle des gestionnaires sur Codev"
    assert "Bonjour Claire" in text_of(message)
    link = made.json()["url"]
    assert link in text_of(message)
    assert link in html_of(message)
    # The link in the mail signs Claire in.
    async with browser(app) as claire:
        opened = await claire.get(urlparse(link).path)
        assert opened.status_code == 303
        assert (await claire.get("/api/me")).json()["member"]["name"] == "Claire"
    # The organizer sees it sent.
    report = (await client.get("/api/mail")).json()
    assert report["enabled"] is True
    assert [(m["to"], m["kind"], m["status"]) for m in report["mails"]] == [
        ("claire@example.org", "invite", "sent")
    ]


async def test_an_english_member_gets_english_and_the_invite_is_not_mailed_without_asking(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    _, people = await _group(app, client)
    assert (await client.post(f"/api/members/{people['Sam']['id']}/invite")).json()["sent"] is False
    made = await client.post(f"/api/members/{people['Sam']['id']}/invite", json={"send": True})
    await smtp_box.wait(lambda: len(smtp_box.messages) == 1)
    assert smtp_box.messages[0]["To"] == "sam@example.org"
    assert smtp_box.messages[0]["Subject"] == "Your invitation to Cercle des gestionnaires on Codev"
    assert made.json()["url"] in text_of(smtp_box.messages[0])


async def test_an_invite_cannot_be_mailed_to_a_member_without_an_address(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    _, people = await _group(app, client)
    refused = await client.post(
        f"/api/members/{people['Noemail']['id']}/invite", json={"send": True}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["message"].startswith("this member has no email address")
    assert (await client.get("/api/mail")).json()["mails"] == []


async def test_each_participant_gets_the_invitation_with_an_ics_in_their_language(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    group, people = await _group(app, client)
    when = datetime(2030, 1, 15, 23, 0, tzinfo=UTC)  # 18:00 in Montreal
    meeting = await _meeting(client, group, people, when)
    await smtp_box.wait(lambda: len(smtp_box.messages) == 3)
    # Everyone the meeting is for and who has an address: the facilitator (the organizer) too.
    everyone = ["claire@example.org", "olivia@example.org", "sam@example.org"]
    assert sorted(m["To"] for m in smtp_box.messages) == everyone
    claire = smtp_box.to("claire@example.org")[0]
    sam = smtp_box.to("sam@example.org")[0]
    assert (
        claire["Subject"]
        == "Invitation : Rencontre de janvier, 2030-01-15 18:00 (America/Montreal)"
    )
    assert sam["Subject"] == "Invitation: Rencontre de janvier, 2030-01-15 18:00 (America/Montreal)"
    assert "https://meet.example.org/cercle" in text_of(claire)
    assert "Visioconférence : https://meet.example.org/cercle" in text_of(claire)
    assert f"meeting.html?id={meeting['id']}" in html_of(sam)
    cal, event = _event(smtp_box, "claire@example.org")
    assert cal["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"{meeting['id']}@127.0.0.1"
    assert event["SEQUENCE"] == 0
    start = event.decoded("DTSTART")
    assert start == when
    assert str(start.tzinfo) == "America/Montreal"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/Montreal"]
    assert event.decoded("DURATION") == timedelta(minutes=90)
    assert str(event["LOCATION"]) == "https://meet.example.org/cercle"
    attendees = sorted(str(a) for a in event.get("ATTENDEE"))
    assert attendees == [f"mailto:{address}" for address in everyone]
    _cal, sams = _event(smtp_box, "sam@example.org")
    assert sams["UID"] == event["UID"]


async def test_a_change_raises_the_sequence_and_a_deletion_cancels_with_the_same_uid(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    group, people = await _group(app, client)
    meeting = await _meeting(client, group, people, datetime(2030, 1, 15, 23, 0, tzinfo=UTC))
    await smtp_box.wait(lambda: len(smtp_box.messages) == 3)
    moved = await client.patch(
        f"/api/meetings/{meeting['id']}", json={"scheduled_for": "2030-01-22T18:00:00-05:00"}
    )
    assert moved.status_code == 200, moved.text
    await smtp_box.wait(lambda: len(smtp_box.messages) == 6)
    assert smtp_box.to("sam@example.org")[1]["Subject"].startswith("Changed: Rencontre de janvier")
    assert smtp_box.to("claire@example.org")[-1]["Subject"].startswith("Modifié : ")
    _cal, first = _event(smtp_box, "sam@example.org", 0)
    cal, second = _event(smtp_box, "sam@example.org", 1)
    assert second["UID"] == first["UID"]
    assert second["SEQUENCE"] == 1
    assert second.decoded("DTSTART") == datetime(2030, 1, 22, 23, 0, tzinfo=UTC)
    # A title change that calendars see, then the deletion.
    await client.patch(f"/api/meetings/{meeting['id']}", json={"title": "Rencontre reportée"})
    await smtp_box.wait(lambda: len(smtp_box.messages) == 9)
    assert (await client.delete(f"/api/meetings/{meeting['id']}")).status_code == 204
    await smtp_box.wait(lambda: len(smtp_box.messages) == 12)
    cancel = smtp_box.to("sam@example.org")[3]
    assert cancel["Subject"] == "Cancelled: Rencontre reportée"
    assert smtp_box.to("claire@example.org")[3]["Subject"] == "Annulé : Rencontre reportée"
    cal, cancelled = _event(smtp_box, "sam@example.org", 3)
    assert cal["METHOD"] == "CANCEL"
    assert cancelled["UID"] == first["UID"]
    assert cancelled["SEQUENCE"] == 3
    assert cancelled["STATUS"] == "CANCELLED"


async def test_someone_left_out_of_a_replanned_meeting_gets_its_cancellation(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    group, people = await _group(app, client)
    meeting = await _meeting(client, group, people, datetime(2030, 1, 15, 23, 0, tzinfo=UTC))
    await smtp_box.wait(lambda: len(smtp_box.messages) == 3)
    without_sam = [facilitator_of(group), people["Claire"]["id"], people["Noemail"]["id"]]
    changed = await client.patch(
        f"/api/meetings/{meeting['id']}", json={"participant_ids": without_sam}
    )
    assert changed.status_code == 200, changed.text
    await smtp_box.wait(lambda: len(smtp_box.to("sam@example.org")) == 2)
    cal, event = _event(smtp_box, "sam@example.org")
    assert cal["METHOD"] == "CANCEL"
    assert event["SEQUENCE"] == 1
    assert len(smtp_box.to("claire@example.org")) == 1  # nothing changed for her


async def test_participants_are_reminded_and_the_client_asked_to_prepare_once(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    group, people = await _group(app, client)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    await _meeting(client, group, people, soon)

    def kinds(address: str) -> list[str]:
        return sorted(m["Subject"].split(" ", 1)[0] for m in smtp_box.to(address))

    await smtp_box.wait(lambda: len(smtp_box.messages) == 7)
    assert kinds("sam@example.org") == ["Invitation:", "Reminder:"]
    assert kinds("claire@example.org") == ["Invitation", "Préparez", "Rappel"]
    prepare = next(m for m in smtp_box.to("claire@example.org") if m["Subject"].startswith("Pré"))
    assert "préparer" in text_of(prepare)
    assert calendar_of(prepare) is None
    # Another round of the reminder task sends nothing more.
    await remind_due(app.state.services.mail)
    async with database(app) as session:
        assert len((await session.exec(select(OutboxMail))).all()) == 7


async def test_no_mail_ever_holds_the_content_of_a_case(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    group, people = await _group(app, client)
    meeting = await _meeting(client, group, people, datetime(2030, 1, 15, 23, 0, tzinfo=UTC))
    await smtp_box.wait(lambda: len(smtp_box.messages) == 3)
    async with database(app) as session:  # Claire's case, as the meeting would store it
        row = await session.get(Meeting, meeting["id"])
        assert row is not None
        state = MeetingState.model_validate_json(row.state)
        case = Case(headline=SECRET, topic_type=TopicType.PROBLEM, context=SECRET, question=SECRET)
        row.state = state.model_copy(
            update={"consultations": [ConsultationRecord(case=case, synthesis=SECRET)]}
        ).model_dump_json()
        session.add(row)
        await session.commit()
    # Moved to two hours from now: the change, the reminders and the client's, then cancelled.
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    moved = await client.patch(
        f"/api/meetings/{meeting['id']}", json={"scheduled_for": soon.isoformat()}
    )
    assert moved.status_code == 200, moved.text
    await smtp_box.wait(lambda: len(smtp_box.messages) == 10)
    assert (await client.delete(f"/api/meetings/{meeting['id']}")).status_code == 204
    await smtp_box.wait(lambda: len(smtp_box.messages) == 13)
    for message in smtp_box.messages:
        assert SECRET not in everything_in(message)


async def test_a_refused_address_shows_on_the_member_until_it_changes(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    group, people = await _group(app, client)
    smtp_box.refuse.add("sam@example.org")
    await client.post(f"/api/members/{people['Sam']['id']}/invite", json={"send": True})

    async def sam() -> Json:
        roster = (await client.get(f"/api/groups/{group['id']}/members")).json()
        found: Json = next(m for m in roster if m["id"] == people["Sam"]["id"])
        return found

    async def refused() -> bool:
        return (await sam())["mail_refused"] is not None

    await eventually(refused)
    assert (await sam())["mail_refused"] == "550 5.1.1 no such mailbox here"
    report = (await client.get("/api/mail")).json()
    [mail] = report["mails"]
    assert (mail["status"], mail["attempts"], mail["error"]) == (
        "failed",
        1,
        "550 5.1.1 no such mailbox here",
    )
    fixed = await client.patch(
        f"/api/members/{people['Sam']['id']}", json={"email": "sam@example.com"}
    )
    assert fixed.json()["mail_refused"] is None
    assert smtp_box.messages == []


async def test_a_mail_the_server_cannot_take_now_is_sent_on_a_later_try(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    _, people = await _group(app, client)
    smtp_box.busy["sam@example.org"] = 2
    await client.post(f"/api/members/{people['Sam']['id']}/invite", json={"send": True})
    await smtp_box.wait(lambda: len(smtp_box.to("sam@example.org")) == 1)
    [mail] = (await client.get("/api/mail")).json()["mails"]
    assert (mail["status"], mail["attempts"]) == ("sent", 3)


async def test_a_longer_plan_reaches_calendars_as_a_new_duration(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    group, people = await _group(app, client)
    meeting = await _meeting(client, group, people, datetime(2030, 1, 15, 23, 0, tzinfo=UTC))
    await smtp_box.wait(lambda: len(smtp_box.to("sam@example.org")) == 1)
    longer = [{"client_id": people["Claire"]["id"], "preset": "120"}]
    changed = await client.patch(f"/api/meetings/{meeting['id']}", json={"consultations": longer})
    assert changed.status_code == 200, changed.text
    await smtp_box.wait(lambda: len(smtp_box.to("sam@example.org")) == 2)
    _cal, event = _event(smtp_box, "sam@example.org")
    assert event["SEQUENCE"] == 1
    assert event.decoded("DURATION") == timedelta(minutes=120)


async def test_deleting_a_group_cancels_its_meetings_to_come(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    group, people = await _group(app, client)
    await _meeting(client, group, people, datetime(2030, 1, 15, 23, 0, tzinfo=UTC))
    await smtp_box.wait(lambda: len(smtp_box.to("sam@example.org")) == 1)
    assert (await client.delete(f"/api/groups/{group['id']}")).status_code == 204
    await smtp_box.wait(lambda: len(smtp_box.messages) == 6)
    cal, event = _event(smtp_box, "sam@example.org")
    assert cal["METHOD"] == "CANCEL"
    assert event["SEQUENCE"] == 1
    assert smtp_box.to("claire@example.org")[-1]["Subject"] == "Annulé : Rencontre de janvier"


async def test_only_the_organizer_sees_the_outbox(
    app: FastAPI, client: httpx.AsyncClient, smtp_box: Mailbox
) -> None:
    _, people = await _group(app, client)
    await client.post(f"/api/members/{people['Sam']['id']}/invite", json={"send": True})
    async with browser(app) as sam:
        await sign_in_member(client, sam, people["Sam"]["id"])
        refused = await sam.get("/api/mail")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        roster = (await sam.get(f"/api/groups/{people['Sam']['group_id']}/members")).json()
        assert {m["mail_refused"] for m in roster} == {None}
        assert {m["email"] for m in roster} == {None}
