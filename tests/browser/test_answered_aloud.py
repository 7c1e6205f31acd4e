"""Writing is optional in clarification: the client marks a question answered aloud in one click
(and may take it back); a consultant in French, and the room display, see it at once; a
question neither answered nor marked stays neutral."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.a11y import assert_no_axe_violations
from tests.browser.helpers import Driver, open_person, schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOON = 5000  # ms


def test_the_client_marks_a_question_answered_aloud_in_one_click_and_everyone_sees_it(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, ("Claire", "Ana", "Ben"), scribe=None, openers=())
    olivia = Driver(server, meeting, "Olivia")
    ben = Driver(server, meeting, "Ben")
    try:
        olivia.advance_to("clarification")
        ben.send("ask_question", text="How long have you led this team?")
        ben.send("ask_question", text="Who chose you for the role?")
        first, second = (e["question"]["id"] for e in ben.events if e["type"] == "question_asked")

        claire = open_person(browser, server, "Claire", meeting.room_url, meeting.cookies["Claire"])
        ana = open_person(
            browser, server, "Ana", meeting.room_url, meeting.cookies["Ana"], locale="fr-FR"
        )
        display = open_person(browser, server, "display", meeting.display_url)
        toggle = claire.page.get_by_test_id(f"aloud-{first}")
        expect(toggle).to_have_attribute("aria-pressed", "false", timeout=SOON)
        expect(claire.page.get_by_test_id(f"aloud-{second}")).to_have_text("Answered aloud")

        toggle.click()  # one click, nothing typed
        expect(toggle).to_have_attribute("aria-pressed", "true", timeout=SOON)
        marked = ana.page.get_by_test_id("answered-aloud")
        expect(marked).to_have_count(1, timeout=SOON)
        expect(marked).to_have_text("Réponse donnée de vive voix")
        expect(ana.page.locator(".question").first).to_contain_text("Réponse donnée de vive voix")
        expect(display.page.get_by_test_id("answered-aloud")).to_have_text(
            "Answered aloud", timeout=SOON
        )
        # the other question is neutral: no mark, and nothing says it is waiting
        expect(display.page.get_by_test_id("questions")).not_to_contain_text("Waiting")
        expect(ana.page.locator(".question").last).not_to_contain_text("vive voix")
        for person in (claire, ana, display):
            assert_no_axe_violations(person.page)

        toggle.click()  # taken back
        expect(toggle).to_have_attribute("aria-pressed", "false", timeout=SOON)
        expect(ana.page.get_by_test_id("answered-aloud")).to_have_count(0, timeout=SOON)
        expect(display.page.get_by_test_id("answered-aloud")).to_have_count(0, timeout=SOON)
        for person in (claire, ana, display):
            assert not person.alerts, person.alerts
            person.context.close()
    finally:
        olivia.close()
        ben.close()
