"""Campaign attribution with the order lines lazy on DuckDB, polars, Dask or Spark.

The engine sends back only the lines inside the campaign's measurement window; the
results must equal those computed from the pandas order lines. Dask and Spark run on
real local clusters (``tests/engine_fixtures.py``).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from conftest import ROOT
from engine_fixtures import ENGINES, LOCAL, cluster_for
from test_campaigns import small_crm

from rfvkit.campaigns import _window_lines, measure_campaign
from rfvkit.errors import MissingColumnsError
from rfvkit.io import load_crm

CI = ROOT / "params" / "ci.yaml"


def _same(got, want) -> None:
    pd.testing.assert_frame_equal(got.by_segment, want.by_segment, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(got.recipients, want.recipients, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(got.ledger, want.ledger)
    assert (got.campaign_id, got.sent_at, got.overlaps) == (
        want.campaign_id,
        want.sent_at,
        want.overlaps,
    )


def _measure(crm, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return measure_campaign(crm, **options)


@pytest.mark.parametrize("engine", ENGINES)
def test_ci_campaigns_measured_on_the_engine_equal_pandas(request, engine):
    cluster = cluster_for(request, engine)
    want_crm = load_crm(CI)
    got_crm = load_crm(CI, engine=engine, cluster=cluster)
    assert not isinstance(got_crm.transactions, pd.DataFrame)
    for campaign in sorted(want_crm.campaigns["campaign_id"].unique()):
        want = _measure(want_crm, campaign_id=campaign, window_days=14, sms_price=0.05)
        got = _measure(got_crm, campaign_id=campaign, window_days=14, sms_price=0.05)
        assert (
            want.by_segment.loc[want.by_segment["segment"] == "All segments", "treatment"].item()
            > 0
        )
        _same(got, want)


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_hand_counted_case_on_the_engine(engine):
    """The hand-counted case of test_campaigns: window edges, returns, two-line orders."""
    tables = small_crm()
    want = _measure(tables, window_days=14, sms_price=0.5)
    lazy = {**tables, "transactions": LOCAL[engine](tables["transactions"])}
    got = _measure(lazy, window_days=14, sms_price=0.5)
    _same(got, want)
    a = got.by_segment.set_index("segment").loc["A"]
    assert (a["converted_treatment"], a["aov_treatment"]) == (2, pytest.approx(100 / 3))


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_without_a_customer_table_known_ids_come_from_the_engine(engine):
    tables = small_crm()
    tables.pop("customers")
    tables["optouts"] = None
    want = _measure(tables, window_days=14)
    got = _measure(
        {**tables, "transactions": LOCAL[engine](tables["transactions"])}, window_days=14
    )
    _same(got, want)
    assert got.ledger.set_index("step")["rows"]["customers unknown to the CRM (left out)"] == 1


def test_only_the_window_comes_back_from_the_engine():
    tx = small_crm()["transactions"]
    t0 = small_crm()["campaigns"]["sent_at"].min()
    t1 = t0 + pd.Timedelta(days=14)
    got = _window_lines(LOCAL["duckdb"](tx), t0.to_datetime64(), t1.to_datetime64())
    # o4 is dated exactly t0 + 14 days (excluded); o5, o9-o11 are before the send
    assert sorted(got["order_id"]) == ["o1", "o2", "o3", "o6", "o6", "o7", "o8", "r1"]


def test_engine_lines_without_amount_name_the_column():
    tables = small_crm()
    lines = LOCAL["duckdb"](tables["transactions"].drop(columns="amount"))
    with pytest.raises(MissingColumnsError, match="amount"):
        measure_campaign({**tables, "transactions": lines}, window_days=14)
