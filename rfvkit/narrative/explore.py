"""Computed sentences of chapter 01 (explore): data quality, headline findings, RFV overview."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from rfvkit.narrative._format import _flat, pct
from rfvkit.quality import QualityReport


def quality_text(quality: QualityReport) -> Markdown:
    """Summarise the data-quality report in a few sentences.

    Examples
    --------
    >>> quality_text(crm.quality)  # doctest: +SKIP
    """
    lines = []
    for table, c in quality.counts().items():
        dropped = quality.frame.query("table == @table and action == 'dropped'")
        reasons = ", ".join(
            f"{row.rule} {row.rows:,}"
            for row in dropped.sort_values("rows", ascending=False).itertuples()
        )
        text = f"- **{table}**: read {c['input']:,} rows, kept {c['kept']:,}"
        text += f", dropped {c['dropped']:,} ({reasons})." if c["dropped"] else ", dropped none."
        lines.append(text)
    kept = quality.frame.query("action != 'dropped' and rows > 0")
    if len(kept):
        changes = "; ".join(f"{r.rule}: {r.rows:,} ({r.action})" for r in kept.itertuples())
        lines.append(f"- Kept but worth knowing: {changes}.")
    return Markdown("\n".join(lines) or "No rows were read.")


def explore_text(
    segmented: pd.DataFrame, summary: pd.DataFrame, *, currency: str = "$"
) -> Markdown:
    """The headline findings of the explore chapter, computed from the data.

    Examples
    --------
    >>> explore_text(segmented, summary)  # doctest: +SKIP
    """
    n = len(segmented)
    if n == 0:
        return Markdown("No customers to describe.")
    revenue = segmented["monetary"].clip(lower=0)
    total = revenue.sum()
    ranked = revenue.sort_values(ascending=False).to_numpy()
    top20 = ranked[: max(1, round(0.2 * n))].sum() / total if total > 0 else float("nan")
    one_timers = (segmented["frequency"] <= 1).mean()
    summary = _flat(summary)
    used = summary[summary["customers"] > 0]
    lead = used.sort_values("revenue_share", ascending=False).iloc[0]
    sentences = [
        f"{pct(lead['revenue_share'])} of revenue comes from {pct(lead['share'])} of customers "
        f"({lead['segment']}).",
        f"The top 20% of customers by value bring {pct(top20)} of revenue.",
        f"The median customer has placed {segmented['frequency'].median():.0f} order(s), last "
        f"{segmented['recency_days'].median():.0f} days ago, worth "
        f"{currency}{segmented['monetary'].median():,.0f} in total; "
        f"{pct(one_timers)} of customers have bought only once.",
    ]
    biggest = used.sort_values("customers", ascending=False).iloc[0]
    sentences.append(
        f"The largest segment is {biggest['segment']} ({pct(biggest['share'])} of customers, "
        f"{pct(biggest['revenue_share'])} of revenue)."
    )
    if "At Risk" in set(used["segment"]) or "Can't Lose Them" in set(used["segment"]):
        risky = used[used["segment"].isin(["At Risk", "Can't Lose Them"])]
        sentences.append(
            f"{risky['customers'].sum():,} customers who used to buy well are slipping away "
            f"(At Risk / Can't Lose Them), holding {pct(risky['revenue_share'].sum())} of revenue: "
            "the first audience for a win-back SMS."
        )
    return Markdown(" ".join(sentences))


def rfv_overview(rfv: pd.DataFrame, *, currency: str = "$"):
    """Count, mean, quartiles and max of the RFV metrics, formatted in their units.

    Examples
    --------
    >>> rfv_overview(rfv, currency="£")  # doctest: +SKIP
    """
    metrics = {
        "recency_days": "days",
        "frequency": "orders",
        "monetary": currency,
        "avg_order_value": currency,
        "tenure_days": "days",
    }
    present = [m for m in metrics if m in rfv.columns]
    table = rfv[present].describe(percentiles=[0.25, 0.5, 0.75, 0.9]).T
    table.insert(0, "unit", [metrics[m] for m in present])
    table["count"] = table["count"].astype(int)
    return table.style.format("{:,.1f}", subset=table.columns[2:]).format("{:,}", subset=["count"])
