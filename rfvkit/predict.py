"""Customer lifetime value from BG/NBD + Gamma-Gamma, and predictions joined onto segments.

CLV over a horizon of H days, in steps of ``step_days`` (the last step ends at H), with an
annual discount rate d (lifetimes' ``customer_lifetime_value`` uses the same sum with
monthly steps; Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for
Customer Base Analysis", *Journal of Marketing Research* 42(4), discount continuously):

    CLV_i = Σ_k  E[M_i] · (E[Y_i(t_k)] − E[Y_i(t_{k−1})]) / (1 + d)^(t_k / 365)

where E[Y_i(t)] is the BG/NBD conditional expected number of purchases in the next t
days (:meth:`BetaGeo.expected_purchases`) and E[M_i] the Gamma-Gamma conditional expected
spend per purchase (:meth:`GammaGamma.expected_spend`). Purchases in each step are
discounted at the step's end.

Example
-------
>>> clv = predict_clv(bg, gg, summary, horizon_days=365, discount_rate=0.10)  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from rfvkit.bgnbd import BetaGeo, FitError
from rfvkit.clv import calibration_holdout, clv_summary
from rfvkit.errors import BadParameterError, require_columns
from rfvkit.gammagamma import GammaGamma

__all__ = [
    "predict_clv",
    "add_predictions",
    "clv_by_segment",
    "high_value_at_risk",
    "holdout_comparison",
    "fitted_models",
    "tracking",
    "with_median_clv",
    "PREDICTION_COLUMNS",
]

#: Columns :func:`add_predictions` adds to a scored/segmented table.
PREDICTION_COLUMNS = ("p_alive", "expected_purchases_90d", "expected_spend", "clv")


def _number(value: object, name: str, low: float, *, strict: bool = True) -> float:
    ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or (value <= low if strict else value < low):
        sign = ">" if strict else ">="
        raise BadParameterError(f"{name}: got {value!r}; allowed: a number {sign} {low:g}.")
    return float(value)


def predict_clv(
    bg: BetaGeo,
    gg: GammaGamma,
    summary: pd.DataFrame,
    *,
    horizon_days: float = 365,
    discount_rate: float = 0.10,
    step_days: float = 30,
) -> pd.Series:
    """Discounted expected value of each customer's purchases over the next ``horizon_days``.

    Parameters
    ----------
    bg, gg : BetaGeo, GammaGamma
        Fitted models (``bg`` on ``summary``'s time unit).
    summary : pandas.DataFrame
        :func:`rfvkit.clv_summary` output (``attrs["unit_days"]`` says how long a unit is).
    horizon_days : float
        Length of the prediction window in days.
    discount_rate : float
        Annual discount rate (0.10 = 10% a year); 0 for undiscounted value.
    step_days : float
        Length of one discounting step in days (30: monthly, as lifetimes).

    Returns
    -------
    pandas.Series
        ``clv`` per customer, in money units, same index as ``summary``.

    Examples
    --------
    >>> predict_clv(bg, gg, summary, horizon_days=365).sum()   # doctest: +SKIP
    """
    horizon = _number(horizon_days, "horizon_days", 0)
    rate = _number(discount_rate, "discount_rate", 0, strict=False)
    step = _number(step_days, "step_days", 0)
    unit_days = float(summary.attrs.get("unit_days", getattr(bg, "unit_days_", 1.0)))
    bg._check_fitted()
    spend = gg.expected_spend(summary).to_numpy()
    require_columns(summary, ("frequency", "recency", "T"), table="summary")
    # customers with the same (x, t_x, T) share every prediction: compute each once
    keys = summary[["frequency", "recency", "T"]]
    group = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]
    x, t_x, T = (keys[c].to_numpy("float64")[first] for c in keys.columns)
    alive = bg._p_alive(x, t_x, T)
    ends = np.minimum(np.arange(1, int(np.ceil(horizon / step)) + 1) * step, horizon)
    value = np.zeros(len(first))
    before = np.zeros(len(first))
    for end in ends:
        upto = bg._if_alive(x, T, end / unit_days) * alive
        value += (upto - before) / (1.0 + rate) ** (end / 365.0)
        before = upto
    value = value[group]
    return pd.Series(value * spend, index=summary.index, name="clv")


def fitted_models(analysis: Any, *, period: str = "D") -> tuple[pd.DataFrame, BetaGeo, GammaGamma]:
    """The CLV summary of an analysis and BG/NBD and Gamma-Gamma fitted on it.

    With ``predict: true`` (or a rule set asking for ``p_alive``) the chain fitted them
    once (:func:`add_predictions` keeps them in ``segmented.attrs``): they are returned as
    they are. Otherwise the summary is computed from ``analysis.crm.transactions`` up to
    ``analysis.as_of`` and both models are fitted here (a :class:`FitError` says why one
    cannot be).

    Examples
    --------
    >>> summary, bg, gg = fitted_models(rk.analyse("params/sample.yaml"))  # doctest: +SKIP
    """
    attrs = analysis.segmented.attrs
    summary, bg, gg = attrs.get("clv_summary"), attrs.get("bgnbd"), attrs.get("gammagamma")
    if (
        isinstance(summary, pd.DataFrame)
        and summary.attrs.get("period") == period
        and isinstance(bg, BetaGeo)
        and isinstance(gg, GammaGamma)
    ):
        return summary, bg, gg
    summary = clv_summary(analysis.crm.transactions, as_of=analysis.as_of, period=period)
    return summary, BetaGeo().fit(summary), GammaGamma().fit(summary)


def add_predictions(
    segmented: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    as_of: Any = None,
    horizon_days: float = 365,
    discount_rate: float = 0.10,
    period: str = "D",
    models: tuple[BetaGeo, GammaGamma] | None = None,
    errors: str = "raise",
    summary: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The scored/segmented table with ``p_alive``, ``expected_purchases_90d``, ``clv`` added.

    Fits BG/NBD and Gamma-Gamma on every customer's history up to ``as_of`` and joins the
    predictions on ``customer_id`` (the index). Customers without purchase history get NaN.
    The fitted models are kept in ``attrs["bgnbd"]`` / ``attrs["gammagamma"]``; pass
    ``models=(bg, gg)`` to reuse models already fitted on the same summary. With
    ``errors="warn"`` a model that cannot be fitted (too few customers, no repeat
    purchases) gives a warning and NaN columns instead of an error, so a report still runs.

    Examples
    --------
    >>> scored = add_predictions(analysis.segmented, analysis.crm.transactions,
    ...                          as_of=analysis.as_of)         # doctest: +SKIP
    """
    if errors not in ("raise", "warn"):
        raise BadParameterError(f"errors: got {errors!r}; allowed: raise | warn.")
    if summary is None:  # else the caller's clv_summary of the same lines (fitted_models)
        summary = clv_summary(transactions, as_of=as_of, period=period)
    try:
        bg, gg = models or (BetaGeo().fit(summary), GammaGamma().fit(summary))
    except FitError as exc:
        if errors == "raise":
            raise
        warnings.warn(f"predictions left empty: {exc}", stacklevel=2)
        out = segmented.copy()
        for column in PREDICTION_COLUMNS:
            out[column] = np.nan
        return out
    unit_days = summary.attrs["unit_days"]
    frame = pd.DataFrame(
        {
            "p_alive": bg.p_alive(summary),
            "expected_purchases_90d": bg.expected_purchases(summary, t=90 / unit_days),
            "expected_spend": gg.expected_spend(summary),
            "clv": predict_clv(
                bg, gg, summary, horizon_days=horizon_days, discount_rate=discount_rate
            ),
        }
    )
    frame.index = frame.index.astype(str)
    out = segmented.drop(columns=[c for c in PREDICTION_COLUMNS if c in segmented.columns])
    out = out.join(frame, how="left")
    out.attrs = {
        **segmented.attrs,
        "bgnbd": bg,
        "gammagamma": gg,
        "clv_summary": summary,
        "horizon_days": horizon_days,
        "discount_rate": discount_rate,
    }
    return out


def clv_by_segment(predicted: pd.DataFrame, *, by: str = "segment") -> pd.DataFrame:
    """Customers, CLV total and share, median CLV and median p_alive per segment.

    Examples
    --------
    >>> clv_by_segment(add_predictions(seg, tx))              # doctest: +SKIP
    """
    require_columns(
        predicted,
        (by, "clv", "p_alive"),
        table="predicted",
        hint="Add predictions first with rk.add_predictions(segmented, transactions).",
    )
    table = predicted.groupby(by, sort=False, observed=True).agg(
        customers=("clv", "size"),
        clv=("clv", "sum"),
        median_clv=("clv", "median"),
        median_p_alive=("p_alive", "median"),
    )
    total = table["clv"].sum()
    table.insert(1, "share", table["customers"] / table["customers"].sum())
    table.insert(3, "clv_share", table["clv"] / total if total else np.nan)
    table = table.sort_values("clv", ascending=False).reset_index()
    return table.rename(columns={by: "segment"}) if by != "segment" else table


def high_value_at_risk(
    predicted: pd.DataFrame,
    *,
    min_clv_quantile: float = 0.8,
    max_p_alive: float = 0.5,
    past_value_quantile: float | None = None,
) -> pd.DataFrame:
    """Customers worth a lot but likely slipping away: high CLV, low p_alive.

    "High value" is CLV at or above its ``min_clv_quantile`` quantile; with
    ``past_value_quantile`` the past ``monetary`` value may qualify instead (customers who
    spent a lot but whose low p_alive already shrank their CLV). Sorted by CLV.

    Examples
    --------
    >>> risk = high_value_at_risk(predicted, max_p_alive=0.5)  # doctest: +SKIP
    """
    require_columns(
        predicted,
        ("clv", "p_alive"),
        table="predicted",
        hint="Add predictions first with rk.add_predictions(segmented, transactions).",
    )
    q = _number(min_clv_quantile, "min_clv_quantile", 0, strict=False)
    cut = _number(max_p_alive, "max_p_alive", 0)
    if q > 1 or cut > 1:
        raise BadParameterError("min_clv_quantile and max_p_alive must lie in [0, 1].")
    high = predicted["clv"] >= predicted["clv"].quantile(q)
    if past_value_quantile is not None and "monetary" in predicted.columns:
        past = _number(past_value_quantile, "past_value_quantile", 0, strict=False)
        high |= predicted["monetary"] >= predicted["monetary"].quantile(past)
    risky = high & (predicted["p_alive"] < cut)
    out = predicted.loc[risky].sort_values("clv", ascending=False).copy()
    if "segment" in out.columns:
        out.insert(out.columns.get_loc("segment"), "rfv_segment", out["segment"])
    out["segment"] = "High value at risk"  # feeds build_send_list like any segment
    return out


def holdout_comparison(
    bg: BetaGeo, cal: pd.DataFrame, hold: pd.DataFrame, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Actual vs predicted mean holdout purchases by number of calibration repeat purchases.

    The standard check of Fader, Hardie & Lee (2005), Figure 4: customers are grouped by
    calibration ``frequency`` (the last group is "max_frequency+"); ``predicted`` is the
    mean of :meth:`BetaGeo.expected_purchases` over the holdout duration.

    Returns
    -------
    pandas.DataFrame
        ``frequency_cal`` (label), ``customers``, ``actual``, ``predicted``, ``abs_error``;
        ``attrs["mae"]``: customer-weighted mean absolute error of the group means.

    Examples
    --------
    >>> holdout_comparison(bg, cal, hold)                     # doctest: +SKIP
    """
    require_columns(
        hold,
        ("frequency_holdout", "duration_holdout"),
        table="hold",
        hint="Build cal, hold with rk.calibration_holdout(...).",
    )
    duration = float(hold["duration_holdout"].iloc[0])
    predicted = bg.expected_purchases(cal, t=duration)
    group = cal["frequency"].clip(upper=max_frequency).astype("int64")
    table = (
        pd.DataFrame(
            {
                "group": group,
                "actual": hold["frequency_holdout"].reindex(cal.index),
                "predicted": predicted,
            }
        )
        .groupby("group")
        .agg(
            customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
        )
        .reset_index()
    )
    table.insert(
        0, "frequency_cal", [f"{g}+" if g == max_frequency else str(g) for g in table.pop("group")]
    )
    table["abs_error"] = (table["actual"] - table["predicted"]).abs()
    table.attrs["mae"] = float(np.average(table["abs_error"], weights=table["customers"]))
    table.attrs["duration"] = duration
    return table


def tracking(
    bg: BetaGeo,
    transactions: pd.DataFrame,
    *,
    calibration_end: Any,
    as_of: Any = None,
    step_days: int = 7,
    cal: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort: actual vs BG/NBD expected.

    FHL (2005) Figure 2: every customer whose first purchase is on or before
    ``calibration_end`` contributes E[X(t)] (eq. 9) from their first purchase on; actual
    repeat purchases are distinct purchase days after each customer's first.

    ``cal``, the calibration summary of :func:`calibration_holdout` for the same lines
    and dates (daily periods), saves computing it again.

    Returns
    -------
    pandas.DataFrame
        ``date`` (end of each step), ``actual``, ``expected`` (cumulative), ``holdout``
        (True after ``calibration_end``).

    Examples
    --------
    >>> tracking(bg, tx, calibration_end="1997-09-30", as_of="1998-06-30")  # doctest: +SKIP
    """
    if cal is None or cal.attrs.get("period") != "D":
        cal, _ = calibration_holdout(transactions, calibration_end=calibration_end, as_of=as_of)
    end = cal.attrs["as_of"]
    if isinstance(transactions, pd.DataFrame):
        firsts, repeats = _purchase_days(transactions, cal.index)
    else:  # distinct purchase days counted in the engine; one row per customer and day back
        from rfvkit.clv_engine import engine_purchase_days

        firsts, repeats = engine_purchase_days(transactions, calibration_end=end)
    repeats = repeats.sort_index()
    start = firsts.min()
    if as_of is not None:
        last = pd.Timestamp(as_of)
    else:
        last = firsts.max() if repeats.empty else max(firsts.max(), repeats.index.max())
    grid = pd.date_range(start + pd.Timedelta(days=step_days), last, freq=f"{step_days}D")
    cumulative = np.r_[0, np.cumsum(repeats.to_numpy())]
    actual = cumulative[np.searchsorted(repeats.index.to_numpy(), grid.to_numpy(), "right")]
    unit = bg.unit_days_
    origin = start - pd.Timedelta(days=1)
    first_t = ((firsts - origin).dt.days / unit).to_numpy()
    grid_t = ((grid - origin).days / unit).to_numpy()
    expected = bg.expected_cumulative(first_t, grid_t)
    return pd.DataFrame(
        {"date": grid.as_unit("ns"), "actual": actual, "expected": expected, "holdout": grid > end}
    )


def _purchase_days(transactions: pd.DataFrame, cohort: pd.Index) -> tuple[pd.Series, pd.Series]:
    """First purchase day per cohort customer, and per day the cohort's repeat purchase days.

    A purchase day is a distinct (customer, day) of lines with ``amount >= 0``; a repeat
    day is one after the customer's first. NumPy on integer day numbers: one sort.
    """
    buy = (transactions["amount"] >= 0).to_numpy()
    ids = transactions["customer_id"].to_numpy()[buy]
    dates = transactions["order_date"].to_numpy("datetime64[ns]")[buy]
    known = ~np.isnat(dates) & pd.notna(ids)
    codes, names = pd.factorize(ids[known])
    day = dates[known].astype("datetime64[D]").astype("int64")
    base, span = int(day.min()), int(day.max() - day.min()) + 1
    keys = np.unique(codes.astype("int64") * span + (day - base))  # sorted by customer, day
    customer, day = keys // span, keys % span + base
    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
    first = np.repeat(day[starts], np.diff(np.r_[starts, len(keys)]))
    in_cohort = pd.Index(names).isin(cohort)[customer]
    epoch = np.datetime64("1970-01-01", "D")
    firsts = pd.Series(
        (epoch + day[starts][in_cohort[starts]]).astype("datetime64[ns]"),
        index=np.asarray(names)[customer[starts][in_cohort[starts]]],
    )
    repeat_days, counts = np.unique(day[in_cohort & (day > first)], return_counts=True)
    repeats = pd.Series(
        counts, index=pd.DatetimeIndex((epoch + repeat_days).astype("datetime64[ns]"))
    )
    return firsts, repeats


def with_median_clv(summary: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """A segment summary (``rk.segment_summary``) with a ``median_clv`` column added.

    Examples
    --------
    >>> with_median_clv(rk.segment_summary(seg), add_predictions(seg, tx))  # doctest: +SKIP
    """
    require_columns(predicted, ("segment", "clv"), table="predicted")
    medians = predicted.groupby("segment", observed=True)["clv"].median()
    out = summary.copy()
    names = out["segment"] if "segment" in out.columns else out.index.to_series()
    out["median_clv"] = names.map(medians).to_numpy()
    return out
