"""Shared fixtures: paths to the project root and the small datasets shipped for tests."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest_plugins = ["engine_fixtures"]

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


def rfv_frame(
    recency,
    frequency,
    monetary,
    *,
    ids=None,
    tenure_days=None,
    as_of: str = "2026-01-01",
) -> pd.DataFrame:
    """An RFV table with the seven canonical columns of ``rfv_table``, built by hand.

    Integer inputs stay integers. ``tenure_days`` defaults to recency + 30 days per extra
    order; ``ids`` to ``C0000000, C0000001, ...``.
    """
    recency = np.asarray(recency)
    frequency = np.asarray(frequency)
    monetary = np.asarray(monetary, dtype="float64")
    if tenure_days is None:
        tenure_days = recency + 30 * (frequency - 1)
    tenure_days = np.asarray(tenure_days)
    ids = ids if ids is not None else [f"C{i:07d}" for i in range(len(recency))]
    end = pd.Timestamp(as_of)
    return pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "avg_order_value": monetary / frequency,
            "first_purchase": end - pd.to_timedelta(tenure_days, unit="D"),
            "last_purchase": end - pd.to_timedelta(recency, unit="D"),
            "tenure_days": tenure_days,
        },
        index=pd.Index(ids, name="customer_id", dtype="str"),
    )


DEFAULT_NAMES = [
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "Can't Lose Them",
    "At Risk",
    "Hibernating",
    "Lost",
]


def scored_frame(cells: list[tuple[int, int, int]], bins: int = 5) -> pd.DataFrame:
    """A scored frame as rfvkit.scoring.score would return it, built by hand."""
    r, f, v = (np.array([cell[i] for cell in cells], dtype=np.int64) for i in range(3))
    sep = "-" if bins >= 10 else ""
    return pd.DataFrame(
        {
            "recency_days": (bins - r + 1) * 30,
            "frequency": f,
            "monetary": 100.0 * v,
            "r_score": r,
            "f_score": f,
            "v_score": v,
            "rfv_code": [sep.join(map(str, cell)) for cell in cells],
            "rfv_score": r + f + v,
        },
        index=pd.Index([f"c{i}" for i in range(len(cells))], name="customer_id"),
    )


def segments_of(cells: list[tuple[int, int, int]], rules=None) -> list[str]:
    """The segment each (r, f, v) cell gets under ``rules`` (default: DEFAULT)."""
    from rfvkit.rules import DEFAULT
    from rfvkit.segments import segment

    rules = DEFAULT if rules is None else rules
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return segment(scored_frame(cells, rules.bins), rules=rules)["segment"].tolist()
