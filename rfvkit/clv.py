"""Transactions -> the per-customer summary that BG/NBD and Gamma-Gamma read, and CLV.

``clv_summary`` follows the semantics of ``lifetimes.utils.summary_data_from_transaction_data``
(Davidson-Pilon et al., lifetimes 0.11): transactions are bucketed to a ``period``; several
purchases in one period are one purchase; ``frequency`` counts the *repeat* periods,
``recency`` is last minus first period, ``T`` is ``as_of`` minus first period and
``monetary_value`` is the mean per-period spend over the repeat periods (the first purchase
is left out, 0 without repeats). These are the ``x``, ``t_x``, ``T`` and ``z̄`` of Fader,
Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science 24(2).

Examples
--------
>>> import pandas as pd
>>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
...                    "order_date": pd.to_datetime(["2024-01-01", "2024-01-01",
...                                                  "2024-01-08", "2024-01-03"]),
...                    "amount": [10.0, 5.0, 20.0, 7.0]})
>>> clv_summary(tx, as_of="2024-01-10").to_dict("index")["a"]
{'frequency': 1, 'recency': 7.0, 'T': 9.0, 'monetary_value': 20.0}
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from rfvkit.errors import BadParameterError, BadValuesError, EmptyDataError, require_columns

__all__ = ["clv_summary", "calibration_holdout", "PERIODS", "UNIT_DAYS"]

#: Buckets a purchase date can fall into (pandas period aliases, as lifetimes' ``freq``).
PERIODS = ("D", "W", "M")
#: Length of one time unit in days (months: the mean Gregorian month).
UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.2425 / 12}
_COLUMNS = ("customer_id", "order_date", "amount")


def _period_index(dates: np.ndarray, period: str) -> np.ndarray:
    """Integer index of the period each ``datetime64`` falls into (pandas' period rules).

    Days since the epoch; weeks Monday-Sunday as pandas ``to_period("W")`` (1970-01-01 was
    a Thursday, so the week holding it starts three days earlier); calendar months.
    """
    days = dates.astype("datetime64[D]").astype("int64")
    if period == "D":
        return days
    if period == "W":
        return (days + 3) // 7
    return dates.astype("datetime64[M]").astype("int64")


def _check_period(period: object, unit: object) -> tuple[str, str]:
    if period not in PERIODS:
        raise BadParameterError(f"period: got {period!r}; allowed: {' | '.join(PERIODS)}.")
    unit = period if unit is None else unit
    allowed = {"D": ("D", "W"), "W": ("W",), "M": ("M",)}[period]
    if unit not in allowed:
        raise BadParameterError(
            f"unit: got {unit!r} with period={period!r}; allowed: {' | '.join(allowed)} "
            "(time is measured in periods, or in weeks of days with period='D')."
        )
    return period, unit


def _as_of(tx: pd.DataFrame, as_of: Any) -> pd.Timestamp:
    if as_of is None:  # rfvkit's default: the day after the last transaction
        return pd.Timestamp(tx["order_date"].max()).normalize() + pd.Timedelta(days=1)
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        raise BadParameterError(f"as_of: {as_of!r} is not a date; use e.g. '2024-12-31'.") from None
    if pd.isna(stamp):
        raise BadParameterError("as_of: missing (NaT); pass a date or None.")
    return stamp.tz_localize(None) if stamp.tz is not None else stamp


def _purchases(tx: pd.DataFrame, where: str) -> pd.DataFrame:
    require_columns(tx, _COLUMNS, table=where)
    dates = tx["order_date"]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise BadValuesError(
            f"{where}: 'order_date' must be datetime, got {dates.dtype}; "
            "load it with rk.read_transactions or pd.to_datetime."
        )
    amount = pd.to_numeric(tx["amount"], errors="coerce")
    keep = (
        (amount >= 0).to_numpy() & dates.notna().to_numpy() & tx["customer_id"].notna().to_numpy()
    )
    if not keep.any():
        raise EmptyDataError(f"{where}: no purchase lines (amount >= 0 with a date and customer).")
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    return pd.DataFrame(
        {
            "customer_id": tx["customer_id"].to_numpy()[keep],
            "order_date": dates.to_numpy()[keep],
            "amount": amount.to_numpy("float64")[keep],
        }
    )


def _summarise(
    customers: np.ndarray,
    dates: np.ndarray,
    amount: np.ndarray,
    as_of: pd.Timestamp,
    period: str,
    unit: str,
) -> pd.DataFrame:
    """One row per customer from purchase lines already limited to ``<= as_of`` (NumPy only)."""
    codes, names = pd.factorize(customers, sort=True)
    bucket = _period_index(dates, period)
    end = int(_period_index(np.array([as_of.to_datetime64()]), period)[0])
    base = int(bucket.min())
    span = int(bucket.max()) - base + 1
    key = codes.astype("int64") * span + (bucket - base)
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    spend = np.add.reduceat(amount[order], starts)  # spend per (customer, period)
    pair_customer = key[starts] // span
    pair_period = key[starts] % span + base
    first_pair = np.flatnonzero(np.r_[True, pair_customer[1:] != pair_customer[:-1]])
    last_pair = np.r_[first_pair[1:] - 1, len(starts) - 1]
    n_periods = last_pair - first_pair + 1
    first, last = pair_period[first_pair], pair_period[last_pair]
    total = np.add.reduceat(spend, first_pair)
    repeats = n_periods - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(repeats > 0, (total - spend[first_pair]) / np.maximum(repeats, 1), 0.0)
    scale = 7.0 if (period, unit) == ("D", "W") else 1.0
    out = pd.DataFrame(
        {
            "frequency": repeats.astype("int64"),
            "recency": (last - first) / scale,
            "T": (end - first) / scale,
            "monetary_value": monetary,
        },
        index=pd.Index(np.asarray(names)[pair_customer[first_pair]], name="customer_id"),
    )
    out.attrs.update(as_of=as_of, period=period, unit=unit, unit_days=UNIT_DAYS[unit])
    return out


def clv_summary(
    tx: pd.DataFrame, *, as_of: Any = None, period: str = "D", unit: str | None = None
) -> pd.DataFrame:
    """Per-customer repeat purchases, recency, age and mean repeat spend (lifetimes' semantics).

    Parameters
    ----------
    tx : pandas.DataFrame, or a DuckDB relation, polars, Dask or Spark frame
        Transactions with ``customer_id``, ``order_date`` (datetime) and ``amount``; a
        frame of another engine is summarised in that engine and only one row per
        customer comes back (:mod:`rfvkit.clv_engine`). Lines
        with a negative amount are returns and are left out: a return is not a purchase,
        and returned money is not subtracted from the spend. Zero-amount lines (free items)
        are purchases, as in the CDNOW data of Fader, Hardie & Lee (2005).
    as_of : date-like, optional
        End of the observation period, inclusive (lifetimes' ``observation_period_end``).
        Lines after it are left out with a warning. Default: the day after the last line,
        as everywhere in rfvkit.
    period : {"D", "W", "M"}
        Bucket: several purchases in one day/week/month count once, their spend adds up.
    unit : {"D", "W", "M"}, optional
        Time unit of ``recency`` and ``T``; defaults to ``period``. ``period="D", unit="W"``
        gives weeks to the day (days / 7), the convention of Fader, Hardie & Lee (2005)
        and lifetimes' ``freq="D", freq_multiplier=7``.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id`` (sorted); ``frequency`` (int, distinct purchase periods - 1),
        ``recency`` (last - first period), ``T`` (as_of - first period),
        ``monetary_value`` (mean spend of the repeat periods, 0 without repeats).
        ``attrs``: ``as_of``, ``period``, ``unit``, ``unit_days`` (days per unit).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a"], "amount": [3.0, 4.0],
    ...                    "order_date": pd.to_datetime(["2024-01-01", "2024-01-15"])})
    >>> clv_summary(tx, as_of="2024-01-29", unit="W")[["frequency", "recency", "T"]].iloc[0].tolist()
    [1.0, 2.0, 4.0]
    """
    period, unit = _check_period(period, unit)
    if not isinstance(tx, pd.DataFrame):
        from rfvkit.clv_engine import engine_summary

        return engine_summary(tx, as_of=as_of, period=period, unit=unit)
    lines = _purchases(tx, "transactions")
    stamp = _as_of(lines, as_of)
    limit = np.datetime64(_period_end(stamp, period))
    dates = lines["order_date"].to_numpy("datetime64[ns]")
    inside = dates < limit
    if not inside.all():
        if not inside.any():
            raise EmptyDataError(
                f"transactions: every purchase is after as_of {stamp.date()}; choose a later as_of."
            )
        warnings.warn(
            f"{int((~inside).sum()):,} purchase lines are dated after as_of {stamp.date()} "
            "and were left out.",
            stacklevel=2,
        )
    return _summarise(
        lines["customer_id"].to_numpy()[inside],
        dates[inside],
        lines["amount"].to_numpy()[inside],
        stamp,
        period,
        unit,
    )


def _period_end(stamp: pd.Timestamp, period: str) -> pd.Timestamp:
    """First instant after the period holding ``stamp`` (lines before it are observed)."""
    return pd.Period(stamp, freq=period).end_time.floor("D") + pd.Timedelta(days=1)


def calibration_holdout(
    tx: pd.DataFrame,
    *,
    calibration_end: Any = None,
    as_of: Any = None,
    period: str = "D",
    unit: str | None = None,
    holdout_days: int = 180,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split transactions into a calibration summary and what the same customers did next.

    As ``lifetimes.utils.calibration_and_holdout_data``: the model is fitted on purchases up
    to ``calibration_end`` (inclusive) and checked on the holdout ``(calibration_end, as_of]``.
    Only customers who bought in the calibration period are followed; every holdout
    purchase period of theirs is a repeat purchase.

    Parameters
    ----------
    tx : pandas.DataFrame
        Transactions, as for :func:`clv_summary`.
    calibration_end : date-like, optional
        Last day of the calibration period; default ``as_of`` minus ``holdout_days``.
    as_of : date-like, optional
        Last day of the holdout; default the day after the last transaction.
    period, unit : str
        As for :func:`clv_summary`.
    holdout_days : int
        Holdout length when ``calibration_end`` is not given.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        ``cal``: :func:`clv_summary` of the calibration period. ``hold`` (same index):
        ``frequency_holdout`` (purchase periods in the holdout), ``monetary_value_holdout``
        (their mean spend, 0 if none) and ``duration_holdout`` (holdout length in units).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a"], "amount": [1.0, 2.0, 4.0],
    ...                    "order_date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-02-01"])})
    >>> cal, hold = calibration_holdout(tx, calibration_end="2024-01-10", as_of="2024-02-09")
    >>> int(cal["frequency"].iloc[0]), int(hold["frequency_holdout"].iloc[0])
    (1, 1)
    """
    period, unit = _check_period(period, unit)
    if not isinstance(tx, pd.DataFrame):
        from rfvkit.clv_engine import engine_calibration_holdout

        return engine_calibration_holdout(
            tx,
            calibration_end=calibration_end,
            as_of=as_of,
            period=period,
            unit=unit,
            holdout_days=holdout_days,
        )
    lines = _purchases(tx, "transactions")
    end, cal_end = _holdout_dates(lines, calibration_end, as_of, holdout_days)
    dates = lines["order_date"].to_numpy("datetime64[ns]")
    split, stop = (
        np.datetime64(_period_end(cal_end, period)),
        np.datetime64(_period_end(end, period)),
    )
    in_cal = dates < split
    if not in_cal.any():
        raise EmptyDataError(
            f"transactions: no purchase on or before calibration_end {cal_end.date()}."
        )
    customers, amount = lines["customer_id"].to_numpy(), lines["amount"].to_numpy()
    cal = _summarise(customers[in_cal], dates[in_cal], amount[in_cal], cal_end, period, unit)
    in_hold = (dates >= split) & (dates < stop) & pd.Series(customers).isin(cal.index).to_numpy()
    frame = pd.DataFrame(
        {
            "customer_id": customers[in_hold],
            "amount": amount[in_hold],
            "bucket": _period_index(dates[in_hold], period),
        }
    )
    per_period = frame.groupby(["customer_id", "bucket"], sort=False)["amount"].sum()
    per_customer = per_period.groupby(level=0).agg(["size", "mean"])
    return cal, _holdout_table(cal, per_customer, end, cal_end)


def _holdout_dates(lines: Any, calibration_end: Any, as_of: Any, holdout_days: int):
    """``(as_of, calibration_end)`` as timestamps, defaults filled, checked in order."""
    end = _as_of(lines, as_of)
    if calibration_end is None:
        cal_end = end - pd.Timedelta(days=holdout_days)
    else:
        cal_end = _as_of(lines, calibration_end)
    if end <= cal_end:
        raise BadParameterError(
            f"calibration_end: {cal_end.date()} must be before as_of {end.date()}; "
            "pick a calibration end that leaves a holdout period."
        )
    return end, cal_end


def _holdout_table(
    cal: pd.DataFrame, per_customer: pd.DataFrame, end: pd.Timestamp, cal_end: pd.Timestamp
) -> pd.DataFrame:
    """The ``hold`` frame of :func:`calibration_holdout` from per-customer holdout periods.

    ``per_customer``: index customer_id, ``size`` (purchase periods in the holdout) and
    ``mean`` (their mean spend); customers not in ``cal`` are ignored.
    """
    period, unit = cal.attrs["period"], cal.attrs["unit"]
    scale = 7.0 if (period, unit) == ("D", "W") else 1.0
    end_index = _period_index(np.array([end.to_datetime64()]), period)[0]
    cal_index = _period_index(np.array([cal_end.to_datetime64()]), period)[0]
    hold = pd.DataFrame(
        {
            "frequency_holdout": 0,
            "monetary_value_holdout": 0.0,
            "duration_holdout": float(end_index - cal_index) / scale,
        },
        index=cal.index,
    )
    per_customer = per_customer[per_customer.index.isin(cal.index)]
    if len(per_customer):
        hold.loc[per_customer.index, "frequency_holdout"] = per_customer["size"].to_numpy()
        hold.loc[per_customer.index, "monetary_value_holdout"] = per_customer["mean"].to_numpy()
    hold.attrs.update(cal.attrs, calibration_end=cal_end, as_of=end)
    return hold
