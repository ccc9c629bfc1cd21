"""Progress while large files are read: on when asked, silent under pytest and papermill."""

from __future__ import annotations

import pandas as pd

from rfvkit import _progress
from rfvkit.io import read_transactions


def test_silent_under_pytest_and_for_small_files(monkeypatch):
    monkeypatch.delenv("RFVKIT_PROGRESS", raising=False)
    assert not _progress.wanted(10 * _progress.MIN_BYTES)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert not _progress.wanted(100)


def test_kernel_without_jupyter_server_is_silent(monkeypatch):
    monkeypatch.delenv("RFVKIT_PROGRESS", raising=False)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setitem(__import__("sys").modules, "ipykernel", object())
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert not _progress.wanted(_progress.MIN_BYTES)
    monkeypatch.setenv("JPY_SESSION_NAME", "notebook.ipynb")
    assert _progress.wanted(_progress.MIN_BYTES)


def test_forced_on_shows_a_bar_that_goes_away_and_reads_the_same(tmp_path, monkeypatch, capsys):
    path = tmp_path / "tx.csv"
    pd.DataFrame(
        {
            "customer_id": ["a", "b"] * 500,
            "order_date": ["2024-01-02"] * 1000,
            "amount": ["5"] * 1000,
        }
    ).to_csv(path, index=False)
    monkeypatch.setenv("RFVKIT_PROGRESS", "0")
    quiet = read_transactions(path)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("RFVKIT_PROGRESS", "1")
    shown = read_transactions(path)
    assert "reading tx.csv" in capsys.readouterr().err
    pd.testing.assert_frame_equal(quiet.frame, shown.frame)
    pd.testing.assert_frame_equal(quiet.quality.frame, shown.quality.frame)
