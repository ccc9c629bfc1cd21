"""The CLV summary on DuckDB, polars, Dask (LocalCluster) and Spark equals the pandas one.

Dask and Spark run on real local clusters (``tests/engine_fixtures.py``); only one row
per customer comes back from the engine.
"""

from __future__ import annotations

import warnings

import narwhals as nw
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from engine_fixtures import ENGINES, LOCAL, cluster_for
from hypothesis import given, settings
from hypothesis import strategies as st
from test_clv import _cdnow

import rfvkit as rk
from rfvkit.clv import _period_index
from rfvkit.clv_engine import period_number
from rfvkit.errors import EmptyDataError
from rfvkit.io import load_crm

CI = ROOT / "params" / "ci.yaml"


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert got.attrs == want.attrs
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_ci_data_same_summary_as_pandas(request, engine):
    cluster = cluster_for(request, engine)
    want = load_crm(CI).transactions
    got = load_crm(CI, engine=engine, cluster=cluster).transactions
    assert not isinstance(got, pd.DataFrame)
    for as_of, period, unit in [(None, "D", None), ("2025-06-30", "D", "W"), (None, "M", None)]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            summary = rk.clv_summary(got, as_of=as_of, period=period, unit=unit)
        with warnings.catch_warnings(record=True) as expected:
            warnings.simplefilter("always")
            reference = rk.clv_summary(want, as_of=as_of, period=period, unit=unit)
        _same(summary, reference)
        ours = [str(w.message) for w in caught if "as_of" in str(w.message)]  # not narwhals'
        assert ours == [str(w.message) for w in expected if "as_of" in str(w.message)]


@pytest.mark.parametrize("engine", ENGINES)
def test_ci_data_same_holdout_check_and_tracking_as_pandas(request, engine):
    cluster = cluster_for(request, engine)
    want = load_crm(CI).transactions
    got = load_crm(CI, engine=engine, cluster=cluster).transactions
    options = {"calibration_end": "2025-06-30", "as_of": "2025-12-31"}
    cal, hold = rk.calibration_holdout(want, **options)
    for mine, theirs in zip(rk.calibration_holdout(got, **options), (cal, hold), strict=True):
        _same(mine, theirs)
    bg = rk.BetaGeo().fit(cal)
    pd.testing.assert_frame_equal(
        rk.tracking(bg, got, calibration_end="2025-06-30"),
        rk.tracking(bg, want, calibration_end="2025-06-30"),
    )


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_cdnow_on_the_engine_is_the_published_summary(engine):
    """Hardie's CDNOW sample, 39-week calibration: the engine gives the pandas summary."""
    tx = _cdnow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the holdout weeks are after as_of
        want = rk.clv_summary(tx, as_of="1997-09-30", period="D", unit="W")
        got = rk.clv_summary(LOCAL[engine](tx), as_of="1997-09-30", period="D", unit="W")
    _same(got, want)
    assert len(got) == 2357 and got["frequency"].sum() == want["frequency"].sum()
    options = {"calibration_end": "1997-09-30", "as_of": "1998-06-30", "unit": "W"}
    cal, hold = rk.calibration_holdout(tx, **options)
    engine_cal, engine_hold = rk.calibration_holdout(LOCAL[engine](tx), **options)
    _same(engine_cal, cal)
    _same(engine_hold, hold)
    bg = rk.BetaGeo().fit(cal)
    pd.testing.assert_frame_equal(
        rk.tracking(bg, LOCAL[engine](tx), calibration_end="1997-09-30", as_of="1998-06-30"),
        rk.tracking(bg, tx, calibration_end="1997-09-30", as_of="1998-06-30"),
    )


def test_known_answer_with_returns_same_day_lines_and_missing_values():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", None, "c"],
            "order_date": pd.to_datetime(
                [
                    "2024-01-01 09:00",
                    "2024-01-01 18:00",
                    "2024-01-08",
                    "2024-01-09",
                    "2024-01-03",
                    "2024-01-04",
                    None,
                ],
                format="ISO8601",
            ),
            "amount": [10.0, 5.0, 20.0, -4.0, 7.0, 3.0, 1.0],
        }
    )
    got = rk.clv_summary(LOCAL["duckdb"](tx), as_of="2024-01-10")
    # a: periods 01-01 (15) and 01-08 (20); the return on 01-09 is not a purchase.
    assert got.to_dict("index") == {
        "a": {"frequency": 1, "recency": 7.0, "T": 9.0, "monetary_value": 20.0},
        "b": {"frequency": 0, "recency": 0.0, "T": 7.0, "monetary_value": 0.0},
    }
    with pytest.raises(EmptyDataError, match="every purchase is after as_of 2023-12-01"):
        rk.clv_summary(LOCAL["polars"](tx), as_of="2023-12-01")
    with pytest.raises(EmptyDataError, match="no purchase lines"):
        rk.clv_summary(LOCAL["polars"](tx[tx["amount"] < 0]))


@given(
    st.lists(
        st.datetimes(min_value=pd.Timestamp("1900-01-01"), max_value=pd.Timestamp("2200-12-31")),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["D", "W", "M"]),
)
@settings(max_examples=60, deadline=None)
def test_period_number_is_the_numpy_period_index(dates, period):
    """Leap years, centuries and dates before 1970 land in the same day, week and month."""
    frame = pd.DataFrame(
        {"i": range(len(dates)), "d": pd.to_datetime(dates).astype("datetime64[us]")}
    )
    got = (
        nw.from_native(LOCAL["duckdb"](frame))
        .select("i", p=period_number(nw.col("d"), period))
        .collect()
        .to_pandas()
        .sort_values("i")["p"]
        .to_numpy()
    )
    np.testing.assert_array_equal(got, _period_index(frame["d"].to_numpy(), period))


def test_predictions_on_an_engine_equal_pandas():
    """analyse() with predict on DuckDB: the models fit on the engine's summary."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = rk.analyse(CI, predict=True)
        got = rk.analyse(CI, predict=True, engine="duckdb")
    columns = ["segment", "p_alive", "expected_purchases_90d", "clv"]
    pd.testing.assert_frame_equal(
        got.segmented[columns], want.segmented[columns], check_exact=False, rtol=1e-6
    )
    assert "median_clv" in got.summary
