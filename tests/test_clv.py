"""Prediction chapter: clv_summary, BG/NBD, Gamma-Gamma, CLV, holdout, segment integration.

Known answers from the literature (CDNOW 1/10th sample, 2,357 customers, 39-week calibration
to 1997-09-30, time in weeks):
- BG/NBD: Fader, Hardie & Lee (2005), Marketing Science 24(2), section 5:
  r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4; the spreadsheet
  (brucehardie.com/notes/004) gives E[X(t)] and E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226.
- Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value"
  (brucehardie.com/notes/025): p = 6.25, q = 3.74, gamma = 15.44 on the 946 repeat buyers.
Both are also the known answers of the lifetimes test-suite (test_estimation.py).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rfvkit as rk
from rfvkit.bgnbd import BetaGeo, FitError
from rfvkit.errors import BadParameterError, MissingColumnsError
from rfvkit.gammagamma import GammaGamma
from rfvkit.rules import DEFAULT

DATA = Path(__file__).parent / "data"


def _cdnow() -> pd.DataFrame:
    raw = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_date": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"),
            "amount": raw["amount"],
        }
    )


@pytest.fixture(scope="module")
def cdnow_tx() -> pd.DataFrame:
    return _cdnow()


@pytest.fixture(scope="module")
def cdnow(cdnow_tx) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # holdout lines after 1997-09-30 are left out
        return rk.clv_summary(cdnow_tx, as_of="1997-09-30", period="D", unit="W")


@pytest.fixture(scope="module")
def bg(cdnow) -> BetaGeo:
    return BetaGeo().fit(cdnow)


@pytest.fixture(scope="module")
def gg(cdnow) -> GammaGamma:
    return GammaGamma().fit(cdnow)


def _tx(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    return frame


# ----------------------------------------------------------------------------- summary
def test_summary_matches_lifetimes_fixture():
    # lifetimes tests/test_utils.py, transaction_level_data_with_monetary_value
    tx = _tx(
        [
            [1, "2015-02-01", 2],
            [1, "2015-02-06", 2],
            [2, "2015-01-01", 2],
            [3, "2015-01-01", 3],
            [3, "2015-01-02", 1],
            [3, "2015-01-05", 5],
        ]
    )
    s = rk.clv_summary(tx, as_of="2015-02-07")
    assert s["frequency"].tolist() == [1, 0, 2]
    assert s["recency"].tolist() == [5, 0, 4]
    assert s["T"].tolist() == [6, 37, 37]
    assert s["monetary_value"].tolist() == [2, 0, 3]


@pytest.mark.parametrize(
    ("period", "sums", "first"),
    [  # computed with lifetimes 0.11.3 summary_data_from_transaction_data(freq=period)
        ("D", (9270, 121356, 1211978), [(0, 0, 298), (0, 0, 224), (6, 142, 292), (2, 9, 183)]),
        ("W", (6052, 17363, 173884), [(0, 0, 43), (0, 0, 32), (5, 20, 42), (1, 1, 26)]),
    ],
)
def test_summary_matches_lifetimes_on_its_example_transactions(period, sums, first):
    ex = pd.read_csv(DATA / "lifetimes_example_transactions.csv", parse_dates=["date"])
    tx = pd.DataFrame({"customer_id": ex["id"], "order_date": ex["date"], "amount": 1.0})
    s = rk.clv_summary(tx, as_of="2014-12-31", period=period)
    assert len(s) == 5000
    assert tuple(s[["frequency", "recency", "T"]].sum()) == sums
    rows = s.loc[[0, 1, 2, 4], ["frequency", "recency", "T"]].to_numpy().tolist()
    assert rows == [list(r) for r in first]


def test_summary_reproduces_published_cdnow_summary(cdnow):
    # Hardie's per-customer summary (x, t_x, T, zbar), shipped by lifetimes
    pub = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    assert len(cdnow) == len(pub) == 2357
    assert cdnow["frequency"].tolist() == pub["x"].tolist()
    assert int(cdnow["frequency"].sum()) == 2457
    np.testing.assert_allclose(cdnow["recency"], pub["t_x"], atol=0.006)
    np.testing.assert_allclose(cdnow["T"], pub["T"], atol=0.006)
    np.testing.assert_allclose(cdnow["monetary_value"], pub["zbar"], atol=0.006)
    assert cdnow.attrs["unit_days"] == 7.0


def test_summary_ignores_returns_and_does_not_mutate():
    tx = _tx([["a", "2024-01-01", 10], ["a", "2024-01-03", -10], ["a", "2024-01-05", 4]])
    before = tx.copy()
    s = rk.clv_summary(tx, as_of="2024-01-10")
    assert (s.loc["a", "frequency"], s.loc["a", "monetary_value"]) == (1, 4.0)
    pd.testing.assert_frame_equal(tx, before)


def test_summary_warns_on_lines_after_as_of_and_checks_input():
    tx = _tx([["a", "2024-01-01", 10], ["a", "2024-02-01", 4]])
    with pytest.warns(UserWarning, match="after as_of"):
        s = rk.clv_summary(tx, as_of="2024-01-10")
    assert s.loc["a", "frequency"] == 0
    with pytest.raises(BadParameterError, match="period"):
        rk.clv_summary(tx, period="Q")
    with pytest.raises(BadParameterError, match="unit"):
        rk.clv_summary(tx, period="W", unit="D")
    with pytest.raises(MissingColumnsError, match="amount"):
        rk.clv_summary(tx.drop(columns="amount"))


def test_default_as_of_is_the_day_after_the_last_line():
    tx = _tx([["a", "2024-01-01", 10], ["a", "2024-01-05", 4]])
    assert rk.clv_summary(tx)["T"].iloc[0] == 5


# ----------------------------------------------------------------------------- BG/NBD
def test_bgnbd_reproduces_fader_hardie_lee_2005(bg):
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert bg.params_[name] == pytest.approx(value, rel=0.01), name
    assert bg.log_likelihood_ == pytest.approx(-9582.4, rel=0.01)
    assert bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    assert bg.n_customers_ == 2357
    se = bg.standard_errors_
    assert all(np.isfinite(v) and v > 0 for v in se.values())
    # lifetimes 0.11.3 (autograd Hessian) on the same summary: 0.012557, 0.378224, 0.185734, 0.705414
    lifetimes_se = {"r": 0.012557, "alpha": 0.378224, "a": 0.185734, "b": 0.705414}
    for name, value in lifetimes_se.items():
        assert se[name] == pytest.approx(value, rel=0.01), name
    table = bg.summary_table()
    assert table["parameter"].tolist() == ["r", "alpha", "a", "b"]
    assert (table["lower_95"] < table["estimate"]).all()


def test_bgnbd_closed_forms_match_hardie_spreadsheet(bg):
    times = [0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00]
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    np.testing.assert_allclose(bg.expected_purchases_new(times), expected, atol=0.001)
    one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    assert bg.expected_purchases(one, t=39).iloc[0] == pytest.approx(1.226, abs=0.001)


def test_p_alive_and_expected_purchases_for_customers_without_repeats(bg):
    s = pd.DataFrame(
        {"frequency": [0, 0, 3, 3], "recency": [0.0, 0.0, 30.0, 5.0], "T": [10.0, 38.0, 38.0, 38.0]}
    )
    alive = bg.p_alive(s)
    assert alive.iloc[0] == alive.iloc[1] == 1.0
    assert alive.iloc[3] < alive.iloc[2] < 1.0  # a long silence means likely gone
    e = bg.expected_purchases(s, t=52)
    assert np.isfinite(e).all() and (e > 0).all()
    assert e.iloc[0] > e.iloc[1]  # a new customer is more promising than an old silent one


def test_bgnbd_bad_input_is_a_clear_error():
    few = pd.DataFrame({"frequency": [1] * 5, "recency": [1.0] * 5, "T": [5.0] * 5})
    with pytest.raises(FitError, match="at least 20"):
        BetaGeo().fit(few)
    none = pd.DataFrame({"frequency": [0] * 50, "recency": [0.0] * 50, "T": np.arange(1.0, 51)})
    with pytest.raises(FitError, match="repeat purchase"):
        BetaGeo().fit(none)
    with pytest.raises(BadParameterError, match="not fitted"):
        BetaGeo().p_alive(few)
    bad = few.assign(recency=10.0)
    with pytest.raises(rk.BadValuesError, match="recency > T"):
        BetaGeo().fit(bad)


def test_bgnbd_non_convergence_reports_message_and_start(cdnow):
    with pytest.raises(FitError, match=r"did not converge: .*start r=1"):
        BetaGeo(max_iter=1).fit(cdnow)


# ----------------------------------------------------------------------------- Gamma-Gamma
def test_gamma_gamma_reproduces_fader_hardie_2013(gg):
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert gg.params_[name] == pytest.approx(value, rel=0.01), name
    assert gg.n_customers_ == 946
    assert gg.excluded_["no repeat purchase (frequency 0)"] == 2357 - 946
    # lifetimes 0.11.3 on the same 946 customers: se(p, q, v) = 1.190055, 0.290133, 4.159423
    for name, value in {"p": 1.190055, "q": 0.290133, "v": 4.159423}.items():
        assert gg.standard_errors_[name] == pytest.approx(value, rel=0.01), name
    assert abs(gg.correlation_) < 0.3  # CDNOW passes the independence check (r = 0.11)


def test_gamma_gamma_expected_spend_matches_hardie(gg):
    pub = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv").head(10)
    s = pd.DataFrame({"frequency": pub["x"], "monetary_value": pub["zbar"]})
    expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    np.testing.assert_allclose(gg.expected_spend(s), expected, atol=0.02)
    assert gg.population_mean_ == pytest.approx(35.17, abs=0.01)


def test_gamma_gamma_excludes_non_positive_spend_and_warns_on_correlation():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, 200)
    s = pd.DataFrame({"frequency": x, "monetary_value": rng.gamma(5, 4, 200)})
    s.loc[:2, "monetary_value"] = [0.0, -5.0, np.nan]
    with pytest.warns(UserWarning, match="3 repeat customers"):
        gg = GammaGamma().fit(s)
    assert gg.excluded_["mean repeat spend <= 0 or missing"] == 3
    assert gg.n_customers_ == 197
    tied = s.iloc[3:].assign(monetary_value=lambda d: d["frequency"] * 10.0 + rng.gamma(2, 1, 197))
    with pytest.warns(UserWarning, match="correlated"):
        GammaGamma().fit(tied)
    with pytest.raises(FitError, match="at least 20"):
        GammaGamma().fit(s.head(10))


# ----------------------------------------------------------------------------- CLV
def test_predict_clv_formula(bg, gg, cdnow):
    s = cdnow.head(200)
    flat = rk.predict_clv(bg, gg, s, horizon_days=364, discount_rate=0.0, step_days=364)
    expected = bg.expected_purchases(s, t=52) * gg.expected_spend(s)
    np.testing.assert_allclose(flat, expected, rtol=1e-12)
    monthly = rk.predict_clv(bg, gg, s, horizon_days=364, discount_rate=0.0)
    np.testing.assert_allclose(monthly, flat, rtol=1e-9)  # the steps telescope
    discounted = rk.predict_clv(bg, gg, s, horizon_days=364, discount_rate=0.10)
    assert (discounted < flat).all() and (discounted > flat / 1.1).all()
    longer = rk.predict_clv(bg, gg, s, horizon_days=730, discount_rate=0.10)
    assert (longer > discounted).all()
    with pytest.raises(BadParameterError, match="discount_rate"):
        rk.predict_clv(bg, gg, s, discount_rate=-0.1)


# ----------------------------------------------------------------------------- holdout
def test_calibration_holdout_known_answers():
    tx = _tx(
        [
            ["a", "2024-01-01", 1],
            ["a", "2024-01-05", 2],
            ["a", "2024-02-01", 4],
            ["a", "2024-02-01", 6],
            ["a", "2024-02-03", 2],
            ["b", "2024-01-02", 3],
            ["c", "2024-01-20", 9],
        ]
    )
    cal, hold = rk.calibration_holdout(tx, calibration_end="2024-01-10", as_of="2024-02-09")
    assert cal.index.tolist() == ["a", "b"]  # c first bought in the holdout
    assert cal["frequency"].tolist() == [1, 0]
    assert hold["frequency_holdout"].tolist() == [2, 0]
    assert hold["monetary_value_holdout"].tolist() == [6.0, 0.0]  # (10 + 2) / 2 periods
    assert hold["duration_holdout"].tolist() == [30.0, 30.0]
    with pytest.raises(BadParameterError, match="calibration_end"):
        rk.calibration_holdout(tx, calibration_end="2024-03-01", as_of="2024-02-09")


def test_cdnow_holdout_prediction_tracks_actuals(bg, cdnow_tx):
    # FHL (2005) Figures 2 and 4: close in the 39-week holdout, somewhat below the actuals
    cal, hold = rk.calibration_holdout(
        cdnow_tx, calibration_end="1997-09-30", as_of="1998-06-30", period="D", unit="W"
    )
    assert hold["duration_holdout"].iloc[0] == pytest.approx(39.0, abs=0.2)
    predicted = bg.expected_purchases(cal, t=float(hold["duration_holdout"].iloc[0]))
    assert predicted.sum() == pytest.approx(hold["frequency_holdout"].sum(), rel=0.15)
    by_x = hold["frequency_holdout"].groupby(cal["frequency"].clip(upper=7)).mean()
    assert by_x.is_monotonic_increasing  # more calibration repeats, more holdout purchases


# ----------------------------------------------------------------------------- segments
@pytest.fixture(scope="module")
def predicted(cdnow_tx):
    tx = cdnow_tx[cdnow_tx["order_date"] <= "1997-12-31"]
    rfv = rk.rfv_table(tx, as_of="1997-12-31")
    seg = rk.segment(rk.score(rfv))
    return rk.add_predictions(seg, tx, as_of="1997-12-31")


def test_add_predictions_joins_columns(predicted):
    for column in ("p_alive", "expected_purchases_90d", "clv", "segment", "r_score"):
        assert column in predicted.columns
    assert predicted["clv"].notna().all() and (predicted["clv"] >= 0).all()
    assert predicted["p_alive"].between(0, 1).all()
    assert isinstance(predicted.attrs["bgnbd"], BetaGeo)


def test_clv_by_segment_has_the_summary_shape(predicted):
    table = rk.clv_by_segment(predicted)
    assert table.columns[:3].tolist() == ["segment", "customers", "share"]
    assert "median_clv" in table.columns
    assert table["customers"].sum() == len(predicted)
    assert table["clv_share"].sum() == pytest.approx(1.0)


def test_high_value_at_risk(predicted):
    risk = rk.high_value_at_risk(predicted, min_clv_quantile=0.5, max_p_alive=0.6)
    assert (risk["p_alive"] < 0.6).all()
    assert (risk["clv"] >= predicted["clv"].quantile(0.5)).all()
    assert (risk["segment"] == "High value at risk").all()
    assert "rfv_segment" in risk.columns
    assert risk["clv"].is_monotonic_decreasing
    with pytest.raises(BadParameterError):
        rk.high_value_at_risk(predicted, max_p_alive=2)


def test_config_prediction_keys():
    cfg = rk.load_config(
        {"data": {"transactions": "/tx.csv"}},
        predict=True,
        horizon_days=180,
        discount_rate=0.05,
        calibration_end="2025-06-30",
    )
    assert (cfg.predict, cfg.horizon_days, cfg.discount_rate) == (True, 180, 0.05)
    assert cfg.parameters()["calibration_end"] == "2025-06-30"
    with pytest.raises(BadParameterError, match="discount_rate"):
        rk.load_config({"data": {"transactions": "/tx.csv"}}, discount_rate=1.5)
    with pytest.raises(BadParameterError, match="predict"):
        rk.load_config({"data": {"transactions": "/tx.csv"}}, predict="yes")


# ----------------------------------------------------------------------------- figures, text
def test_holdout_comparison_reproduces_fhl_figure_4(bg, cdnow_tx):
    cal, hold = rk.calibration_holdout(
        cdnow_tx, calibration_end="1997-09-30", as_of="1998-06-30", unit="W"
    )
    table = rk.holdout_comparison(bg, cal, hold)
    assert table["frequency_cal"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].sum() == 2357
    assert table.loc[0, "actual"] == pytest.approx(0.237, abs=0.001)  # 1,411 one-time buyers
    assert table.loc[0, "predicted"] == pytest.approx(0.225, abs=0.001)
    assert table.attrs["mae"] < 0.15
    fig = rk.plots.holdout_check(bg, cal, hold)
    assert [t.name for t in fig.data] == ["Actual", "Predicted"]
    text = rk.narrative.holdout_text(table).data
    assert "below the actual" in text and "7+" not in text.split("largest gap")[0]


def test_tracking_and_p_alive_figures(bg, cdnow, cdnow_tx):
    track = rk.tracking(bg, cdnow_tx, calibration_end="1997-09-30", as_of="1998-06-30")
    assert track["actual"].is_monotonic_increasing
    end = track.loc[~track["holdout"]].iloc[-1]
    assert end["expected"] == pytest.approx(end["actual"], rel=0.05)  # tracks the calibration
    fig = rk.plots.tracking_plot(track, calibration_end="1997-09-30")
    assert len(fig.data) == 2
    heat = rk.plots.p_alive_heatmap(bg, cdnow, max_frequency=10)
    z = np.array(heat.data[0].z)
    assert z.shape[0] == 11 and (z[0] == 1).all()
    assert z[5, -1] > z[5, 0]  # recent buyers are more likely alive


def test_clv_figures_and_text(predicted):
    by_segment = rk.clv_by_segment(predicted)
    fig = rk.plots.clv_distribution(predicted, currency="$")
    assert fig.layout.xaxis.type == "log"
    bars = rk.plots.clv_segment_bars(by_segment)
    assert len(bars.data[0].y) == len(by_segment)
    risk = rk.high_value_at_risk(predicted, past_value_quantile=0.8)
    text = rk.narrative.clv_text(predicted, by_segment, risk, currency="$").data
    assert f"{len(predicted):,} customers" in text
    html = rk.narrative.at_risk_table(risk, n=5).to_html()
    assert all(str(i) not in html for i in risk.index[:5] if len(str(i)) > 3)  # masked ids
    bg, gg = predicted.attrs["bgnbd"], predicted.attrs["gammagamma"]
    assert "BG/NBD" in rk.narrative.fit_text(bg, gg).data


def test_with_median_clv_adds_a_column_to_segment_summary(predicted):
    summary = rk.segment_summary(predicted)
    out = rk.with_median_clv(summary, predicted)
    assert "median_clv" in out.columns and "median_clv" not in summary.columns
    champions = predicted.loc[predicted["segment"] == "Champions", "clv"].median()
    assert out.set_index("segment").loc["Champions", "median_clv"] == pytest.approx(champions)


def test_bgnbd_limiting_case_warns_instead_of_failing():
    # everyone drops out with the same probability: the MLE of a and b runs off to infinity
    rng = np.random.default_rng(3)
    n = 3000
    first = rng.integers(0, 300, n)
    rows = []
    for i in range(n):
        day, lam = first[i], rng.gamma(2.0, 0.01)
        rows.append((i, day))
        while rng.random() > 0.3:  # same drop-out probability for all
            day += int(rng.exponential(1 / lam)) + 1
            if day >= 400:
                break
            rows.append((i, day))
    tx = pd.DataFrame(rows, columns=["customer_id", "day"])
    tx["order_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    tx["amount"] = 10.0
    s = rk.clv_summary(tx, as_of="2025-02-04")
    with pytest.warns(UserWarning, match="same probability|same for every customer"):
        bg = BetaGeo().fit(s)
    assert bg.params_["a"] / (bg.params_["a"] + bg.params_["b"]) == pytest.approx(0.3, abs=0.08)
    assert np.isfinite(bg.expected_purchases(s, t=90)).all()


def test_add_predictions_can_warn_instead_of_failing():
    tx = _tx([["a", "2024-01-01", 10], ["b", "2024-01-03", 4]])
    seg = pd.DataFrame({"segment": ["New", "New"]}, index=pd.Index(["a", "b"], name="customer_id"))
    with pytest.raises(FitError, match="at least 20"):
        rk.add_predictions(seg, tx)
    with pytest.warns(UserWarning, match="predictions left empty"):
        out = rk.add_predictions(seg, tx, errors="warn")
    assert out["clv"].isna().all() and "p_alive" in out.columns


def test_a_rule_set_can_ask_for_p_alive(predicted):
    """ "Lost" only while p_alive <= 0.2; the others in its cells fall to the next rule."""
    lost = next(rule for rule in DEFAULT.rules if rule.name == "Lost")
    rules = replace(
        DEFAULT,
        rules=tuple(replace(r, p_alive=(0, 0.2)) if r is lost else r for r in DEFAULT.rules)
        + (replace(lost, name="Lost, maybe active"),),
    )
    out = rk.segment(predicted, rules=rules)
    was_lost = predicted["segment"] == "Lost"
    assert (out.loc[out["segment"] == "Lost", "p_alive"] <= 0.2).all()
    moved = was_lost & (predicted["p_alive"] > 0.2)
    assert moved.any() and (was_lost & ~moved).any()
    assert (out.loc[moved, "segment"] == "Lost, maybe active").all()
    assert out.loc[~was_lost, "segment"].equals(predicted.loc[~was_lost, "segment"])


def test_fitted_models_reuses_the_runs_fit_and_otherwise_fits_the_same():
    ci = Path(__file__).resolve().parents[1] / "params" / "ci.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_predict = rk.analyse(ci, predict=True)
        without = rk.analyse(ci, predict=False)
        summary, bg, gg = rk.fitted_models(with_predict)
        again = rk.fitted_models(without)
    attrs = with_predict.segmented.attrs
    assert bg is attrs["bgnbd"] and gg is attrs["gammagamma"] and summary is attrs["clv_summary"]
    assert "bgnbd" not in without.segmented.attrs
    pd.testing.assert_frame_equal(again[0], summary)
    assert again[1].params_ == pytest.approx(bg.params_, rel=1e-9)
    assert again[2].params_ == pytest.approx(gg.params_, rel=1e-9)


def test_tracking_counts_repeat_days_of_the_calibration_cohort(bg):
    day = pd.Timestamp("2024-01-01")
    rows = [  # customer, day offset, amount
        ("a", 0, 5.0), ("a", 0, 7.0), ("a", 2, 3.0), ("a", 9, 4.0),  # repeats on days 2, 9
        ("b", 1, 6.0), ("b", 3, -5.0), ("b", 7, 2.0),  # the return is no purchase
        ("c", 19, 9.0), ("c", 20, 1.0),  # first buys after calibration_end: not followed
    ]  # fmt: skip
    tx = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": [day + pd.Timedelta(days=r[1], hours=10) for r in rows],
            "amount": [r[2] for r in rows],
        }
    )
    track = rk.tracking(bg, tx, calibration_end="2024-01-12", as_of="2024-01-28")
    assert track["date"].dt.strftime("%m-%d").tolist() == ["01-08", "01-15", "01-22"]
    assert track["actual"].tolist() == [2, 3, 3]  # a: 01-03; b: 01-08; then a: 01-10
    assert track["holdout"].tolist() == [False, True, True]
