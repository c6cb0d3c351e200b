"""Accessibility checks for the browser tests: axe-core (from npm) run inside a Playwright page.

axe-core is installed by `npm ci` into node_modules/ (pinned in package.json and
package-lock.json); without it the checks are skipped, or fail when REQUIRE_BROWSER is set
(as in CI).
"""

import os
from pathlib import Path
from typing import Any

import pytest

AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def require_axe() -> None:
    """Skip the calling test when axe-core is not installed (fail instead in CI)."""
    if AXE_SCRIPT.exists():
        return
    message = f"accessibility tests need axe-core at {AXE_SCRIPT}: run `npm ci` in the repository"
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def axe_violations(page: Any, *, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[dict]:
    """Return the page's axe-core violations of the given impacts (serious and critical).

    Each is {"id", "impact", "help", "nodes": [{"target", "html", "summary"}]}.
    """
    require_axe()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through DevTools: the pages' Content-Security-Policy forbids inline scripts.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [
                {
                    "target": node["target"],
                    "html": node["html"],
                    "summary": node.get("failureSummary", ""),
                }
                for node in violation["nodes"]
            ],
        }
        for violation in results["violations"]
        if violation["impact"] in impacts
    ]


def describe(violations: list[dict]) -> str:
    """Return the violations as readable lines for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']} — {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html'][:200]}")
            lines.extend(f"      {line}" for line in node["summary"].splitlines())
    return "\n".join(lines)


def scroll_width(page: Any) -> int:
    """Return the document's scroll width in CSS pixels (the viewport's width when it fits)."""
    return page.evaluate("() => document.documentElement.scrollWidth")


def wider_than(page: Any, width: int) -> list[str]:
    """Return a description of the elements whose right edge is beyond `width` pixels."""
    return page.evaluate(
        """(width) => Array.from(document.querySelectorAll('body *'))
            .filter((el) => el.getBoundingClientRect().right > width + 0.5)
            .slice(0, 10)
            .map((el) => `${el.tagName.toLowerCase()}.${el.className}: `
                + `${Math.round(el.getBoundingClientRect().right)}px`)""",
        width,
    )
