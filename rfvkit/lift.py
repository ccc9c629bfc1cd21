"""Lift statistics for one segment of a campaign: intervals, tests, detectable lift.

All from statsmodels and scipy, never hand-written formulas:

- absolute lift: Newcombe's hybrid score interval for a difference of proportions (Newcombe 1998,
  *Statistics in Medicine* 17:873, method 10), ``confint_proportions_2indep(compare="diff",
  method="newcomb")``;
- relative lift: the ratio interval ``confint_proportions_2indep(compare="ratio")`` (statsmodels'
  default ``log-adjusted``), shown as ratio - 1;
- p-value: the score test for the difference (Miettinen & Nurminen 1985),
  ``test_proportions_2indep(compare="diff", method="score")``;
- minimum detectable lift: Cohen's effect size h (``proportion_effectsize``) solved at 80% power
  with ``statsmodels.stats.power.NormalIndPower`` (Cohen 1988, ch. 6), turned back into points of
  conversion with ``scipy.optimize.brentq``;
- opt-outs: the one-sided score test of the treatment opt-out rate against the campaign's
  holdout rate (``test_proportions_2indep(alternative="larger")``);
- revenue per recipient: Welch's unequal-variance t interval,
  ``scipy.stats.ttest_ind(..., equal_var=False).confidence_interval()`` (Welch 1947).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = [
    "lift_interval",
    "minimum_detectable_lift",
    "holdout_needed",
    "optout_excess",
    "segment_stats",
]


def lift_interval(
    converted_treatment: int,
    treatment: int,
    converted_holdout: int,
    holdout: int,
    *,
    alpha: float = 0.05,
) -> dict[str, float]:
    """Absolute and relative lift of treatment over holdout with intervals and p-value.

    Newcombe hybrid score interval for the difference, statsmodels' ratio interval for the
    relative lift (ratio - 1), score test p-value (see the module docstring for references).

    Examples
    --------
    >>> out = lift_interval(120, 1000, 80, 1000)
    >>> round(out["lift"], 3), round(out["lift_low"], 4), round(out["lift_high"], 4)
    (0.04, 0.0137, 0.0664)
    """
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
    )

    nan = float("nan")
    out = dict.fromkeys(
        ["lift", "lift_low", "lift_high", "relative_lift", "relative_low", "relative_high"], nan
    )
    out["p_value"] = nan
    if treatment < 1 or holdout < 1:
        return out
    args = (converted_treatment, treatment, converted_holdout, holdout)
    out["lift"] = converted_treatment / treatment - converted_holdout / holdout
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(*args, compare="diff", method="newcomb", alpha=alpha)
        out["lift_low"], out["lift_high"] = float(low), float(high)
        if converted_holdout > 0:
            out["relative_lift"] = out["lift"] / (converted_holdout / holdout)
            rlow, rhigh = confint_proportions_2indep(*args, compare="ratio", alpha=alpha)
            out["relative_low"], out["relative_high"] = float(rlow) - 1, float(rhigh) - 1
        if 0 < converted_treatment + converted_holdout < treatment + holdout:
            test = test_proportions_2indep(*args, compare="diff", method="score")
            out["p_value"] = float(test.pvalue)
        else:  # nobody (or everybody) converted: no evidence of a difference
            out["p_value"] = 1.0
    return out


def minimum_detectable_lift(
    treatment: int,
    holdout: int,
    baseline: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest lift (points of conversion) a two-sided test detects with ``power``.

    Solves Cohen's h with ``NormalIndPower`` for the two group sizes, then finds the treatment
    rate whose ``proportion_effectsize`` against ``baseline`` equals it. ``inf`` when no rate up
    to 100% would be detected; NaN without holdout.

    Examples
    --------
    >>> round(minimum_detectable_lift(1000, 1000, 0.08), 4)
    0.0372
    """
    from scipy.optimize import brentq
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if treatment < 1 or holdout < 1 or not 0 <= baseline < 1:
        return float("nan")
    h = NormalIndPower().solve_power(
        effect_size=None, nobs1=holdout, ratio=treatment / holdout, alpha=alpha, power=power
    )
    if proportion_effectsize(1.0, baseline) < h:
        return float("inf")
    return float(
        brentq(lambda d: proportion_effectsize(baseline + d, baseline) - h, 0, 1 - baseline)
    )


