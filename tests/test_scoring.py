"""Tests for rfvkit.scoring: known answers (by hand and from R rfm 0.3.0), properties."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit import scoring
from rfvkit.errors import BadParameterError, BadValuesError, EmptyDataError, MissingColumnsError
from rfvkit.rfv import rfv_table
from rfvkit.scoring import score, scoring_diagnostic


def table(recency=None, frequency=None, monetary=None, n=None) -> pd.DataFrame:
    """An RFV table; metrics not given are 1..n (all distinct)."""
    n = n or len(next(x for x in (recency, frequency, monetary) if x is not None))
    ramp = list(range(1, n + 1))
    return pd.DataFrame(
        {
            "recency_days": ramp if recency is None else recency,
            "frequency": ramp if frequency is None else frequency,
            "monetary": [float(x) for x in (ramp if monetary is None else monetary)],
        },
        index=pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id"),
    )


def quiet_score(rfv, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return score(rfv, **kwargs)


def sizes(scores: np.ndarray, bins: int) -> list[int]:
    return np.bincount(np.asarray(scores), minlength=bins + 1)[1:].tolist()


def midrank_scores(x: np.ndarray, bins: int) -> np.ndarray:
    """The textbook rule the rank method is compared with."""
    rank = pd.Series(x).rank(method="average").to_numpy()
    return np.floor(bins * (rank - 0.5) / len(x)).astype(int) + 1


def squares(counts: list[int]) -> int:
    return sum(c * c for c in counts)


# ---------------------------------------------------------------- R rfm 0.3.0
R_RFM = {  # customer: recency_days, orders, amount, R, F, M (rfm_table_order, 2006-12-31)
    "Abbey O'Reilly": (205, 6, 472, 3, 4, 3),
    "Add Senger": (140, 3, 340, 4, 1, 2),
    "Aden Lesch": (194, 4, 405, 3, 2, 3),
    "Aden Murphy": (98, 7, 596, 5, 4, 4),
    "Admiral Senger": (132, 5, 448, 4, 3, 3),
    "Agness O'Keefe": (90, 9, 843, 5, 5, 5),
    "Aileen Barton": (84, 9, 763, 5, 5, 5),
    "Ailene Hermann": (281, 8, 699, 3, 5, 5),
    "Aiyanna Bruen": (246, 4, 157, 3, 2, 1),
    "Akeelah Walsh": (160, 7, 779, 4, 4, 5),
}


@pytest.fixture(scope="module")
def rfm_orders(test_data) -> pd.DataFrame:
    tx = pd.read_csv(test_data / "rfm_data_orders.csv", parse_dates=["order_date"])
    return rfv_table(tx.rename(columns={"revenue": "amount"}), as_of="2006-12-31")


def test_r_rfm_reproduces_rfm_table_order(rfm_orders):
    scored = score(rfm_orders, method="r_rfm")
    assert len(scored) == 995
    assert scored["frequency"].sum() == 4906
    got = scored.loc[list(R_RFM)]
    columns = ["recency_days", "frequency", "monetary", "r_score", "f_score", "v_score"]
    expected = pd.DataFrame(R_RFM.values(), index=got.index, columns=columns)
    pd.testing.assert_frame_equal(got[columns], expected, check_dtype=False)
    assert got.loc["Abbey O'Reilly", "rfv_code"] == "343"
    # rfm's own example thresholds: the type-7 quantiles plus 1
    cuts = scored.attrs["scoring"]["cuts"]
    assert cuts["frequency"] == [4.0, 5.0, 6.0, 8.0]
    assert cuts["recency_days"] == pytest.approx([115, 181, 297.4, 482])
    assert cuts["monetary"] == pytest.approx([255.8, 382, 506.4, 666])


def test_r_rfm_bins_are_half_open_from_min_to_max_plus_one():
    # frequency 1..10: quantiles at .2 .. .8 are 2.8, 4.6, 6.4, 8.2 -> cuts 3.8, 5.6, 7.4, 9.2
    scored = score(table(n=10), method="r_rfm")
    assert scored["f_score"].tolist() == [1, 1, 1, 2, 2, 3, 3, 4, 4, 5]
    assert scored["r_score"].tolist() == [5, 5, 5, 4, 4, 3, 3, 2, 2, 1]


def test_r_rfm_warns_about_empty_scores():
    # quantiles of 1 x8, 2, 3 at .2 .. .8 are 1, 1, 1, 1.2 -> cuts 2, 2, 2, 2.2
    with pytest.warns(UserWarning, match=r"frequency: .*score\(s\) 2, 3 empty"):
        scored = score(table(frequency=[1] * 8 + [2, 3]), method="r_rfm")
    assert scored["f_score"].tolist() == [1] * 8 + [4, 5]


# ---------------------------------------------------------------- rank: by hand
def test_rank_without_ties_gives_equal_bins():
    scored = score(table(n=10))
    assert scored["v_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scored["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]  # fewer days is better


def test_rank_spreads_the_remainder_symmetrically():
    # 10 customers in 3 bins: sizes 3, 4, 3 (not 4, 3, 3 nor 3, 3, 4)
    assert sizes(score(table(n=10), bins=3)["v_score"], 3) == [3, 4, 3]


def test_ties_share_a_score_and_the_rest_is_balanced():
    # 60% of customers bought once; 40 customers with 2..41 orders.
    frequency = [1] * 60 + list(range(2, 42))
    with pytest.warns(UserWarning, match=r"frequency: .*60% of customers share the value 1"):
        scored = score(table(frequency=frequency))
    f = scored["f_score"].to_numpy()
    assert set(f[:60]) == {1}
    assert sizes(f, 5) == [60, 10, 10, 10, 10]
    # the mid-rank rule leaves scores 1 and 3 empty: 0, 60, 0, 20, 20
    mid = midrank_scores(np.array(frequency, dtype=float), 5)
    assert sizes(mid, 5) == [0, 60, 0, 20, 20]
    assert squares(sizes(f, 5)) < squares(sizes(mid, 5))


def test_few_distinct_values_leave_scores_empty_with_a_warning():
    # 6 x 1, 2 x 2, 1 x 3, 1 x 4 and 5 scores: one score must stay empty. Cuts after
    # 0, 6, 8, 9 customers sit closest to the ideal 2, 4, 6, 8 -> scores 2, 3, 4, 5.
    frequency = [1] * 6 + [2, 2, 3, 4]
    with pytest.warns(UserWarning, match=r"only 4 distinct value\(s\).*score\(s\) 1 empty"):
        scored = score(table(frequency=frequency))
    assert scored["f_score"].tolist() == [2] * 6 + [3, 3, 4, 5]
    diag = scoring_diagnostic(scored)
    f = diag[diag["metric"] == "frequency"]
    assert f["empty"].tolist() == [True, False, False, False, False]
    assert f["largest_tie_share"].iloc[0] == 0.6


def test_a_single_customer_gets_the_middle_score():
    with pytest.warns(UserWarning, match="empty"):
        scored = score(table(n=1))
    assert scored[["r_score", "f_score", "v_score"]].iloc[0].tolist() == [3, 3, 3]


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(1, 12), min_size=1, max_size=7),
    bins=st.integers(2, 5),
)
def test_best_cuts_match_brute_force(counts, bins):
    """The dynamic programme finds the least sum of squared bin sizes (and tie-break)."""
    ends = np.cumsum(counts)
    positions = np.concatenate([[0], ends])
    n = int(ends[-1])

    def cost(cuts):
        edges = [0, *cuts, n]
        size = np.diff(edges)
        return int(size @ size), sum(abs(bins * c - j * n) for j, c in enumerate(cuts, 1))

    best = min(
        (cost(c), c) for c in itertools.combinations_with_replacement(positions.tolist(), bins - 1)
    )
    got = scoring._best_cuts(positions, n, bins)
    assert cost(got.tolist()) == best[0]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(0, 30), min_size=1, max_size=120),
    bins=st.integers(2, 10),
    limit=st.sampled_from([4, 16, scoring.EXACT_LIMIT]),
)
def test_rank_is_never_less_balanced_than_mid_rank(values, bins, limit):
    x = np.array(values, dtype=float)
    original = scoring.EXACT_LIMIT
    scoring.EXACT_LIMIT = limit  # small limits force the grid + refinement path
    try:
        ours = scoring._rank_scores(x, bins)
    finally:
        scoring.EXACT_LIMIT = original
    assert squares(sizes(ours, bins)) <= squares(sizes(midrank_scores(x, bins), bins))


def test_many_distinct_values_stay_balanced():
    rng = np.random.default_rng(0)
    x = np.round(rng.lognormal(4, 1, 20_000), 0)  # ~1,000 distinct values, some ties
    assert np.unique(x).size > scoring.EXACT_LIMIT
    got = sizes(scoring._rank_scores(x, 5), 5)
    largest_tie = np.unique(x, return_counts=True)[1].max()
    assert max(got) - min(got) <= largest_tie


# ---------------------------------------------------------------- thresholds
RULES = {"recency_days": [30, 90], "frequency": [2, 4], "monetary": [50.0, 200.0, 500.0]}


def test_thresholds_known_answer():
    rfv = table(
        recency=[5, 30, 89, 90, 400],
        frequency=[1, 2, 3, 4, 9],
        monetary=[10, 50, 199, 500, 2000],
    )
    with pytest.warns(UserWarning, match=r"thresholds\['monetary'\].*score\(s\) 3 empty"):
        scored = score(rfv, method="thresholds", thresholds=RULES)  # nobody in 200..499
    assert scored["r_score"].tolist() == [3, 2, 2, 1, 1]  # an edge goes to the upper bin
    assert scored["f_score"].tolist() == [1, 2, 2, 3, 3]
    assert scored["v_score"].tolist() == [1, 2, 2, 4, 4]
    assert scored.attrs["scoring"]["bins"] == {"recency_days": 3, "frequency": 3, "monetary": 4}
    assert "bins" not in scored.attrs  # the metrics do not share one number of scores


def test_thresholds_outside_the_data_range_warn():
    rules = {**RULES, "frequency": [2, 5000]}
    with pytest.warns(UserWarning, match=r"thresholds\['frequency'\].*5000.*outside") as record:
        score(table(n=600), method="thresholds", thresholds=rules)
    assert len(record) == 1  # the other metrics' edges lie inside 1..600
    assert "score(s) 3 empty" in str(record[0].message)


def test_thresholds_with_an_empty_score_inside_the_range_warn():
    rfv = table(frequency=[1, 1, 5, 6])
    rules = {**RULES, "recency_days": [2], "monetary": [2.0], "frequency": [2, 4]}
    with pytest.warns(
        UserWarning, match=r"no customer lies between some edges.*score\(s\) 2 empty"
    ):
        scored = score(rfv, method="thresholds", thresholds=rules)
    assert scored["f_score"].tolist() == [1, 1, 3, 3]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({**RULES, "frequency": [4, 2]}, r"thresholds\['frequency'\].*strictly increasing"),
        ({**RULES, "monetary": ["a", "b"]}, r"thresholds\['monetary'\] must be numbers"),
        ({**RULES, "monetary": []}, r"thresholds\['monetary'\] must be a list of 1 to 9"),
        ({**RULES, "monetary": [1.0, float("nan")]}, r"thresholds\['monetary'\].*finite"),
        ({"recency_days": [30], "frequency": [2]}, "no edges for 'monetary'"),
        ({**RULES, "monetry": [1]}, "unknown metric 'monetry'.*Did you mean 'monetary'"),
        ([1, 2, 3], "needs thresholds="),
    ],
)
def test_bad_thresholds(rules, message):
    with pytest.raises(BadParameterError, match=message):
        score(table(n=10), method="thresholds", thresholds=rules)


def test_thresholds_need_the_thresholds_method():
    with pytest.raises(BadParameterError, match="only used with method='thresholds'"):
        score(table(n=10), thresholds=RULES)
    with pytest.raises(BadParameterError, match="needs thresholds="):
        score(table(n=10), method="thresholds")


# ---------------------------------------------------------------- output
def test_output_columns_dtypes_and_copy():
    rfv = table(n=8)
    rfv.attrs["as_of"] = pd.Timestamp("2024-01-01")
    before = rfv.copy()
    scored = score(rfv, bins=4)
    pd.testing.assert_frame_equal(rfv, before)  # the caller's table is untouched
    assert "r_score" not in rfv.columns
    assert list(scored.columns) == [
        *rfv.columns,
        "r_score",
        "f_score",
        "v_score",
        "rfv_code",
        "rfv_score",
    ]
    assert scored[["r_score", "f_score", "v_score", "rfv_score"]].dtypes.eq("int64").all()
    assert scored["rfv_code"].dtype == "str"
    assert scored["rfv_code"].iloc[0] == "411"  # most recent, fewest orders, least value
    assert (scored["rfv_score"] == scored[["r_score", "f_score", "v_score"]].sum(axis=1)).all()
    assert scored.attrs["as_of"] == pd.Timestamp("2024-01-01")
    assert scored.attrs["scoring"]["method"] == "rank"
    assert scored.attrs["bins"] == 4
    rescored = score(scored, bins=2)  # scoring a scored table replaces the scores
    assert rescored.columns.tolist() == scored.columns.tolist()


def test_ten_bins_join_the_code_with_dashes():
    scored = score(table(n=20), bins=10)
    assert scored["rfv_code"].iloc[0] == "10-1-1"
    assert scored["rfv_code"].iloc[-1] == "1-10-10"


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("bins", [1, 11, 2.5, True, "5", None])
def test_bad_bins(bins):
    with pytest.raises(BadParameterError, match="bins="):
        score(table(n=10), bins=bins)


def test_numpy_integer_bins_are_fine():
    assert score(table(n=10), bins=np.int64(2))["v_score"].max() == 2


def test_unknown_method_suggests_the_closest():
    with pytest.raises(BadParameterError, match="Did you mean 'rank'"):
        score(table(n=10), method="rnak")


def test_missing_columns():
    with pytest.raises(MissingColumnsError, match=r"'monetary'.*rfv_table"):
        score(table(n=5).drop(columns="monetary"))


def test_missing_values_name_the_customers():
    rfv = table(n=5)
    rfv.loc["c003", "monetary"] = np.nan
    with pytest.raises(BadValuesError, match=r"'monetary' is missing or infinite.*'c003'"):
        score(rfv)


def test_text_metric():
    with pytest.raises(BadValuesError, match="'frequency' must be numeric"):
        score(table(n=3).assign(frequency=["1", "2", "3"]))


def test_empty_and_not_a_frame():
    with pytest.raises(EmptyDataError):
        score(table(n=3).iloc[0:0])
    with pytest.raises(BadParameterError, match="pandas RFV table"):
        score({"recency_days": [1]})


# ---------------------------------------------------------------- diagnostic
def test_diagnostic_counts_every_customer_once():
    scored = quiet_score(table(frequency=[1] * 6 + [2, 2, 3, 4]))
    diag = scoring_diagnostic(scored)
    assert list(diag.columns) == [
        "metric", "score", "customers", "share", "min", "max", "empty",
        "largest_tie_value", "largest_tie_share",
    ]  # fmt: skip
    assert diag.groupby("metric")["customers"].sum().eq(10).all()
    assert len(diag) == 15
    v = diag[diag["metric"] == "monetary"]
    assert v["min"].tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]
    assert v["max"].tolist() == [2.0, 4.0, 6.0, 8.0, 10.0]


def test_diagnostic_bins_argument_and_errors():
    scored = score(table(n=10), bins=3)
    assert len(scoring_diagnostic(scored)) == 9  # bins read from attrs
    assert len(scoring_diagnostic(scored, bins=4)) == 12  # score 4 listed, empty
    with pytest.raises(MissingColumnsError, match="r_score"):
        scoring_diagnostic(table(n=10))
    with pytest.raises(BadParameterError):
        scoring_diagnostic(scored, bins=0)


# ---------------------------------------------------------------- properties
metric_values = st.lists(
    st.tuples(st.integers(0, 400), st.integers(1, 12), st.integers(-50, 500)),
    min_size=1,
    max_size=60,
)


def from_rows(rows) -> pd.DataFrame:
    return table(
        recency=[r[0] for r in rows],
        frequency=[r[1] for r in rows],
        monetary=[r[2] / 4 for r in rows],
    )


@settings(max_examples=60, deadline=None)
@given(rows=metric_values, bins=st.integers(2, 10), method=st.sampled_from(["rank", "r_rfm"]))
def test_score_properties(rows, bins, method):
    rfv = from_rows(rows)
    scored = quiet_score(rfv, bins=bins, method=method)
    assert scored.index.equals(rfv.index)  # every customer once, in the same order
    for metric, column in scoring.SCORE_COLUMNS.items():
        s = scored[column].to_numpy()
        x = rfv[metric].to_numpy()
        assert s.min() >= 1 and s.max() <= bins
        better = x[:, None] < x[None, :]  # i has strictly less of the metric than j
        if metric == "recency_days":  # fewer days is better
            assert (s[:, None] >= s[None, :])[better].all()
        else:
            assert (s[:, None] <= s[None, :])[better].all()
        same = x[:, None] == x[None, :]
        assert (s[:, None] == s[None, :])[same].all()  # ties always share a score


@settings(max_examples=40, deadline=None)
@given(
    rows=metric_values,
    bins=st.integers(2, 10),
    method=st.sampled_from(["rank", "r_rfm"]),
    shuffle=st.randoms(use_true_random=False),
)
def test_row_order_never_changes_scores(rows, bins, method, shuffle):
    rfv = from_rows(rows)
    order = list(range(len(rfv)))
    shuffle.shuffle(order)
    a = quiet_score(rfv, bins=bins, method=method)
    b = quiet_score(rfv.iloc[order], bins=bins, method=method)
    pd.testing.assert_frame_equal(a, b.loc[a.index])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), bins=st.integers(2, 10))
def test_rank_bins_are_balanced_when_values_are_distinct(n, bins):
    scored = quiet_score(table(n=n), bins=bins)
    got = sizes(scored["v_score"], bins)
    assert sum(got) == n
    assert max(got) - min(got) <= 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-50, 3000), min_size=1, max_size=300),
    st.sampled_from([1.0, -1.0, 0.5]),
)
def test_value_groups_are_numpys_unique(values, scale):
    """The bincount shortcut for whole numbers gives np.unique's inverse and counts."""
    x = np.asarray(values, dtype="float64") * scale  # 0.5: halves, which take np.unique
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    got_inverse, got_counts = scoring._value_groups(x)
    np.testing.assert_array_equal(got_inverse, inverse.reshape(-1))
    np.testing.assert_array_equal(got_counts, counts)


