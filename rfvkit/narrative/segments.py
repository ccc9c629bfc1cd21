"""Computed text and tables of chapter 02 (segments)."""

from __future__ import annotations

import pandas as pd

from rfvkit.narrative._format import _flat


def segment_table(summary: pd.DataFrame, *, currency: str = "$"):
    """The segment summary formatted for reading (shares as %, money with the currency)."""
    summary = _flat(summary)  # columns in segment_summary order
    money = f"{currency}{{:,.0f}}"
    return summary.style.hide(axis="index").format(
        {
            "share": "{:.1%}",
            "revenue_share": "{:.1%}",
            "revenue": money,
            "median_monetary": money,
            "median_recency_days": "{:.0f}",
            "median_frequency": "{:.0f}",
            "customers": "{:,}",
        }
    )
