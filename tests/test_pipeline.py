"""The chain computed once: segment_customers, analyse, the report's run cache, the data contract."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from conftest import ROOT, rfv_frame

import rfvkit as rk
from rfvkit import columns
from rfvkit.errors import BadParameterError
from rfvkit.pipeline import analyse, segment_customers

CI = ROOT / "params" / "ci.yaml"


@pytest.fixture(scope="module")
def ci_analysis():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyse(CI)


def test_segment_customers_is_the_chain_step_by_step():
    rfv = rfv_frame([3, 40, 300, 12, 90, 7], [6, 2, 1, 3, 1, 9], [420, 80, 15, 150, 30, 900])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seg = segment_customers(rfv, bins=3, method="rank", rules="default")
        scored = rk.score(rfv, bins=3, method="rank")
        rules = rk.load_rules("default", bins=3)
        segmented = rk.segment(scored, rules=rules)
    pd.testing.assert_frame_equal(seg.scored, scored)
    pd.testing.assert_frame_equal(seg.segmented, segmented)
    pd.testing.assert_frame_equal(seg.summary, rk.segment_summary(segmented, rules=rules))
    assert seg.rules.bins == 3
    # the summary has its group as a column, then customers
    assert list(seg.summary.columns[:3]) == ["segment", "customers", "share"]
    assert seg.summary["customers"].sum() == len(rfv)


def test_thresholds_method_is_selectable_from_params():
    edges = {"recency_days": [30, 90], "frequency": [2, 4], "monetary": [50, 200]}
    cfg = rk.load_config(
        {"data": {"transactions": "/tx.csv"}, "method": "thresholds", "thresholds": edges}
    )
    assert cfg.method == "thresholds" and cfg.thresholds["frequency"] == [2.0, 4.0]
    rfv = rfv_frame([3, 40, 300], [6, 2, 1], [420, 80, 15])
    seg = segment_customers(rfv, bins=3, method=cfg.method, thresholds=cfg.thresholds)
    # recency 3 < 30 -> best score 3; 40 in [30, 90) -> 2; 300 -> 1 (recency is reversed)
    assert seg.scored["r_score"].tolist() == [3, 2, 1]
    with pytest.raises(BadParameterError, match="thresholds"):
        rk.load_config({"data": {"transactions": "/tx.csv"}, "method": "thresholds"})
    with pytest.raises(BadParameterError, match="thresholds"):
        rk.load_config({"data": {"transactions": "/tx.csv"}, "thresholds": edges})


def test_one_as_of_parser_for_params_and_rfv_table():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "order_date": pd.to_datetime(["2024-01-01", "2024-01-20"]),
            "amount": [10.0, 20.0],
        }
    )
    from_int = rk.rfv_table(tx, as_of=20240131)
    assert from_int.attrs["as_of"] == pd.Timestamp("2024-01-31")
    assert (
        from_int.attrs["as_of"]
        == rk.load_config({"data": {"transactions": "/tx.csv"}, "as_of": 20240131}).as_of
    )
    assert from_int.loc["b", "recency_days"] == 11


def test_limits_agree_everywhere():
    from rfvkit import params, rules, rules_yaml, scoring
    from rfvkit.widgets import _base as widgets

    assert columns.MAX_BINS == 10 and columns.MIN_BINS == 2
    assert widgets.BINS_RANGE == (columns.MIN_BINS, columns.MAX_BINS)
    assert set(widgets.LIVE_METHODS) | {"thresholds"} == set(columns.METHODS)
    assert scoring.METHODS is columns.METHODS and rules_yaml.RULE_SETS is columns.RULE_SETS
    assert params.METHODS is columns.METHODS
    with pytest.raises(BadParameterError):
        rk.load_config({"data": {"transactions": "/tx.csv"}}, bins=11)
    with pytest.raises(BadParameterError, match="from 2 to 10"):
        rules.default_rules(11)


def test_analyse_is_what_the_table_job_writes(ci_analysis, tmp_path):
    paths = ci_analysis.write_table(tmp_path)
    back = pd.read_parquet(paths[0])
    assert len(back) == len(ci_analysis.segmented)
    summary = pd.read_csv(paths[2])
    assert list(summary["segment"]) == list(ci_analysis.summary["segment"])
    assert summary["customers"].sum() == len(ci_analysis.segmented)


def test_run_cache_is_used_only_for_the_same_parameters(ci_analysis, tmp_path):
    cfg = rk.load_config(CI)
    cache = ci_analysis.save(tmp_path / "analysis.pkl", cfg)
    reused = analyse(cfg, cache=cache)
    pd.testing.assert_frame_equal(reused.segmented, ci_analysis.segmented)
    assert reused is not ci_analysis  # read back from the file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = analyse(CI, cache=cache, bins=4)  # other parameters: computed here
        missing = analyse(cfg, cache=tmp_path / "nothing.pkl")
    assert other.segmented["r_score"].max() == 4
    pd.testing.assert_frame_equal(missing.segmented, ci_analysis.segmented)


def test_lazy_root_exposes_every_module():
    for name in ("quality", "errors", "columns", "parsing", "compare", "plots", "narrative"):
        assert getattr(rk, name).__name__ == f"rfvkit.{name}"
    assert rk.compare_segments is rk.compare.compare_segments


def test_the_runs_effective_params_reproduce_the_config(tmp_path):
    from rfvkit.pipeline import _fingerprint
    from rfvkit.report.runner import _effective_params

    cfg = rk.load_config(CI, bins=4, k=3)  # overrides a notebook may not declare
    back = rk.load_config(_effective_params(cfg, tmp_path))
    assert (back.bins, back.k, back.title) == (4, 3, cfg.title)
    assert _fingerprint(back) == _fingerprint(cfg)  # so every notebook reads the run cache
    # a params file that leaves everything to the defaults (vip's default once lacked its
    # name, so every notebook of such a report loaded the data again)
    minimal = tmp_path / "minimal.yaml"
    minimal.write_text(f"data:\n  transactions:\n    path: {ROOT / 'data/ci/transactions.csv'}\n")
    for params in (
        minimal,
        ROOT / "params" / "sample.yaml",
        ROOT / "params" / "online_retail.yaml",
    ):
        cfg = rk.load_config(params)
        folder = tmp_path / params.stem
        folder.mkdir()
        assert _fingerprint(rk.load_config(_effective_params(cfg, folder))) == _fingerprint(cfg)


def test_rules_asking_for_p_alive_get_predictions_first(tmp_path):
    """Without predict: true the chain still fits BG/NBD, because the rule set needs p_alive."""
    path = tmp_path / "p_alive_rules.yaml"
    text = rk.load_rules("default").to_yaml()
    path.write_text(
        text.replace('  - name: "Lost"\n', '  - name: "Lost"\n    p_alive: [0.0, 0.2]\n', 1)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyse(CI, rules=str(path))
    seg = result.segmented
    assert {"p_alive", "clv"} <= set(seg.columns) and "median_clv" in result.summary
    lost_cells = rk.segment(seg.drop(columns="segment"), rules="default")["segment"] == "Lost"
    assert (seg.loc[seg["segment"] == "Lost", "p_alive"] <= 0.2).all()
    assert (seg.loc[lost_cells & (seg["p_alive"] > 0.2), "segment"] == "Others").all()
    assert (lost_cells & (seg["p_alive"] > 0.2)).any()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        on_engine = analyse(CI, rules=str(path), engine="duckdb")  # CLV summary in DuckDB
    assert on_engine.segmented["segment"].equals(seg["segment"])
