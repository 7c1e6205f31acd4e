"""A cycle through the pages: the facilitator creates a cycle of three meetings and sees the
rotation, a member agrees to the charter on entering, attendance is confirmed and shown."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from tests.browser.helpers import open_person
from tests.live import LiveServer
from tests.support import bootstrap_organizer, session_cookie_for_invite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOON = 10_000
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


def _group(server: LiveServer) -> tuple[str, dict[str, str], dict[str, str]]:
    """A group of three members (Ana reads French); the session cookie of each, and Olivia's."""
    org = bootstrap_organizer(server)
    try:
        group = org.post("/api/groups", json={"name": "Managers' circle"}).json()
        ids, cookies = {}, {"Olivia": org.cookies["codev_session"]}
        for name in ("Claire", "Sam", "Ana"):
            body = {"name": name, "language": "fr" if name == "Ana" else "en"}
            made = org.post(f"/api/groups/{group['id']}/members", json=body)
            assert made.status_code == 201, made.text
            ids[name] = made.json()["id"]
            invite = org.post(f"/api/members/{ids[name]}/invite").json()
            cookies[name] = session_cookie_for_invite(server, invite["url"])
        return group["id"], ids, cookies
    finally:
        org.close()


def test_a_cycle_of_three_meetings_its_rotation_the_charter_on_joining_and_attendance(
    browser: Browser, server: LiveServer, artifacts: Path
) -> None:
    group_id, ids, cookies = _group(server)
    group_url = f"{server.url}/#/groups/{group_id}"
    olivia = open_person(
        browser,
        server,
        "Olivia",
        group_url,
        cookies["Olivia"],
        viewport={"width": 1280, "height": 800},
    )
    page = olivia.page

    # The charter: a default text to start from, saved as version 1.
    charter = page.get_by_test_id("charter-panel")
    charter.get_by_test_id("edit-charter").click()
    # The offered default speaks of confidentiality, attendance and ways of speaking.
    expect(charter.locator("textarea")).to_have_value(
        re.compile(r"Confidentiality.*Attendance.*Ways of speaking", re.S)
    )
    charter.get_by_test_id("save-charter").click()
    expect(charter).to_contain_text("Version 1")

    # A cycle of three meetings, every two weeks: one per member, each client once.
    cycle = page.get_by_test_id("cycle-panel")
    cycle.get_by_label("Name of the cycle").fill("Spring cycle")
    cycle.get_by_label("First meeting (date and time)").fill("2027-03-02T18:00")
    cycle.get_by_label("Every (weeks)").fill("2")
    cycle.get_by_test_id("create-cycle").click()
    rotation = cycle.get_by_test_id("rotation")
    expect(rotation.locator("li")).to_have_count(3, timeout=SOON)
    expect(rotation.locator("li").nth(0)).to_contain_text("Claire")
    expect(rotation.locator("li").nth(1)).to_contain_text("Sam")
    expect(rotation.locator("li").nth(2)).to_contain_text("Ana")
    expect(cycle.get_by_test_id("standing")).to_contain_text("client at meeting 3 (planned)")

    # A swap is one request: Ana comes before Sam.
    cycle.locator("#swap-a").select_option(label="Sam")
    cycle.locator("#swap-b").select_option(label="Ana")
    cycle.get_by_test_id("swap").click()
    expect(rotation.locator("li").nth(1)).to_contain_text("Ana", timeout=SOON)
    expect(rotation.locator("li").nth(2)).to_contain_text("Sam")
    page.screenshot(path=artifacts / "cycle-organizer.png", full_page=True)

    # The schedule form shows each member's turn beside their name.
    page.get_by_test_id("schedule").click()
    options = page.locator("#c0-client option")
    expect(options.filter(has_text="Claire")).to_contain_text("client at meeting 1 (planned)")

    meetings = {m["title"]: m for m in _cycle_meetings(server, cookies["Olivia"], group_id)}
    first = meetings["Spring cycle · 1"]["id"]
    room = f"{server.url}/meeting.html?id={first}"

    # Claire enters meeting 1: the charter first, one click to agree, then the room.
    claire = open_person(browser, server, "Claire", room, cookies["Claire"])
    gate = claire.page.get_by_test_id("charter-gate")
    expect(gate).to_contain_text("what is said in the group stays in the group", timeout=SOON)
    claire.page.get_by_test_id("agree").click()
    expect(claire.stage()).to_have_text("Before the start", timeout=SOON)
    claire.page.reload()  # agreed once: straight into the room
    expect(claire.stage()).to_have_text("Before the start", timeout=SOON)
    expect(claire.page.get_by_test_id("charter-gate")).to_have_count(0)

    # Ana, on a phone in French, sees the gate in her language.
    ana = open_person(
        browser,
        server,
        "Ana",
        room,
        cookies["Ana"],
        locale="fr-FR",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
    )
    expect(ana.page.get_by_test_id("agree")).to_have_text("J'adhère", timeout=SOON)
    ana.page.screenshot(path=artifacts / "cycle-charter-gate-fr-phone.png", full_page=True)
    ana.context.close()  # she does not come in: absent

    # The facilitator agrees too, opens the meeting, and revisits the charter with everyone.
    page.goto(room)
    page.get_by_test_id("agree").click()
    expect(olivia.stage()).to_have_text("Before the start", timeout=SOON)
    page.get_by_test_id("next").click()
    page.get_by_test_id("confirm").click()
    expect(olivia.stage()).to_have_text("Check-in", timeout=SOON)
    display = open_person(
        browser, server, "Display", _display_link(server, cookies["Olivia"], first)
    )
    expect(display.page.get_by_test_id("stage-name")).to_have_text("Check-in", timeout=SOON)
    page.get_by_test_id("show-charter").click()
    expect(claire.page.get_by_test_id("charter-shown")).to_contain_text(
        "what is said in the group", timeout=SOON
    )
    expect(display.page.get_by_test_id("charter-shown")).to_be_visible(timeout=SOON)
    expect(display.page.get_by_test_id("hide-charter")).to_have_count(
        0
    )  # the room display only shows
    expect(claire.page.get_by_test_id("hide-charter")).to_have_count(0)
    display.page.screenshot(path=artifacts / "cycle-display-charter.png")

    # Attendance: proposed from who connected, confirmed in one click each.
    panel = page.get_by_test_id("attendance-panel")
    expect(panel.get_by_test_id(f"attendance-{ids['Claire']}")).to_contain_text("proposed")
    panel.get_by_test_id(f"attendance-{ids['Claire']}-present").click()
    panel.get_by_test_id(f"attendance-{ids['Sam']}-excused").click()
    expect(panel.get_by_test_id(f"attendance-{ids['Sam']}")).to_contain_text(
        "confirmed", timeout=SOON
    )
    expect(panel.get_by_test_id(f"attendance-{ids['Claire']}")).to_contain_text("confirmed")
    expect(panel.get_by_test_id(f"attendance-{ids['Ana']}")).to_contain_text("proposed")
    page.screenshot(path=artifacts / "cycle-room-facilitator.png", full_page=True)
    claire.page.screenshot(path=artifacts / "cycle-room-charter-shown.png", full_page=True)
    page.get_by_test_id("hide-charter").click()
    expect(claire.page.get_by_test_id("charter-shown")).to_have_count(0, timeout=SOON)
    expect(display.page.get_by_test_id("charter-shown")).to_have_count(0, timeout=SOON)
    display.context.close()

    # Over the cycle: the attendance grid, who has been client, who agreed to the charter.
    page.goto(group_url)
    grid = page.get_by_test_id("attendance-grid")
    expect(grid.get_by_test_id(f"att-{ids['Claire']}-{first}")).to_have_text(
        "Present", timeout=SOON
    )
    expect(grid.get_by_test_id(f"att-{ids['Sam']}-{first}")).to_have_text("Excused")
    expect(grid.get_by_test_id(f"att-{ids['Ana']}-{first}")).to_contain_text("Absent (proposed)")
    standing = page.get_by_test_id("standing")
    expect(standing).to_contain_text("client at meeting 1")
    expect(standing.locator("li").filter(has_text="Ana")).to_contain_text("absent last time")
    acceptances = page.get_by_test_id("acceptances")
    expect(acceptances.locator("li").filter(has_text="Claire")).to_contain_text("version 1")
    expect(acceptances.locator("li").filter(has_text="Sam")).to_contain_text("not yet")
    page.screenshot(path=artifacts / "cycle-attendance.png", full_page=True)

    # The same page in French.
    page.get_by_role("banner").get_by_label("Language").select_option("fr")
    expect(page.get_by_test_id("cycle-panel")).to_contain_text("Présences", timeout=SOON)
    page.screenshot(path=artifacts / "cycle-attendance-fr.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    phone = artifacts / "cycle-attendance-fr-phone.png"
    page.get_by_test_id("cycle-panel").screenshot(path=phone)

    for person in (olivia, claire):
        assert person.alerts == [], person.alerts
        person.context.close()


def _display_link(server: LiveServer, cookie: str, meeting_id: str) -> str:
    with httpx.Client(base_url=server.url, cookies={"codev_session": cookie}) as http:
        made = http.post(f"/api/meetings/{meeting_id}/display-link", headers={"Origin": server.url})
        assert made.status_code == 201, made.text
        url: str = made.json()["url"]
        return url


def _cycle_meetings(server: LiveServer, cookie: str, group_id: str) -> list[dict[str, str]]:
    with httpx.Client(base_url=server.url, cookies={"codev_session": cookie}) as http:
        cycles = http.get(f"/api/groups/{group_id}/cycles").json()
        meetings: list[dict[str, str]] = http.get(f"/api/cycles/{cycles[0]['id']}").json()[
            "meetings"
        ]
        return meetings
