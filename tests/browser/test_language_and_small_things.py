"""French as practitioners write it, on every page of every role, in the language the organizer set;
and the small things people trip over: long names, the box to write in, the ready count, the end,
a dialog that closes under you, a refused late question. axe runs on every view it walks."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.a11y import assert_no_axe_violations
from tests.browser.helpers import Driver, Person, open_person, schedule
from tests.browser.test_room_display import assert_inside_viewport, assert_no_scrolling
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOON = 5000
PHONE = {"width": 390, "height": 844}
LONG_NAME = "Marie-Ève Tremblay-Castonguay de la Rivière-aux-Outardes-et-des-Mille-Îles-Nord"


def _catalogue(page: Page, lang: str) -> dict[str, str]:
    loaded: dict[str, str] = page.evaluate(f"async () => (await import('/i18n/{lang}.js')).default")
    return loaded


def _english_fragments(page: Page) -> dict[str, str]:
    """Pieces of English messages (between placeholders) long enough to be unmistakable, that
    French does not share: seen on a French page, they are an untranslated string."""
    en, fr = _catalogue(page, "en"), _catalogue(page, "fr")
    found: dict[str, str] = {}
    for key, text in en.items():
        if text == fr.get(key) or key.startswith("lang."):
            continue
        for piece in re.split(r"\{\w+\}", text):
            piece = piece.strip(" :·.,")
            if len(piece) >= 9 and " " in piece and piece not in "".join(fr.values()):
                found[piece] = key
    return found


def _visible_text(page: Page) -> str:
    text: str = page.evaluate(
        "() => document.body.innerText + ' ' +"
        " [...document.querySelectorAll('[aria-label],[title]')].map((e) =>"
        " (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('title') || '')).join(' ')"
    )
    return text


def _no_english(person: Person, fragments: dict[str, str], where: str) -> None:
    text = _visible_text(person.page)
    english = {piece: key for piece, key in fragments.items() if piece in text}
    assert english == {}, f"{person.name} in {where}: {english}"


def _french_typography(person: Person, where: str) -> None:
    text = _visible_text(person.page)
    glued = re.findall(r"\w{2,}[:;](?=\s)", text)  # "Contrat:" : a colon glued in code
    assert glued == [], f"{person.name} in {where}: {glued}"


def test_every_page_of_every_role_reads_in_french_in_the_language_the_organizer_set(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, observers=("Omar",), members=("Claire", "Sam", "Ana", "Ben", "Omar"))
    # Ana's language is French (set by the organizer); her browser says English: French wins.
    ana = open_person(
        browser,
        server,
        "Ana",
        meeting.room_url,
        meeting.cookies["Ana"],
        locale="en-GB",
        viewport=PHONE,
        is_mobile=True,
    )
    others = {
        name: open_person(
            browser,
            server,
            name,
            f"{meeting.room_url}&lang=fr",
            meeting.cookies[name],
            locale="fr-CA",
        )
        for name in ("Olivia", "Claire", "Sam", "Omar")
    }
    display = open_person(
        browser,
        server,
        "display",
        f"{meeting.display_url}&lang=fr",
        locale="fr-CA",
        viewport={"width": 1920, "height": 1080},
    )
    people = [ana, *others.values(), display]
    expect(ana.page.locator("html")).to_have_attribute("lang", "fr", timeout=SOON)
    expect(ana.page.get_by_test_id("you")).to_contain_text("Personne consultante")
    fragments = _english_fragments(ana.page)
    assert len(fragments) > 100  # the check below has teeth

    olivia, claire = Driver(server, meeting, "Olivia"), Driver(server, meeting, "Claire")
    sam = Driver(server, meeting, "Sam")
    steps: list[tuple[str, Any]] = [
        ("lobby", lambda: None),
        ("check_in", lambda: None),
        (
            "presentation",
            lambda: claire.send(
                "set_case",
                headline="Diriger mes anciens collègues",
                topic_type="problem",
                question="Comment trouver ma place ?",
            ),
        ),
        ("clarification", lambda: sam.send("ask_question", text="Depuis combien de temps ?")),
        (
            "contract",
            lambda: (
                claire.send(
                    "set_contract", text="M'aider à trouver ma place.", help_wanted=["ideas"]
                ),
                sam.send("rephrase_contract", text="Vous voulez trouver votre place."),
            ),
        ),
        (
            "consultation",
            lambda: sam.send(
                "add_contribution", kind="suggestion", text="Des rencontres individuelles."
            ),
        ),
        (
            "synthesis",
            lambda: claire.send(
                "save_action_item",
                action="Rencontrer chaque personne",
                objective="Écouter",
                due="2026-04-15",
                indicator="Six rencontres",
                follow_up="2026-05-10",
            ),
        ),
        ("conclusion", lambda: sam.send("post_learning", text="Écouter avant de proposer.")),
        ("ended", lambda: None),
    ]
    try:
        for stage, act in steps:
            if stage == "ended":
                olivia.send("end_meeting", expected_stage=olivia.stage)
            else:
                olivia.advance_to(stage)
            act()
            for person in people:
                expect(person.page.locator(f'[data-stage="{stage}"]')).to_be_visible(timeout=SOON)
                if stage == "synthesis" and person is display:
                    expect(person.page.get_by_test_id("action-items")).to_be_visible(timeout=SOON)
                if person is display:  # the long French stage names still fit the room's screen
                    assert_no_scrolling(person.page)
                    timer = person.page.get_by_test_id("timer").count() > 0
                    assert_inside_viewport(
                        person.page,
                        '[data-testid="stage-name"]',
                        ".display-rail",
                        *(['[data-testid="timer"]'] if timer else []),
                    )
                _no_english(person, fragments, stage)
                _french_typography(person, stage)
                assert_no_axe_violations(person.page, f"{person.name} in {stage}")
    finally:
        for driver in (olivia, claire, sam):
            driver.close()
    expect(others["Olivia"].page.get_by_test_id("stage-name")).to_have_text("Rencontre terminée")
    # The home pages too: the organizer's groups, then a member's meetings (in Ana's language).
    for person, testid in ((others["Olivia"], "you"), (ana, "my-meetings")):
        person.page.goto(f"{server.url}/")
        expect(person.page.get_by_test_id(testid)).to_be_visible(timeout=SOON)
        _no_english(person, fragments, "home")
        _french_typography(person, "home")
        assert_no_axe_violations(person.page, f"{person.name} at home")
    expect(ana.page.get_by_test_id("meeting-ended")).to_have_text("Terminée")
    # The organizer's group page: members, invite links, meetings, and the scheduling form.
    organizer = others["Olivia"].page
    organizer.get_by_test_id("groups").locator("a").first.click()
    expect(organizer.get_by_test_id("group-name")).to_be_visible(timeout=SOON)
    organizer.locator('[data-member="Claire"]').get_by_test_id("invite").click()
    organizer.get_by_test_id("schedule").click()
    expect(organizer.get_by_test_id("schedule-form")).to_be_visible()
    _no_english(others["Olivia"], fragments, "the group page")
    _french_typography(others["Olivia"], "the group page")
    assert_no_axe_violations(organizer, "the organizer's group page")
    for person in people:
        assert [a for a in person.alerts if a.startswith("page error")] == []
        person.context.close()


def _scroll_width(page: Page) -> int:
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    return width


def test_long_names_wrap_and_the_box_to_write_in_is_on_a_phones_first_screen(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, members=("Claire", "Sam", LONG_NAME, "Ben"), scribe=None)
    olivia = open_person(browser, server, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
    phone = open_person(
        browser,
        server,
        LONG_NAME,
        meeting.room_url,
        meeting.cookies[LONG_NAME],
        viewport=PHONE,
        is_mobile=True,
    )
    sam = open_person(browser, server, "Sam", meeting.room_url, meeting.cookies["Sam"])
    driver = Driver(server, meeting, "Olivia")
    try:
        driver.advance_to("presentation")
        client = Driver(server, meeting, "Claire")
        client.send(
            "set_case",
            headline="Leading former peers",
            topic_type="problem",
            context="A long context, as people write it. " * 40,
            question="How can I lead them?",
        )
        client.close()
        driver.advance_to("clarification")
        for person in (olivia, phone):
            expect(person.stage()).to_have_text("Clarification", timeout=SOON)
        expect(olivia.page.get_by_test_id("people")).to_contain_text(LONG_NAME)
        assert _scroll_width(olivia.page) <= 1280
        assert _scroll_width(phone.page) <= PHONE["width"]
        expect(phone.page.get_by_test_id("you")).to_have_attribute("data-testid", "you")
        assert phone.page.locator('[data-testid="you"] [dir="auto"]').count() == 1

        # The question box is on the first screen, above the bar that holds hand and ready.
        box = phone.page.locator('form[data-field="question"] textarea')
        bounds = box.bounding_box()
        bar = phone.page.locator(".self").bounding_box()
        assert bounds is not None
        assert bar is not None
        assert bounds["y"] + 24 <= bar["y"], (bounds, bar)

        # Sent with the keyboard, the focus stays in the box for the next question.
        box.fill("Depuis quand ?")
        box.press("Control+Enter")
        expect(sam.page.get_by_test_id("questions")).to_contain_text("Depuis quand ?", timeout=SOON)
        expect(box).to_have_value("")
        expect(box).to_be_focused()
        assert_no_axe_violations(phone.page)

        # Offline, the phone says so without the top bar changing height.
        bar = phone.page.locator(".topbar").bounding_box()
        phone.context.set_offline(True)
        expect(phone.page.get_by_test_id("connection")).to_contain_text("Offline", timeout=SOON)
        expect(phone.page.locator(".conn-label")).to_be_in_viewport()
        assert phone.page.locator(".topbar").bounding_box() == bar
        phone.context.set_offline(False)
        expect(phone.page.get_by_test_id("connection")).to_contain_text("Connected", timeout=15000)

        # "Ready 3 of 6" counts the people present: Claire and Ben never came.
        ready = olivia.page.get_by_test_id("ready-count")
        expect(ready).to_have_text("Ready: 0 of 2 present")
        sam.page.get_by_test_id("ready").click()
        expect(ready).to_have_text("Ready: 1 of 2 present", timeout=SOON)
        assert_no_axe_violations(olivia.page)
    finally:
        driver.close()
        for person in (olivia, phone, sam):
            assert [a for a in person.alerts if a.startswith("page error")] == []
            person.context.close()


def test_a_dialog_the_stage_closes_says_why_and_a_late_question_is_kept_in_the_drafts(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, openers=())
    here = open_person(browser, server, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
    there = open_person(browser, server, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
    sam = open_person(browser, server, "Sam", meeting.room_url, meeting.cookies["Sam"])
    driver = Driver(server, meeting, "Olivia")
    try:
        driver.advance_to("clarification")
        expect(here.stage()).to_have_text("Clarification", timeout=SOON)
        here.page.get_by_test_id("next").click()
        expect(here.page.get_by_test_id("confirm")).to_be_visible()

        # Sam's question goes out while the stage moves on: it is refused, and kept.
        sam.context.set_offline(True)
        sam.page.locator('form[data-field="question"] textarea').fill("Une question tardive ?")
        sam.page.locator('form[data-field="question"] button[type="submit"]').click()
        there.page.get_by_test_id("next").click()
        there.page.get_by_test_id("confirm").click()
        expect(here.page.get_by_test_id("confirm")).to_be_hidden(timeout=SOON)
        expect(here.page.get_by_test_id("notice")).to_contain_text("another facilitator moved it")
        sam.context.set_offline(False)
        expect(sam.page.get_by_test_id("notice")).to_contain_text("Unsent drafts", timeout=10000)
        expect(sam.page.get_by_test_id("notice")).not_to_contain_text("back in its box")
        expect(sam.page.locator(".hidden-drafts textarea")).to_have_value("Une question tardive ?")
    finally:
        driver.close()
        for person in (here, there, sam):
            person.context.close()


def test_at_the_end_each_client_sees_their_own_case_and_members_see_the_meeting_ended(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, openers=(), second_client="Sam")
    claire = open_person(browser, server, "Claire", meeting.room_url, meeting.cookies["Claire"])
    driver, client = Driver(server, meeting, "Olivia"), Driver(server, meeting, "Claire")
    try:
        driver.advance_to("presentation")
        client.send("set_case", headline="Leading former peers", topic_type="problem")
        driver.send("end_meeting", expected_stage=driver.stage)
        expect(claire.stage()).to_have_text("Meeting ended", timeout=SOON)
        # Claire was the client of the first consultation, a consultant in the second
        expect(claire.page.get_by_test_id("you")).to_contain_text("Client in consultation 1")
        record = claire.page.get_by_test_id("ended-record-0")
        expect(record).to_contain_text("Client: Claire")
        record.get_by_text("Presentation").click()
        expect(record.get_by_test_id("case-headline")).to_have_text("Leading former peers")
        assert_no_axe_violations(claire.page)
        claire.page.goto(f"{server.url}/")
        expect(claire.page.get_by_test_id("meeting-ended")).to_have_text("Ended", timeout=SOON)
        assert_no_axe_violations(claire.page)
    finally:
        driver.close()
        client.close()
        claire.context.close()


def test_a_group_can_be_created_without_adding_the_organizer_as_its_facilitator(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, members=("Claire", "Sam"), scribe=None)
    olivia = open_person(browser, server, "Olivia", f"{server.url}/", meeting.cookies["Olivia"])
    page = olivia.page
    try:
        page.locator("#group-name").fill("Second circle")
        add_me = page.get_by_test_id("add-me")
        expect(add_me).to_be_checked()
        add_me.uncheck()
        page.get_by_role("button", name="Create the group").click()
        expect(page.get_by_test_id("group-name")).to_have_text("Second circle", timeout=SOON)
        cookies = {"codev_session": meeting.cookies["Olivia"]}
        groups = httpx.get(f"{server.url}/api/groups", cookies=cookies).json()
        second = next(g for g in groups if g["name"] == "Second circle")
        members = httpx.get(f"{server.url}/api/groups/{second['id']}/members", cookies=cookies)
        assert members.json() == []
    finally:
        olivia.context.close()


def test_saved_forms_say_so_and_offline_stage_moves_wait_without_moving_the_top_bar(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, openers=())
    olivia = open_person(browser, server, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
    claire = open_person(browser, server, "Claire", meeting.room_url, meeting.cookies["Claire"])
    driver = Driver(server, meeting, "Olivia")
    try:
        driver.advance_to("presentation")
        form = claire.page.get_by_test_id("case-form")
        form.locator("#case-headline").fill("Leading former peers")
        form.locator('button[type="submit"]').click()
        expect(form.get_by_test_id("save-state")).to_have_text("✓ Saved", timeout=SOON)
        form.locator("#case-question").fill("How?")
        expect(form.get_by_test_id("save-state")).to_have_text("Not saved yet")
        form.locator('button[type="submit"]').click()
        expect(form.get_by_test_id("save-state")).to_have_text("✓ Saved", timeout=SOON)

        page = olivia.page
        expect(page.get_by_test_id("next")).to_be_enabled()
        bar = page.locator(".topbar").bounding_box()
        olivia.context.set_offline(True)
        expect(page.get_by_test_id("connection")).to_contain_text("Offline", timeout=SOON)
        expect(page.get_by_test_id("next")).to_be_disabled()
        expect(page.get_by_test_id("end")).to_be_disabled()
        expect(page.get_by_test_id("offline-hint")).to_be_visible()
        assert page.locator(".topbar").bounding_box() == bar
        olivia.context.set_offline(False)
        expect(page.get_by_test_id("next")).to_be_enabled(timeout=15000)
        assert_no_axe_violations(claire.page, "client in presentation")
    finally:
        driver.close()
        for person in (olivia, claire):
            person.context.close()
