"""Tests for rfvkit.clustering: k-means suggestions, naming, k choice and comparison."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import rfv_frame
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import Pipeline

from rfvkit.cluster_names import _disambiguate
from rfvkit.clustering import (
    _choose,
    _elbow,
    _silhouettes,
    suggest_segments,
)
from rfvkit.compare import compare_segments
from rfvkit.errors import BadParameterError, BadValuesError, EmptyDataError, MissingColumnsError

AS_OF = pd.Timestamp("2026-01-01")
FAST = {"n_bootstrap": 0}


# Four clearly placed groups: (recency_days, frequency, monetary, size), expected name.
GROUPS = [
    ((5, 20, 3000, 100), "Recent high-value regulars"),
    ((500, 1, 15, 300), "Lapsed low-value one-timers"),
    ((3, 1, 60, 100), "Recent newcomers"),
    ((120, 3, 150, 100), "At-risk high-value occasionals"),
]


def group_blobs(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """GROUPS with a small log-normal spread on recency and value (frequency exact)."""
    rng = np.random.default_rng(seed)
    parts, truth = [], []
    for g, ((r, f, m, size), _) in enumerate(GROUPS):
        parts.append(
            np.column_stack(
                [
                    np.round(r * rng.lognormal(0, 0.05, size)),
                    np.full(size, f),
                    m * rng.lognormal(0, 0.1, size),
                ]
            )
        )
        truth += [g] * size
    x = np.vstack(parts)
    return rfv_frame(x[:, 0], x[:, 1], x[:, 2]), np.array(truth)


def log_blobs(n_groups: int, per: int = 60, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Well-separated spherical blobs in log1p space, mapped back to R, F, V."""
    rng = np.random.default_rng(seed)
    centres = np.array(
        [[1.0, 0.7, 3.0], [5.5, 0.7, 3.5], [1.5, 2.8, 6.5], [5.0, 2.5, 8.0], [3.2, 1.6, 5.0]]
    )[:n_groups]
    logs = np.vstack([c + rng.normal(0, 0.12, (per, 3)) for c in centres])
    values = np.expm1(logs)
    return rfv_frame(values[:, 0], values[:, 1], values[:, 2]), np.repeat(np.arange(n_groups), per)


@pytest.fixture(scope="module")
def groups():
    rfv, truth = group_blobs()
    return rfv, truth, suggest_segments(rfv, k=4, n_bootstrap=2)


# --- known answers on clearly separated groups -----------------------------------------


def test_blobs_recovered_exactly(groups):
    rfv, truth, sug = groups
    assert adjusted_rand_score(truth, sug.labels["cluster"]) == 1.0
    assert sug.labels.index.equals(rfv.index)
    assert list(sug.labels.columns) == ["cluster", "cluster_name"]
    assert sug.labels["cluster"].dtype == "int64"


def test_cluster_numbers_follow_median_value(groups):
    _, truth, sug = groups
    # median monetary per group: 3000 > 150 > 60 > 15 -> clusters 0, 3, 2, 1 by group
    expected = {0: 0, 3: 1, 2: 2, 1: 3}
    assert (sug.labels["cluster"].to_numpy() == np.vectorize(expected.get)(truth)).all()
    assert (
        sug.profiles.set_index("cluster")
        .loc[[0, 1, 2, 3], "median_monetary"]
        .is_monotonic_decreasing
    )


def test_names_from_centres(groups):
    _, truth, sug = groups
    # Hand-worked percentiles (600 customers): recency 3 d -> 0.08, 5 d -> 0.25,
    # 120 d -> 0.42, 500 d -> 0.75; value 15 -> 0.25, 60 -> 0.58, 150 -> 0.75,
    # 3000 -> 0.92; among repeat customers 3 orders sit below the median, 20 above.
    for g, (_, name) in enumerate(GROUPS):
        assert set(sug.labels["cluster_name"][truth == g]) == {name}
    assert list(sug.profiles["name"]) == [GROUPS[i][1] for i in (0, 3, 2, 1)]
    assert (
        sug.profiles.set_index("cluster")
        .loc[0, "description"]
        .startswith("Centre: 5 days since the last order")
    )


def test_centroids_in_original_units(groups):
    _, _, sug = groups
    assert list(sug.centroids.columns) == ["recency_days", "frequency", "monetary"]
    top = sug.centroids.loc[0]
    assert top["frequency"] == pytest.approx(20.0)
    assert top["monetary"] == pytest.approx(3000, rel=0.05)
    assert top["recency_days"] == pytest.approx(5, abs=0.5)


