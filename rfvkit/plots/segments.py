"""Figures of chapter 02 (rule segments): treemap and bars of the segment summary."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from rfvkit.plots._style import (
    HEAT_SCALE,
    PALETTE,
    _base,
    _fmt,
    _no_data,
    _pct,
    _summary,
    _wrap,
)


def segment_treemap(summary: pd.DataFrame, *, currency: str = "$") -> go.Figure:
    """Treemap of segments: area = customers, colour = share of revenue.

    Parameters
    ----------
    summary : DataFrame
        Segment summary with ``segment, customers, share, revenue, revenue_share`` (shares as
        fractions 0..1) and optionally ``description`` and ``action``, shown on hover.
    currency : str
        Currency symbol for revenue.

    Examples
    --------
    >>> summary = pd.DataFrame({"segment": ["Champions", "Lost"], "customers": [10, 30],
    ...     "share": [0.25, 0.75], "revenue": [900.0, 100.0], "revenue_share": [0.9, 0.1]})
    >>> list(segment_treemap(summary).data[0].values)
    [10, 30]
    """
    frame = _summary(summary, ["segment", "customers", "share", "revenue", "revenue_share"])
    empty = frame.loc[frame["customers"] == 0, "segment"].astype(str).tolist()
    frame = frame[frame["customers"] > 0]
    colour = frame["revenue_share"].fillna(0).to_numpy(dtype=float)
    info = [
        [_pct(s), _fmt(r, "revenue", currency), _pct(rs), _wrap(d), _wrap(a)]
        for s, r, rs, d, a in zip(
            frame["share"],
            frame["revenue"],
            frame["revenue_share"],
            frame.get("description", [None] * len(frame)),
            frame.get("action", [None] * len(frame)),
            strict=True,
        )
    ]
    note = f"<br><sup>no customers (not shown): {', '.join(empty)}</sup>" if empty else ""
    fig = _base(f"Segments: area = customers, colour = share of revenue{note}")
    fig.add_trace(
        go.Treemap(
            labels=frame["segment"].astype(str).tolist(),
            parents=[""] * len(frame),
            values=frame["customers"].tolist(),
            customdata=info,
            sort=False,
            marker={
                "colors": colour,
                "colorscale": HEAT_SCALE,
                "cmin": min(0.0, colour.min(initial=0.0)),
                "cmax": max(colour.max(initial=0.0), 1e-9),
                "showscale": True,
                "colorbar": {"title": {"text": "Revenue share"}, "tickformat": ".0%"},
            },
            texttemplate="<b>%{label}</b><br>%{value:,} customers (%{customdata[0]})<br>"
            "%{customdata[2]} of revenue",
            hovertemplate="<b>%{label}</b><br>%{value:,} customers (%{customdata[0]})<br>"
            "revenue %{customdata[1]} (%{customdata[2]})"
            + ("<br><br>%{customdata[3]}" if "description" in frame.columns else "")
            + ("<br><i>Action:</i> %{customdata[4]}" if "action" in frame.columns else "")
            + "<extra></extra>",
        )
    )
    if frame.empty:
        _no_data(fig, "no customers to show")
    return fig


def segment_bars(summary: pd.DataFrame) -> go.Figure:
    """Share of customers vs share of revenue per segment, horizontal bars in the given order.

    Parameters
    ----------
    summary : DataFrame
        Segment summary with ``segment, share, revenue_share`` (fractions 0..1).

    Examples
    --------
    >>> summary = pd.DataFrame({"segment": ["Champions", "Lost"], "share": [0.25, 0.75],
    ...                         "revenue_share": [0.9, 0.1]})
    >>> [t.name for t in segment_bars(summary).data]
    ['Share of customers', 'Share of revenue']
    """
    frame = _summary(summary, ["segment", "share", "revenue_share"])
    names = frame["segment"].astype(str).tolist()
    fig = _base("Share of customers vs share of revenue per segment")
    for i, (column, name) in enumerate(
        [("share", "Share of customers"), ("revenue_share", "Share of revenue")]
    ):
        fig.add_trace(
            go.Bar(
                y=names,
                x=frame[column].tolist(),
                orientation="h",
                name=name,
                marker_color=PALETTE[i],
                texttemplate="%{x:.1%}",
                textposition="outside",
                hovertemplate=f"%{{y}}<br>{name.lower()}: %{{x:.1%}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.15})
    fig.update_xaxes(title_text="Share of total (%)", tickformat=".0%")
    fig.update_yaxes(
        title_text="Segment", categoryorder="array", categoryarray=names, autorange="reversed"
    )
    return fig


# ----------------------------------------------------------------------------- notebook 02
