"""The CLV summary computed where the order lines live: DuckDB, polars, Dask or Spark.

:func:`rfvkit.clv.clv_summary` hands any frame that is not a pandas DataFrame to
:func:`engine_summary`. It is written once with `narwhals <https://narwhals-dev.github.io>`_,
so the same query runs lazily in each engine, and only one row per customer comes back
to pandas: the order lines are never collected. The numbers are those of the pandas path
(lifetimes' semantics, see :mod:`rfvkit.clv`); sums may differ in the last bits because
the engines add in another order.

Two passes over the lines: one for the facts (purchase lines, last date, lines after
``as_of``), one for the summary (purchase lines -> spend per customer and period -> one
row per customer). The spend of a customer's first period is picked with a window
(``min(period) over customer``) rather than a join, which Dask's shuffled group-bys do
not survive (``../shared/STACK_NOTES.md``).
"""

from __future__ import annotations

import warnings
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rfvkit.errors import EmptyDataError

__all__ = [
    "engine_calibration_holdout",
    "engine_purchase_days",
    "engine_summary",
    "period_number",
]

#: Days from 0001-01-01 to 1970-01-01 counted the way :func:`period_number` counts them.
_LEAP_DAYS_BEFORE_1970 = 1969 // 4 - 1969 // 100 + 1969 // 400


def period_number(dates: nw.Expr, period: str) -> nw.Expr:
    """The integer period of each date, as :func:`rfvkit.clv._period_index` numbers them.

    Days since 1970-01-01, weeks Monday-Sunday (``(days + 3) // 7``) or months since
    January 1970, from ``year``/``ordinal_day``/``month`` only: narwhals offers no
    epoch conversion on DuckDB and Spark. Days before year ``y`` are ``365 * (y - 1970)``
    plus the Gregorian leap days between, ``(y-1)//4 - (y-1)//100 + (y-1)//400`` minus
    the same count for 1970.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.DataFrame({"d": [pd.Timestamp("2024-02-29 13:00")]}))
    >>> frame.select(day=period_number(nw.col("d"), "D"))["day"].to_list()
    [19782]
    """
    year = dates.dt.year()
    if period == "M":
        return (year - 1970) * 12 + dates.dt.month() - 1
    before = year - 1
    days = (
        (year - 1970) * 365
        + before // 4
        - before // 100
        + before // 400
        - _LEAP_DAYS_BEFORE_1970
        + dates.dt.ordinal_day()
        - 1
    )
    return days if period == "D" else (days + 3) // 7


def _facts(purchases: nw.LazyFrame, limit: pd.Timestamp | None) -> dict[str, Any]:
    checks = [nw.len().alias("lines"), nw.col("order_date").max().alias("last")]
    if limit is not None:
        late = nw.col("order_date") >= limit.to_pydatetime()
        checks.append(late.cast(nw.Int64).sum().alias("late"))
    row = purchases.select(*checks).collect().to_pandas().iloc[0]
    return {
        "lines": int(row["lines"]),
        "last": pd.Timestamp(row["last"]) if pd.notna(row["last"]) else None,
        "late": int(row["late"]) if limit is not None and pd.notna(row["late"]) else 0,
    }


def _purchases(tx: Any) -> nw.LazyFrame:
    """Purchase lines (amount >= 0, with a date and a customer) as a lazy narwhals frame."""
    from rfvkit.rfv import _prepare

    lines, _ = _prepare(tx, "native")  # columns and types checked, time zones dropped
    keep = (
        (nw.col("amount") >= 0) & ~nw.col("order_date").is_null() & ~nw.col("customer_id").is_null()
    )
    return lines.lazy().filter(keep)


def _last_line(facts: dict[str, Any]) -> pd.DataFrame:
    """The last purchase date as a one-line frame, for :func:`rfvkit.clv._as_of`'s default."""
    if facts["lines"] == 0:
        raise EmptyDataError(
            "transactions: no purchase lines (amount >= 0 with a date and customer)."
        )
    return pd.DataFrame({"order_date": [facts["last"]]})


def engine_summary(
    tx: Any, *, as_of: Any, period: str, unit: str, stacklevel: int = 3
) -> pd.DataFrame:
    """:func:`rfvkit.clv.clv_summary` for a lazy or distributed frame (checked arguments).

    ``tx`` is anything narwhals reads (DuckDB relation, polars LazyFrame, Dask or Spark
    DataFrame) with ``customer_id``, ``order_date`` and ``amount``.
    """
    from rfvkit.clv import _as_of, _period_end

    purchases = _purchases(tx)
    facts = _facts(purchases, None if as_of is None else _period_end(_as_of(None, as_of), period))
    stamp = _as_of(_last_line(facts), as_of)
    limit = _period_end(stamp, period)
    if facts["late"]:
        if facts["late"] == facts["lines"]:
            raise EmptyDataError(
                f"transactions: every purchase is after as_of {stamp.date()}; choose a later as_of."
            )
        warnings.warn(
            f"{facts['late']:,} purchase lines are dated after as_of {stamp.date()} "
            "and were left out.",
            stacklevel=stacklevel,
        )
        purchases = purchases.filter(nw.col("order_date") < limit.to_pydatetime())
    return _summary(purchases, stamp, period, unit)


