"""Tests for rfvkit.plots: figure structure, known answers on tiny frames, edge data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from conftest import rfv_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.errors import BadParameterError, BadValuesError, MissingColumnsError
from rfvkit.plots import (
    cluster_scatter,
    cluster_snake,
    crosstab_heatmap,
    k_selection,
    metric_by_dimension,
    metric_histogram,
    rf_heatmap,
    rfv_distributions,
    score_distributions,
    segment_bars,
    segment_treemap,
)

RFV_COLUMNS = ["recency_days", "frequency", "monetary", "avg_order_value"]


def make_rfv(recency, frequency, monetary, ids=None) -> pd.DataFrame:
    """RFV table built by hand following the column contract (tenure = recency + 30)."""
    recency = np.asarray(recency, dtype="int64")
    return rfv_frame(
        recency,
        np.asarray(frequency, dtype="int64"),
        monetary,
        ids=ids or [f"c{i}" for i in range(len(recency))],
        tenure_days=recency + 30,
        as_of="2024-01-31",
    )


def add_scores(rfv, r, f, v) -> pd.DataFrame:
    scored = rfv.assign(r_score=r, f_score=f, v_score=v)
    for column in ("r_score", "f_score", "v_score"):
        scored[column] = scored[column].astype("int64")
    scored["rfv_code"] = (
        scored["r_score"].astype(str)
        + scored["f_score"].astype(str)
        + scored["v_score"].astype(str)
    )
    scored["rfv_score"] = scored["r_score"] + scored["f_score"] + scored["v_score"]
    return scored


@pytest.fixture
def rfv() -> pd.DataFrame:
    return make_rfv(
        recency=[1, 10, 30, 100, 400, 5],
        frequency=[10, 5, 2, 1, 1, 3],
        monetary=[500.0, 200.0, 40.0, 0.0, -15.0, 90.0],
    )


@pytest.fixture
def scored() -> pd.DataFrame:
    rfv = make_rfv([1, 2, 300, 40], [4, 6, 1, 2], [100.0, 300.0, 10.0, 50.0])
    return add_scores(rfv, r=[5, 5, 1, 3], f=[5, 5, 1, 2], v=[4, 5, 1, 3])


@pytest.fixture
def summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["Champions", "At risk", "Empty"],
            "customers": [2, 6, 0],
            "share": [0.25, 0.75, 0.0],
            "revenue": [800.0, 200.0, 0.0],
            "revenue_share": [0.8, 0.2, 0.0],
            "description": ["Buy often, spend most.", "Used to buy, not lately.", "Nobody."],
            "action": ["Reward them.", "Win them back.", "None."],
        }
    )


@pytest.fixture
def k_scores() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "inertia": [90.0, 40.0, 30.0, 27.0],
            "silhouette": [0.41, 0.52, 0.48, 0.40],
            "calinski_harabasz": [100.0, 140.0, 130.0, 120.0],
            "davies_bouldin": [1.0, 0.8, 0.9, 1.1],
            "stability": [0.9, 0.95, 0.7, 0.6],
        },
        index=pd.Index([2, 3, 4, 5], name="k"),
    )


@pytest.fixture
def crosstab() -> pd.DataFrame:
    return pd.DataFrame(
        {"Best": [3, 1, 0], "Lapsed": [1, 4, 0]},
        index=pd.Index(["Champions", "Lost", "Empty"], name="segment"),
    ).rename_axis(columns="cluster_name")


def median_shapes(fig: go.Figure) -> list:
    return [s for s in fig.layout.shapes if s.name and s.name.startswith("median")]


# ----------------------------------------------------------------------------- histograms
def test_metric_histogram_structure_and_median(rfv):
    fig = metric_histogram(rfv, "monetary", currency="£")
    assert isinstance(fig, go.Figure)
    assert [type(t) for t in fig.data] == [go.Bar]
    assert fig.layout.template == pio.templates["plotly_white"]
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.title.text == "Monetary value (£, net of returns)"
    assert fig.layout.yaxis.title.text == "Customers"
    # 0.0 and -15.0 cannot sit on a log axis: 4 customers shown, 2 counted as left out
    assert sum(fig.data[0].y) == 4
    assert "2 customers with value <= 0 left out" in fig.layout.title.text
    (shape,) = median_shapes(fig)
    assert shape.x0 == shape.x1 == pytest.approx(np.median([500.0, 200.0, 40.0, 90.0]))  # 145
    assert fig.layout.annotations[0].text == "median £145.00"
    assert fig.layout.annotations[0].x == pytest.approx(math.log10(145.0))


def test_metric_histogram_log_bins_are_log_spaced(rfv):
    fig = metric_histogram(rfv, "monetary", bins=5)
    x, width = np.asarray(fig.data[0].x), np.asarray(fig.data[0].width)
    left, right = x - width / 2, x + width / 2
    assert left[0] == pytest.approx(40.0) and right[-1] == pytest.approx(500.0)
    assert np.allclose(right / left, (500.0 / 40.0) ** (1 / 5))  # equal ratio = log spacing
    assert list(fig.data[0].y) == [1, 1, 0, 1, 1]  # 40 | 90 | - | 200 | 500


def test_metric_histogram_linear_keeps_all_values(rfv):
    fig = metric_histogram(rfv, "monetary", log=False)
    assert fig.layout.xaxis.type == "linear"
    assert sum(fig.data[0].y) == len(rfv)
    assert median_shapes(fig)[0].x0 == pytest.approx(np.median(rfv["monetary"]))
    assert "<sup>" not in fig.layout.title.text


def test_metric_histogram_whole_number_bins_centred_on_values():
    rfv = make_rfv([1, 2, 3, 4], [1, 1, 2, 5], [10.0, 10.0, 20.0, 50.0])
    fig = metric_histogram(rfv, "frequency", log=False, bins=10)
    assert list(fig.data[0].x) == [1, 2, 3, 4, 5]
    assert list(fig.data[0].y) == [2, 1, 0, 0, 1]  # empty bins present as zero bars
    assert median_shapes(fig)[0].x0 == 1.5
    assert fig.layout.xaxis.title.text == "Frequency (orders)"


def test_metric_histogram_all_zero_monetary_falls_back_to_linear():
    rfv = make_rfv([1, 2, 3], [1, 1, 1], [0.0, 0.0, 0.0])
    fig = metric_histogram(rfv, "monetary")
    assert fig.layout.xaxis.type == "linear"
    assert "linear scale" in fig.layout.title.text
    assert sum(fig.data[0].y) == 3
    assert median_shapes(fig)[0].x0 == 0.0


def test_metric_histogram_rejects_bad_input(rfv):
    with pytest.raises(MissingColumnsError, match="monetry"):
        metric_histogram(rfv, "monetry")
    with pytest.raises(BadValuesError, match="numeric"):
        metric_histogram(rfv.assign(monetary="x"), "monetary")
    with pytest.raises(BadParameterError, match="bins"):
        metric_histogram(rfv, "monetary", bins=0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e4, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_metric_histogram_counts_every_shown_customer(values):
    rfv = pd.DataFrame({"monetary": values})
    fig = metric_histogram(rfv, "monetary")
    arr = np.asarray(values)
    shown = arr[arr > 0] if (arr > 0).any() else arr
    assert sum(fig.data[0].y) == shown.size
    assert median_shapes(fig)[0].x0 == pytest.approx(np.median(shown))


def test_rfv_distributions_three_panels_with_medians(rfv):
    fig = rfv_distributions(rfv, currency="€")
    assert [type(t) for t in fig.data] == [go.Bar] * 3
    shapes = median_shapes(fig)
    assert [s.xref for s in shapes] == ["x", "x2", "x3"]
    assert shapes[0].x0 == pytest.approx(np.median([1, 10, 30, 100, 400, 5]))
    assert shapes[1].x0 == pytest.approx(np.median([10, 5, 2, 1, 1, 3]))
    assert shapes[2].x0 == pytest.approx(145.0)
    assert fig.layout.xaxis.title.text == "Recency (days since last purchase)"
    assert fig.layout.xaxis2.title.text == "Frequency (orders)"
    assert fig.layout.xaxis3.title.text == "Monetary value (€, net of returns)"
    assert all(fig.layout[f"xaxis{s}"].type == "log" for s in ("", "2", "3"))
    notes = [a.text for a in fig.layout.annotations if "left out" in a.text]
    assert len(notes) == 1 and "2 customers" in notes[0]


# ----------------------------------------------------------------------------- by dimension
@pytest.fixture
def with_country(rfv) -> pd.DataFrame:
    return rfv.assign(country=["GB", "GB", "FR", "GB", "DE", None])


def test_metric_by_dimension_folds_small_categories(with_country):
    frame = with_country.assign(monetary=[5.0, 7.0, 9.0, 11.0, 13.0, 15.0])
    fig = metric_by_dimension(frame, "monetary", "country", top=1)
    assert [type(t) for t in fig.data] == [go.Box]
    assert list(fig.layout.xaxis.categoryarray) == ["GB", "Other (3 categories)"]
    assert (
        list(fig.data[0].x)
        == ["GB"] * 2 + ["Other (3 categories)"] + ["GB"] + ["Other (3 categories)"] * 2
    )
    assert "3 smaller categories folded into 'Other'" in fig.layout.xaxis.title.text
    assert fig.layout.xaxis.ticktext[0] == "GB<br>n=3, median $7.00"
    assert fig.layout.yaxis.type == "log"


def test_metric_by_dimension_without_fold_and_missing(with_country):
    fig = metric_by_dimension(with_country, "recency_days", "country", log=False)
    assert list(fig.layout.xaxis.categoryarray) == ["GB", "(missing)", "DE", "FR"]
    assert "folded" not in fig.layout.xaxis.title.text
    assert fig.layout.yaxis.title.text == "Recency (days since last purchase)"


def test_metric_by_dimension_violin_and_log_note(with_country):
    fig = metric_by_dimension(with_country, "monetary", "country", kind="violin")
    assert [type(t) for t in fig.data] == [go.Violin]
    assert "2 customers with value <= 0 left out" in fig.layout.title.text
    assert np.allclose(fig.data[0].y, np.log10([500.0, 200.0, 40.0, 90.0]))
    with pytest.raises(BadParameterError, match="kind"):
        metric_by_dimension(with_country, "monetary", "country", kind="bar")
    with pytest.raises(MissingColumnsError, match="region"):
        metric_by_dimension(with_country, "monetary", "region")


# ----------------------------------------------------------------------------- scores
def test_rf_heatmap_known_means_and_counts(scored):
    fig = rf_heatmap(scored, currency="£")
    (trace,) = fig.data
    assert isinstance(trace, go.Heatmap)
    z = np.asarray(trace.z, dtype=float)
    assert z.shape == (5, 5)
    assert z[4][4] == pytest.approx((100.0 + 300.0) / 2)  # R=5, F=5
    assert z[0][0] == pytest.approx(10.0)  # R=1, F=1
    assert z[1][2] == pytest.approx(50.0)  # R=3, F=2 (row = F - 1, column = R - 1)
    assert np.isnan(z).sum() == 25 - 3
    assert trace.text[4][4] == "2" and trace.text[0][0] == "1" and trace.text[1][2] == "1"
    assert trace.text[2][2] == ""  # empty cell: blank, no "0"
    assert fig.layout.xaxis.title.text == "Recency score (5 = most recent)"
    assert fig.layout.yaxis.title.text == "Frequency score (5 = most orders)"
    assert "(£)" in trace.colorbar.title.text


def test_rf_heatmap_other_aggregates(scored):
    assert rf_heatmap(scored, agg="sum").data[0].z[4][4] == pytest.approx(400.0)
    fig = rf_heatmap(scored, value="frequency", agg="median")
    assert fig.data[0].z[4][4] == pytest.approx(5.0)
    assert rf_heatmap(scored, bins=6).data[0].z.shape == (6, 6)
    with pytest.raises(BadParameterError, match="agg"):
        rf_heatmap(scored, agg="max")
    with pytest.raises(BadValuesError, match="r_score"):
        rf_heatmap(scored.assign(r_score=[0, 1, 2, 3]))
    with pytest.raises(BadValuesError, match="1..3"):
        rf_heatmap(scored, bins=3)


def test_score_distributions_shows_empty_scores_as_zero(scored):
    fig = score_distributions(scored)
    assert [t.name for t in fig.data] == ["Recency (R)", "Frequency (F)", "Value (V)"]
    assert list(fig.data[0].x) == [1, 2, 3, 4, 5]
    assert list(fig.data[0].y) == [1, 0, 1, 0, 2]
    assert list(fig.data[1].y) == [1, 1, 0, 0, 2]
    assert list(fig.data[2].y) == [1, 0, 1, 1, 1]
    assert "R: 2, 4" in fig.layout.title.text
    assert fig.layout.xaxis.title.text == "Score (1 = worst, 5 = best)"
    assert fig.layout.barmode == "group"


# ----------------------------------------------------------------------------- segments
def test_segment_treemap(summary):
    fig = segment_treemap(summary, currency="£")
    (trace,) = fig.data
    assert isinstance(trace, go.Treemap)
    assert list(trace.labels) == ["Champions", "At risk"]
    assert list(trace.values) == [2, 6]
    assert list(trace.marker.colors) == [0.8, 0.2]
    assert trace.customdata[0][1] == "£800.00"
    assert list(trace.customdata[1][3:]) == ["Used to buy, not lately.", "Win them back."]
    assert "%{customdata[4]}" in trace.hovertemplate
    assert "Empty" in fig.layout.title.text  # the empty segment is named, not silently dropped


def test_segment_bars_in_given_order(summary):
    fig = segment_bars(summary)
    assert [type(t) for t in fig.data] == [go.Bar, go.Bar]
    assert all(t.orientation == "h" for t in fig.data)
    assert list(fig.data[0].y) == ["Champions", "At risk", "Empty"]
    assert list(fig.data[0].x) == [0.25, 0.75, 0.0]
    assert list(fig.data[1].x) == [0.8, 0.2, 0.0]
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.tickformat == ".0%"


def test_segment_figures_validate(summary):
    with pytest.raises(MissingColumnsError, match="revenue_share"):
        segment_treemap(summary.drop(columns="revenue_share"))
    with pytest.raises(MissingColumnsError, match="share"):
        segment_bars(summary.drop(columns="share"))
    with pytest.raises(BadValuesError, match="unique"):
        segment_bars(pd.concat([summary, summary]))


# ----------------------------------------------------------------------------- clusters
def test_k_selection_marks_chosen_k(k_scores):
    fig = k_selection(k_scores, 3)
    assert [type(t) for t in fig.data] == [go.Scatter] * 5
    assert list(fig.data[0].x) == [2, 3, 4, 5]
    assert [s.x0 for s in fig.layout.shapes] == [3] * 5
    assert [s.xref for s in fig.layout.shapes] == ["x", "x2", "x3", "x4", "x5"]
    assert "chosen k = 3" in fig.layout.title.text
    assert fig.layout.xaxis5.title.text == "Number of clusters (k)"


def test_k_selection_variants(k_scores):
    fig = k_selection(k_scores[["silhouette"]].reset_index())  # k as a column, no choice
    assert len(fig.data) == 1 and not fig.layout.shapes
    with pytest.raises(BadParameterError, match="chosen_k"):
        k_selection(k_scores, 9)
    with pytest.raises(MissingColumnsError, match="silhouette"):
        k_selection(k_scores.rename(columns=str.upper))
    with pytest.raises(MissingColumnsError, match="gap"):
        k_selection(k_scores, metrics=["inertia", "gap"])


def test_cluster_snake_standardizes_per_customer():
    frame = pd.DataFrame(
        {
            "recency_days": [10, 30, 20, 20],
            "frequency": [4, 4, 1, 3],
            "monetary": [100.0, 100.0, 100.0, 100.0],
            "cluster_name": ["b", "b", "a", "a"],
        }
    )
    fig = cluster_snake(frame, by="cluster_name")
    assert [t.name for t in fig.data] == ["a", "b"]
    # frequency mean 3, sd sqrt(1.5); a: (-2 + 0) / 2 / sd, b: (1 + 1) / 2 / sd
    sd = math.sqrt(1.5)
    assert np.allclose(fig.data[0].y, [0.0, -1 / sd, 0.0])
    assert np.allclose(fig.data[1].y, [0.0, 1 / sd, 0.0])  # constant monetary -> 0, no NaN
    assert list(fig.data[0].x) == ["Recency", "Frequency", "Monetary value"]
    assert "Standardized" in fig.layout.yaxis.title.text


def test_cluster_snake_from_profiles_and_colours_match_scatter():
    profiles = pd.DataFrame(
        {"recency_days": [-1.0, 0.5], "frequency": [1.2, -0.4], "monetary": [0.9, -0.3]},
        index=pd.Index(["Loyal", "Lapsed"], name="cluster_name"),
    )
    fig = cluster_snake(profiles)
    assert [t.name for t in fig.data] == ["Loyal", "Lapsed"]
    assert list(fig.data[0].y) == [-1.0, 1.2, 0.9]
    rfv = make_rfv([1, 2], [1, 2], [1.0, 2.0])
    scatter = cluster_scatter(rfv, pd.Series(["Loyal", "Lapsed"], index=rfv.index))
    colours = {t.name: t.marker.color for t in scatter.data}
    assert {t.name: t.line.color for t in fig.data} == colours
    with pytest.raises(MissingColumnsError, match="monetary"):
        cluster_snake(profiles.drop(columns="monetary"))


@pytest.fixture
def many() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    n = 60
    rfv = make_rfv(rng.integers(1, 300, n), rng.integers(1, 9, n), rng.uniform(1, 500, n))
    labels = pd.DataFrame(
        {
            "cluster": np.arange(n) % 3,
            "cluster_name": np.array(["Best", "Mid", "Low"])[np.arange(n) % 3],
        },
        index=rfv.index,
    )
    return rfv, labels


def test_cluster_scatter_seeded_sample(many):
    rfv, labels = many
    fig = cluster_scatter(rfv, labels, sample=20, random_state=3)
    assert all(isinstance(t, go.Splom) for t in fig.data)
    assert [t.name for t in fig.data] == ["Best", "Low", "Mid"]
    assert sum(len(t.dimensions[0].values) for t in fig.data) == 20
    assert "random sample of 20 of 60 customers (seed 3)" in fig.layout.title.text
    assert fig.layout.xaxis.type == "log"
    assert [d.label for d in fig.data[0].dimensions][2] == "Monetary value ($, net of returns)"
    again = cluster_scatter(rfv, labels, sample=20, random_state=3)
    assert fig.to_plotly_json() == again.to_plotly_json()
    other = cluster_scatter(rfv, labels, sample=20, random_state=4)
    assert [list(t.text) for t in other.data] != [list(t.text) for t in fig.data]


def test_cluster_scatter_left_out_and_errors(many):
    rfv, labels = many
    rfv = rfv.assign(monetary=np.r_[[-5.0, 0.0], rfv["monetary"].to_numpy()[2:]])
    fig = cluster_scatter(rfv, labels["cluster_name"].iloc[1:], sample=100)
    assert "all 58 customers" in fig.layout.title.text
    assert "1 customer without a cluster left out" in fig.layout.title.text
    assert "1 customer with a value <= 0 left out" in fig.layout.title.text
    assert (
        "all 60 customers" in cluster_scatter(rfv, labels, log=False, sample=100).layout.title.text
    )
    with pytest.raises(BadValuesError, match="share no customer_id"):
        cluster_scatter(rfv, labels.set_axis([f"x{i}" for i in range(len(labels))]))
    with pytest.raises(MissingColumnsError, match="cluster_name"):
        cluster_scatter(rfv, labels[["cluster"]])
    with pytest.raises(BadParameterError, match="sample"):
        cluster_scatter(rfv, labels, sample=0)


def test_crosstab_heatmap_row_shares_and_counts(crosstab):
    fig = crosstab_heatmap(crosstab)
    (trace,) = fig.data
    z = np.asarray(trace.z, dtype=float)
    assert np.allclose(z[:2], [[0.75, 0.25], [0.2, 0.8]])
    assert np.isnan(z[2]).all()  # a segment with no customers: blank row, no division error
    assert trace.text[0][0] == "3<br>75%" and trace.text[2][1] == "0"
    assert list(trace.y) == ["Champions", "Lost", "Empty"]
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "cluster_name"
    assert fig.layout.yaxis.title.text == "segment"


def test_crosstab_heatmap_other_normalizations(crosstab):
    assert np.allclose(crosstab_heatmap(crosstab, normalize="columns").data[0].z[0], [0.75, 0.2])
    assert crosstab_heatmap(crosstab, normalize="all").data[0].z[1][1] == pytest.approx(4 / 9)
    raw = crosstab_heatmap(crosstab, normalize=None).data[0]
    assert raw.z[1][1] == 4 and raw.text[1][1] == "4"
    with pytest.raises(BadParameterError, match="normalize"):
        crosstab_heatmap(crosstab, normalize="rows")
    with pytest.raises(BadValuesError, match=">= 0"):
        crosstab_heatmap(crosstab.assign(Best=[-1, 0, 0]))


# ----------------------------------------------------------------------------- edge data
def every_figure(rfv: pd.DataFrame, scored: pd.DataFrame, summary, k_scores, crosstab):
    labels = pd.Series(["A"] * len(rfv), index=rfv.index, name="cluster_name")
    return [
        metric_histogram(rfv, "monetary"),
        metric_histogram(rfv, "recency_days", log=False),
        rfv_distributions(rfv),
        metric_by_dimension(rfv.assign(country="GB"), "monetary", "country", kind="violin"),
        metric_by_dimension(rfv.assign(country="GB"), "frequency", "country"),
        rf_heatmap(scored),
        score_distributions(scored),
        segment_treemap(summary),
        segment_bars(summary),
        k_selection(k_scores, int(k_scores.index[0])),
        cluster_snake(rfv.assign(cluster_name=labels), by="cluster_name"),
        cluster_scatter(rfv, labels),
        crosstab_heatmap(crosstab),
    ]


EDGE_RFV = {
    "single customer": make_rfv([3], [1], [25.0]),
    "all equal": make_rfv([7, 7, 7], [2, 2, 2], [50.0, 50.0, 50.0]),
    "all-zero monetary": make_rfv([1, 5, 9], [1, 1, 1], [0.0, 0.0, 0.0]),
    "no customers": make_rfv([], [], []),
}


@pytest.mark.parametrize("case", list(EDGE_RFV))
def test_edge_data_gives_figures(case):
    rfv = EDGE_RFV[case]
    ones = [1] * len(rfv)
    scored = add_scores(rfv, ones, ones, ones)
    summary = pd.DataFrame(
        {
            "segment": ["Only", "Empty"],
            "customers": [len(rfv), 0],
            "share": [1.0, 0.0],
            "revenue": [rfv["monetary"].sum(), 0.0],
            "revenue_share": [np.nan, np.nan],
        }
    )
    k_scores = pd.DataFrame({"inertia": [0.0], "silhouette": [np.nan]}, index=[2])
    crosstab = pd.DataFrame({"A": [len(rfv), 0]}, index=["Only", "Empty"])
    figures = every_figure(rfv, scored, summary, k_scores, crosstab)
    assert all(isinstance(f, go.Figure) for f in figures)
    for fig in figures:
        fig.to_json()  # serialisable, as a notebook would need


def test_inputs_are_not_mutated(rfv, scored, summary, k_scores, crosstab):
    frames = [rfv, scored, summary, k_scores, crosstab]
    before = [f.copy(deep=True) for f in frames]
    every_figure(rfv, scored, summary, k_scores, crosstab)
    for original, copy in zip(frames, before, strict=True):
        pd.testing.assert_frame_equal(original, copy)


@pytest.mark.parametrize(
    ("call", "missing"),
    [
        (lambda f: rfv_distributions(f.drop(columns="frequency")), "frequency"),
        (lambda f: rf_heatmap(f.drop(columns="f_score")), "f_score"),
        (lambda f: rf_heatmap(f, value="revenue"), "revenue"),
        (lambda f: score_distributions(f.drop(columns="v_score")), "v_score"),
        (lambda f: cluster_scatter(f.drop(columns="recency_days"), f["rfv_code"]), "recency_days"),
        (lambda f: cluster_snake(f, by="cluster_name"), "cluster_name"),
    ],
)
def test_missing_columns_are_named(scored, call, missing):
    with pytest.raises(MissingColumnsError, match=missing) as info:
        call(scored)
    assert missing in info.value.missing