def test_profiles_known_sizes_and_shares(groups):
    rfv, _, sug = groups
    prof = sug.profiles.set_index("cluster")
    assert list(prof["customers"]) == [100, 100, 100, 300]
    assert prof["share"].tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 6, 1 / 2])
    assert prof["revenue_share"].sum() == pytest.approx(1.0)
    ones = rfv["monetary"][sug.labels["cluster"] == 3]
    assert prof.loc[3, "revenue_share"] == pytest.approx(ones.sum() / rfv["monetary"].sum())
    assert prof.loc[3, "median_frequency"] == 1.0
    assert prof.loc[3, "mean_recency_days"] == pytest.approx(
        rfv["recency_days"][sug.labels["cluster"] == 3].mean()
    )


def test_pipeline_is_fitted_and_predicts_the_labels(groups):
    rfv, _, sug = groups
    assert isinstance(sug.pipeline, Pipeline)
    assert list(sug.pipeline.named_steps) == ["log", "scale", "kmeans"]
    pred = sug.pipeline.predict(rfv[["recency_days", "frequency", "monetary"]])
    assert (pred == sug.labels["cluster"].to_numpy()).all()
    assert isinstance(sug.pipeline[:-1].transform(rfv[list(sug.features)]), pd.DataFrame)
    assert sug.predict(rfv).equals(sug.labels["cluster"].rename("cluster"))


def test_same_seed_same_result_and_other_seed_same_labels():
    rfv, _ = group_blobs(seed=3)
    a = suggest_segments(rfv, k="auto", k_range=range(2, 7), n_bootstrap=3, random_state=7)
    b = suggest_segments(rfv, k="auto", k_range=range(2, 7), n_bootstrap=3, random_state=7)
    pd.testing.assert_frame_equal(a.labels, b.labels)
    pd.testing.assert_frame_equal(a.k_scores, b.k_scores)
    pd.testing.assert_frame_equal(a.profiles, b.profiles)
    assert a.reason == b.reason
    c = suggest_segments(rfv, k=a.k, n_bootstrap=0, random_state=11)
    pd.testing.assert_frame_equal(a.labels, c.labels)  # value ordering makes numbers stable


@pytest.mark.parametrize("n_groups", [3, 4, 5])
def test_auto_finds_true_k(n_groups):
    rfv, truth = log_blobs(n_groups)
    sug = suggest_segments(rfv, n_bootstrap=3)
    assert sug.k == n_groups
    assert adjusted_rand_score(truth, sug.labels["cluster"]) == 1.0
    assert sug.k_scores.loc[n_groups, "stability"] == pytest.approx(1.0)
    assert sug.k_scores["chosen"].sum() == 1 and sug.k_scores.loc[n_groups, "chosen"]
    assert sug.reason.startswith(f"k={n_groups}: best silhouette")
    assert list(sug.k_scores.index) == list(range(2, 11))
    assert {
        "inertia",
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "stability",
        "elbow",
    } <= set(sug.k_scores.columns)


def test_k_list_and_sampled_fit_path():
    rfv, truth = log_blobs(3, per=200)
    sug = suggest_segments(
        rfv, k=[2, 3, 4], n_bootstrap=2, sample_size=60, scan_size=150, fit_size=300
    )
    assert list(sug.k_scores.index) == [2, 3, 4]
    assert sug.k == 3
    assert adjusted_rand_score(truth, sug.labels["cluster"]) == 1.0


def test_extra_features_and_robust_scaler(groups):
    rfv, truth, _ = groups
    feats = ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")
    sug = suggest_segments(rfv, k=4, features=feats, scaler="robust", **FAST)
    assert list(sug.centroids.columns) == list(feats)
    assert adjusted_rand_score(truth, sug.labels["cluster"]) == 1.0


def test_equal_names_get_deterministic_suffixes():
    # two lapsed low-value one-timer groups, 400 and 900 days: recency separates them
    rng = np.random.default_rng(1)
    r = np.concatenate([np.full(300, 5), np.full(100, 400), np.full(100, 900)])
    f = np.concatenate([np.full(300, 10), np.ones(200)])
    m = np.concatenate([np.full(300, 500.0), np.full(200, 15.0)]) * rng.lognormal(0, 0.02, 500)
    sug = suggest_segments(rfv_frame(r, f, m), k=3, **FAST)
    names = sug.labels["cluster_name"]
    assert set(names[r == 400]) == {"Lapsed low-value one-timers (more recent)"}
    assert set(names[r == 900]) == {"Lapsed low-value one-timers (less recent)"}
    centres = pd.DataFrame(
        {"monetary": [1.0, -1.0, 0.0, 0.5], "recency_days": [0.0, 0.1, 0.0, 0.2]}
    )
    out = _disambiguate({0: "X", 1: "X", 2: "Y", 3: "X"}, centres)
    assert out == {
        0: "X (1 of 3 by value)",
        1: "X (3 of 3 by value)",
        2: "Y",
        3: "X (2 of 3 by value)",
    }
    assert _disambiguate({0: "X", 1: "X"}, centres.iloc[:2]) == {
        0: "X (higher value)",
        1: "X (lower value)",
    }


