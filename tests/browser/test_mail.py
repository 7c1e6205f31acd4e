"""The organizer mails an invite from the group page and sees it sent; meetings offer
"add to calendar"; a member gets their calendar link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, expect

from tests.live import LiveServer, free_port, live_server
from tests.mail.conftest import Mailbox
from tests.support import bootstrap_organizer, session_cookie_for_invite

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def mailing(tmp_path: Path) -> Iterator[tuple[LiveServer, Mailbox]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with live_server(
            tmp_path / "data",
            CODEV_SMTP_URL=f"smtp://127.0.0.1:{port}",
            CODEV_MAIL_FROM="Codev <codev@example.org>",
            CODEV_MAIL_POLL_SECONDS="0.2",
        ) as server:
            yield server, box
    finally:
        controller.stop()


def test_the_organizer_mails_an_invite_and_sees_it_sent(
    browser: Browser, mailing: tuple[LiveServer, Mailbox], artifacts: Path
) -> None:
    server, box = mailing
    org = bootstrap_organizer(server)
    group = org.post("/api/groups", json={"name": "Cercle"}).json()
    claire = org.post(
        f"/api/groups/{group['id']}/members",
        json={"name": "Claire", "email": "claire@example.org", "language": "fr"},
    ).json()
    org.post(f"/api/groups/{group['id']}/members", json={"name": "Ben"})
    facilitator = next(
        m["id"] for m in org.get(f"/api/groups/{group['id']}/members").json() if m["is_organizer"]
    )
    made = org.post(
        f"/api/groups/{group['id']}/meetings",
        json={
            "title": "January meeting",
            "scheduled_for": "2030-01-15T18:00:00-05:00",
            "facilitator_id": facilitator,
            "consultations": [{"client_id": claire["id"]}],
        },
    )
    assert made.status_code == 201, made.text
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1000})
    context.add_cookies(
        [{"name": "codev_session", "value": org.cookies["codev_session"], "url": server.url}]
    )
    page = context.new_page()
    page.goto(f"{server.url}/#/groups/{group['id']}")
    member = page.locator("[data-member=Claire]")
    member.get_by_test_id("send-invite").click()
    expect(member).to_contain_text("On its way to claire@example.org")
    panel = page.get_by_test_id("mail-panel")
    expect(panel).to_contain_text("Votre invitation à Cercle sur Codev")
    sent = panel.locator("[data-status=sent]")
    for _ in range(50):  # the sender works in the background: refresh until it reports
        if sent.count() >= 2:
            break
        panel.get_by_role("button", name="Refresh").click()
        page.wait_for_timeout(200)
    expect(panel.locator("[data-status=sent]").first).to_be_visible()
    assert any(m["Subject"].startswith("Votre invitation") for m in box.messages)
    link = page.get_by_test_id("add-to-calendar")
    expect(link).to_have_attribute("href", f"/api/meetings/{made.json()['id']}/calendar.ics")
    page.screenshot(path=artifacts / "organizer-mail.png", full_page=True)

    # Claire, signed in by her link, gets her private calendar feed.
    invite = org.post(f"/api/members/{claire['id']}/invite").json()
    mine = browser.new_context(locale="fr-FR")
    mine.add_cookies(
        [
            {
                "name": "codev_session",
                "value": session_cookie_for_invite(server, invite["url"]),
                "url": server.url,
            }
        ]
    )
    claire_page = mine.new_page()
    claire_page.goto(server.url)
    claire_page.get_by_test_id("make-feed").click()
    expect(claire_page.locator("#calendar-feed-input")).to_have_value(
        re.compile(r"/calendar/.+\.ics$")
    )
    expect(claire_page.get_by_test_id("add-to-calendar")).to_be_visible()
    claire_page.screenshot(path=artifacts / "member-calendar.png", full_page=True)
    context.close()
    mine.close()
    org.close()
