"""The organizer's first run and daily work, through the pages: the printed setup link, the empty
state, groups, members, invite links (one click to copy), scheduling, the room and its display.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple"


def test_organizer_goes_from_the_setup_link_to_a_meeting_room(
    browser: Browser, server: LiveServer, artifacts: Path
) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()

    # The link the server printed opens the setup page; a short password is refused here.
    page.goto(server.setup_link())
    expect(page.get_by_role("heading", name="Set up Codev")).to_be_visible()
    page.get_by_label("Name").fill("Olivia Organizer")
    page.get_by_label("Email").fill("olivia@example.org")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password again").fill("short")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("at least 10 characters")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()

    # An empty state that says what to do next.
    empty = page.get_by_test_id("empty-state")
    expect(empty).to_contain_text("Welcome, Olivia Organizer")
    expect(empty).to_contain_text("Create a group")
    page.screenshot(path=artifacts / "organizer-empty.png", full_page=True)

    page.get_by_label("Group name").fill("Managers' circle")
    page.get_by_role("button", name="Create the group").click()
    expect(page.get_by_test_id("group-name")).to_have_text("Managers' circle")
    for name in ("Claire", "Sam", "Ana", "Ben"):
        form = page.get_by_test_id("add-member")
        form.get_by_label("Name").fill(name)
        form.get_by_role("button", name="Add").click()
        expect(page.get_by_test_id("members")).to_contain_text(name)

    # One click makes an invite link, one more copies it.
    claire = page.locator('[data-member="Claire"]')
    claire.get_by_test_id("invite").click()
    link = claire.locator(".copy-link input")
    expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/invite/\S+$"))
    invite_url = link.input_value()
    claire.locator(".copy-link").get_by_role("button", name="Copy").click()
    expect(claire.locator(".copy-link").get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == invite_url

    # Schedule a meeting: client, roles, timing and a video link.
    page.get_by_test_id("schedule").click()
    form = page.get_by_test_id("schedule-form")
    form.get_by_label("Title").fill("March meeting")
    form.get_by_label("Video-call link (optional)").fill("https://meet.example.org/march")
    form.locator("#c0-client").select_option(label="Claire")
    form.locator("#c0-preset").select_option("60")
    expect(form.get_by_test_id("preset-minutes")).to_contain_text(
        "Presentation 5 · Clarification 10"
    )
    form.locator("#c0-scribe").select_option(label="Sam")
    form.get_by_label("Check-in").check()
    page.screenshot(path=artifacts / "organizer-schedule.png", full_page=True)
    form.get_by_role("button", name="Schedule", exact=True).click()
    meetings = page.get_by_test_id("meetings")
    expect(meetings).to_contain_text("March meeting")
    expect(meetings).to_contain_text("Before the start")

    # The room display link, for the projector.
    meetings.get_by_role("button", name="Room display link").click()
    display_url = meetings.locator(".copy-link input").input_value()
    assert "/display.html?meeting=" in display_url
    page.screenshot(path=artifacts / "organizer.png", full_page=True)

    # The organizer facilitates this meeting.
    meetings.get_by_test_id("open-room").click()
    expect(page.get_by_test_id("stage-name")).to_have_text("Before the start")
    expect(page.get_by_test_id("you")).to_contain_text("Facilitator")
    expect(page.get_by_test_id("video-link")).to_have_attribute(
        "href", "https://meet.example.org/march"
    )

    # Claire opens her invite and lands on her group's meetings; the room knows she is the client.
    member = browser.new_context(locale="en-GB")
    claire_page = member.new_page()
    claire_page.goto(invite_url)
    expect(claire_page.get_by_test_id("my-meetings")).to_contain_text("March meeting")
    claire_page.get_by_role("link", name="Open the room").click()
    expect(claire_page.get_by_test_id("you")).to_contain_text("Claire · Client")

    projector = browser.new_context(locale="en-GB", viewport={"width": 1920, "height": 1080})
    screen = projector.new_page()
    screen.goto(display_url)
    expect(screen.get_by_test_id("stage-name")).to_have_text("Before the start")
    expect(screen.get_by_role("button")).to_have_count(0)

    # Signing out and in again; a wrong password says so.
    page.goto(server.url + "/")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill("olivia@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("form-error")).to_have_text("Wrong email or password.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("groups")).to_contain_text("Managers' circle")

    for opened in (context, member, projector):
        opened.close()


def test_the_next_member_added_starts_from_the_pages_language_again(
    browser: Browser, server: LiveServer
) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(server.setup_link())
    page.get_by_label("Name").fill("Olivia")
    page.get_by_label("Email").fill("olivia@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.get_by_label("Group name").fill("Circle")
    page.get_by_role("button", name="Create the group").click()
    form = page.get_by_test_id("add-member")
    form.get_by_label("Name").fill("Ana")
    form.get_by_label("Language").select_option("fr")
    form.get_by_role("button", name="Add").click()
    expect(page.locator('[data-member="Ana"]')).to_contain_text("FR")
    expect(form.get_by_label("Language")).to_have_value("en")
    form.get_by_label("Name").fill("Ben")
    form.get_by_role("button", name="Add").click()
    expect(page.locator('[data-member="Ben"]')).to_contain_text("EN")
    context.close()
