"""The shared spreadsheet-safe CSV writer: formula neutralising, E.164 check, atomic 0600."""

from __future__ import annotations

import csv
import os
import stat

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.csvsafe import DANGEROUS_PREFIXES, neutralise, write_csv
from rfvkit.errors import BadValuesError


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("prefix", DANGEROUS_PREFIXES)
def test_dangerous_text_cells_are_neutralised(tmp_path, prefix):
    frame = pd.DataFrame({"name": [prefix + "cmd|' /C calc'!A0", "Ann"], "n": [-2, 3]})
    rows = read_rows(write_csv(frame, tmp_path / "x.csv"))
    assert rows[1][0] == "'" + prefix + "cmd|' /C calc'!A0"
    assert rows[2][0] == "Ann"
    assert rows[1][1] == "-2"  # numbers stay numbers


def test_header_and_index_are_neutralised(tmp_path):
    frame = pd.DataFrame({"=SUM(A1)": ["x"]}, index=pd.Index(["@id"], name="customer_id"))
    rows = read_rows(write_csv(frame, tmp_path / "x.csv", index=True))
    assert rows == [["customer_id", "'=SUM(A1)"], ["'@id", "x"]]


def test_mode_and_atomic_replace(tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("old")
    os.chmod(target, 0o644)
    write_csv(pd.DataFrame({"a": [1]}), target, mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes() == b"a\r\n1\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]  # no temp file left


def test_phone_column_must_be_strict_e164(tmp_path):
    ok = pd.DataFrame({"phone": ["+12015550123", "+61491570006"]})
    assert read_rows(write_csv(ok, tmp_path / "ok.csv"))[1] == ["+12015550123"]
    for bad in ["=1+1", "+1 201 555 0123", "0201555012", "+0123456", None, "+1234567890123456"]:
        with pytest.raises(BadValuesError, match="phone"):
            write_csv(pd.DataFrame({"phone": ["+12015550123", bad]}), tmp_path / "bad.csv")
    assert not (tmp_path / "bad.csv").exists()


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("old")

    class Boom:
        def __str__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_csv(pd.DataFrame({"a": [Boom()]}), target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=8))
def test_no_cell_can_start_a_formula(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("h") / "x.csv"
    write_csv(pd.DataFrame({"text": values}), path)
    for row in read_rows(path)[1:]:
        assert row and not row[0].startswith(DANGEROUS_PREFIXES)
    assert neutralise("=x") == "'=x"
