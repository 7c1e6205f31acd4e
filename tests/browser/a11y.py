"""axe-core in the browser tests: the vendored ``vendor/axe.min.js`` (npm's ``axe-core``, MPL-2.0,
see ``vendor/LICENSE-axe-core``) run against a page; every violation fails the test."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).with_name("vendor") / "axe.min.js"


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations on ``page`` as it is now (WCAG 2.x A and AA, and best practices)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # evaluated, not injected as a <script>: the app's Content-Security-Policy stays as it is
        page.evaluate(f"() => {{ {_axe_source()}\n}}")
        page.evaluate("() => { window.axe = window.axe || globalThis.axe; }")
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const found = await axe.run(document, {
                runOnly: {
                    type: 'tag',
                    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
                },
            });
            return found.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => ({
                    target: n.target.join(' '), summary: n.failureSummary,
                })),
            }));
        }"""
    )
    return result


def assert_no_axe_violations(page: Page, where: str = "") -> None:
    violations = axe_violations(page)
    assert violations == [], f"{where} " + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n    "
        + "\n    ".join(f"{n['target']}: {n['summary']}" for n in v["nodes"])
        for v in violations
    )
