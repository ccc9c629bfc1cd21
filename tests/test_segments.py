"""segment() and segment_summary(): naming customers with a rule set, and the summary."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import DEFAULT_NAMES, scored_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.errors import BadParameterError, BadValuesError, MissingColumnsError
from rfvkit.rules import (
    DEFAULT,
    R_RFM,
    Rule,
    RuleSet,
    default_rules,
)
from rfvkit.segments import segment, segment_order, segment_summary

# --- segment() ---------------------------------------------------------------------------------


def test_segment_returns_copy_with_str_column():
    scored = scored_frame([(5, 5, 5), (1, 1, 1), (3, 3, 3)])
    before = scored.copy()
    out = segment(scored)
    pd.testing.assert_frame_equal(scored, before)
    assert "segment" not in scored.columns
    assert out.index.equals(scored.index) and out.index.name == "customer_id"
    assert list(out.columns) == [*scored.columns, "segment"]
    assert out["segment"].dtype == "str"
    assert out["segment"].tolist() == ["Champions", "Lost", "Need Attention"]
    pd.testing.assert_frame_equal(out.drop(columns="segment"), scored)


def test_segment_accepts_names_paths_and_float_scores(tmp_path):
    scored = scored_frame([(5, 5, 1), (5, 5, 5)])
    with pytest.warns(
        UserWarning, match=r"1 of 2 customers \(50.0%\) match no rule of rule set 'r_rfm'"
    ):
        assert segment(scored, rules=R_RFM)["segment"].tolist() == ["Others", "Champions"]
    path = tmp_path / "r.yaml"
    DEFAULT.to_yaml(path)
    as_float = scored.astype({"r_score": "float64", "f_score": "Int64"})
    assert segment(as_float, rules=path)["segment"].tolist() == ["Loyal", "Champions"]
    assert segment(scored, rules="default")["segment"].tolist() == ["Loyal", "Champions"]


def test_segment_missing_score_column():
    scored = scored_frame([(5, 5, 5)]).drop(columns="v_score")
    with pytest.raises(MissingColumnsError) as info:
        segment(scored)
    message = str(info.value)
    assert "missing required column(s) 'v_score'" in message
    assert "'r_score'" in message and "rfvkit.scoring.score" in message


def test_segment_scores_beyond_rule_set_bins():
    scored = scored_frame([(7, 1, 1), (1, 1, 1)], bins=7)
    with pytest.raises(BadParameterError) as info:
        segment(scored)
    message = str(info.value)
    assert "r_score goes up to 7, but rule set 'default' is written for bins=5" in message
    assert "default_rules(7)" in message and "load_rules('default', bins=7)" in message
    assert segment(scored, rules=default_rules(7))["segment"].tolist() == ["New", "Lost"]


def test_segment_declared_bins_mismatch():
    scored = scored_frame([(3, 3, 3)], bins=3)
    scored.attrs["bins"] = 3
    with pytest.raises(BadParameterError, match=r"scored was made with bins=3.*default_rules\(3\)"):
        segment(scored)
    assert segment(scored, rules=default_rules(3))["segment"].tolist() == ["Champions"]


def test_segment_warns_when_no_score_reaches_top():
    scored = scored_frame([(1, 1, 1), (2, 2, 2), (3, 3, 3), (3, 1, 2), (1, 3, 3)], bins=3)
    with pytest.warns(UserWarning, match="No r/f/v score reaches 5"):
        segment(scored)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(np.nan, "nan"), (2.5, "2.5"), (0, "0"), ("high", "'high'")],
)
def test_segment_bad_score_values(value, expected):
    scored = scored_frame([(5, 5, 5), (1, 1, 1)]).astype({"f_score": object})
    scored.loc["c1", "f_score"] = value
    with pytest.raises(BadValuesError) as info:
        segment(scored)
    message = str(info.value)
    assert "f_score must hold whole-number scores 1..5; 1 row(s) do not" in message
    assert expected in message and "'c1'" in message


def test_segment_rejects_non_frame():
    with pytest.raises(BadParameterError, match="pandas DataFrame"):
        segment([[5, 5, 5]])  # type: ignore[arg-type]


def test_segment_empty_frame():
    out = segment(scored_frame([]))
    assert out.empty and "segment" in out.columns


@st.composite
def scored_frames(draw):
    bins = draw(st.integers(2, 10))
    n = draw(st.integers(1, 60))
    cells = draw(st.lists(st.tuples(*[st.integers(1, bins)] * 3), min_size=n, max_size=n))
    frame = scored_frame(cells, bins)
    ids = draw(
        st.lists(st.text("abcxyz0123", min_size=1, max_size=6), min_size=n, max_size=n, unique=True)
    )
    frame.index = pd.Index(ids, name="customer_id")
    frame["monetary"] = draw(
        st.lists(st.floats(0.01, 1e6, allow_nan=False), min_size=n, max_size=n)
    )
    return bins, frame


@given(scored_frames())
@settings(max_examples=40, deadline=None)
def test_segment_keeps_rows_and_summary_shares_sum_to_one(case):
    bins, scored = case
    rules = default_rules(bins)
    before = scored.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny samples may not reach the top score
        out = segment(scored, rules=rules)
    pd.testing.assert_frame_equal(scored, before)
    assert out.index.equals(scored.index) and len(out) == len(scored)
    assert out["segment"].isin(segment_order(rules)).all()
    # the same answer as looking each customer up in the cell map
    lookup = rules.cell_map().set_index(["r", "f", "v"])["segment"]
    keys = list(zip(scored["r_score"], scored["f_score"], scored["v_score"], strict=True))
    assert out["segment"].tolist() == lookup.loc[keys].tolist()
    summary = segment_summary(out, rules=rules)
    assert list(summary["segment"]) == list(rules.names)
    assert summary["customers"].sum() == len(scored)
    assert summary["share"].sum() == pytest.approx(1.0)
    assert summary["revenue_share"].sum() == pytest.approx(1.0)
    assert summary["revenue"].sum() == pytest.approx(scored["monetary"].sum())


# --- segment_summary() ------------------------------------------------------------------------


def test_segment_summary_known_answer():
    segmented = pd.DataFrame(
        {
            "segment": ["Champions", "Champions", "Lost", "Loyal"],
            "recency_days": [3, 9, 400, 20],
            "frequency": [10, 6, 1, 4],
            "monetary": [500.0, 300.0, 20.0, 180.0],
        },
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    )
    flat = segment_summary(segmented)
    assert list(flat["segment"]) == DEFAULT_NAMES and isinstance(flat.index, pd.RangeIndex)
    summary = flat.set_index("segment")
    assert list(flat.columns) == [
        "segment",
        "customers",
        "share",
        "revenue",
        "revenue_share",
        "median_recency_days",
        "median_frequency",
        "median_monetary",
        "description",
        "action",
    ]
    champions = summary.loc["Champions"]
    assert champions["customers"] == 2 and champions["share"] == 0.5
    assert champions["revenue"] == 800.0 and champions["revenue_share"] == 0.8  # 800 / 1000
    assert champions["median_recency_days"] == 6.0 and champions["median_frequency"] == 8.0
    assert champions["median_monetary"] == 400.0
    assert summary.loc["Lost", "revenue_share"] == pytest.approx(0.02)
    assert summary.loc["Loyal", "median_recency_days"] == 20.0
    # segments without customers are listed with zeros
    assert summary.loc["New", "customers"] == 0 and summary.loc["New", "revenue"] == 0.0
    assert np.isnan(summary.loc["New", "median_monetary"])
    assert summary["customers"].dtype == "int64"
    assert summary.loc["Lost", "action"] == DEFAULT.rules[-1].action
    assert summary.loc["Champions", "description"] == DEFAULT.rules[0].description


def test_segment_summary_fallback_row_only_when_used():
    scored = scored_frame([(5, 5, 1), (5, 5, 5), (1, 1, 1)])
    with pytest.warns(UserWarning, match="match no rule"):
        segmented = segment(scored, rules=R_RFM)
    summary = segment_summary(segmented, rules=R_RFM).set_index("segment")
    assert list(summary.index) == [*R_RFM.names, "Others"]
    assert summary.loc["Others", "customers"] == 1
    assert summary.loc["Others", "revenue"] == 100.0
    assert "match no rule" in summary.loc["Others", "description"]
    only_named = segment_summary(segmented[segmented["segment"] != "Others"], rules=R_RFM)
    assert "Others" not in set(only_named["segment"])
    assert only_named["share"].sum() == pytest.approx(1.0)


def test_segment_summary_errors():
    segmented = segment(scored_frame([(5, 5, 5)]))
    with pytest.raises(MissingColumnsError, match="'monetary'"):
        segment_summary(segmented.drop(columns="monetary"))
    renamed = segmented.assign(segment="Loyal Customers")
    with pytest.raises(BadValuesError, match="'Loyal Customers'.*rules=R_RFM"):
        segment_summary(renamed)


def test_segment_replaces_existing_segment_and_summary_rejects_non_frame():
    again = segment(segment(scored_frame([(1, 1, 1)])), rules=R_RFM)
    assert again["segment"].tolist() == ["Lost"] and list(again.columns).count("segment") == 1
    with pytest.raises(BadParameterError, match="pandas DataFrame"):
        segment_summary({"segment": ["Lost"]})  # type: ignore[arg-type]


def test_segment_summary_empty_input_gives_zero_counts():
    summary = segment_summary(segment(scored_frame([])))
    assert (summary["customers"] == 0).all() and summary["share"].isna().all()


def test_all_cells_enumerated_in_cell_map():
    cells = DEFAULT.cell_map()
    assert list(cells.columns) == ["r", "f", "v", "segment"]
    assert list(map(tuple, cells[["r", "f", "v"]].to_numpy().tolist())) == list(
        itertools.product(range(1, 6), repeat=3)
    )
    assert cells["r"].dtype == "int64"


# --- rules that ask for p_alive -----------------------------------------------------------------

P_ALIVE_RULES = RuleSet(
    (
        Rule("Top", r=(2, 2), f=(1, 2), v=(1, 2)),
        Rule("Gone", r=(1, 1), f=(1, 2), v=(1, 2), p_alive=(0, 0.2)),
        Rule("Sleepy", r=(1, 1), f=(1, 1), v=(1, 2)),
    ),
    bins=2,
    fallback="Other",
)


def test_p_alive_rule_known_answer():
    # a: cells of Top win over any p_alive; b, d, f: Gone (0.2 is inside, both ends count);
    # c: Gone's cells but p_alive 0.5 and no later rule names (1, 2, 1) -> fallback;
    # e: no prediction meets no condition -> the next rule, Sleepy.
    scored = scored_frame([(2, 1, 1), (1, 1, 1), (1, 2, 1), (1, 2, 1), (1, 1, 1), (1, 1, 2)])
    scored["p_alive"] = [0.1, 0.1, 0.5, 0.15, np.nan, 0.2]
    with pytest.warns(UserWarning, match="1 of 6 customers"):
        out = segment(scored, rules=P_ALIVE_RULES)
    assert out["segment"].tolist() == ["Top", "Gone", "Other", "Gone", "Sleepy", "Gone"]
    assert segment_order(P_ALIVE_RULES) == ["Top", "Gone", "Sleepy", "Other"]


def test_p_alive_rule_needs_the_column():
    with pytest.raises(MissingColumnsError, match=r"p_alive.*'Gone'.*predict: true"):
        segment(scored_frame([(1, 1, 1)]), rules=P_ALIVE_RULES)


def _reference(row: pd.Series, rules: RuleSet) -> str:
    """The definition, one customer at a time: the first rule whose ranges and condition hold."""
    for rule in rules.rules:
        inside = all(
            lo <= row[f"{axis}_score"] <= hi
            for axis, (lo, hi) in zip("rfv", (rule.r, rule.f, rule.v), strict=True)
        )
        alive = rule.p_alive is None or (
            pd.notna(row["p_alive"]) and rule.p_alive[0] <= row["p_alive"] <= rule.p_alive[1]
        )
        if inside and alive:
            return rule.name
    return rules.fallback


@st.composite
def _conditional_case(draw):
    bins = draw(st.integers(2, 4))
    score = st.integers(1, bins)
    rules = []
    for i in range(draw(st.integers(1, 5))):
        ranges = {a: tuple(sorted(draw(st.tuples(score, score)))) for a in "rfv"}
        share = st.sampled_from([0.0, 0.2, 0.5, 1.0])
        p_alive = draw(st.none() | st.tuples(share, share).map(sorted).map(tuple))
        rules.append(Rule(f"S{i}", **ranges, p_alive=p_alive))
    n = draw(st.integers(1, 30))
    rows = draw(st.lists(st.tuples(score, score, score), min_size=n, max_size=n))
    alive = draw(
        st.lists(st.sampled_from([np.nan, 0.0, 0.1, 0.2, 0.5, 0.9, 1.0]), min_size=n, max_size=n)
    )
    return RuleSet(tuple(rules), bins=bins), rows, alive


@given(_conditional_case())
@settings(max_examples=80, deadline=None)
def test_p_alive_rules_match_the_definition(case):
    rules, rows, alive = case
    scored = scored_frame(rows)
    scored["p_alive"] = alive
    scored.attrs.pop("bins", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = segment(scored, rules=rules)
    expected = [_reference(row, rules) for _, row in scored.iterrows()]
    assert out["segment"].tolist() == expected
