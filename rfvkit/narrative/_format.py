"""Shared formatting of the computed sentences: percentages and Markdown output."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown


def pct(x: float) -> str:
    """Format a share in [0, 1] as a percentage with sensible precision."""
    if pd.isna(x):
        return "n/a"
    value = 100 * float(x)
    if value != 0 and abs(value) < 1:
        return f"{value:.1f}%"
    return f"{value:.0f}%"


def markdown(text: str) -> Markdown:
    """Show a computed sentence as formatted text in notebooks and HTML reports."""
    return Markdown(text)


def _flat(summary: pd.DataFrame) -> pd.DataFrame:
    """The segment summary with ``segment`` as a column (it is the index of segment_summary)."""
    return summary.reset_index() if "segment" not in summary.columns else summary
