"""Sentences of chapter 06: what the fitted models say, how well they predicted, who is worth what."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from rfvkit.narrative._format import pct
from rfvkit.privacy import mask_id, mask_phone

__all__ = ["fit_text", "holdout_text", "clv_text", "at_risk_table"]

_UNITS = {1.0: "day", 7.0: "week"}


def fit_text(bg, gg, *, currency: str = "$") -> Markdown:
    """What the fitted BG/NBD and Gamma-Gamma parameters mean, in plain words.

    Mean purchase rate while active is r/α per time unit; the mean drop-out probability
    after each purchase is a/(a+b) (Fader, Hardie & Lee 2005); mean spend per purchase is
    pγ/(q−1) (Fader & Hardie 2013).

    Examples
    --------
    >>> fit_text(bg, gg, currency="$")                        # doctest: +SKIP
    """
    p = bg.params_
    unit = _UNITS.get(bg.unit_days_, "time unit")
    per_year = p["r"] / p["alpha"] * 365.0 / bg.unit_days_
    dropout = p["a"] / (p["a"] + p["b"])
    lines = [
        f"The purchase model (BG/NBD) was fitted on {bg.n_customers_:,} customers "
        f"(log-likelihood {bg.log_likelihood_:,.1f}). While they are active, customers buy on "
        f"average {p['r'] / p['alpha']:.3g} times per {unit} (about {per_year:.1f} a year), and "
        f"after each purchase {pct(dropout)} of them, on average, stop buying for good.",
    ]
    if gg is not None:
        lines.append(
            f"The spend model (Gamma-Gamma) was fitted on the {gg.n_customers_:,} customers "
            f"with repeat purchases: a typical purchase is worth {currency}"
            f"{gg.population_mean_:,.2f}, and each customer's own average is trusted more the "
            f"more often they bought. Frequency and spend are "
            f"{'nearly independent' if abs(gg.correlation_) <= 0.3 else 'correlated'} "
            f"(Pearson r = {gg.correlation_:.2f}), "
            + (
                "as the model assumes."
                if abs(gg.correlation_) <= 0.3
                else "which the model assumes they are not: read CLV with care."
            )
        )
    return Markdown(" ".join(lines))


def holdout_text(table: pd.DataFrame) -> Markdown:
    """The holdout check in words: mean absolute error and the worst group.

    Examples
    --------
    >>> holdout_text(rk.holdout_comparison(bg, cal, hold))    # doctest: +SKIP
    """
    if not len(table):
        return Markdown("No customers to check.")
    worst = table.loc[table["abs_error"].idxmax()]
    actual = (table["actual"] * table["customers"]).sum()
    predicted = (table["predicted"] * table["customers"]).sum()
    return Markdown(
        f"Over the holdout, customers made {actual:,.0f} purchases; the model, fitted only on "
        f"the calibration period, predicted {predicted:,.0f} ({_gap(predicted, actual)}). The mean absolute error of the group means is {table.attrs.get('mae', float('nan')):.3f} "
        f"purchases per customer; the largest gap is for customers with "
        f"{worst['frequency_cal']} calibration repeat purchases ({worst['actual']:.2f} actual vs "
        f"{worst['predicted']:.2f} predicted)."
    )


def clv_text(
    predicted: pd.DataFrame,
    by_segment: pd.DataFrame,
    at_risk: pd.DataFrame,
    *,
    currency: str = "$",
    horizon_days: int = 365,
    discount_rate: float = 0.10,
) -> Markdown:
    """Total predicted value, where it sits, and how much of it is at risk.

    Examples
    --------
    >>> clv_text(predicted, rk.clv_by_segment(predicted), rk.high_value_at_risk(predicted))  # doctest: +SKIP
    """
    total = float(predicted["clv"].sum())
    if not len(predicted) or total <= 0:
        return Markdown("No customer value to describe.")
    top = by_segment.sort_values("clv", ascending=False).iloc[0]
    ranked = predicted["clv"].sort_values(ascending=False)
    top_fifth = ranked.head(max(1, len(ranked) // 5)).sum() / total
    likely_gone = float((predicted["p_alive"] < 0.5).mean())
    return Markdown(
        f"Over the next {horizon_days:,} days (discounted at {pct(discount_rate)} a year) the "
        f"{len(predicted):,} customers are expected to bring {currency}{total:,.0f}; the top "
        f"fifth of customers hold {pct(top_fifth)} of it. **{top['segment']}** hold the most "
        f"({pct(top['clv_share'])}, median {currency}{top['median_clv']:,.2f} per customer). "
        f"{pct(likely_gone)} of customers are more likely gone than active (p_alive < 0.5). "
        f"{len(at_risk):,} high-value customers have p_alive below the cut-off; their "
        f"predicted value, already reduced by that risk, is {currency}"
        f"{at_risk['clv'].sum():,.0f}: they are the list below. One-time buyers always have "
        f"p_alive = 1 in BG/NBD (nobody can drop out before a repeat purchase), so the list "
        f"only holds repeat customers."
    )


def _gap(predicted: float, actual: float) -> str:
    if not actual:
        return "no actual purchases to compare"
    share = predicted / actual - 1
    return f"{pct(abs(share))} {'above' if share > 0 else 'below'} the actual"


def at_risk_table(at_risk: pd.DataFrame, *, n: int = 20, currency: str = "$"):
    """The first ``n`` customers of a high-value-at-risk list, identifiers masked.

    Examples
    --------
    >>> at_risk_table(rk.high_value_at_risk(predicted), n=10)  # doctest: +SKIP
    """
    shown = at_risk.head(n)
    columns = [
        c
        for c in (
            "rfv_segment",
            "frequency",
            "recency_days",
            "monetary",
            "p_alive",
            "expected_purchases_90d",
            "clv",
        )
        if c in shown.columns
    ]
    table = shown[columns].copy()
    table.insert(0, "customer", [mask_id(i) for i in shown.index])
    if "phone" in shown.columns:
        table.insert(1, "phone", [mask_phone(p) for p in shown["phone"]])
    money = {c: f"{currency}{{:,.2f}}" for c in ("monetary", "clv") if c in table.columns}
    floats = {c: "{:.2f}" for c in ("p_alive", "expected_purchases_90d") if c in table.columns}
    return table.style.hide(axis="index").format({**money, **floats})
