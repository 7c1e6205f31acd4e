"""Another member's invite link in a browser signed in as someone else: the page says who the
link is for, and a click on its button (a same-origin form in Chromium) switches."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.helpers import schedule
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_browser_signed_in_as_ana_switches_to_claire_only_after_confirming(
    browser: Browser, server: LiveServer
) -> None:
    scheduled = schedule(server)
    login = httpx.Client(base_url=server.url, timeout=10)
    login.post(
        "/api/auth/login", json={"email": "org@example.org", "password": "a long password"}
    ).raise_for_status()
    claire_link = login.post(f"/api/members/{scheduled.member_ids['Claire']}/invite").json()["url"]
    login.close()

    context = browser.new_context(locale="fr-FR")
    context.add_cookies(
        [{"name": "codev_session", "value": scheduled.cookies["Ana"], "url": server.url}]
    )
    page = context.new_page()
    page.goto(claire_link)
    expect(page.get_by_role("heading")).to_have_text("À qui est ce lien d'invitation\u00a0?")
    expect(page.locator("main")).to_contain_text("Ce navigateur est connecté en tant que Ana")
    me = page.request.get(server.url + "/api/me").json()
    assert me["member"]["name"] == "Ana"

    page.get_by_test_id("invite-continue").click()
    page.wait_for_url(server.url + "/")
    me = page.request.get(server.url + "/api/me").json()
    assert me["member"]["name"] == "Claire"
    context.close()