def engine_calibration_holdout(
    tx: Any, *, calibration_end: Any, as_of: Any, period: str, unit: str, holdout_days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`rfvkit.clv.calibration_holdout` for a lazy or distributed frame.

    The calibration summary and the holdout's purchase periods per customer are computed
    in the engine; one row per customer of each comes back.
    """
    from rfvkit.clv import _holdout_dates, _holdout_table, _period_end

    purchases = _purchases(tx)
    end, cal_end = _holdout_dates(
        _last_line(_facts(purchases, None)), calibration_end, as_of, holdout_days
    )
    split, stop = (_period_end(day, period).to_pydatetime() for day in (cal_end, end))
    date = nw.col("order_date")
    calibration = purchases.filter(date < split)
    if _facts(calibration, None)["lines"] == 0:
        raise EmptyDataError(
            f"transactions: no purchase on or before calibration_end {cal_end.date()}."
        )
    cal = _summary(calibration, cal_end, period, unit)
    per_customer = (
        purchases.filter((date >= split) & (date < stop))
        .with_columns(period_number(date, period).alias("_period"))
        .group_by("customer_id", "_period")
        .agg(nw.col("amount").sum().alias("_spend"))
        .group_by("customer_id")
        .agg(nw.len().alias("size"), nw.col("_spend").mean().alias("mean"))
        .collect()
        .to_pandas()
    )
    per_customer.index = pd.Index(per_customer.pop("customer_id").astype(str), name="customer_id")
    return cal, _holdout_table(cal, per_customer, end, cal_end)


def engine_purchase_days(tx: Any, *, calibration_end: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
    """Distinct purchase days of the calibration cohort, for :func:`rfvkit.predict.tracking`.

    The cohort: customers whose first purchase is on or before ``calibration_end``.
    Returns ``firsts`` (customer_id -> first purchase day) and ``repeats`` (day -> number
    of the cohort's customers with a repeat purchase that day: a purchase day after their
    first); the engine sends back one row per customer and one per day.
    """
    day = period_number(nw.col("order_date"), "D")
    epoch = pd.Timestamp("1970-01-01")
    split = (calibration_end.normalize() - epoch).days + 1
    pairs = (
        _purchases(tx)
        .with_columns(day.alias("_day"))
        .group_by("customer_id", "_day")
        .agg(nw.len().alias("_lines"))
        .with_columns(nw.col("_day").min().over("customer_id").alias("_first"))
        .filter(nw.col("_first") < split)
    )
    firsts = pairs.group_by("customer_id").agg(nw.col("_day").min()).collect().to_pandas()
    repeats = (
        pairs.filter(nw.col("_day") > nw.col("_first"))
        .group_by("_day")
        .agg(nw.len().alias("customers"))
        .collect()
        .to_pandas()
    )

    def as_days(values: pd.Series) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(epoch + pd.to_timedelta(values.to_numpy("int64"), unit="D"))

    return (
        pd.Series(as_days(firsts["_day"]), index=firsts["customer_id"].astype(str).to_numpy()),
        pd.Series(repeats["customers"].to_numpy("int64"), index=as_days(repeats["_day"])),
    )


def _summary(purchases: nw.LazyFrame, stamp: pd.Timestamp, period: str, unit: str) -> pd.DataFrame:
    """One row per customer from purchase lines already limited to the observed periods."""
    from rfvkit.clv import UNIT_DAYS, _period_index

    pairs = (
        purchases.with_columns(period_number(nw.col("order_date"), period).alias("_period"))
        .group_by("customer_id", "_period")
        .agg(nw.col("amount").sum().alias("_spend"))
        .with_columns(nw.col("_period").min().over("customer_id").alias("_first"))
        .with_columns(
            nw.when(nw.col("_period") == nw.col("_first"))
            .then(nw.col("_spend"))
            .otherwise(0.0)
            .alias("_first_spend")
        )
    )
    per_customer = pairs.group_by("customer_id").agg(
        nw.len().alias("periods"),
        nw.col("_period").min().alias("first"),
        nw.col("_period").max().alias("last"),
        nw.col("_spend").sum().alias("total"),
        nw.col("_first_spend").sum().alias("first_spend"),
    )
    agg = per_customer.collect().to_pandas().sort_values("customer_id", kind="stable")
    end = int(_period_index(np.array([stamp.to_datetime64()]), period)[0])
    repeats = agg["periods"].to_numpy("int64") - 1
    first = agg["first"].to_numpy("int64")
    total, first_spend = (agg[c].to_numpy("float64") for c in ("total", "first_spend"))
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(repeats > 0, (total - first_spend) / np.maximum(repeats, 1), 0.0)
    scale = 7.0 if (period, unit) == ("D", "W") else 1.0
    out = pd.DataFrame(
        {
            "frequency": repeats,
            "recency": (agg["last"].to_numpy("int64") - first) / scale,
            "T": (end - first) / scale,
            "monetary_value": monetary,
        },
        index=pd.Index(agg["customer_id"].astype(str).to_numpy(), name="customer_id"),
    )
    out.attrs.update(as_of=stamp, period=period, unit=unit, unit_days=UNIT_DAYS[unit])
    return out
