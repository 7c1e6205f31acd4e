"""Scheduling a meeting over REST and opening one browser context per person."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Dialog, Error, Page, ViewportSize

from tests.live import LiveServer
from tests.support import bootstrap_organizer, session_cookie_for_invite

VIDEO_URL = "https://meet.example.org/codev-march"


@dataclass
class Person:
    name: str
    context: BrowserContext
    page: Page
    alerts: list[str] = field(default_factory=list)

    def stage(self) -> Any:
        return self.page.get_by_test_id("stage-name")


@dataclass
class Scheduled:
    meeting_id: str
    room_url: str
    display_url: str
    cookies: dict[str, str]
    """Session cookie per person: "Olivia" (the organizer, who facilitates) and the members."""
    member_ids: dict[str, str]


def schedule(
    server: LiveServer,
    members: tuple[str, ...] = ("Claire", "Sam", "Ana", "Ben"),
    *,
    scribe: str | None = "Sam",
    openers: tuple[str, ...] = ("check_in",),
    preset: str = "45",
    client: str | None = "",
    timekeeper: str | None = None,
    observers: tuple[str, ...] = (),
) -> Scheduled:
    """An organizer who facilitates, a group, and a meeting (the client is the first member
    unless ``client`` names another, or is None for a client chosen in the meeting)."""
    org = bootstrap_organizer(server)
    try:
        roles = {
            "client": members[0] if client == "" else client,
            "scribe": scribe,
            "timekeeper": timekeeper,
        }
        return _schedule(org, server, members, roles, observers, openers, preset)
    finally:
        org.close()


def _schedule(
    org: httpx.Client,
    server: LiveServer,
    members: tuple[str, ...],
    roles: dict[str, str | None],
    observers: tuple[str, ...],
    openers: tuple[str, ...],
    preset: str,
) -> Scheduled:
    group = org.post("/api/groups", json={"name": "Managers' circle"}).json()
    ids = {}
    for name in members:
        language = "fr" if name == "Ana" else "en"
        created = org.post(
            f"/api/groups/{group['id']}/members", json={"name": name, "language": language}
        )
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]
    roster = org.get(f"/api/groups/{group['id']}/members").json()
    ids["Olivia"] = next(m["id"] for m in roster if m["is_facilitator"])
    consultation: dict[str, Any] = {"preset": preset, "observer_ids": [ids[o] for o in observers]}
    for role, holder in roles.items():
        if holder:
            consultation[f"{role}_id"] = ids[holder]
    response = org.post(
        f"/api/groups/{group['id']}/meetings",
        json={
            "title": "March meeting",
            "video_url": VIDEO_URL,
            "facilitator_id": ids["Olivia"],
            "openers": list(openers),
            "consultations": [consultation],
        },
    )
    assert response.status_code == 201, response.text
    meeting = response.json()
    display = org.post(f"/api/meetings/{meeting['id']}/display-link")
    assert display.status_code == 201, display.text
    cookies = {"Olivia": org.cookies["codev_session"]}
    for name in members:
        invite = org.post(f"/api/members/{ids[name]}/invite").json()
        cookies[name] = session_cookie_for_invite(server, invite["url"])
    return Scheduled(meeting["id"], meeting["room_url"], display.json()["url"], cookies, ids)


def open_person(
    browser: Browser,
    server: LiveServer,
    name: str,
    url: str,
    cookie: str | None = None,
    *,
    locale: str = "en-GB",
    viewport: ViewportSize | None = None,
    is_mobile: bool = False,
) -> Person:
    context = browser.new_context(
        locale=locale,
        viewport=viewport or {"width": 1280, "height": 900},
        is_mobile=is_mobile,
        has_touch=is_mobile,
    )
    if cookie:
        context.add_cookies([{"name": "codev_session", "value": cookie, "url": server.url}])
    page = context.new_page()
    person = Person(name, context, page)

    def on_dialog(dialog: Dialog) -> None:
        person.alerts.append(dialog.message)
        dialog.dismiss()

    def on_error(error: Error) -> None:
        person.alerts.append(f"page error: {error}")

    page.on("dialog", on_dialog)
    page.on("pageerror", on_error)
    page.goto(url)
    return person