def k_table(silhouette, stability):
    return pd.DataFrame(
        {"silhouette": silhouette, "stability": stability, "elbow": [False, True, False, False]},
        index=pd.Index([2, 3, 4, 5], name="k"),
    )


def test_k_rule_stable_first_then_silhouette_then_stability_then_small_k():
    feats = ("recency_days", "frequency", "monetary")
    # k=2 has the best silhouette but is unstable; 3 and 4 tie at three decimals
    scores = k_table([0.70, 0.5001, 0.5004, 0.2], [0.5, 0.90, 0.95, 0.99])
    k, reason = _choose(scores, "auto", "", 0.8, feats)
    assert k == 4
    assert reason == (
        "k=4: best silhouette (0.50) among the k with bootstrap stability >= 0.8 (3, 4, 5); "
        "the inertia elbow is at k=3."
    )
    assert (
        _choose(k_table([0.7, 0.5, 0.5, 0.2], [0.5, 0.9, 0.9, 0.99]), "auto", "", 0.8, feats)[0]
        == 3
    )
    k, reason = _choose(k_table([0.3, 0.6, 0.4, 0.2], [0.1] * 4), "auto", "", 0.8, feats)
    assert k == 3 and "no k in 2..5 reached stability 0.8" in reason
    k, reason = _choose(k_table([0.3, 0.6, 0.4, 0.2], [np.nan] * 4), "auto", "", 0.8, feats)
    assert k == 3 and "stability not measured" in reason


