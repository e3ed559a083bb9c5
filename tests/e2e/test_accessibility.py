"""The booth and the site's pages audited for accessibility (issue 5, point 5).

axe-core (an exact-pinned devDependency of client/web, read from node_modules
by ``tests/e2e/a11y.mjs``; never vendored, never served) runs with the WCAG 2.0
and 2.1 A and AA rules on every page and every booth step a scripted voter
reaches: the election list, the code step (and its error for a mistyped code),
the ballot (confidence grid, motion, k of n; with and without the messages of
an unanswered ballot and of too many choices), the review, the audit view, the
receipt, the board page with the code found, the audit page (before and after
it checked a document) and the results page with its verdict; each in
Vietnamese and in English, on a phone (390×844) and a desktop (1280×800)
screen. Walking the code step, the ballot, the board and the results with Tab,
every control that takes the focus must show it (:focus-visible and an outline
or a box shadow), and the document's ``lang`` must follow the language switch.

A failure lists each violation: page, language, rule, impact, target selectors
and the rule's help URL.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import requests

from .test_booth import WEB_ROOT, Committee, cheap_kdf, mistyped, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e

DRIVER = Path(__file__).with_name("a11y.mjs")
VIEWPORTS = ("phone", "desktop")
DECRYPTING = (1, 3, 5)
AUDITED = re.compile(r"(?P<viewport>\w+): .+ \[(?P<lang>vi|en)\]: (?P<passed>\d+) rules passed")


def audit(scenario: str, **args) -> dict:
    """Run one scenario of the audit driver; its JSON answer."""
    argument = json.dumps({"scenario": scenario, **args})
    done = subprocess.run(
        ["node", str(DRIVER), argument], capture_output=True, text=True, timeout=300, check=False
    )
    lines = done.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if lines else {"ok": False, "error": "no answer"}
    if not answer.get("ok"):
        pytest.fail(f"audit scenario {scenario} failed:\n{answer.get('error')}\n{done.stderr}")
    return answer


def describe(found: list[dict]) -> str:
    """One paragraph per violation: where, which rule, which elements, the help."""
    out = []
    for v in found:
        targets = "\n      ".join(v["targets"])
        out.append(
            f"{v['page']}: {v['rule']} ({v['impact']}) {v['help']}\n      {targets}\n"
            f"    {v['helpUrl']}\n    {v['summary']}"
        )
    return "\n".join(out)


def test_axe_core_is_a_test_tool_never_served(server):  # noqa: F811
    """The audit's axe-core stays in node_modules: not vendored, not served."""
    package = json.loads((WEB_ROOT / "package.json").read_text())
    assert "axe-core" in package["devDependencies"]
    assert "axe-core" not in package["dependencies"]
    assert not (WEB_ROOT / "vendor" / "axe-core").exists()
    for path in ("/node_modules/axe-core/axe.min.js", "/vendor/axe-core/axe.min.js"):
        assert requests.get(server.url + path, timeout=10).status_code == 404, path


def test_every_page_and_step_meets_wcag_21_aa_in_both_languages(
    server,  # noqa: F811
    capsys,
    monkeypatch,
    tmp_path,
):
    committee = Committee(capsys, monkeypatch, server, tmp_path)
    codes = committee.prepare(voters=len(VIEWPORTS))
    eid, url = committee.id, server.url
    committee.admin("open", "--election", eid)

    found: list[dict] = []
    unfocused: list[dict] = []
    problems: list[dict] = []
    audited: list[str] = []
    for viewport, code in zip(VIEWPORTS, codes, strict=True):
        seen = audit(
            "booth", base=url, election=eid, viewport=viewport, code=code, typo=mistyped(code)
        )
        # the probe: axe finds an unnamed button and pale text put on the page
        assert seen["probe"] == {
            "probe-unnamed": ["button-name"],
            "probe-pale": ["color-contrast"],
        }, seen["probe"]
        found += seen["violations"]
        unfocused += seen["focus"]
        problems += seen["problems"]
        audited += seen["audited"]

    committee.close()
    for i in DECRYPTING:
        committee.trustee("decrypt", i)
    committee.admin("publish", "--election", eid)
    for viewport in VIEWPORTS:
        seen = audit("results", base=url, election=eid, viewport=viewport)
        found += seen["violations"]
        unfocused += seen["focus"]
        problems += seen["problems"]
        audited += seen["audited"]

    # every step was audited (axe's rules ran), in both languages, on both screens
    runs = [AUDITED.fullmatch(a) for a in audited if "(Tab:" not in a]
    assert all(runs), audited
    for viewport in VIEWPORTS:
        for lang in ("vi", "en"):
            steps = [m for m in runs if m["viewport"] == viewport and m["lang"] == lang]
            assert len(steps) == 14, audited
            assert all(int(m["passed"]) >= 15 for m in steps), audited
    assert len([a for a in audited if "(Tab:" in a]) == 4 * len(VIEWPORTS)
    assert found == [], f"{len(found)} accessibility violations:\n{describe(found)}"
    assert unfocused == [], f"focus not shown on: {json.dumps(unfocused, indent=1)}"
    assert problems == [], problems
