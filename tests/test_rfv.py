"""Tests for rfvkit.rfv.rfv_table: known answers, engines, bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.errors import BadParameterError, BadValuesError, EmptyDataError, MissingColumnsError
from rfvkit.rfv import RFV_COLUMNS, rfv_table

TS = pd.Timestamp


def tiny() -> pd.DataFrame:
    """Eleven lines worked through by hand in the tests below.

    a: order A1 (two lines, 10 + 5), order A2 (20 and a -5 return line), a zero line
       (order A3, not a purchase), a return R1 (-8).  b: one order.  c: only a return.
       d: one order of two lines on the last day.
    """
    rows = [
        ("a", "A1", "2024-01-01 10:30", 10.0),
        ("a", "A1", "2024-01-01 10:30", 5.0),
        ("a", "A2", "2024-01-05 18:00", 20.0),
        ("a", "A2", "2024-01-05 18:00", -5.0),
        ("a", "A3", "2024-01-06 09:00", 0.0),
        ("a", "R1", "2024-01-07 12:00", -8.0),
        ("b", "B1", "2024-01-03 08:00", 40.0),
        ("c", "C1", "2024-01-04 11:00", -12.0),
        ("d", "D1", "2024-01-08 23:59", 7.5),
        ("d", "D1", "2024-01-08 23:59", 2.5),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "amount"])
    return frame.assign(order_date=pd.to_datetime(frame["order_date"]).astype("datetime64[ns]"))


def quiet(tx, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rfv_table(tx, **kwargs)


def test_customers_without_purchases_left_out_wherever_they_sort():
    """The engines sort customers without a purchase last and _finish slices them off; a
    summary in any other order (idle customers first, between, last) gives the same table."""
    from rfvkit.rfv import _finish

    def summary(order):
        agg = pd.DataFrame(
            {
                "customer_id": pd.array(["a", "b", "c", "d"], dtype="str"),
                "monetary": [10.0, -5.0, 7.5, 0.0],
                "first_purchase": pd.to_datetime(["2024-01-01", None, "2024-01-03", None]),
                "last_purchase": pd.to_datetime(["2024-01-05", None, "2024-01-04", None]),
                "_orders": [2, 0, 1, 0],
                "_loose": [0, 0, 0, 0],
            }
        )
        return agg.iloc[order].reset_index(drop=True)

    want = None
    for order in ([0, 2, 1, 3], [1, 3, 0, 2], [0, 1, 2, 3], [3, 0, 1, 2]):
        with pytest.warns(UserWarning, match=r"2 customer\(s\) have no purchase line.*'[bd]'"):
            got = _finish(summary(order), TS("2024-01-10")).sort_index()
        if want is None:
            want = got
        assert list(got.index) == ["a", "c"]
        pd.testing.assert_frame_equal(got, want)
    assert want["recency_days"].tolist() == [5, 6] and want["frequency"].tolist() == [2, 1]


# ---------------------------------------------------------------- known answers
def test_known_answer_with_order_id():
    with pytest.warns(UserWarning, match=r"1 customer\(s\) have no purchase line.*'c'"):
        rfv = rfv_table(tiny())
    # as_of = the day after the last line (2024-01-08 23:59) = 2024-01-09
    assert rfv.attrs["as_of"] == TS("2024-01-09")
    assert list(rfv.index) == ["a", "b", "d"]
    assert rfv["frequency"].tolist() == [2, 1, 1]  # a: A1, A2 (A3 is a zero line, R1 a return)
    assert rfv["monetary"].tolist() == [22.0, 40.0, 10.0]  # 10+5+20-5+0-8
    assert rfv["avg_order_value"].tolist() == [11.0, 40.0, 10.0]
    assert rfv["recency_days"].tolist() == [4, 6, 1]  # 01-09 minus 01-05, 01-03, 01-08
    assert rfv["tenure_days"].tolist() == [8, 6, 1]  # 01-09 minus 01-01, 01-03, 01-08
    assert rfv.loc["a", "first_purchase"] == TS("2024-01-01 10:30")
    assert rfv.loc["a", "last_purchase"] == TS("2024-01-05 18:00")  # not the return on 01-07


def test_known_answer_without_order_id_counts_purchase_lines():
    rfv = quiet(tiny().drop(columns="order_id"))
    assert rfv["frequency"].tolist() == [3, 1, 2]  # a: 10, 5, 20; d: 7.5, 2.5
    assert rfv.loc["a", "avg_order_value"] == pytest.approx(22.0 / 3)


def test_as_of_leaves_out_later_lines_with_a_warning():
    with pytest.warns(UserWarning) as record:
        rfv = rfv_table(tiny(), as_of="2024-01-06")
    messages = [str(w.message) for w in record]
    assert any("3 of 10 transaction lines are dated after as_of 2024-01-06" in m for m in messages)
    assert any("1 customer(s) have no purchase line" in m for m in messages)  # c
    assert rfv.attrs["as_of"] == TS("2024-01-06")
    assert list(rfv.index) == ["a", "b"]  # d bought only on 01-08
    assert rfv.loc["a", "monetary"] == 30.0  # R1 (01-07) left out; the 01-06 line kept
    assert rfv["recency_days"].tolist() == [1, 3]
    assert rfv["tenure_days"].tolist() == [5, 3]


def test_as_of_accepts_dates_and_timestamps_and_normalises_them():
    expected = quiet(tiny(), as_of="2024-01-10")
    for as_of in (TS("2024-01-10 15:00"), pd.Timestamp("2024-01-10").date(), "2024-01-10"):
        got = quiet(tiny(), as_of=as_of)
        pd.testing.assert_frame_equal(got, expected)
        assert got.attrs["as_of"] == TS("2024-01-10")


def test_columns_dtypes_and_index():
    rfv = quiet(tiny())
    assert tuple(rfv.columns) == RFV_COLUMNS
    assert rfv.index.name == "customer_id"
    assert rfv.index.dtype == "str"
    assert rfv.dtypes.astype(str).to_dict() == {
        "recency_days": "int64",
        "frequency": "int64",
        "monetary": "float64",
        "avg_order_value": "float64",
        "first_purchase": "datetime64[ns]",
        "last_purchase": "datetime64[ns]",
        "tenure_days": "int64",
    }


def test_does_not_change_the_callers_frame():
    tx = tiny()
    before = tx.copy()
    quiet(tx)
    pd.testing.assert_frame_equal(tx, before)


def test_purchase_lines_without_order_id_count_one_order_each():
    tx = pd.DataFrame(
        {
            "customer_id": ["x"] * 5 + ["y"],
            "order_id": ["X1", "X1", None, None, None, "Y1"],
            "order_date": pd.to_datetime(["2024-02-01"] * 5 + ["2024-02-02"]),
            "amount": [5.0, 5.0, 3.0, 4.0, -1.0, 9.0],  # X1 + two id-less purchases
        }
    )
    for native in (tx, pl.from_pandas(tx), duckdb.from_df(tx)):
        rfv = rfv_table(native)
        assert rfv["frequency"].tolist() == [3, 1]
        assert rfv["monetary"].tolist() == [16.0, 9.0]


def test_numeric_ids_become_strings_and_time_zones_keep_the_local_day():
    tx = pd.DataFrame(
        {
            "customer_id": [7, 7, 12],
            "order_date": pd.to_datetime(
                ["2024-03-01 23:30", "2024-03-02 00:30", "2024-03-05 12:00"]
            ).tz_localize("Europe/Paris"),
            "amount": [10.0, 5.0, 8.0],
        }
    )
    rfv = rfv_table(tx, as_of="2024-03-10")
    assert list(rfv.index) == ["12", "7"]
    assert rfv.loc["7", "recency_days"] == 8  # 03-02 in Paris, not 03-01 in UTC
    assert rfv.loc["7", "tenure_days"] == 9


def test_date_columns_are_accepted():
    tx = pl.from_pandas(tiny()).with_columns(pl.col("order_date").dt.date())
    rfv = quiet(tx)
    assert rfv["recency_days"].tolist() == [4, 6, 1]
    assert rfv.loc["a", "first_purchase"] == TS("2024-01-01")


# ---------------------------------------------------------------- engines
def random_lines(seed: int, rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    orders = rng.integers(0, rows // 2, rows)
    customer = orders % 37  # an order belongs to one customer
    amount = np.round(rng.normal(20, 15, rows), 2)
    amount[rng.random(rows) < 0.1] = 0.0
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(orders * 7919 % 500_000, unit="min")
    return pd.DataFrame(
        {
            "customer_id": [f"c{c:02d}" for c in customer],
            "order_id": [f"o{o}" for o in orders],
            "order_date": dates.astype("datetime64[ns]"),
            "amount": amount,
        }
    )


@pytest.mark.parametrize("as_of", [None, "2023-08-01"])
@pytest.mark.parametrize("with_order_id", [True, False])
def test_pandas_polars_duckdb_give_identical_tables(as_of, with_order_id):
    tx = random_lines(1)
    if not with_order_id:
        tx = tx.drop(columns="order_id")
    expected = quiet(tx, as_of=as_of, engine="native")  # pandas all the way
    inputs = {
        "pandas auto": (tx, "auto"),
        "pandas via polars": (tx, "polars"),
        "pandas via duckdb": (tx, "duckdb"),
        "polars eager": (pl.from_pandas(tx), "auto"),
        "polars lazy": (pl.from_pandas(tx).lazy(), "auto"),
        "duckdb relation": (duckdb.from_df(tx), "auto"),
    }
    for name, (native, engine) in inputs.items():
        got = quiet(native, as_of=as_of, engine=engine)
        pd.testing.assert_frame_equal(got, expected, obj=name)
        assert got.attrs["as_of"] == expected.attrs["as_of"], name


def test_parquet_scans_match_the_loaded_frame(tmp_path):
    tx = random_lines(2)
    path = tmp_path / "tx.parquet"
    tx.to_parquet(path)
    expected = quiet(tx)
    pd.testing.assert_frame_equal(quiet(pl.scan_parquet(path)), expected)
    pd.testing.assert_frame_equal(quiet(duckdb.read_parquet(str(path))), expected)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), shuffle=st.randoms(use_true_random=False))
def test_row_order_never_changes_the_table(seed, shuffle):
    tx = random_lines(seed, rows=60)
    order = list(range(len(tx)))
    shuffle.shuffle(order)
    expected = quiet(tx)
    pd.testing.assert_frame_equal(quiet(tx.iloc[order]), expected)
    pd.testing.assert_frame_equal(quiet(pl.from_pandas(tx.iloc[order])), expected)
    # net value is kept whole: every buyer's lines add up to its monetary value
    buyers = tx[tx["customer_id"].isin(expected.index)]
    assert expected["monetary"].sum() == pytest.approx(buyers["amount"].sum())


# ---------------------------------------------------------------- bad input
def test_missing_columns_name_what_is_there():
    tx = tiny().rename(columns={"customer_id": "CustomerID"})
    with pytest.raises(MissingColumnsError, match=r"'customer_id'.*Did you mean 'CustomerID'"):
        rfv_table(tx)


def test_empty_input():
    with pytest.raises(EmptyDataError, match="empty"):
        rfv_table(tiny().iloc[0:0])
    with pytest.raises(EmptyDataError, match="empty"):
        rfv_table(pl.from_pandas(tiny()).clear().lazy())


def test_text_dates_point_to_read_transactions():
    tx = tiny().assign(order_date=lambda f: f["order_date"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(BadValuesError, match=r"'order_date' must hold dates.*read_transactions"):
        rfv_table(tx)


def test_text_amounts_are_refused():
    tx = tiny().assign(amount=lambda f: f["amount"].astype(str))
    with pytest.raises(BadValuesError, match="'amount' must be numeric"):
        rfv_table(tx)


@pytest.mark.parametrize("column", ["customer_id", "order_date", "amount"])
def test_missing_values_are_refused(column):
    tx = tiny()
    tx.loc[2, column] = None
    with pytest.raises(BadValuesError, match=rf"1 of 10 line\(s\) have no '{column}'"):
        rfv_table(tx)


def test_nan_amounts_in_polars_are_refused():
    nan_for_b = pl.when(pl.col("customer_id") == "b").then(float("nan"))
    tx = pl.from_pandas(tiny()).with_columns(nan_for_b.otherwise(pl.col("amount")).alias("amount"))
    with pytest.raises(BadValuesError, match=r"NaN or infinite.*'b'"):
        quiet(tx)


def test_all_lines_after_as_of():
    with pytest.raises(EmptyDataError, match="all 10 lines are dated after as_of 2023-12-31"):
        rfv_table(tiny(), as_of="2023-12-31")


def test_no_purchase_at_all():
    tx = tiny().assign(amount=-1.0)
    with pytest.raises(EmptyDataError, match="none of the 4 customers has a purchase line"):
        rfv_table(tx)


@pytest.mark.parametrize("as_of", ["not a date", pd.NaT, [2024, 1, 1]])
def test_bad_as_of(as_of):
    with pytest.raises(BadParameterError, match="as_of"):
        rfv_table(tiny(), as_of=as_of)


def test_bad_engine_suggests_the_closest():
    with pytest.raises(BadParameterError, match="Did you mean 'polars'"):
        rfv_table(tiny(), engine="polar")


def test_not_a_frame():
    with pytest.raises(BadParameterError, match="needs a data frame"):
        rfv_table([("a", "2024-01-01", 10.0)])


def test_monetary_same_bits_on_every_engine_and_run():
    """Float sums of a customer's lines vary in the last bit with the order of addition
    (DuckDB's threads); rounded to MONEY_DECIMALS, monetary is identical everywhere."""
    from rfvkit.io import read_transactions

    tx = read_transactions(
        Path(__file__).resolve().parents[1] / "data/sample/transactions.csv"
    ).frame
    reversed_lines = tx.iloc[::-1].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = [
            rfv_table(tx, engine="native"),
            rfv_table(reversed_lines, engine="native"),
            rfv_table(tx, engine="duckdb"),
            rfv_table(tx, engine="polars"),
        ]
    first = tables[0]["monetary"].to_numpy()
    for table in tables[1:]:
        np.testing.assert_array_equal(table["monetary"].to_numpy(), first)
