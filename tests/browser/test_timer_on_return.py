"""Time advises, it does not press: a stage entered again resumes the time it had left, and the
facilitator hides the timer from the room display (in French here) and shows it again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.a11y import assert_no_axe_violations
from tests.browser.helpers import Driver, open_person, schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOON = 5000  # ms
TWENTY_ODD = re.compile(r"^2\d:\d\d$")  # minutes left: 20 to 29


def test_going_back_resumes_the_stages_time_and_the_display_may_hide_the_timer(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, ("Claire", "Ana", "Ben"), scribe=None, openers=(), preset="45")
    driver = Driver(server, meeting, "Olivia")
    try:
        driver.advance_to("contract")
        driver.send("extend_timer", seconds=20 * 60)  # the contract now has over 20 minutes
        driver.advance_to("consultation")
    finally:
        driver.close()
    olivia = open_person(browser, server, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
    display = open_person(
        browser,
        server,
        "display",
        meeting.display_url,
        locale="fr-FR",
        viewport={"width": 1920, "height": 1080},
    )
    f = olivia.page
    expect(f.get_by_test_id("stage-name")).to_have_text("Consultation", timeout=SOON)
    f.get_by_test_id("back").click()
    f.get_by_test_id("confirm").click()
    expect(f.get_by_test_id("stage-name")).to_have_text("Contract", timeout=SOON)
    # a fresh contract timer would show its preset's few minutes; the kept one has over 20 left
    expect(f.locator(".timer-value")).to_have_text(TWENTY_ODD, timeout=SOON)
    expect(display.page.locator(".timer-value")).to_have_text(TWENTY_ODD, timeout=SOON)

    hide = f.get_by_test_id("display-timer")
    expect(hide).to_have_attribute("aria-pressed", "false")
    hide.click()
    expect(hide).to_have_attribute("aria-pressed", "true", timeout=SOON)
    expect(display.page.get_by_test_id("timer")).to_have_count(0, timeout=SOON)
    expect(f.get_by_test_id("timer")).to_be_visible()  # only the room display loses it
    display.page.reload()  # and it stays hidden in a fresh snapshot
    expect(display.page.get_by_test_id("stage-name")).to_have_text(
        "Contrat de consultation", timeout=SOON
    )
    expect(display.page.get_by_test_id("timer")).to_have_count(0)
    for person in (olivia, display):
        assert_no_axe_violations(person.page)

    hide.click()
    expect(display.page.get_by_test_id("timer")).to_be_visible(timeout=SOON)
    for person in (olivia, display):
        assert not person.alerts, person.alerts
        person.context.close()
