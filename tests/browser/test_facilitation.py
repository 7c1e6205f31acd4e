"""The facilitator's tools beyond next/back: choosing the client in the meeting, the timer's soft
warning and overtime, a delegated timekeeper, keyboard-only moves, and a person's language.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.helpers import open_person, schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOON = 1000


def test_facilitator_chooses_the_client_keeps_time_and_works_by_keyboard(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(
        server,
        ("Ben", "Claire", "Tina", "Omar"),
        scribe=None,
        client=None,
        timekeeper="Tina",
        observers=("Omar",),
        openers=("client_choice",),
    )
    olivia = open_person(browser, server, "Olivia", "about:blank", meeting.cookies["Olivia"])
    olivia.page.clock.install()
    olivia.page.goto(meeting.room_url)
    ben = open_person(browser, server, "Ben", meeting.room_url, meeting.cookies["Ben"])
    tina = open_person(browser, server, "Tina", meeting.room_url, meeting.cookies["Tina"])
    omar = open_person(browser, server, "Omar", meeting.room_url, meeting.cookies["Omar"])
    f = olivia.page
    expect(omar.page.get_by_test_id("you")).to_contain_text("Observer")

    # Keyboard only: focus "Next", Enter, the confirmation takes the focus, Enter again.
    f.get_by_test_id("next").focus()
    f.keyboard.press("Enter")
    expect(f.get_by_test_id("confirm")).to_be_focused()
    expect(f.get_by_test_id("confirm")).to_contain_text("Choice of client")
    f.keyboard.press("Enter")
    for person in (olivia, ben, tina, omar):
        expect(person.stage()).to_have_text("Choice of client", timeout=SOON)

    # Timers advise: a soft warning near the end, then overtime in its own colour.
    timer = f.get_by_test_id("timer")
    expect(timer).to_have_class(re.compile(r"^timer(?!.*\b(warn|over)\b)"))
    f.clock.fast_forward("04:30")
    expect(timer).to_have_class(re.compile(r"\bwarn\b"))
    f.clock.fast_forward("01:15")
    expect(timer).to_have_class(re.compile(r"\bover\b"))
    expect(timer.locator(".timer-value")).to_have_text(re.compile(r"^\+0:[34]\d$"))
    expect(timer).to_contain_text("over time")

    # A member proposes; the facilitator decides. No presentation before a client is chosen.
    ben.page.locator('form[data-field="proposal"] input').fill("A delicate promotion")
    ben.page.locator('form[data-field="proposal"] button[type="submit"]').click()
    expect(f.get_by_test_id("proposals")).to_contain_text("A delicate promotion", timeout=SOON)
    expect(f.get_by_test_id("next")).to_be_disabled()
    f.get_by_test_id("choose-client-0").select_option(label="Ben")
    expect(ben.page.get_by_test_id("you")).to_contain_text("Client", timeout=SOON)
    expect(f.get_by_test_id("next")).to_be_enabled()
    f.get_by_test_id("next").click()
    f.get_by_test_id("confirm").click()
    for person in (olivia, ben, tina, omar):
        expect(person.stage()).to_have_text("Presentation", timeout=SOON)
    expect(ben.page.get_by_test_id("case-form")).to_be_visible()

    # The timekeeper keeps time too; the observer only listens (and takes private notes).
    before = tina.page.get_by_test_id("timer").locator(".timer-value").inner_text()
    assert re.match(r"^[45]:\d\d$", before), before
    tina.page.get_by_test_id("plus1").click()
    expect(tina.page.get_by_test_id("timer").locator(".timer-value")).to_have_text(
        re.compile(r"^[56]:\d\d$"), timeout=SOON
    )
    expect(omar.page.locator("main textarea")).to_have_count(0)
    expect(omar.page.get_by_role("button", name="Raise hand")).to_have_count(0)
    expect(omar.page.locator("aside textarea")).to_have_count(1)

    # Each person picks their language; the choice stays in their browser.
    ben.page.get_by_label("Language").select_option("fr")
    expect(ben.stage()).to_have_text("Exposé de la problématique")
    ben.page.reload()
    expect(ben.stage()).to_have_text("Exposé de la problématique")
    expect(ben.page.locator("html")).to_have_attribute("lang", "fr")
    expect(tina.stage()).to_have_text("Presentation")

    for person in (olivia, ben, tina, omar):
        assert person.alerts == [], person.alerts
        person.context.close()
