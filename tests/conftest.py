"""Shared fixtures: paths to the project root and the small datasets shipped for tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def test_data() -> Path:
    return TEST_DATA


def run_cli(*args: str, cwd: Path = ROOT, timeout: int = 600):
    """Run the ``rfvkit`` command in a subprocess, as a scheduler would."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "rfvkit.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def ci_report(tmp_path_factory):
    """One end-to-end ``rfvkit report`` on params/ci.yaml, shared by the report and browser tests.

    Returns the reports folder and the completed process of the run.
    """
    reports = tmp_path_factory.mktemp("reports")
    proc = run_cli(
        "report",
        "--params",
        str(ROOT / "params" / "ci.yaml"),
        "--name",
        "ci",
        "--reports-dir",
        str(reports),
    )
    assert proc.returncode == 0, f"rfvkit report failed:\n{proc.stdout}\n{proc.stderr}"
    return reports, proc