def holdout_needed(
    lift: float, baseline: float, ratio: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Holdout size that detects ``lift`` over ``baseline`` with ``power`` (NormalIndPower),
    at ``ratio`` treatment customers per holdout customer; NaN when it cannot be computed."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if not (0 < lift < 1 - baseline) or not 0 <= baseline < 1 or not ratio > 0:
        return float("nan")
    h = proportion_effectsize(baseline + lift, baseline)
    n = NormalIndPower().solve_power(
        effect_size=h, nobs1=None, ratio=ratio, alpha=alpha, power=power
    )
    return float(np.ceil(n))


def optout_excess(optouts: int, treatment: int, holdout_optouts: int, holdout: int) -> float:
    """One-sided p-value that treatment opts out more than the campaign's whole holdout.

    The score test of ``test_proportions_2indep(alternative="larger")``; the holdout of the
    whole campaign is the baseline, as one segment's holdout rarely sees an opt-out at all.
    Without a holdout, 0 when anyone opted out (nothing to compare with), else 1.

    Examples
    --------
    >>> round(optout_excess(17, 382, 3, 430), 4) < 0.05, optout_excess(0, 100, 3, 430)
    (True, 1.0)
    """
    from statsmodels.stats.proportion import test_proportions_2indep

    if treatment < 1 or optouts == 0:
        return 1.0
    if holdout < 1:
        return 0.0
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        test = test_proportions_2indep(
            optouts, treatment, holdout_optouts, holdout, method="score", alternative="larger"
        )
    return float(test.pvalue)


def segment_stats(
    name, part, total, *, alpha, power, min_lift, optout_limit, sms_price, holdout_optouts=(0, 0)
) -> dict:
    """One row of ``CampaignResults.by_segment`` from the recipients of one segment."""
    from scipy.stats import ttest_ind

    t, h = part[part["group"] == "treatment"], part[part["group"] == "holdout"]
    nt, nh = len(t), len(h)
    ct, ch = int(t["converted"].sum()), int(h["converted"].sum())
    nan = float("nan")
    row: dict[str, Any] = {
        "segment": name,
        "customers": len(part),
        "share": len(part) / total if total else nan,
        "treatment": nt,
        "holdout": nh,
        "converted_treatment": ct,
        "converted_holdout": ch,
        "conversion_treatment": ct / nt if nt else nan,
        "conversion_holdout": ch / nh if nh else nan,
    }
    row.update(lift_interval(ct, nt, ch, nh, alpha=alpha))
    baseline = row["conversion_holdout"]
    mde = minimum_detectable_lift(nt, nh, baseline, alpha=alpha, power=power) if nh else nan
    row["min_detectable_lift"] = mde
    target = max(abs(row["lift"]), min_lift) if nh else nan
    row["holdout_needed"] = (
        holdout_needed(target, baseline, nt / nh, alpha=alpha, power=power) if nh and nt else nan
    )
    row["too_small"] = bool(nh and nt and not mde <= target)
    row["verdict"] = _verdict(row, nh, nt)
    rt = t["revenue"].to_numpy()
    rh = h["revenue"].to_numpy()
    row["revenue_per_recipient_treatment"] = rt.mean() if nt else nan
    row["revenue_per_recipient_holdout"] = rh.mean() if nh else nan
    row["revenue_diff"] = (
        row["revenue_per_recipient_treatment"] - row["revenue_per_recipient_holdout"]
    )
    low = high = nan
    if nt >= 2 and nh >= 2 and (rt.var() > 0 or rh.var() > 0):
        ci = ttest_ind(rt, rh, equal_var=False).confidence_interval(confidence_level=1 - alpha)
        low, high = float(ci.low), float(ci.high)
    row["revenue_diff_low"], row["revenue_diff_high"] = low, high
    row["incremental_conversions"] = row["lift"] * nt
    row["incremental_revenue"] = row["revenue_diff"] * nt
    for group, frame in (("treatment", t), ("holdout", h)):
        orders = frame["orders"].sum()
        row[f"aov_{group}"] = frame["sales"].sum() / orders if orders else nan
    for group, frame, n in (("treatment", t, nt), ("holdout", h, nh)):
        row[f"retention_{group}"] = (frame["orders"] >= 2).mean() if n else nan
    for group, frame, n in (("treatment", t, nt), ("holdout", h, nh)):
        row[f"optouts_{group}"] = int(frame["opted_out"].sum())
        row[f"optout_rate_{group}"] = row[f"optouts_{group}"] / n if n else nan
    row["optout_p_value"] = optout_excess(row["optouts_treatment"], nt, *holdout_optouts)
    own = row["optout_rate_holdout"]  # a segment whose own holdout opts out as much: not the SMS
    row["sheds"] = bool(
        row["optout_rate_treatment"] > optout_limit
        and row["optout_p_value"] < alpha
        and not row["optout_rate_treatment"] <= own
    )
    row["sms_cost"] = nt * sms_price if sms_price is not None else nan
    cost = row["sms_cost"]
    row["roi"] = (row["incremental_revenue"] - cost) / cost if cost and cost > 0 else nan
    return row


def _verdict(row: dict, nh: int, nt: int) -> str:
    """works / hurts / no effect / too small to tell / no holdout (see measure_campaign)."""
    if not nh or not nt:
        return "no holdout"
    if row["too_small"]:
        return "too small to tell"
    if row["lift_low"] > 0:
        return "works"
    if row["lift_high"] < 0:
        return "hurts"
    return "no effect"
