"""An invite link opened in a browser signed in as someone else does not swap who is signed in
until that person confirms, on the link's own page (login CSRF)."""

from __future__ import annotations

from urllib.parse import urlparse

import httpx
import pytest

from tests.reliability.conftest import Live

pytestmark = pytest.mark.slow


def invite_path(live: Live, member_id: str) -> str:
    made = live.org.http.post(f"/api/members/{member_id}/invite")
    assert made.status_code == 201, made.text
    return urlparse(made.json()["url"]).path


def browser_of(live: Live, member_id: str, language: str = "en-GB,en;q=0.8") -> httpx.Client:
    """A browser signed in as the member, by their own link (no session before: one click)."""
    browser = httpx.Client(
        base_url=live.server.url, timeout=10, headers={"Accept-Language": language}
    )
    opened = browser.get(invite_path(live, member_id))
    assert opened.status_code == 303, opened.text
    return browser


def me(browser: httpx.Client) -> str:
    return str(browser.get("/api/me").json()["member"]["name"])


def test_another_members_link_shows_who_it_is_for_and_signs_in_only_when_confirmed(
    shared: Live,
) -> None:
    group = shared.org.group("Login CSRF", ["Claire", "Ana"])
    ana = browser_of(shared, group.members["Ana"])
    link = invite_path(shared, group.members["Claire"])

    page = ana.get(link)
    assert page.status_code == 200
    assert "set-cookie" not in page.headers
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin"
    assert "This invite link signs in <strong>Claire</strong> (Login CSRF)" in page.text
    assert "This browser is signed in as <strong>Ana</strong>" in page.text
    assert me(ana) == "Ana"  # opening it changed nothing

    token = link.rsplit("/", 1)[1]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for refused in (
        {"Sec-Fetch-Site": "cross-site", "Origin": shared.server.url},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://attacker.example"},
        {"Origin": "null"},
    ):
        posted = ana.post("/invite", data={"token": token}, headers={**form, **refused})
        assert posted.status_code == 403, refused
        assert "set-cookie" not in posted.headers
        assert me(ana) == "Ana"

    confirmed = ana.post(
        "/invite",
        data={"token": token},
        headers={**form, "Sec-Fetch-Site": "same-origin", "Origin": shared.server.url},
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/"
    assert me(ana) == "Claire"
    ana.close()


def test_the_confirmation_page_speaks_french_to_a_french_browser(shared: Live) -> None:
    group = shared.org.group("Cercle", ["Claire", "Ana"])
    ana = browser_of(shared, group.members["Ana"], language="fr-CA,fr;q=0.9")
    page = ana.get(invite_path(shared, group.members["Claire"]))
    assert '<html lang="fr">' in page.text
    assert "Ce lien d'invitation connecte <strong>Claire</strong> (Cercle)" in page.text
    assert "Continuer en tant que Claire" in page.text
    ana.close()


def test_a_names_markup_is_shown_as_text_on_the_confirmation_page(shared: Live) -> None:
    group = shared.org.group("Markup", ["<img src=x onerror=alert(1)>", "Ana"])
    ana = browser_of(shared, group.members["Ana"])
    page = ana.get(invite_path(shared, group.members["<img src=x onerror=alert(1)>"]))
    assert "<img" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    ana.close()


def test_a_bad_token_in_the_confirmation_form_gets_the_bad_link_page(shared: Live) -> None:
    browser = httpx.Client(base_url=shared.server.url, timeout=10)
    posted = browser.post("/invite", data={"token": "made-up"})
    assert posted.status_code == 404
    assert "not valid" in posted.text
    assert (browser.post("/invite", content=b"x" * 5000)).status_code == 404
    browser.close()


def test_opening_ones_own_link_again_keeps_one_signed_in(shared: Live) -> None:
    group = shared.org.group("Own link", ["Claire", "Ana"])
    ana = browser_of(shared, group.members["Ana"])
    again = ana.get(invite_path(shared, group.members["Ana"]))
    assert again.status_code == 303
    assert me(ana) == "Ana"
    ana.close()