def test_elbow_known_answer():
    # normalised points (0,1) (1/3,.2) (2/3,.067) (1,0): distance to the chord peaks at k=3
    assert _elbow(pd.Series([100.0, 40.0, 30.0, 25.0], index=[2, 3, 4, 5])) == 3
    assert _elbow(pd.Series([10.0, 5.0], index=[2, 3])) is None


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(4, 60),
    k_max=st.integers(2, 6),
    seed=st.integers(0, 10_000),
)
def test_silhouettes_match_sklearn(n, k_max, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * rng.uniform(0.5, 3.0, 3)
    labelings = {k: rng.integers(0, k, n) for k in range(2, k_max + 1)}
    ours = _silhouettes(x, labelings)
    for k, labels in labelings.items():
        if 2 <= len(np.unique(labels)) <= n - 1:
            assert ours[k] == pytest.approx(silhouette_score(x, labels), abs=1e-3)  # float32
        else:
            assert np.isnan(ours[k])


# --- edge cases and bad input -----------------------------------------------------------


def test_fewer_customers_than_k():
    rfv = rfv_frame([1, 50, 300], [1, 3, 9], [10, 200, 900])
    with pytest.raises(BadParameterError, match=r"k=5 but only 3 customer"):
        suggest_segments(rfv, k=5, **FAST)


def test_auto_shrinks_range_and_says_so():
    rfv = rfv_frame([1, 2, 300, 310], [1, 1, 9, 9], [10, 11, 900, 950])
    with pytest.warns(UserWarning, match=r"searched in 2\.\.3"):
        sug = suggest_segments(rfv, n_bootstrap=2)
    assert list(sug.k_scores.index) == [2, 3]
    assert "searched in 2..3" in sug.reason
    assert sug.k == 2


def test_identical_customers_form_one_group_without_sklearn_warnings():
    rfv = rfv_frame([30] * 40, [2] * 40, [80.0] * 40)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sug = suggest_segments(rfv, n_bootstrap=3)
    messages = [str(w.message) for w in caught]
    assert messages == [
        "suggest_segments: only 40 customer(s) with 1 distinct profile(s), too few to compare "
        "k values (k asked: 2..10)."
    ]
    assert sug.k == 1
    assert set(sug.labels["cluster"]) == {0}
    assert set(sug.labels["cluster_name"]) == {"All customers"}
    assert sug.reason.startswith("k=1:")
    assert sug.centroids.loc[0, "monetary"] == pytest.approx(80.0)


def test_identical_customers_explicit_k_is_a_clear_error():
    rfv = rfv_frame([30] * 5, [2] * 5, [80.0] * 5)
    with pytest.raises(BadParameterError, match="1 distinct profile"):
        suggest_segments(rfv, k=3, **FAST)


def test_one_customer():
    with pytest.warns(UserWarning, match="only 1 customer"):
        sug = suggest_segments(rfv_frame([0], [1], [25.0]))
    assert sug.k == 1
    assert sug.labels["cluster_name"].tolist() == ["All customers"]
    assert sug.profiles.set_index("cluster").loc[0, "customers"] == 1


def test_net_returners_set_aside():
    rfv = rfv_frame([1, 2, 300, 310, 40, 50], [5, 6, 1, 1, 2, 1], [900, 950, 10, 12, 0, -30])
    with pytest.warns(UserWarning, match=r"2 customer\(s\) with monetary <= 0"):
        sug = suggest_segments(rfv, k=2, **FAST)
    assert sug.labels["cluster"].tolist() == [0, 0, 1, 1, -1, -1]
    assert sug.labels["cluster_name"].iloc[-1] == "Net returners"
    assert sug.profiles["cluster"].tolist() == [0, 1, -1]
    assert sug.profiles.set_index("cluster").loc[-1, "customers"] == 2
    assert sug.profiles.set_index("cluster").loc[-1, "name"] == "Net returners"
    assert -1 not in sug.centroids.index
    assert sug.predict(rfv).tolist() == [0, 0, 1, 1, -1, -1]


def test_nan_names_column_and_customer():
    rfv = rfv_frame([1, 2, 3], [1, 2, 3], [10.0, 20.0, 30.0])
    rfv.loc["C0000001", "frequency"] = np.nan
    with pytest.raises(BadValuesError, match=r"'frequency'.*'C0000001'"):
        suggest_segments(rfv, k=2, **FAST)


def test_negative_feature_is_rejected():
    rfv = rfv_frame([1, -2, 3], [1, 2, 3], [10.0, 20.0, 30.0])
    with pytest.raises(BadValuesError, match=r"'recency_days' has negative values"):
        suggest_segments(rfv, k=2, **FAST)


def test_missing_column():
    rfv = rfv_frame([1, 2, 3], [1, 2, 3], [10.0, 20.0, 30.0]).drop(columns="monetary")
    with pytest.raises(MissingColumnsError, match="monetary"):
        suggest_segments(rfv, **FAST)


def test_empty_and_all_returners():
    with pytest.raises(EmptyDataError):
        suggest_segments(rfv_frame([], [], []), **FAST)
    with (
        pytest.raises(EmptyDataError, match="net returner"),
        pytest.warns(UserWarning, match="monetary <= 0"),
    ):
        suggest_segments(rfv_frame([1, 2], [1, 1], [-5.0, 0.0]), **FAST)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 0}, "k must be"),
        ({"k": "five"}, "k must be"),
        ({"k": True}, "k must be"),
        ({"k": [1, 2]}, "k must be"),
        ({"k_range": []}, "k must be"),
        ({"scaler": "minmax"}, "scaler must be one of"),
        ({"features": ("monetary", "monetary")}, "features must be distinct"),
        ({"sample_size": 0}, "sample_size must be"),
        ({"n_bootstrap": -1}, "n_bootstrap must be"),
        ({"random_state": -3}, "random_state must be"),
    ],
)
def test_bad_parameters(kwargs, match):
    rfv = rfv_frame([1, 2, 3], [1, 2, 3], [10.0, 20.0, 30.0])
    with pytest.raises(BadParameterError, match=match):
        suggest_segments(rfv, **kwargs)


@settings(max_examples=25, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 900), st.integers(1, 40), st.floats(0.01, 1e5)),
        min_size=1,
        max_size=40,
    )
)
def test_invariants_on_random_tables(data):
    r, f, m = zip(*data, strict=True)
    rfv = rfv_frame(r, f, m)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="suggest_segments: only")
        sug = suggest_segments(rfv, k_range=range(2, 5), n_bootstrap=2)
    labels = sug.labels["cluster"]
    assert labels.index.equals(rfv.index)
    assert set(labels) == set(range(sug.k))
    assert sug.profiles["median_monetary"].is_monotonic_decreasing
    assert sug.profiles["name"].is_unique
    assert sug.profiles["customers"].sum() == len(rfv)
    assert (sug.labels.groupby("cluster")["cluster_name"].nunique() == 1).all()


def test_suggestions_compare_with_their_own_labels(groups):
    _, truth, sug = groups
    rule = pd.Series(np.array(["G0", "G1", "G2", "G3"])[truth], index=sug.labels.index)
    cmp = compare_segments(rule, sug.labels)
    assert cmp.adjusted_rand == 1.0
    assert set(cmp.crosstab.columns) == {name for _, name in GROUPS}
