"""Figures of chapter 03 (personas): index heat map, age bands, top categories, survey coverage.

Each takes a table of :class:`rfvkit.personas.Personas` (``index``, ``spend``, ``coverage``)
and returns a figure; suppressed cells are simply absent (shown blank), never estimated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rfvkit.errors import require_columns
from rfvkit.plots._style import PALETTE, _base, _no_data

__all__ = ["persona_index_heatmap", "age_band_bars", "top_categories", "survey_coverage"]

#: Diverging scale centred on index 100 (blue = under-, red = over-represented).
INDEX_SCALE = "RdBu_r"


def _segments(frame: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(frame["segment"].astype(str)))


def persona_index_heatmap(
    index: pd.DataFrame, *, attribute: str = "region", cap: float = 200.0
) -> go.Figure:
    """Segment x value heat map of the audience index, diverging colour centred on 100.

    The colour scale runs from 0 to ``cap`` (indices above are drawn at ``cap``); the text
    is the index itself; hidden (suppressed) cells and ``Other`` are blank.

    Examples
    --------
    >>> idx = pd.DataFrame({"segment": ["A", "A", "B"], "attribute": "region",
    ...     "value": ["N", "S", "N"], "index": [150.0, 50.0, 80.0], "customers": [30, 10, 20]})
    >>> fig = persona_index_heatmap(idx)
    >>> fig.data[0].zmid, [list(r) for r in fig.data[0].z]
    (100.0, [[150.0, 50.0], [80.0, None]])
    """
    require_columns(index, ["segment", "attribute", "value", "index"], table="index")
    rows = index[(index["attribute"] == attribute) & (index["value"] != "Other")]
    fig = _base(f"Index by segment: {attribute} (100 = same as everyone; red = over-represented)")
    if attribute not in set(index["attribute"]):  # e.g. no poll in this run's parameters
        available = ", ".join(map(str, dict.fromkeys(index["attribute"])))
        return _no_data(fig, f"no attribute {attribute!r} here; available: {available}")
    if rows.empty:
        return _no_data(fig, "every cell is suppressed (fewer than min_group customers)")
    grid = rows.pivot_table(index="segment", columns="value", values="index", sort=False)
    grid = grid.reindex(index=_segments(rows))
    grid = grid[sorted(grid.columns, key=str)]
    z = grid.to_numpy(dtype=float)
    text = np.where(np.isnan(z), "", np.vectorize(lambda x: f"{x:.0f}")(np.nan_to_num(z)))
    fig.add_trace(
        go.Heatmap(
            z=[[None if np.isnan(v) else float(v) for v in r] for r in z],
            x=[str(c) for c in grid.columns],
            y=list(grid.index),
            text=text,
            texttemplate="%{text}",
            colorscale=INDEX_SCALE,
            zmin=0.0,
            zmax=float(cap),
            zmid=100.0,
            colorbar={"title": "index"},
            hovertemplate="%{y} / %{x}: index %{z:.0f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def age_band_bars(index: pd.DataFrame, *, attribute: str = "age_band") -> go.Figure:
    """Stacked horizontal bars: each segment's customers by age band (shares of those with a
    known age; suppressed bands fold into Other).

    Examples
    --------
    >>> idx = pd.DataFrame({"segment": ["A", "A"], "attribute": "age_band",
    ...     "value": ["18-24", "25-34"], "share_in_segment": [0.4, 0.6]})
    >>> [t.name for t in age_band_bars(idx).data]
    ['18-24', '25-34']
    """
    require_columns(index, ["segment", "attribute", "value", "share_in_segment"], table="index")
    rows = index[index["attribute"] == attribute]
    fig = _base("Age bands by segment (share of customers with a known age)")
    if rows.empty:
        return _no_data(fig, "no age or birth_year column, or every cell suppressed")
    segments = _segments(rows)
    bands = sorted((v for v in rows["value"].unique() if v != "Other"), key=_band_key)
    bands += ["Other"] if (rows["value"] == "Other").any() else []
    for i, band in enumerate(bands):
        share = rows[rows["value"] == band].set_index("segment")["share_in_segment"]
        share = share.reindex(segments)
        fig.add_trace(
            go.Bar(
                y=segments, x=share.fillna(0).tolist(), name=str(band), orientation="h",
                marker_color="lightgrey" if band == "Other" else PALETTE[i % len(PALETTE)],
                hovertemplate="%{y}: %{x:.0%}<extra>" + str(band) + "</extra>",
            )
        )  # fmt: skip
    fig.update_layout(barmode="stack", xaxis={"tickformat": ".0%", "range": [0, 1]})
    fig.update_yaxes(autorange="reversed")
    return fig


def _band_key(label: str) -> float:
    digits = "".join(ch if ch.isdigit() else " " for ch in str(label)).split()
    return -1 if str(label).startswith("under") else float(digits[0]) if digits else 1e9


def top_categories(spend: pd.DataFrame, *, attribute: str = "category", top: int = 5):
    """Grouped bars: each segment's share of spend on its top categories (index on hover).

    Examples
    --------
    >>> sp = pd.DataFrame({"segment": ["A", "A"], "attribute": "category",
    ...     "value": ["Home", "Pantry"], "spend_share": [0.7, 0.3], "index": [120.0, 80.0]})
    >>> [t.name for t in top_categories(sp).data]
    ['Home', 'Pantry']
    """
    fig = _base(f"Share of spend by {attribute} (top {top} per segment)")
    if spend.empty and len(spend.columns) == 0:  # no persona could be built (tiny data)
        return _no_data(fig, "no segment is large enough to describe its spend")
    require_columns(spend, ["segment", "attribute", "value", "spend_share"], table="spend")
    rows = spend[(spend["attribute"] == attribute) & (spend["value"] != "Other")]
    if rows.empty:
        return _no_data(fig, f"no {attribute} column in the transactions")
    rows = rows.sort_values("spend_share", ascending=False).groupby("segment", sort=False).head(top)
    segments = _segments(spend[spend["attribute"] == attribute])
    values = sorted(rows["value"].unique(), key=str)
    for i, value in enumerate(values):
        mine = rows[rows["value"] == value].set_index("segment").reindex(segments)
        fig.add_trace(
            go.Bar(
                x=segments, y=mine["spend_share"].tolist(), name=str(value),
                marker_color=PALETTE[i % len(PALETTE)],
                customdata=mine.get("index", pd.Series(np.nan, index=mine.index)).tolist(),
                hovertemplate="%{x}: %{y:.0%} of spend (index %{customdata:.0f})<extra>"
                + str(value) + "</extra>",
            )
        )  # fmt: skip
    fig.update_layout(barmode="group", yaxis={"tickformat": ".0%"})
    return fig


def survey_coverage(coverage: pd.DataFrame) -> go.Figure:
    """Bars: share of each segment's customers who answered each survey question.

    Examples
    --------
    >>> cov = pd.DataFrame({"segment": ["A", "B"], "attribute": "poll: contact",
    ...                     "source": "survey", "coverage": [0.6, 0.3]})
    >>> survey_coverage(cov).data[0].y
    (0.6, 0.3)
    """
    require_columns(coverage, ["segment", "attribute", "source", "coverage"], table="coverage")
    rows = coverage[coverage["source"] == "survey"]
    fig = _base("Survey coverage: share of each segment who answered")
    if rows.empty:
        return _no_data(fig, "no survey in the parameters (data: surveys: [...])")
    segments = _segments(rows)
    for i, (question, mine) in enumerate(rows.groupby("attribute", sort=False)):
        mine = mine.set_index("segment").reindex(segments)
        fig.add_trace(
            go.Bar(
                x=segments, y=mine["coverage"].tolist(), name=str(question),
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate="%{x}: %{y:.0%} answered<extra>" + str(question) + "</extra>",
            )
        )  # fmt: skip
    fig.update_layout(barmode="group", yaxis={"tickformat": ".0%", "range": [0, 1]})
    return fig
