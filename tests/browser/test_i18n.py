"""English and French catalogues: the same keys, and a message for every word the server uses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser

from app.errors import AppError
from app.stages import CommandRefused
from app.stages.state import Ratings
from app.stages.vocabulary import (
    Attendance,
    ClientSignal,
    ContributionKind,
    HelpType,
    Mark,
    Role,
    Stage,
    TopicType,
)
from tests.browser.conftest import FRONTEND, ROOT

pytestmark = pytest.mark.browser

# Where the server names error codes outside the exception classes (the wire and the HTTP edge).
CODE_SOURCES = ["app/api/ws.py", "app/realtime/wire.py", "app/api/errors.py", "app/realtime/hub.py"]
CODE_PATTERN = re.compile(r'(?:code=|WireError\(|error_body\()\s*"([a-z_]+)"')


def _codes(root: type[CommandRefused] | type[AppError]) -> set[str]:
    """The ``code`` of ``root`` and of every class below it."""
    codes, pending = set(), [root]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending += cls.__subclasses__()
    return codes


def _server_error_codes() -> set[str]:
    codes = _codes(CommandRefused) | _codes(AppError)
    for source in CODE_SOURCES:
        path = ROOT / source
        if path.exists():
            codes |= set(CODE_PATTERN.findall(path.read_text()))
    return codes


@pytest.fixture(scope="module")
def catalogues(browser: Browser, static_site: str) -> dict[str, dict[str, str]]:
    page = browser.new_page()
    page.goto(f"{static_site}/vendor/README.md")
    loaded: dict[str, Any] = page.evaluate(
        """async () => ({
            en: (await import('/i18n/en.js')).default,
            fr: (await import('/i18n/fr.js')).default,
        })"""
    )
    page.close()
    return loaded


def test_english_and_french_have_the_same_keys(catalogues: dict[str, dict[str, str]]) -> None:
    assert set(catalogues["en"]) == set(catalogues["fr"])
    assert all(isinstance(v, str) and v.strip() for c in catalogues.values() for v in c.values())


def test_every_word_of_the_method_has_a_message(catalogues: dict[str, dict[str, str]]) -> None:
    needed = (
        {f"stage.{s}" for s in Stage}
        | {f"stage_short.{s}" for s in Stage}
        | {f"purpose.{s}" for s in Stage}
    )
    needed |= {f"role.{r}" for r in Role} | {"role.display"}
    needed |= {f"kind.{k}" for k in ContributionKind} | {f"topic.{t}" for t in TopicType}
    needed |= (
        {f"help.{h}" for h in HelpType}
        | {f"mark.{m}" for m in Mark}
        | {f"signal.{s}" for s in ClientSignal}
    )
    needed |= {f"rating.{r}" for r in Ratings.model_fields}
    needed |= {f"attendance.{a}" for a in Attendance}
    needed |= {
        f"you.{s}.{r}" for s in Stage for r in ("facilitator", "client", "consultant", "observer")
    }
    for lang, catalogue in catalogues.items():
        assert needed - set(catalogue) == set(), lang


def test_every_error_code_the_server_sends_has_a_message(
    catalogues: dict[str, dict[str, str]],
) -> None:
    codes = _server_error_codes()
    assert {
        "stage_mismatch",
        "wrong_stage",
        "forbidden",
        "not_authenticated",
        "invalid_json",
    } <= codes
    for lang, catalogue in catalogues.items():
        assert {f"error.{code}" for code in codes} - set(catalogue) == set(), lang


def test_french_uses_the_methods_vocabulary(catalogues: dict[str, dict[str, str]]) -> None:
    fr = catalogues["fr"]
    assert fr["stage.presentation"] == "Exposé de la problématique"
    assert fr["stage.contract"] == "Contrat de consultation"
    assert fr["stage.synthesis"] == "Synthèse et plan d'action"
    assert (
        fr["stage.conclusion"] == "Conclusion\u00a0: évaluation et intégration des apprentissages"
    )
    assert fr["actions.follow_up"] == "Date de suivi"
    assert fr["follow_up.reports"] == "Son retour"
    # roles held by women and men: epicene forms, the same on every page (frontend/README.md)
    assert fr["role.scribe"] == "Secrétaire"
    assert fr["role.timekeeper"] == "Responsable du temps"
    assert fr["role.client"] == "Personne cliente"
    assert fr["role.facilitator"] == "Animation"


def test_french_reads_as_written_in_french(catalogues: dict[str, dict[str, str]]) -> None:
    """A non-breaking space before « : » and inside « », "vous" (never "tu"), no France-only words,
    no masculine role nouns standing for everyone."""
    for key, text in catalogues["fr"].items():
        assert not re.search(r"(^|[^\u00a0]):", text.replace("://", "")), (key, text)
        assert "« " not in text, (key, text)
        assert " »" not in text, (key, text)
        assert not re.search(r"\b(tu|te|t'|ton|ta|tes|toi)\b", text, re.I), (key, text)
        assert not re.search(r"\b(visio|déroulé)\b", text, re.I), (key, text)
        assert not re.search(
            r"\b(l'animateur|le client|les clients|les consultants|l'organisateur|chacun|prêt·e)\b",
            text,
            re.I,
        ), (key, text)


def test_every_message_the_code_asks_for_exists(catalogues: dict[str, dict[str, str]]) -> None:
    used: set[str] = set()
    for path in FRONTEND.glob("js/**/*.js"):
        used |= set(re.findall(r'\bt\(\s*"([a-z_0-9.]+)"', path.read_text()))
    assert used, "no messages found"
    for lang, catalogue in catalogues.items():
        assert used - set(catalogue) == set(), lang
