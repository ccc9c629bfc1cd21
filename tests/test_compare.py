"""compare_segments: two segmentations side by side (known answers, invariants)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import rfv_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.compare import compare_segments
from rfvkit.errors import BadParameterError, BadValuesError

# --- comparison ------------------------------------------------------------------------


def test_identical_groupings_agree_fully():
    idx = [f"C{i}" for i in range(6)]
    rule = pd.Series(["Champions", "Champions", "Lost", "Lost", "New", "New"], index=idx)
    clusters = pd.Series([2, 2, 0, 0, 1, 1], index=idx)
    cmp = compare_segments(rule, clusters)
    assert cmp.adjusted_rand == 1.0
    assert cmp.adjusted_mutual_info == pytest.approx(1.0)
    assert (cmp.dominant["dominant_share"] == 1.0).all()
    assert cmp.dominant["runner_up"].isna().all()
    assert "agree closely" in cmp.summary_text()


def test_known_crosstab_and_adjusted_rand():
    idx = list("uvwxyz")
    rule = pd.Series(["A", "A", "A", "B", "B", "C"], index=idx)
    clusters = pd.Series([0, 0, 1, 1, 1, 1], index=idx)
    cmp = compare_segments(rule, clusters)
    assert cmp.crosstab.to_numpy().tolist() == [[2, 1], [0, 2], [0, 1]]
    assert cmp.crosstab.index.tolist() == ["A", "B", "C"]  # by size, then label
    assert cmp.row_shares.loc["A"].tolist() == pytest.approx([2 / 3, 1 / 3])
    # pairs: together in both 2, rule 4, clusters 7, all 15 -> (2 - 28/15) / (11/2 - 28/15)
    assert cmp.adjusted_rand == pytest.approx(4 / 109)
    dom = cmp.dominant
    assert dom.loc["A"].tolist() == [3, 0, pytest.approx(2 / 3), 1, pytest.approx(1 / 3)]
    assert dom.loc["B", "dominant_cluster"] == 1 and dom.loc["B", "runner_up"] is None
    text = cmp.summary_text()
    assert "adjusted Rand 0.04" in text
    assert "The most divided is 'A': 67% in 0 and 33% in 1." in text
    assert "Cluster 1 is where most customers of 'B', 'C' end up." in text


def test_compare_aligns_on_index_and_keeps_category_order():
    rule = pd.Series(
        pd.Categorical(["Lost", "Champions", "Lost"], categories=["Champions", "Lost"]),
        index=["a", "b", "c"],
    )
    clusters = pd.Series(["x", "y", "x"], index=["c", "b", "a"])
    cmp = compare_segments(rule, clusters)
    assert cmp.crosstab.index.tolist() == ["Champions", "Lost"]
    assert cmp.crosstab.loc["Lost", "x"] == 2
    with pytest.warns(UserWarning, match="1 rule-only"):
        compare_segments(rule, clusters.iloc[:2])


def test_compare_bad_labels():
    rule = pd.Series(["A", None], index=["a", "b"])
    with pytest.raises(BadValuesError, match="missing label"):
        compare_segments(rule, pd.Series([0, 1], index=["a", "b"]))
    with pytest.raises(BadValuesError, match="share no customer ids"):
        compare_segments(pd.Series(["A"], index=["a"]), pd.Series([0], index=["z"]))
    with pytest.raises(BadParameterError, match="must be a pandas Series"):
        compare_segments(["A"], pd.Series([0]))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 3)), min_size=2, max_size=50))
def test_compare_invariants(pairs):
    rule, cl = zip(*pairs, strict=True)
    idx = [f"C{i}" for i in range(len(pairs))]
    a = compare_segments(pd.Series(rule, index=idx), pd.Series(cl, index=idx))
    renamed = compare_segments(
        pd.Series(rule, index=idx), pd.Series([f"k{c + 7}" for c in cl], index=idx)
    )
    assert a.crosstab.to_numpy().sum() == len(pairs)
    assert np.allclose(a.row_shares.sum(axis=1), 1.0)
    assert a.adjusted_rand == pytest.approx(renamed.adjusted_rand)
    assert a.adjusted_mutual_info == pytest.approx(renamed.adjusted_mutual_info)
    assert (a.dominant["dominant_share"] >= a.dominant["runner_up_share"]).all()


def test_disagreements_rank_the_mismatch_first_and_mask_ids():
    seg = rfv_frame([3, 4, 5, 400, 420, 410], [9, 8, 7, 1, 1, 1], [1000, 1100, 900, 10, 12, 11])
    seg["segment"] = ["Champions"] * 3 + ["Lost"] * 3
    clusters = pd.DataFrame(
        {"cluster": [0, 0, 1, 1, 1, 1], "cluster_name": ["Top"] * 2 + ["Low"] * 4}, index=seg.index
    )
    cmp = compare_segments(seg["segment"], clusters)
    out = cmp.disagreements(seg, clusters, n=3)
    assert len(out) == 3
    first = out.iloc[0]
    assert (first["customer"], first["segment"], first["cluster"]) == (
        "****0002",
        "Champions",
        "Low",
    )
    assert first["value_gap"] > 0 and first["gap"] == out["gap"].max()
    assert not out["customer"].isin(seg.index).any()
    assert list(out.columns) == [
        "customer",
        "segment",
        "cluster",
        "recency_days",
        "frequency",
        "monetary",
        "value_gap",
        "recency_gap",
        "gap",
    ]
