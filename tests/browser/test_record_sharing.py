"""After the meeting, the client shares their record with the group in one click, and takes it
back; a consultant (here in French) reads who keeps it, and sees the case only while shared."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from websockets.sync.client import connect

from tests.browser.helpers import Scheduled, open_person, schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOON = 5000  # ms


def _command(server: LiveServer, meeting: Scheduled, who: str, **command: Any) -> None:
    """Send one command as ``who`` over their own socket and wait for its ack."""
    url = f"{server.ws_url}/ws/meetings/{meeting.meeting_id}"
    headers = {"Cookie": f"codev_session={meeting.cookies[who]}"}
    with connect(url, additional_headers=headers, origin=server.url) as ws:  # type: ignore[arg-type]
        message = {**command, "cid": uuid.uuid4().hex}
        ws.send(json.dumps(message))
        while (answer := json.loads(ws.recv(timeout=10)))["type"] not in ("ack", "error"):
            pass
    assert answer["type"] == "ack", answer


def test_the_client_shares_their_record_after_the_meeting_and_takes_it_back(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, ("Claire", "Ana", "Ben"), scribe=None, openers=())
    headline = f"Leading former peers {uuid.uuid4().hex[:6]}"
    _command(server, meeting, "Olivia", type="advance_stage", expected_stage="lobby")
    _command(server, meeting, "Claire", type="set_case", headline=headline, topic_type="problem")
    _command(server, meeting, "Olivia", type="end_meeting", expected_stage="presentation")

    claire = open_person(browser, server, "Claire", meeting.room_url, meeting.cookies["Claire"])
    ana = open_person(
        browser, server, "Ana", meeting.room_url, meeting.cookies["Ana"], locale="fr-FR"
    )
    status = ana.page.get_by_test_id("share-status")
    expect(status).to_have_text("Claire garde ce dossier privé.", timeout=SOON)
    expect(ana.page.locator("body")).not_to_contain_text(headline)
    expect(claire.page.locator("body")).to_contain_text(headline)

    toggle = claire.page.get_by_test_id("share-toggle")
    expect(toggle).to_have_text("Share with the group")
    toggle.click()
    expect(toggle).to_have_text("Keep it private", timeout=SOON)
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(status).to_have_text("Claire partage ce dossier avec le groupe.", timeout=SOON)
    expect(ana.page.locator("body")).to_contain_text(headline, timeout=SOON)

    toggle.click()
    expect(status).to_have_text("Claire garde ce dossier privé.", timeout=SOON)
    expect(ana.page.locator("body")).not_to_contain_text(headline, timeout=SOON)
    assert claire.alerts == ana.alerts == []
    for person in (claire, ana):
        person.context.close()
