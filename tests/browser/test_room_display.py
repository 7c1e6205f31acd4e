"""The room display fits the room: at 1280x800 and 1920x1080, the stage, the timer, the speaker,
the agenda and the newest items stay inside the viewport without scrolling, whatever the number
of items; the contract is large, rephrasings show, action details read from across a room, the
headings do not skip a level, an unanswered question is neutral, and axe finds nothing."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.a11y import assert_no_axe_violations
from tests.browser.helpers import Driver, Person, open_person, schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"laptop projector": (1280, 800), "full HD": (1920, 1080)}
SOON = 5000
CONTRIBUTIONS = 30


def _box(page: Page, selector: str) -> dict[str, float]:
    box: dict[str, float] | None = page.locator(selector).last.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


def assert_inside_viewport(page: Page, *selectors: str) -> None:
    width, height = page.viewport_size["width"], page.viewport_size["height"]  # type: ignore[index]
    for selector in selectors:
        box = _box(page, selector)
        assert box["y"] >= 0, (selector, box)
        assert box["y"] + box["height"] <= height + 0.5, (selector, box, height)
        assert box["x"] >= 0, (selector, box)
        assert box["x"] + box["width"] <= width + 0.5, (selector, box, width)


def assert_no_scrolling(page: Page) -> None:
    sizes = page.evaluate(
        "() => ({sh: document.documentElement.scrollHeight,"
        " sw: document.documentElement.scrollWidth, h: innerHeight, w: innerWidth})"
    )
    assert sizes["sh"] <= sizes["h"], sizes
    assert sizes["sw"] <= sizes["w"], sizes


def assert_headings_in_order(page: Page) -> None:
    levels: list[int] = page.evaluate(
        "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]"
        ".filter((h) => h.getClientRects().length).map((h) => Number(h.tagName[1]))"
    )
    assert levels, "no heading"
    assert levels[0] == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels


def font_px(page: Page, selector: str) -> float:
    return float(
        page.locator(selector).first.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")
    )


def _fits(displays: dict[str, Person], *selectors: str) -> None:
    for display in displays.values():
        assert_no_scrolling(display.page)
        assert_inside_viewport(
            display.page,
            '[data-testid="stage-name"]',
            '[data-testid="timer"]',
            ".display-rail",
            *selectors,
        )
        assert_headings_in_order(display.page)
        assert_no_axe_violations(display.page)


def _contribution(n: int) -> str:
    """Texts of the lengths people write: a few words to three lines."""
    base = [
        "Have you asked the team what they would do in your place?",
        "My hypothesis: the promotion changed how your former peers see you, more than what you do."
        " Maybe name it with them in a team meeting.",
        "Suggestion: a one-to-one with each person within two weeks.",
        "In my experience the first three months set the tone; I would write down what I will not"
        " change, and say it, so that people stop guessing.",
    ]
    return f"{n}. {base[n % len(base)]}"


def test_the_room_display_keeps_stage_speaker_timer_and_newest_items_on_one_screen(
    browser: Browser, server: LiveServer
) -> None:
    meeting = schedule(server, openers=())
    displays = {
        name: open_person(
            browser,
            server,
            f"display {name}",
            meeting.display_url,
            viewport={"width": w, "height": h},
        )
        for name, (w, h) in SIZES.items()
    }
    olivia = Driver(server, meeting, "Olivia")
    claire = Driver(server, meeting, "Claire")
    sam = Driver(server, meeting, "Sam")
    ben = Driver(server, meeting, "Ben")
    try:
        olivia.advance_to("presentation")
        for display in displays.values():
            expect(display.stage()).to_have_text("Presentation", timeout=SOON)
            speaker = display.page.get_by_test_id("display-speaker")
            expect(speaker).to_have_text("Claire is presenting")
            expect(display.page.locator("main")).not_to_contain_text("not written")
        _fits(displays, '[data-testid="display-speaker"]')

        claire.send(
            "set_case",
            headline="A delicate promotion",
            topic_type="problem",
            question="How can I lead my former peers?",
        )
        olivia.advance_to("clarification")
        for n in range(6):
            sam.send("ask_question", text=f"Question {n}: how long have you been in the role?")
        first = next(e for e in sam.events if e["type"] == "question_asked")
        claire.send("answer_question", question_id=first["question"]["id"], text="Six months.")
        olivia.send("call_on", member_id=meeting.member_ids["Sam"])
        for display in displays.values():
            questions = display.page.get_by_test_id("questions")
            expect(questions).to_contain_text("Question 5", timeout=SOON)
            expect(questions).to_contain_text("Six months.")
            # an unanswered question is neutral: it may have been answered aloud
            expect(questions).not_to_contain_text("Waiting")
            expect(display.page.get_by_test_id("display-speaker")).to_have_text("Speaking: Sam")
        _fits(displays, '[data-testid="display-speaker"]', '[data-testid="questions"] li')

        olivia.advance_to("contract")
        claire.send(
            "set_contract",
            text="Help me find my place as the team's manager.",
            help_wanted=["ideas"],
        )
        sam.send(
            "rephrase_contract", text="If I understand, you want to be accepted as their manager."
        )
        ben.send("rephrase_contract", text="You want ideas to set a new relationship with them.")
        for display in displays.values():
            expect(display.page.get_by_test_id("rephrasings")).to_contain_text(
                "new relationship", timeout=SOON
            )
            expect(display.page.get_by_test_id("contract-text")).to_contain_text("find my place")
        _fits(displays, '[data-testid="rephrasings"] li', '[data-testid="contract-text"]')

        olivia.advance_to("consultation")
        olivia.send("call_on", member_id=meeting.member_ids["Ben"])
        for n in range(1, CONTRIBUTIONS + 1):
            (sam if n % 2 else ben).send(
                "add_contribution", kind="suggestion", text=_contribution(n)
            )
            if n == 12:
                for display in displays.values():
                    expect(display.page.get_by_test_id("contributions")).to_contain_text(
                        _contribution(12), timeout=SOON
                    )
                _fits(
                    displays,
                    ".display-speaker",
                    ".display-contract",
                    '[data-testid="contributions"] li',
                )
        for display in displays.values():
            page = display.page
            expect(page.get_by_test_id("contributions")).to_contain_text(
                _contribution(CONTRIBUTIONS), timeout=SOON
            )
            newest = page.locator('[data-testid="contributions"] li').last
            expect(newest).to_contain_text(_contribution(CONTRIBUTIONS))
            # the contract is the largest text under the banner, not the smallest
            assert font_px(page, ".display-contract .text") > font_px(
                page, ".contributions .c-text"
            )
        _fits(displays, ".display-speaker", ".display-contract", '[data-testid="contributions"] li')

        olivia.advance_to("synthesis")
        claire.send("set_synthesis", text="I keep the one-to-ones and naming the change.")
        for n in range(4):
            claire.send(
                "save_action_item",
                action=f"Action {n}: one-to-one meetings",
                objective="Hear what each person expects of me",
                due="2026-04-15",
                indicator="Six meetings held",
                follow_up="2026-05-10",
            )
        for name, display in displays.items():
            page = display.page
            expect(page.get_by_test_id("action-items")).to_contain_text("Action 3", timeout=SOON)
            if name == "full HD":
                assert font_px(page, '[data-testid="action-items"] .facts dd') >= 24
        _fits(displays, '[data-testid="synthesis-text"]', '[data-testid="action-items"] > li')
    finally:
        for driver in (olivia, claire, sam, ben):
            driver.close()
        for display in displays.values():
            assert display.alerts == []
            display.context.close()
