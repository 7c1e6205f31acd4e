"""Six browsers play a whole consultation through the UI: a facilitator, a client, three
consultants (one the scribe, one in French) and the room display. Every view follows each change
within a second; drafts survive a reload and a stage change; content shows as text, never HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.helpers import VIDEO_URL, Person, open_person, schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOON = 1000  # ms: every view shows a change within a second
XSS = "<img src=x onerror=alert(1)>"


def field(page: Page, name: str) -> Locator:
    return page.locator(f'form[data-field="{name}"]')


def send(page: Page, name: str, text: str) -> None:
    form = field(page, name)
    form.locator("textarea, input").first.fill(text)
    form.locator('button[type="submit"]').click()


def advance(facilitator: Page, target: str) -> None:
    """Next, then the confirmation that names the target stage."""
    facilitator.get_by_test_id("next").click()
    confirm = facilitator.get_by_test_id("confirm")
    expect(confirm).to_contain_text(target)
    confirm.click()


def all_show(people: list[Person], english: str, french: str) -> None:
    for person in people:
        expect(person.stage()).to_have_text(
            french if person.name == "Ana" else english, timeout=SOON
        )


def test_six_browsers_play_a_whole_consultation(
    browser: Browser, server: LiveServer, artifacts: Path
) -> None:
    meeting = schedule(server)
    olivia = open_person(browser, server, "Olivia", meeting.room_url, meeting.cookies["Olivia"])
    claire = open_person(browser, server, "Claire", meeting.room_url, meeting.cookies["Claire"])
    sam = open_person(browser, server, "Sam", meeting.room_url, meeting.cookies["Sam"])
    ana = open_person(
        browser, server, "Ana", meeting.room_url, meeting.cookies["Ana"], locale="fr-FR"
    )
    ben = open_person(
        browser,
        server,
        "Ben",
        meeting.room_url,
        meeting.cookies["Ben"],
        viewport={"width": 390, "height": 844},
        is_mobile=True,
    )
    room = open_person(
        browser, server, "Room", meeting.display_url, viewport={"width": 1920, "height": 1080}
    )
    people = [olivia, claire, sam, ana, ben, room]
    f, c = olivia.page, claire.page

    # Everyone arrives in the lobby, sees their role, the video link and the connection state.
    all_show(people, "Before the start", "Avant le début")
    expect(f.get_by_test_id("you")).to_contain_text("Facilitator")
    expect(c.get_by_test_id("you")).to_contain_text("Client")
    expect(sam.page.get_by_test_id("you")).to_contain_text("Scribe")
    expect(ana.page.get_by_test_id("you")).to_contain_text("Personne consultante")
    for person in people:
        expect(person.page.get_by_test_id("video-link")).to_have_attribute("href", VIDEO_URL)
        expect(person.page.get_by_test_id("connection")).to_contain_text(
            re.compile("Connected|Connecté")
        )
    expect(f.get_by_test_id("people")).to_contain_text("Claire")

    advance(f, "Check-in")
    all_show(people, "Check-in", "Accueil (tour de table)")
    expect(ana.page.get_by_test_id("announcer")).to_contain_text("Accueil (tour de table)")
    ben.page.get_by_role("button", name="Raise hand").click()
    expect(f.get_by_test_id("hands")).to_contain_text("Ben", timeout=SOON)
    f.get_by_test_id("hands").get_by_role("button", name=re.compile("Call on")).click()
    expect(f.get_by_test_id("speaker")).to_contain_text("Ben", timeout=SOON)
    expect(ben.page.get_by_text("It is your turn to speak.")).to_be_visible(timeout=SOON)
    for person in (claire, sam, ana, ben):
        person.page.get_by_test_id("ready").click()
    expect(f.get_by_test_id("ready-count")).to_have_text("Ready: 4 of 4 present", timeout=SOON)

    # 1 Presentation: the client writes the case; everyone sees it as it is saved.
    advance(f, "Presentation")
    all_show(people, "Presentation", "Exposé de la problématique")
    expect(ana.page.get_by_test_id("you-may")).to_contain_text("Écoutez sans interrompre")
    form = c.get_by_test_id("case-form")
    form.locator("#case-headline").fill("My team resists the new <b>schedule</b>")
    form.locator('input[name="case-type"][value="project"]').check()
    form.locator("#case-context").fill("Twelve people, two sites.")
    form.locator("#case-question").fill("How can I bring them along?")
    form.locator('button[type="submit"]').click()
    for person in (olivia, sam, ana, ben, room):
        expect(person.page.get_by_test_id("case-headline")).to_have_text(
            "My team resists the new <b>schedule</b>", timeout=SOON
        )
    expect(ana.page.get_by_test_id("case")).to_contain_text("Projet")

    # 2 Clarification: questions and answers; the facilitator extends the timer.
    advance(f, "Clarification")
    all_show(people, "Clarification", "Clarification")
    timer = f.get_by_test_id("timer").locator(".timer-value")
    expect(timer).to_have_text(re.compile(r"^[78]:\d\d$"))
    f.get_by_test_id("plus5").click()
    for person in (olivia, room):
        expect(person.page.get_by_test_id("timer").locator(".timer-value")).to_have_text(
            re.compile(r"^1[23]:\d\d$"), timeout=SOON
        )
    send(ben.page, "question", "Since when is the schedule new?")
    send(ana.page, "question", "Qui a décidé du changement ?")
    for person in (olivia, claire, sam, room):
        expect(person.page.get_by_test_id("questions")).to_contain_text(
            "Since when is the schedule new?", timeout=SOON
        )
    question = c.locator(".question", has_text="Since when")
    question.locator("textarea").fill("Since January.")
    question.locator('button[type="submit"]').click()
    for person in (olivia, sam, ana, ben, room):
        expect(person.page.get_by_test_id("questions")).to_contain_text(
            "Since January.", timeout=SOON
        )

    # Sam reloads mid-stage with a half-typed question; meanwhile Ben asks another.
    field(sam.page, "question").locator("textarea").fill("Who was consulted before")
    sam.page.reload()
    send(ben.page, "question", "How many people refused?")
    expect(sam.stage()).to_have_text("Clarification")
    expect(field(sam.page, "question").locator("textarea")).to_have_value(
        "Who was consulted before"
    )
    expect(sam.page.get_by_test_id("questions")).to_contain_text(
        "How many people refused?", timeout=SOON
    )
    expect(sam.page.get_by_test_id("questions")).to_contain_text("Since January.")
    send(sam.page, "question", "Who was consulted before?")
    expect(c.get_by_test_id("questions")).to_contain_text("Who was consulted before?", timeout=SOON)
    expect(field(sam.page, "question").locator("textarea")).to_have_value("")

    # 3 Contract: versions, and a consultant's rephrasing.
    advance(f, "Contract")
    all_show(people, "Contract", "Contrat de consultation")
    contract = c.get_by_test_id("contract-form")
    contract.locator("#contract-text").fill("Help me to find a first step with the team.")
    contract.get_by_label("Ideas").check()
    contract.locator('button[type="submit"]').click()
    for person in (olivia, sam, ana, ben, room):
        expect(person.page.get_by_test_id("contract-text")).to_have_text(
            "Help me to find a first step with the team.", timeout=SOON
        )
    send(ben.page, "rephrasing", "You want one concrete first step.")
    expect(c.get_by_test_id("rephrasings")).to_contain_text(
        "You want one concrete first step.", timeout=SOON
    )
    contract.locator("#contract-text").fill("Help me to find a first step that the team chooses.")
    contract.locator('button[type="submit"]').click()
    expect(ben.page.get_by_test_id("contract")).to_contain_text("Version 2", timeout=SOON)
    expect(c.get_by_test_id("contract")).to_contain_text("Earlier versions (1)")

    # 4 Consultation: typed contributions, the client's marks and signal, the scribe's notes.
    advance(f, "Consultation")
    all_show(people, "Consultation", "Consultation")
    ben.page.locator('input[name="kind"][value="hypothesis"]').check()
    send(ben.page, "contribution.text", "Maybe they were not asked.")
    ana.page.locator('input[name="kind"][value="suggestion"]').check()
    send(ana.page, "contribution.text", XSS)
    send(sam.page, "scribe-note", "Ask them; try a pilot.")
    for person in (olivia, claire, sam, ana, ben, room):
        expect(person.page.get_by_test_id("contributions")).to_contain_text(
            "Maybe they were not asked.", timeout=SOON
        )
        expect(person.page.get_by_test_id("contributions")).to_contain_text(XSS, timeout=SOON)
    expect(c.get_by_test_id("scribe-notes")).to_contain_text("Ask them; try a pilot.", timeout=SOON)
    expect(room.page.locator("img")).to_have_count(0)
    kept = c.locator(".contribution", has_text="Maybe they were not asked.").get_by_role(
        "button", name="Keep"
    )
    kept.click()
    expect(kept).to_have_attribute("aria-pressed", "true", timeout=SOON)
    c.locator(".contribution", has_text=XSS).get_by_role("button", name="Please clarify").click()
    expect(f.get_by_test_id("signals")).to_contain_text("Please clarify", timeout=SOON)
    expect(f.get_by_test_id("signals")).to_contain_text(XSS)  # quoted, as text
    expect(ben.page.get_by_test_id("signals")).to_have_count(0)  # the facilitator's, not Ben's

    # Back to the contract and forward again: what Ben is typing is never lost.
    field(ben.page, "contribution.text").locator("textarea").fill("A pilot with volunteers")
    f.get_by_test_id("back").click()
    expect(f.get_by_test_id("confirm")).to_contain_text("Contract")
    f.get_by_test_id("confirm").click()
    all_show(people, "Contract", "Contrat de consultation")
    expect(ben.page.locator(".hidden-drafts textarea")).to_have_value("A pilot with volunteers")
    advance(f, "Consultation")
    all_show(people, "Consultation", "Consultation")
    expect(field(ben.page, "contribution.text").locator("textarea")).to_have_value(
        "A pilot with volunteers"
    )
    expect(ben.page.locator(".hidden-drafts")).to_have_count(0)

    for person, name in (
        (olivia, "facilitator"),
        (claire, "client"),
        (ben, "consultant"),
        (sam, "scribe"),
        (ana, "consultant-fr"),
        (room, "display"),
    ):
        person.page.screenshot(path=artifacts / f"{name}.png", full_page=True)

    # 5 Synthesis and action plan.
    advance(f, "Synthesis")
    all_show(people, "Synthesis and action plan", "Synthèse et plan d'action")
    c.locator("#synthesis-text").fill("I keep: ask them first.")
    c.get_by_test_id("synthesis-form").locator('button[type="submit"]').click()
    c.locator("#action-action").fill("Hold a listening session")
    c.locator("#action-due").fill("2030-04-01")
    c.get_by_test_id("action-form").locator('button[type="submit"]').click()
    for person in (olivia, ana, ben, room):
        expect(person.page.get_by_test_id("synthesis-text")).to_have_text(
            "I keep: ask them first.", timeout=SOON
        )
        expect(person.page.get_by_test_id("action-items")).to_contain_text(
            "Hold a listening session", timeout=SOON
        )

    # 6 Conclusion: learnings and evaluations; then the end.
    advance(f, "Conclusion")
    all_show(people, "Conclusion", "Conclusion\u00a0: évaluation et intégration des apprentissages")
    send(c, "learning", "Asking beats telling.")
    send(ben.page, "learning", "Hypotheses open doors.")
    ana.page.locator("#eval-appreciation").fill("Très utile")
    ana.page.locator('label.rating-choice:has(input[name="rating-usefulness"][value="5"])').click()
    ana.page.get_by_test_id("evaluation-form").locator('button[type="submit"]').click()
    expect(ana.page.get_by_test_id("evaluation-sent")).to_be_visible(timeout=SOON)
    for person in (olivia, room):
        expect(person.page.get_by_test_id("learnings")).to_contain_text(
            "Asking beats telling.", timeout=SOON
        )
        expect(person.page.get_by_test_id("learnings")).to_contain_text(
            "Hypotheses open doors.", timeout=SOON
        )
    expect(f.get_by_test_id("evaluations")).to_contain_text("1 evaluation(s)", timeout=SOON)
    for person, name in (
        (olivia, "facilitator-conclusion"),
        (ana, "consultant-conclusion-fr"),
        (room, "display-conclusion"),
    ):
        person.page.screenshot(path=artifacts / f"{name}.png", full_page=True)

    f.get_by_test_id("next").click()
    expect(f.get_by_test_id("confirm")).to_contain_text("End the meeting")
    f.get_by_test_id("confirm").click()
    all_show(people, "Meeting ended", "Rencontre terminée")

    for person in people:
        assert person.alerts == [], (person.name, person.alerts)
        person.context.close()
