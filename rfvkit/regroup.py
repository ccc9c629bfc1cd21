"""Regroup advice: what to do with each segment next, from its measured campaign results.

Suggestions only, with the numbers behind them; nothing here changes a rule set.

====================  =========================================================================
recommendation        when
====================  =========================================================================
stop messaging        the lift interval lies below zero, or the segment sheds subscribers
                      (``sheds``: opt-out rate over the limit and significantly over the
                      campaign holdout's) and its lift interval includes zero
shrink the audience   the lift interval lies above zero but the segment sheds subscribers, or
                      it works and does not pay for its messages (ROI below zero)
change the message    the holdout was large enough to see a lift worth having and saw none
keep                  it works and pays; or the holdout is too small to tell (then with the
                      holdout size that would tell), or there is no holdout to compare with
====================  =========================================================================
"""

from __future__ import annotations

import pandas as pd

__all__ = ["regroup", "RECOMMENDATIONS"]

RECOMMENDATIONS = ("keep", "change the message", "shrink the audience", "stop messaging")


def regroup(
    by_segment: pd.DataFrame, *, min_lift: float = 0.01, optout_limit: float = 0.03
) -> pd.DataFrame:
    """One recommendation and its reason per segment of ``CampaignResults.by_segment``.

    Parameters
    ----------
    by_segment : pandas.DataFrame
        As returned by :func:`rfvkit.measure_campaign` (``verdict``, lift interval, opt-out
        rate, ``roi``, ``holdout_needed``...).
    min_lift, optout_limit : float
        The same thresholds the campaign was measured with.

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``recommendation`` (one of :data:`RECOMMENDATIONS`), ``reason``.

    Examples
    --------
    >>> row = {"segment": "A", "verdict": "hurts", "lift": -0.03, "lift_low": -0.05,
    ...        "lift_high": -0.01, "optout_rate_treatment": 0.0, "roi": float("nan"),
    ...        "holdout_needed": float("nan"), "min_detectable_lift": 0.02}
    >>> regroup(pd.DataFrame([row]))["recommendation"].tolist()
    ['stop messaging']
    """
    rows = [
        (row["segment"], *_advice(row, min_lift, optout_limit)) for _, row in by_segment.iterrows()
    ]
    return pd.DataFrame(rows, columns=["segment", "recommendation", "reason"])


def _pts(x: float) -> str:
    return f"{100 * x:+.1f} pts"


def _advice(row: pd.Series, min_lift: float, optout_limit: float) -> tuple[str, str]:
    verdict = row["verdict"]
    optout = row["optout_rate_treatment"]
    if "sheds" in row:  # measured: over the limit and significantly over the holdout's rate
        sheds = bool(row["sheds"])
    else:
        baseline = row.get("optout_rate_holdout", float("nan"))
        sheds = pd.notna(optout) and optout > optout_limit
        sheds = sheds and not (pd.notna(baseline) and optout <= baseline)
    ci = f"lift {_pts(row['lift'])} (95% CI {_pts(row['lift_low'])} to {_pts(row['lift_high'])})"
    shed = f"opt-outs {100 * optout:.1f}% of recipients, over the {100 * optout_limit:.1f}% limit"
    if verdict == "no holdout":
        if sheds:
            return "shrink the audience", f"{shed}; no holdout, so the lift is unknown"
        return "keep", "no holdout, so the lift cannot be estimated: keep a holdout next time"
    if verdict == "hurts":
        return "stop messaging", f"{ci}: recipients bought less than the holdout"
    if verdict == "works":
        if sheds:
            return "shrink the audience", f"{ci}, but {shed}"
        if pd.notna(row["roi"]) and row["roi"] < 0:
            return "shrink the audience", f"{ci}, but ROI {100 * row['roi']:.0f}%: messages cost "
            "more than the extra revenue"
        return "keep", f"{ci}" + (f", ROI {100 * row['roi']:.0f}%" if pd.notna(row["roi"]) else "")
    if sheds and row["lift_low"] > 0:
        return "shrink the audience", f"{ci}, but {shed}"
    if sheds:
        return "stop messaging", f"{shed}, with no lift shown: {ci}"
    if verdict == "no effect":
        return "change the message", (
            f"{ci}: the holdout could detect {_pts(row['min_detectable_lift'])} and saw none"
        )
    need = row["holdout_needed"]
    more = f"; a holdout of {need:,.0f} would tell" if pd.notna(need) else ""
    return "keep", (
        f"too small to tell: {ci}, detectable only from {_pts(row['min_detectable_lift'])}{more}"
    )
