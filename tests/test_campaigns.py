"""Tests for rfvkit.campaigns and rfvkit.regroup: known answers, attribution, truth recovery."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import rfvkit as rk
from rfvkit.campaigns import ALL, lift_interval, measure_campaign, minimum_detectable_lift
from rfvkit.errors import BadParameterError, RfvkitError
from rfvkit.regroup import RECOMMENDATIONS, regroup

pytestmark = pytest.mark.filterwarnings("ignore:campaign .C1.*not in the CRM:UserWarning")
T0 = pd.Timestamp("2025-03-01 10:00")
DAY = pd.Timedelta(days=1)


# ---------------------------------------------------------------- known answers


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [  # Newcombe (1998), Statistics in Medicine 17:873, Table II, method 10
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((5, 56, 0, 29), -0.0381, 0.1926),
    ],
)
def test_newcombe_interval_matches_the_paper(counts, low, high) -> None:
    out = lift_interval(*counts)
    assert out["lift_low"] == pytest.approx(low, abs=5e-5)
    assert out["lift_high"] == pytest.approx(high, abs=5e-5)


def test_newcombe_interval_from_wilson_bounds_by_hand() -> None:
    # hybrid score: d -+ sqrt((p1 - l1)^2 + (u2 - p2)^2), l/u the Wilson score bounds
    z = stats.norm.ppf(0.975)

    def wilson(k, n):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return centre - half, centre + half

    (l1, u1), (l2, u2) = wilson(120, 1000), wilson(80, 1000)
    d = 0.12 - 0.08
    low = d - math.sqrt((0.12 - l1) ** 2 + (u2 - 0.08) ** 2)
    high = d + math.sqrt((u1 - 0.12) ** 2 + (0.08 - l2) ** 2)
    out = lift_interval(120, 1000, 80, 1000)
    assert out["lift"] == pytest.approx(0.04)
    assert (out["lift_low"], out["lift_high"]) == pytest.approx((low, high), abs=1e-9)
    assert out["relative_lift"] == pytest.approx(0.5)
    assert out["relative_low"] < 0.5 < out["relative_high"]
    assert 0 < out["p_value"] < 0.05


def test_minimum_detectable_lift_by_hand() -> None:
    # Cohen's h for n1 = n2 = 1000 at alpha 0.05, power 0.8: (z_.975 + z_.8) * sqrt(2 / 1000)
    h = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * math.sqrt(2 / 1000)
    p1 = math.sin(math.asin(math.sqrt(0.08)) + h / 2) ** 2
    assert minimum_detectable_lift(1000, 1000, 0.08) == pytest.approx(p1 - 0.08, abs=2e-4)
    assert minimum_detectable_lift(1000, 0, 0.08) != minimum_detectable_lift(1000, 0, 0.08)  # NaN
    assert minimum_detectable_lift(10, 1, 0.5) == math.inf


def test_welch_interval_of_revenue_per_recipient_by_hand() -> None:
    tables = small_crm()
    res = measure_campaign(tables, campaign_id="C1", window_days=14)
    row = res.overall()
    rec = res.recipients
    t = rec.loc[rec["group"] == "treatment", "revenue"].to_numpy()
    h = rec.loc[rec["group"] == "holdout", "revenue"].to_numpy()
    vt, vh = t.var(ddof=1) / t.size, h.var(ddof=1) / h.size
    df = (vt + vh) ** 2 / (vt**2 / (t.size - 1) + vh**2 / (h.size - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(vt + vh)
    diff = t.mean() - h.mean()
    assert row["revenue_diff"] == pytest.approx(diff)
    assert (row["revenue_diff_low"], row["revenue_diff_high"]) == pytest.approx(
        (diff - half, diff + half)
    )


# ---------------------------------------------------------------- attribution on a tiny CRM


def small_crm() -> dict[str, pd.DataFrame]:
    """Two segments, 4 + 2 treatment, 2 + 2 holdout; purchases placed in and out of windows."""
    log = pd.DataFrame(
        {
            "campaign_id": "C1",
            "customer_id": ["t1", "t2", "t3", "t4", "t5", "t6", "h1", "h2", "h3", "h4", "zz"],
            "segment": ["A", "A", "A", "A", "B", "B", "A", "A", "B", "B", "A"],
            "group": ["treatment"] * 6 + ["holdout"] * 4 + ["treatment"],
            "sent_at": [T0] * 6 + [pd.NaT] * 4 + [T0],
        }
    )
    tx = pd.DataFrame(
        [
            ("t1", T0 + 1 * DAY, 50.0, "o1"),
            ("t1", T0 + 2 * DAY, 30.0, "o2"),  # second order: retained
            ("t1", T0 + 3 * DAY, -10.0, "r1"),  # a return: revenue, not a conversion
            ("t2", T0 + 13.9 * DAY, 20.0, "o3"),  # just inside the window
            ("t3", T0 + 14 * DAY, 99.0, "o4"),  # just outside
            ("t4", T0 - 1 * DAY, 99.0, "o5"),  # before the send
            ("t5", T0 + 5 * DAY, 40.0, "o6"),
            ("t5", T0 + 5 * DAY, 5.0, "o6"),  # same order, second line
            ("h1", T0 + 1 * DAY, 25.0, "o7"),
            ("h3", T0 + 1 * DAY, 0.0, "o8"),  # zero amount: no conversion
            ("t6", T0 - 30 * DAY, 10.0, "o9"),
            ("h2", T0 - 30 * DAY, 10.0, "o10"),
            ("h4", T0 - 30 * DAY, 10.0, "o11"),
        ],
        columns=["customer_id", "order_date", "amount", "order_id"],
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["t1", "t2", "t3", "t4", "t5", "t6", "h1", "h2", "h3", "h4"],
            "phone_e164": [f"+1201555010{i}" for i in range(10)],
        }
    )
    optouts = pd.DataFrame(
        {
            "customer_id": [None, "t6", None, "h4"],
            "phone_e164": ["+12015550101", None, "+12015550102", None],  # t2 by phone; t3 late
            "opted_out_at": [T0 + 2 * DAY, T0 + 1 * DAY, T0 + 20 * DAY, T0 + 3 * DAY],
        }
    )
    return {"transactions": tx, "campaigns": log, "customers": customers, "optouts": optouts}


def test_attribution_counts_by_hand() -> None:
    with pytest.warns(UserWarning, match="not in the CRM"):
        res = measure_campaign(small_crm(), window_days=14, sms_price=0.5)
    seg = res.by_segment.set_index("segment")
    assert list(res.by_segment["segment"]) == ["A", "B", ALL]
    a, b, overall = seg.loc["A"], seg.loc["B"], seg.loc[ALL]
    assert (a["treatment"], a["holdout"], a["converted_treatment"], a["converted_holdout"]) == (
        4,
        2,
        2,
        1,
    )
    assert (b["treatment"], b["holdout"], b["converted_treatment"], b["converted_holdout"]) == (
        2,
        2,
        1,
        0,
    )
    assert a["conversion_treatment"] == 0.5 and a["lift"] == pytest.approx(0.0)
    # revenue per recipient: A treatment (50 + 30 - 10 + 20) / 4; holdout 25 / 2
    assert a["revenue_per_recipient_treatment"] == pytest.approx(22.5)
    assert a["revenue_per_recipient_holdout"] == pytest.approx(12.5)
    assert a["incremental_revenue"] == pytest.approx(40.0)
    # AOV: positive lines over distinct orders; o6 has two lines
    assert a["aov_treatment"] == pytest.approx(100 / 3)
    assert b["aov_treatment"] == pytest.approx(45.0)
    assert a["retention_treatment"] == pytest.approx(0.25)
    # opt-outs in the window: t2 by phone, t6 by id; t3 after the window; h4 in the holdout
    assert (a["optouts_treatment"], b["optouts_treatment"], b["optouts_holdout"]) == (1, 1, 1)
    assert overall["optout_rate_treatment"] == pytest.approx(2 / 6)
    assert overall["sms_cost"] == pytest.approx(3.0)
    assert overall["roi"] == pytest.approx((overall["incremental_revenue"] - 3) / 3)
    assert overall["customers"] == 10 and seg["share"].loc[["A", "B"]].sum() == pytest.approx(1)
    ledger = res.ledger.set_index("step")["rows"]
    assert ledger["send-log rows for this campaign"] == 11
    assert ledger["customers unknown to the CRM (left out)"] == 1
    assert ledger["measured treatment"] + ledger["measured holdout"] == 10
    assert res.sent_at == T0 and res.has_holdout


def test_holdout_window_starts_at_the_campaign_send_time() -> None:
    tables = small_crm()
    tables["campaigns"].loc[tables["campaigns"]["group"] == "holdout", "sent_at"] = T0 + 9 * DAY
    res = measure_campaign(tables, window_days=14)
    assert (res.recipients["start"] == T0).all()


def test_every_segment_frame_is_left_unchanged() -> None:
    tables = small_crm()
    copies = {k: v.copy() for k, v in tables.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        measure_campaign(tables)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, copies[name])


# ---------------------------------------------------------------- bad input


def test_unknown_campaign_lists_the_known_ones() -> None:
    with pytest.raises(BadParameterError, match=r"'nope'.*known campaigns: 'C1'"):
        measure_campaign(small_crm(), campaign_id="nope")


@pytest.mark.parametrize("window", [0, -3, 1.5, True])
def test_window_days_must_be_a_positive_integer(window) -> None:
    with pytest.raises(BadParameterError, match="window_days"):
        measure_campaign(small_crm(), window_days=window)


def test_campaign_without_holdout_measures_what_it_can() -> None:
    tables = small_crm()
    log = tables["campaigns"]
    tables["campaigns"] = log[log["group"] == "treatment"]
    with pytest.warns(UserWarning, match="no holdout"):
        res = measure_campaign(tables)
    overall = res.overall()
    assert not res.has_holdout
    assert overall["verdict"] == "no holdout"
    assert np.isnan(overall["lift"]) and np.isnan(overall["conversion_holdout"])
    assert overall["conversion_treatment"] == pytest.approx(3 / 6)
    assert set(res.regroup["recommendation"]) <= {"keep", "shrink the audience"}
    assert "lift cannot be estimated" in res.summary_text()


def test_other_groups_are_counted_in_the_ledger() -> None:
    tables = small_crm()
    tables["campaigns"] = tables["campaigns"].assign(
        group=lambda d: d["group"].where(d["customer_id"] != "t1", "seed list")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = measure_campaign(tables)
    ledger = res.ledger.set_index("step")["rows"]
    assert ledger["group neither treatment nor holdout (left out)"] == 1
    assert res.overall()["treatment"] == 5


def test_overlapping_campaigns_warn_and_are_measured_alone() -> None:
    tables = small_crm()
    second = tables["campaigns"].assign(campaign_id="C2", sent_at=T0 + 7 * DAY)
    tables["campaigns"] = pd.concat([tables["campaigns"], second], ignore_index=True)
    with pytest.warns(UserWarning, match="'C1' overlaps C2"):
        res = measure_campaign(tables, campaign_id="C1")
    assert res.overlaps == ["C2"] and res.overall()["treatment"] == 6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        latest = measure_campaign(tables)
    assert latest.campaign_id == "C2"


def test_missing_send_log_and_bad_options() -> None:
    tables = small_crm()
    with pytest.raises(RfvkitError, match="no send log"):
        measure_campaign({**tables, "campaigns": None})
    with pytest.raises(BadParameterError, match="sms_price"):
        measure_campaign(tables, sms_price=-1)
    with pytest.raises(BadParameterError, match="mapping of frames"):
        measure_campaign(42)


# ---------------------------------------------------------------- regroup


def advice(**row) -> str:
    base = {
        "segment": "S",
        "verdict": "works",
        "lift": 0.05,
        "lift_low": 0.01,
        "lift_high": 0.09,
        "optout_rate_treatment": 0.0,
        "optout_rate_holdout": 0.0,
        "roi": float("nan"),
        "holdout_needed": 500.0,
        "min_detectable_lift": 0.03,
    }
    out = regroup(pd.DataFrame([{**base, **row}]))
    assert out.loc[0, "reason"]
    return out.loc[0, "recommendation"]


def test_regroup_each_branch() -> None:
    assert advice() == "keep"
    assert advice(roi=-0.5) == "shrink the audience"
    assert advice(optout_rate_treatment=0.05) == "shrink the audience"
    assert advice(verdict="hurts", lift=-0.05, lift_low=-0.09, lift_high=-0.01) == "stop messaging"
    assert advice(verdict="no effect", lift=0.0, lift_low=-0.01) == "change the message"
    assert advice(verdict="no effect", lift_low=-0.01, optout_rate_treatment=0.05) == (
        "stop messaging"
    )
    # too small to tell, but the interval is above zero: it sheds subscribers while it works
    assert advice(verdict="too small to tell", optout_rate_treatment=0.05) == "shrink the audience"
    assert advice(verdict="too small to tell", lift_low=-0.02, optout_rate_treatment=0.05) == (
        "stop messaging"
    )
    assert advice(verdict="too small to tell") == "keep"
    assert advice(verdict="no holdout") == "keep"
    # opt-outs no higher than the holdout's are not caused by the message
    assert advice(optout_rate_treatment=0.05, optout_rate_holdout=0.06) == "keep"
    assert set(RECOMMENDATIONS) == {
        "keep",
        "change the message",
        "shrink the audience",
        "stop messaging",
    }


# ---------------------------------------------------------------- the shipped demo data


@pytest.fixture(scope="module", params=["sample", "ci"])
def shipped(request, root):
    crm = rk.load_crm(root / "params" / f"{request.param}.yaml")
    truth = json.loads((root / "data" / request.param / "truth.json").read_text("utf-8"))
    return request.param, crm, truth


def test_truth_is_recovered_on_the_demo_data(shipped) -> None:
    name, crm, truth = shipped
    for campaign in truth["campaigns"]:
        res = measure_campaign(crm, campaign_id=campaign["campaign_id"], window_days=14)
        seg = res.by_segment.set_index("segment")
        assert seg.loc[ALL, "treatment"] == campaign["treatment"]
        assert seg.loc[ALL, "converted_holdout"] == campaign["converted_holdout"]
        for segment, effect in campaign["effects"].items():
            row = seg.loc[segment]
            for key in ("treatment", "holdout", "converted_treatment", "converted_holdout"):
                assert row[key] == effect[key], (segment, key)
            assert row["optouts_treatment"] >= effect["stop_replies"]
            if row["holdout"]:  # the 95% interval covers the injected lift in every segment
                assert row["lift_low"] <= effect["true_lift"] <= row["lift_high"], segment
            if effect["true_lift"] == 0:  # the no-effect segment is never called a success
                assert row["verdict"] != "works"
                assert res.regroup.set_index("segment").loc[segment, "recommendation"] in (
                    "keep",
                    "change the message",
                    "stop messaging",
                )


def test_sample_shows_the_segment_that_sheds_subscribers(shipped) -> None:
    name, crm, truth = shipped
    if name != "sample":
        pytest.skip("the CI data is too small to show it")
    res = measure_campaign(crm, window_days=14, sms_price=0.05)
    seg = res.by_segment.set_index("segment").drop(index=ALL)
    assert seg["optout_rate_treatment"].idxmax() == "Hibernating"
    advice = res.regroup.set_index("segment")
    assert advice.loc["Hibernating", "recommendation"] in ("shrink the audience", "stop messaging")
    text = res.summary_text()
    assert "Hibernating" in text and "opt" in text


# ---------------------------------------------------------------- coverage simulation


@pytest.mark.slow
def test_interval_coverage_is_nominal_in_simulation() -> None:
    """200 seeded campaigns x 4 segments through measure_campaign: coverage 93-97% (95.5%)."""
    rng = np.random.default_rng(20251102)
    effects = {"A": (0.05, 0.08), "B": (0.10, 0.10), "C": (0.20, 0.25), "D": (0.08, 0.12)}
    n_t, n_h = 600, 300
    covered = total = 0
    for rep in range(200):
        rows, tx = [], []
        for name, (p_h, p_t) in effects.items():
            for group, n, p in (("treatment", n_t, p_t), ("holdout", n_h, p_h)):
                ids = [f"{rep}-{name}-{group}-{i}" for i in range(n)]
                rows += [(name, group, cid) for cid in ids]
                buyers = [cid for cid, hit in zip(ids, rng.random(n) < p, strict=True) if hit]
                tx += [(cid, T0 + DAY, 10.0) for cid in buyers]
        log = pd.DataFrame(rows, columns=["segment", "group", "customer_id"])
        log = log.assign(campaign_id="sim", sent_at=T0)
        known = pd.DataFrame({"customer_id": log["customer_id"]})
        frame = pd.DataFrame(tx, columns=["customer_id", "order_date", "amount"])
        res = measure_campaign(
            {"transactions": frame, "campaigns": log, "customers": known}, window_days=7
        )
        seg = res.by_segment.set_index("segment")
        for name, (p_h, p_t) in effects.items():
            low, high = seg.loc[name, ["lift_low", "lift_high"]]
            covered += low <= p_t - p_h <= high
            total += 1
    assert 0.93 <= covered / total <= 0.97, covered / total


# ---------------------------------------------------------------- figures, sentences, params


@pytest.fixture(scope="module")
def sample_result(root):
    crm = rk.load_crm(root / "params" / "sample.yaml")
    return measure_campaign(crm, window_days=14, sms_price=0.05, currency="$")


def test_lift_forest_draws_every_measured_segment(sample_result) -> None:
    fig = rk.plots.lift_forest(sample_result)
    xs = sorted(x for trace in fig.data for x in trace.x)
    expected = sorted(100 * sample_result.by_segment["lift"])
    assert xs == pytest.approx(expected)
    assert any(shape.x0 == 0 for shape in fig.layout.shapes)  # the zero line
    assert {t.name for t in fig.data} <= set(sample_result.by_segment["verdict"])
    assert "No campaign" in rk.plots.lift_forest(None).layout.annotations[0].text


def test_sentences_and_tables(sample_result) -> None:
    text = sample_result.summary_text()
    assert text.startswith("Campaign **SMS-20250927**")
    for verdict in set(sample_result.by_segment["verdict"].iloc[:-1]):
        assert {"works": "lift is real", "too small to tell": "Too small to tell"}.get(
            verdict, verdict
        ) in text
    table = rk.narrative.results_table(sample_result)
    assert list(table.index) == list(sample_result.by_segment["segment"])
    assert "recommendation" in table and "ROI" in rk.narrative.costs_table(sample_result)
    assert rk.narrative.regroup_table(None).columns.tolist() == ["note"]
    assert "No campaign send log" in rk.narrative.campaign_text(None)


def test_config_keys_for_campaigns(root, tmp_path) -> None:
    cfg = rk.load_config(root / "params" / "sample.yaml")
    assert (cfg.campaign_id, cfg.window_days, cfg.sms_price) == (None, 14, 0.05)
    assert cfg.history == str(root / "data" / "sample" / "history")
    assert rk.load_config(cfg, campaign_id="SMS-20250314").campaign_id == "SMS-20250314"
    for key, value in [("window_days", 0), ("sms_price", -1), ("campaign_id", ""), ("history", 3)]:
        with pytest.raises(BadParameterError, match=key):
            rk.load_config(cfg, **{key: value})


def test_opt_out_excess_is_tested_against_the_holdouts() -> None:
    from rfvkit.lift import optout_excess

    assert optout_excess(17, 382, 3, 430) < 0.001  # the sample's Hibernating vs its holdout
    assert optout_excess(1, 30, 0, 33) > 0.05  # one opt-out among 30 proves nothing
    assert optout_excess(0, 100, 5, 100) == 1.0 and optout_excess(3, 100, 0, 0) == 0.0
    tables = small_crm()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seg = measure_campaign(tables).by_segment.set_index("segment")
    # B: 1 of 2 treatment opted out, but so did 1 of its 2 holdout customers: not the message
    assert seg.loc["B", "optout_rate_treatment"] == 0.5 and not seg.loc["B", "sheds"]
    assert {"optout_p_value", "sheds"} <= set(seg.columns)


def test_groups_dropped_at_load_are_in_the_ledger(tmp_path) -> None:
    tables = small_crm()
    log = tables["campaigns"].assign(group=lambda d: d["group"].where(d.index != 0, "seed"))
    for name in ("transactions", "customers"):
        tables[name].to_csv(tmp_path / f"{name}.csv", index=False)
    log.to_csv(tmp_path / "campaigns.csv", index=False)
    crm = rk.load_crm(
        {
            "data": {
                n: str(tmp_path / f"{n}.csv") for n in ("transactions", "customers", "campaigns")
            }
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = measure_campaign(crm)
    ledger = res.ledger.set_index("step")["rows"]
    assert ledger["group neither treatment nor holdout, dropped at load (all campaigns)"] == 1
    assert res.overall()["treatment"] == 5