def test_rfv_codes_are_the_scores_as_text():
    """rfv_code is looked up from a table of texts: '545' for scores 5, 4, 5."""
    rfv = pd.DataFrame(
        {"recency_days": [1, 400, 30], "frequency": [9, 1, 3], "monetary": [900.0, 5.0, 60.0]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    scored = score(rfv, bins=3)
    assert scored["rfv_code"].tolist() == ["333", "111", "222"]
    assert scored["rfv_code"].dtype == pd.Series(["x"]).astype("str").dtype


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(-50, 3_000), st.integers(0, 40), st.integers(-(2**40), 2**40)),
        min_size=1,
        max_size=60,
    ),
    bins=st.integers(2, 6),
    width=st.sampled_from(["int64", "int32"]),
)
def test_whole_number_columns_score_as_their_float_copies(rows, bins, width):
    """Integer columns are scored as they are (no float copy): every method gives the
    same scores, codes and cuts as on the same values as float64. Days and orders are
    whole numbers; a monetary column of whole amounts takes the same path."""
    ints = pd.DataFrame(rows, columns=["recency_days", "frequency", "monetary"])
    ints = ints.astype({"recency_days": width, "frequency": width})
    floats = ints.astype("float64")
    edges = {"recency_days": [30, 365], "frequency": [2, 5], "monetary": [0, 1000]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unbalanced scores on a few rows
        for kwargs in ({"method": "rank"}, {"method": "r_rfm"}, {"thresholds": edges}):
            method = kwargs.get("method", "thresholds")
            args = {"bins": bins} if method != "thresholds" else {"method": method, **kwargs}
            if method != "thresholds":
                args["method"] = method
            got, want = score(ints, **args), score(floats, **args)
            columns = ["r_score", "f_score", "v_score", "rfv_code", "rfv_score"]
            pd.testing.assert_frame_equal(got[columns], want[columns])
            assert got.attrs["scoring"] == want.attrs["scoring"]


def test_the_smallest_integer_cannot_be_negated_and_is_scored_as_a_float():
    low = np.iinfo(np.int64).min
    rfv = pd.DataFrame(
        {"recency_days": [low, 0, 5, 9], "frequency": [1, 2, 3, 4], "monetary": [1.0] * 4}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = score(rfv, bins=2)
        want = score(rfv.astype({"recency_days": "float64"}), bins=2)
    assert got["r_score"].tolist() == want["r_score"].tolist() == [2, 2, 1, 1]
