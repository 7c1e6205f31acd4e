"""Lost links and lost frames: commands typed offline are sent once, in order, when the link is
back (resuming with ``?since=``); a client that misses an event asks for a resync.

The WebSocket goes through Playwright's router, so the tests can cut it or drop one frame.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from tests.browser.helpers import Person, open_person, schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class Link:
    """A switchable link between one page and the server; records what the page sends."""

    online: bool = True
    urls: list[str] = field(default_factory=list)
    sent: list[dict[str, object]] = field(default_factory=list)
    drop: set[str] = field(default_factory=set)
    """Event types to drop once on their way to the page (a lost frame)."""

    def route(self, ws: WebSocketRoute) -> None:
        self.urls.append(ws.url)
        if not self.online:
            ws.close(code=4000, reason="offline")
            return
        server = ws.connect_to_server()

        def up(message: str | bytes) -> None:
            self.sent.append(json.loads(message))
            server.send(message)

        def down(message: str | bytes) -> None:
            kind = json.loads(message).get("type")
            if kind in self.drop:
                self.drop.discard(str(kind))
                return
            ws.send(message)

        ws.on_message(up)
        server.on_message(down)


def _advance(page: Page, target: str) -> None:
    page.get_by_test_id("next").click()
    expect(page.get_by_test_id("confirm")).to_contain_text(target)
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("stage-name")).to_have_text(target)


def _ask(page: Page, text: str) -> None:
    form = page.locator('form[data-field="question"]')
    form.locator("textarea").fill(text)
    form.locator('button[type="submit"]').click()


def _open(
    browser: Browser, server: LiveServer, link: Link | None, name: str, url: str, cookie: str
) -> Person:
    person = open_person(browser, server, name, "about:blank", cookie)
    if link is not None:
        person.page.route_web_socket(re.compile(r".*/ws/meetings/.*"), link.route)
    person.page.goto(url)
    return person


def test_questions_typed_offline_are_sent_once_in_order_when_back(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, ("Claire", "Ben"), scribe=None, openers=())
    link = Link()
    olivia = _open(browser, server, None, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
    claire = _open(browser, server, None, "Claire", meeting.room_url, meeting.cookies["Claire"])
    ben = _open(browser, server, link, "Ben", meeting.room_url, meeting.cookies["Ben"])
    _advance(olivia.page, "Presentation")
    _advance(olivia.page, "Clarification")
    expect(ben.stage()).to_have_text("Clarification")

    link.online = False
    ben.context.set_offline(True)
    expect(ben.page.get_by_test_id("connection")).to_contain_text("Offline")
    _ask(ben.page, "First, typed offline?")
    _ask(ben.page, "Second, typed offline?")
    expect(ben.page.get_by_test_id("connection")).to_contain_text("2 waiting to be sent")
    expect(claire.page.get_by_text("No questions yet.")).to_be_visible()

    link.online = True
    ben.context.set_offline(False)
    expect(ben.page.get_by_test_id("connection")).to_have_text("Connected", timeout=5000)
    questions = claire.page.get_by_test_id("questions").locator(".q-text")
    expect(questions).to_have_text(
        ["First, typed offline?", "Second, typed offline?"], timeout=2000
    )
    expect(ben.page.get_by_test_id("questions").locator(".q-text")).to_have_count(2)
    assert "since=" in link.urls[-1], link.urls
    asked = [m for m in link.sent if m.get("type") == "ask_question"]
    assert [m["text"] for m in asked] == ["First, typed offline?", "Second, typed offline?"]
    assert len({m["cid"] for m in asked}) == 2
    for person in (olivia, claire, ben):
        assert person.alerts == [], person.alerts
        person.context.close()


def test_a_client_that_misses_an_event_resyncs(browser: Browser, server: LiveServer) -> None:
    meeting = schedule(server, ("Claire", "Ben", "Ana"), scribe=None, openers=())
    link = Link()
    olivia = _open(browser, server, None, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
    ana = _open(browser, server, None, "Ana", meeting.room_url, meeting.cookies["Ana"])
    ben = _open(browser, server, link, "Ben", meeting.room_url, meeting.cookies["Ben"])
    _advance(olivia.page, "Presentation")
    _advance(olivia.page, "Clarification")
    expect(ben.stage()).to_have_text("Clarification")

    link.drop.add("question_asked")  # Ana's first question never reaches Ben's page
    _ask(ana.page, "Lost on the way?")
    expect(olivia.page.get_by_test_id("questions")).to_contain_text("Lost on the way?")
    assert "question_asked" not in link.drop
    _ask(ana.page, "And this one?")
    expect(ben.page.get_by_test_id("questions").locator(".q-text")).to_have_text(
        ["Lost on the way?", "And this one?"], timeout=2000
    )
    assert any(m.get("type") == "resync" for m in link.sent), link.sent
    for person in (olivia, ana, ben):
        assert person.alerts == [], person.alerts
        person.context.close()
