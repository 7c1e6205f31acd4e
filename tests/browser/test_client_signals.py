"""The client's "off contract" / "please clarify" reach the facilitator only (and the client),
never a consultant's page nor the room display, and the client takes one back in one click."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.a11y import assert_no_axe_violations
from tests.browser.helpers import Driver, open_person, schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOON = 5000  # ms


def test_a_clients_signal_reaches_the_facilitator_only_and_can_be_taken_back(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, ("Claire", "Ana", "Ben"), scribe=None, openers=())
    olivia_socket = Driver(server, meeting, "Olivia")
    ben = Driver(server, meeting, "Ben")
    try:
        olivia_socket.advance_to("consultation")
        ben.send("add_contribution", kind="suggestion", text="Meet each of them one to one.")
        claire = open_person(browser, server, "Claire", meeting.room_url, meeting.cookies["Claire"])
        olivia = open_person(browser, server, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
        ana = open_person(
            browser, server, "Ana", meeting.room_url, meeting.cookies["Ana"], locale="fr-FR"
        )
        display = open_person(browser, server, "display", meeting.display_url)
        expect(ana.page.get_by_test_id("contributions")).to_contain_text("one to one", timeout=SOON)
        expect(claire.page.locator(".signal-buttons")).to_contain_text("no one else sees it")

        claire.page.locator(".signal-buttons").get_by_role("button", name="Off contract").click()
        expect(olivia.page.get_by_test_id("signals")).to_contain_text("Off contract", timeout=SOON)
        expect(claire.page.get_by_test_id("signals")).to_contain_text("Off contract")
        # meanwhile Ana's page and the projector got the event redacted: nothing to show
        ben.send("add_contribution", kind="reaction", text="A later contribution.")
        for person in (ana, display):
            expect(person.page.get_by_test_id("contributions")).to_contain_text(
                "A later contribution", timeout=SOON
            )
            expect(person.page.get_by_test_id("signals")).to_have_count(0)
            expect(person.page.locator("main")).not_to_contain_text("Hors contrat")
            expect(person.page.locator("main")).not_to_contain_text("Off contract")
        ana.page.reload()  # nor in a fresh snapshot
        expect(ana.page.get_by_test_id("contributions")).to_contain_text("later", timeout=SOON)
        expect(ana.page.get_by_test_id("signals")).to_have_count(0)
        for person in (claire, olivia):
            assert_no_axe_violations(person.page)

        claire.page.get_by_test_id("signals").get_by_role("button", name="Take back").click()
        expect(olivia.page.get_by_test_id("signals")).to_have_count(0, timeout=SOON)
        expect(claire.page.get_by_test_id("signals")).to_have_count(0, timeout=SOON)
        for person in (claire, olivia, ana, display):
            assert not person.alerts, person.alerts
            person.context.close()
    finally:
        olivia_socket.close()
        ben.close()
