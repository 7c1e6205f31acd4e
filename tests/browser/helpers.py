"""Scheduling a meeting over REST and opening one browser context per person."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Dialog, Error, Page, ViewportSize
from websockets.sync.client import ClientConnection, connect

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
    second_client: str | None = None,
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
        return _schedule(org, server, members, roles, observers, openers, preset, second_client)
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
    second_client: str | None = None,
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
            "consultations": [consultation]
            + ([{"preset": preset, "client_id": ids[second_client]}] if second_client else []),
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


class Driver:
    """One person's socket, driven from a (sync) browser test: the quick way to fill a meeting
    with questions or contributions while the pages under test only watch."""

    def __init__(self, server: LiveServer, meeting: Scheduled, name: str) -> None:
        self.ws: ClientConnection = connect(
            f"{server.ws_url}/ws/meetings/{meeting.meeting_id}",
            additional_headers={"Cookie": f"codev_session={meeting.cookies[name]}"},
            origin=server.url,  # type: ignore[arg-type]
            legacy=True,  # a plain connection, closed by close()
            max_queue=None,  # read lazily: never stall the frames (and pongs) behind
            ping_interval=None,
        )
        self.events: list[dict[str, Any]] = []
        hello = self._until(lambda m: m["type"] == "hello")
        self.stage: str = hello["state"]["stage"]

    def _until(self, predicate: Any) -> dict[str, Any]:
        while True:
            message = json.loads(self.ws.recv(timeout=10))
            if "seq" in message and message["type"] != "hello":
                self.events.append(message)
            if message["type"] == "stage_changed":
                self.stage = message["stage"]
            if predicate(message):
                return dict(message)

    def send(self, type_: str, **fields: Any) -> None:
        """Send a command and wait for its ack (a refusal fails the test)."""
        cid = uuid.uuid4().hex
        self.ws.send(json.dumps({"type": type_, "cid": cid, **fields}))
        answer = self._until(lambda m: m["type"] in ("ack", "error") and m.get("cid") == cid)
        assert answer["type"] == "ack", answer

    def advance_to(self, stage: str) -> None:
        """As the facilitator: "next" until the meeting is in ``stage``."""
        for _ in range(20):
            if self.stage == stage:
                return
            before = len(self.events)
            self.send("advance_stage", expected_stage=self.stage)
            if not any(e["type"] == "stage_changed" for e in self.events[before:]):
                self._until(lambda m: m["type"] == "stage_changed")
        raise AssertionError(f"never reached {stage}")

    def close(self) -> None:
        self.ws.close()
