"""Retake the README screenshots (and, with --all, review shots in tests/artifacts/).

    PYTHONPATH=. .venv/bin/python docs/screenshots/take.py [--all]

A real server on a temporary SQLite database, a meeting driven over its sockets to stage 4 with
12 contributions, and Debian's Chromium for the pictures: the room display at 1920x1080, a French
consultant (Ana) on a phone (390x844) and the facilitator's panel. Not part of ``make test``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.browser.helpers import Driver, open_person, schedule
from tests.live import live_server

HERE = Path(__file__).resolve().parent
CONTRIBUTIONS = [
    ("hypothesis", "Maybe your former peers are testing where the new limits are."),
    (
        "suggestion",
        "Meet each person one to one in the next two weeks and ask what they expect of you.",
    ),
    ("experience", "When I was promoted, I named the change in a team meeting; it eased things."),
    ("question", "What would your own manager say about the way you handle it?"),
    ("reaction", "I feel the weight of loyalty in what you say."),
    (
        "suggestion",
        "Write down what you will not change, and say it, so that people stop guessing.",
    ),
    ("resource", "The book 'The First 90 Days' has a chapter on leading former peers."),
    ("hypothesis", "The friendship may be what makes feedback hard, not the role."),
    ("suggestion", "Ask a trusted peer to tell you how your decisions land."),
    ("experience", "I lost a friend at work for a year; we are close again now."),
    ("reaction", "I admire that you ask the question so early in the role."),
    ("suggestion", "Agree on one team ritual that is yours, not your predecessor's."),
]


def _prepare(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("() => document.fonts.ready")


def main(everything: bool) -> None:
    with tempfile.TemporaryDirectory() as data, live_server(Path(data)) as server:
        meeting = schedule(server, openers=())
        olivia, claire = Driver(server, meeting, "Olivia"), Driver(server, meeting, "Claire")
        sam, ana, ben = (Driver(server, meeting, n) for n in ("Sam", "Ana", "Ben"))
        olivia.advance_to("presentation")
        claire.send(
            "set_case",
            headline="Leading the team I used to be part of",
            topic_type="problem",
            context="Promoted six months ago; two former peers resist my decisions.",
            question="How can I be their manager without losing them as colleagues?",
        )
        olivia.advance_to("clarification")
        sam.send("ask_question", text="How long have you been in the role?")
        claire.send(
            "answer_question",
            question_id=next(e for e in sam.events if e["type"] == "question_asked")["question"][
                "id"
            ],
            text="Six months.",
        )
        olivia.advance_to("contract")
        claire.send(
            "set_contract",
            text="Help me find my place as manager of the team I used to be part of.",
            help_wanted=["ideas", "experiences"],
        )
        olivia.advance_to("consultation")
        for n, (kind, text) in enumerate(CONTRIBUTIONS):
            (sam, ana, ben)[n % 3].send("add_contribution", kind=kind, text=text)
        ben.send("raise_hand")
        olivia.send("call_on", member_id=meeting.member_ids["Sam"])
        added = [
            e["contribution"]["id"] for e in olivia.events if e["type"] == "contribution_added"
        ]
        claire.send("mark_contribution", contribution_id=added[1], mark="keep")

        out = ARTIFACTS if everything else HERE
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            shots = [
                ("display.png", "display", meeting.display_url, None, "en-GB", (1920, 1080), False),
                (
                    "consultant.png",
                    "Ana",
                    meeting.room_url,
                    meeting.cookies["Ana"],
                    "fr-CA",
                    (390, 844),
                    True,
                ),
                (
                    "facilitator.png",
                    "Olivia",
                    meeting.room_url,
                    meeting.cookies["Olivia"],
                    "en-GB",
                    (1280, 800),
                    False,
                ),
            ]
            if everything:
                shots += [
                    (
                        "display-1280.png",
                        "display",
                        meeting.display_url,
                        None,
                        "en-GB",
                        (1280, 800),
                        False,
                    ),
                    (
                        "display-fr.png",
                        "display",
                        f"{meeting.display_url}&lang=fr",
                        None,
                        "fr-CA",
                        (1920, 1080),
                        False,
                    ),
                    (
                        "client-fr.png",
                        "Claire",
                        f"{meeting.room_url}&lang=fr",
                        meeting.cookies["Claire"],
                        "fr-CA",
                        (1280, 800),
                        False,
                    ),
                    (
                        "facilitator-fr.png",
                        "Olivia",
                        f"{meeting.room_url}&lang=fr",
                        meeting.cookies["Olivia"],
                        "fr-CA",
                        (1920, 1080),
                        False,
                    ),
                    (
                        "consultant-en-phone.png",
                        "Sam",
                        meeting.room_url,
                        meeting.cookies["Sam"],
                        "en-GB",
                        (390, 844),
                        True,
                    ),
                ]
            for file, name, url, cookie, locale, (w, h), mobile in shots:
                person = open_person(
                    browser,
                    server,
                    name,
                    url,
                    cookie,
                    locale=locale,
                    viewport={"width": w, "height": h},
                    is_mobile=mobile,
                )
                expect(person.stage()).to_be_visible(timeout=10000)
                _prepare(person.page)
                person.page.screenshot(path=str(out / file))
                if everything:
                    person.page.screenshot(path=str(out / f"full-{file}"), full_page=True)
                person.context.close()
                print(out / file)
            browser.close()
        for driver in (olivia, claire, sam, ana, ben):
            driver.close()


if __name__ == "__main__":
    main("--all" in sys.argv)
