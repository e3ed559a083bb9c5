"""Browser tests: where their screenshots go, and the line that says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
_written: list[Path] = []


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A fresh ``test-artifacts/e2e/`` (git-ignored) for this run's screenshots,
    emptied once per run so that one browser test does not delete another's."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    _written.append(ARTIFACTS)
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter) -> None:
    for folder in _written:
        shots = sorted(folder.rglob("*.png"))
        terminalreporter.write_line(f"booth screenshots: {folder} ({len(shots)} images)")
