"""Authors rewrite or take back their own items while the stage runs; the facilitator sets one
aside (here advice in disguise in clarification): it leaves the projector and the record, and
only its author (in French here) is told what it said."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.a11y import assert_no_axe_violations
from tests.browser.helpers import Driver, open_person, schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOON = 5000  # ms
ADVICE = "Have you thought of simply moving them to another team?"


def test_the_facilitator_sets_advice_aside_and_an_author_withdraws_their_question(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, ("Claire", "Ana", "Ben"), scribe=None, openers=())
    olivia_socket = Driver(server, meeting, "Olivia")
    ana_socket = Driver(server, meeting, "Ana")
    try:
        olivia_socket.advance_to("clarification")
        olivia = open_person(browser, server, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
        ana = open_person(
            browser, server, "Ana", meeting.room_url, meeting.cookies["Ana"], locale="fr-FR"
        )
        ben = open_person(browser, server, "Ben", meeting.room_url, meeting.cookies["Ben"])
        display = open_person(browser, server, "display", meeting.display_url)
        ana_socket.send("ask_question", text=ADVICE)
        advice = next(e for e in ana_socket.events if e["type"] == "question_asked")["question"][
            "id"
        ]
        for person in (olivia, ben, display):
            expect(person.page.get_by_test_id("questions")).to_contain_text(ADVICE, timeout=SOON)
        expect(ben.page.get_by_test_id(f"set-aside-{advice}")).to_have_count(0)  # not his to do
        expect(ben.page.get_by_test_id(f"withdraw-{advice}")).to_have_count(0)

        olivia.page.get_by_test_id(f"set-aside-{advice}").click()
        notice = ana.page.get_by_test_id("notice")
        expect(notice).to_contain_text("L'animation a mis de côté", timeout=SOON)
        expect(notice).to_contain_text(ADVICE)
        for person in (olivia, ana, ben, display):
            expect(person.page.locator("main")).not_to_contain_text(ADVICE, timeout=SOON)
        expect(ben.page.get_by_test_id("notice")).to_have_count(0)

        ben.page.locator("textarea").first.fill("Since when has it lasted?")
        ben.page.get_by_role("button", name="Ask").click()
        asked = ben.page.locator(".question", has_text="Since when has it lasted?")
        expect(asked).to_have_count(1, timeout=SOON)
        expect(display.page.get_by_test_id("questions")).to_contain_text("Since when", timeout=SOON)
        asked.get_by_role("button", name="Edit").click()
        editor = asked.get_by_label("Your new wording")
        expect(editor).to_have_value("Since when has it lasted?")
        editor.fill("Since when, exactly, has it lasted?")
        for person in (olivia, ben):
            assert_no_axe_violations(person.page)
        asked.get_by_role("button", name="Save").click()
        asked = ben.page.locator(".question", has_text="Since when, exactly")
        for person in (olivia, ana, display):
            expect(person.page.get_by_test_id("questions")).to_contain_text(
                "Since when, exactly, has it lasted?", timeout=SOON
            )
        expect(asked.get_by_label("Your new wording")).to_have_count(0, timeout=SOON)
        asked.get_by_role("button", name="Withdraw").click()  # one click, while the stage runs
        for person in (olivia, ben, ana, display):
            expect(person.page.locator("main")).not_to_contain_text("Since when", timeout=SOON)
        for person in (olivia, ana, ben, display):
            assert not person.alerts, person.alerts
            person.context.close()
    finally:
        olivia_socket.close()
        ana_socket.close()
