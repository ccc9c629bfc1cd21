"""The quality ledger: input = kept + dropped, rules with examples, combining tables."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.quality import QualityLog, QualityReport, distinct_examples


def test_log_counts_dropped_and_noted_rows():
    log = QualityLog("transactions", 5)
    frame = pd.DataFrame({"x": [1, None, 3, None, 5]})
    kept = log.drop(frame, frame["x"].isna(), "missing x", frame["x"])
    log.note("negative amount kept as return", 2, "kept as return", [-1.0, -2.5])
    log.note("never fired", 0, "dropped")
    report = log.report(len(kept))
    assert report.counts() == {"transactions": {"input": 5, "kept": 3, "dropped": 2}}
    assert report.rows("missing x") == 2
    assert report.rows("negative amount kept as return", table="transactions") == 2
    assert report.rows("never fired") == 0  # a rule that touched nothing is not listed
    assert list(report.frame["rule"]) == ["missing x", "negative amount kept as return"]
    assert report.frame.loc[1, "examples"] == "-1.0, -2.5"


def test_counts_that_do_not_add_up_are_refused():
    counts = pd.DataFrame(
        {"input": [10], "kept": [7], "dropped": [2]}, index=pd.Index(["t"], name="table")
    )
    with pytest.raises(ValueError, match="do not add up for table"):
        QualityReport(None, counts)


def test_combine_and_add_keep_every_table():
    a = QualityLog("transactions", 3)
    a.note("info rule", 0, "info", "read as CSV")
    b = QualityLog("customers", 2)
    both = QualityReport.combine([a.report(3), None, b.report(2)])
    assert both.counts() == {
        "transactions": {"input": 3, "kept": 3, "dropped": 0},
        "customers": {"input": 2, "kept": 2, "dropped": 0},
    }
    assert (a.report(3) + b.report(2)).counts() == both.counts()
    assert both.rows("info rule") == 0 and len(both.frame) == 1  # info rows are listed


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown action"):
        QualityLog("t", 1).note("rule", 1, "deleted")


def test_distinct_examples_keep_first_seen_order_and_skip_missing():
    assert distinct_examples(["b", "a", "b", None, float("nan"), "c", "d"], n=3) == ["b", "a", "c"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.booleans(), min_size=0, max_size=40))
def test_input_is_kept_plus_dropped(flags):
    frame = pd.DataFrame({"x": range(len(flags))})
    log = QualityLog("t", len(frame))
    kept = log.drop(frame, pd.Series(flags, index=frame.index, dtype=bool), "rule")
    counts = log.report(len(kept)).counts()["t"]
    assert counts["input"] == counts["kept"] + counts["dropped"]
    assert counts["dropped"] == sum(flags)
