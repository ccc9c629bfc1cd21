"""Figures of chapter 05 (campaign results): lift forest, migration Sankey, segment sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rfvkit.errors import BadParameterError, require_columns
from rfvkit.plots._style import MEDIAN_COLOR, PALETTE, _base, _colors, _no_data

__all__ = ["lift_forest", "migration_sankey", "segment_sizes"]

VERDICT_COLORS = {
    "works": PALETTE[1],
    "hurts": PALETTE[6],
    "no effect": PALETTE[0],
    "too small to tell": "rgb(160, 160, 160)",
    "no holdout": "rgb(200, 200, 200)",
}


def lift_forest(res) -> go.Figure:
    """Absolute lift and its 95% interval per segment (overall last), with a zero line.

    Parameters
    ----------
    res : CampaignResults or DataFrame
        :func:`rfvkit.measure_campaign` output, or its ``by_segment`` (``segment``, ``lift``,
        ``lift_low``, ``lift_high``, ``verdict``, ``treatment``, ``holdout``).

    Examples
    --------
    >>> by = pd.DataFrame({"segment": ["A", "All segments"], "lift": [0.04, 0.03],
    ...     "lift_low": [0.01, 0.0], "lift_high": [0.07, 0.06], "verdict": ["works", "no effect"],
    ...     "treatment": [100, 200], "holdout": [50, 100]})
    >>> sorted(round(float(x), 1) for trace in lift_forest(by).data for x in trace.x)
    [3.0, 4.0]
    """
    if res is None:
        return _no_data(_base("Lift per segment"), "No campaign send log in the parameters.")
    by = res.by_segment if hasattr(res, "by_segment") else res
    require_columns(
        by,
        ["segment", "lift", "lift_low", "lift_high", "verdict", "treatment", "holdout"],
        table="by_segment",
    )
    title = "Lift per segment: treatment minus holdout conversion, 95% CI"
    if hasattr(res, "campaign_id"):
        title += f"<br><sup>{res.campaign_id}, {res.window_days}-day window</sup>"
    fig = _base(title)
    frame = by[by["lift"].notna()].iloc[::-1]  # plotly draws the first row at the bottom
    if frame.empty:
        return _no_data(fig, "No holdout: the lift cannot be estimated.")
    for verdict, part in frame.groupby("verdict", sort=False):
        fig.add_trace(
            go.Scatter(
                x=100 * part["lift"],
                y=part["segment"].astype(str),
                mode="markers",
                name=str(verdict),
                marker={"size": 11, "color": VERDICT_COLORS.get(verdict, MEDIAN_COLOR)},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": 100 * (part["lift_high"] - part["lift"]),
                    "arrayminus": 100 * (part["lift"] - part["lift_low"]),
                    "thickness": 2,
                },
                customdata=np.column_stack(
                    [
                        100 * part["lift_low"],
                        100 * part["lift_high"],
                        part["treatment"],
                        part["holdout"],
                    ]
                ),
                hovertemplate="%{y}: %{x:+.1f} pts (%{customdata[0]:+.1f} to "
                "%{customdata[1]:+.1f})<br>treatment %{customdata[2]:,}, holdout "
                "%{customdata[3]:,}<extra>%{fullData.name}</extra>",
            )
        )
    fig.add_vline(x=0, line={"color": MEDIAN_COLOR, "dash": "dash", "width": 1})
    fig.update_yaxes(categoryorder="array", categoryarray=frame["segment"].astype(str).tolist())
    fig.update_xaxes(title="lift (percentage points of conversion)", zeroline=False)
    fig.update_layout(height=max(320, 60 + 45 * len(frame)), legend_title="verdict")
    return fig


def migration_sankey(mig, *, min_customers: int = 1) -> go.Figure:
    """Sankey of customers from their earlier segment (left) to their current one (right).

    ``new`` customers enter on the left, ``gone`` ones leave on the right. Flows smaller than
    ``min_customers`` are left out (the title says how many customers that hides).

    Examples
    --------
    >>> from rfvkit.history import segment_migration
    >>> a = pd.DataFrame({"customer_id": ["1", "2"], "segment": ["A", "B"]})
    >>> b = pd.DataFrame({"customer_id": ["1", "2"], "segment": ["B", "B"]})
    >>> [int(v) for v in migration_sankey(segment_migration(a, b)).data[0].link.value]
    [1, 1]
    """
    if isinstance(min_customers, bool) or not isinstance(min_customers, int) or min_customers < 1:
        raise BadParameterError(f"min_customers: got {min_customers!r}; allowed: an integer >= 1.")
    if mig is None:
        return _no_data(_base("Segment migration"), "No earlier snapshot to compare with.")
    flows = mig.flows
    kept = flows[flows["customers"] >= min_customers]
    hidden = int(flows["customers"].sum() - kept["customers"].sum())
    left = list(mig.matrix.index)
    right = list(mig.matrix.columns)
    colors = _colors([*left, *right])
    labels = [f"{s} (before)" if s != "new" else "new" for s in left]
    labels += [f"{s} (now)" if s != "gone" else "gone" for s in right]
    node_colors = [colors[str(s)] for s in left] + [colors[str(s)] for s in right]
    when = ""
    if mig.before_as_of is not None and mig.after_as_of is not None:
        when = f" {mig.before_as_of:%Y-%m-%d} to {mig.after_as_of:%Y-%m-%d}"
    note = (
        f"<br><sup>flows under {min_customers} customers hidden ({hidden:,})</sup>"
        if hidden
        else ""
    )
    fig = _base(f"Segment migration{when}{note}")
    fig.add_trace(
        go.Sankey(
            arrangement="fixed",
            node={"label": labels, "color": node_colors, "pad": 12},
            link={
                "source": [left.index(s) for s in kept["from_segment"]],
                "target": [len(left) + right.index(s) for s in kept["to_segment"]],
                "value": kept["customers"].tolist(),
                "color": [_fade(colors[str(s)]) for s in kept["from_segment"]],
                "customdata": (100 * kept["share"]).round(1).tolist(),
                "hovertemplate": "%{source.label} -> %{target.label}: %{value:,} customers "
                "(%{customdata}% of the row)<extra></extra>",
            },
        )
    )
    fig.update_layout(height=max(420, 28 * max(len(left), len(right))))
    return fig


def segment_sizes(sizes: pd.DataFrame, *, share: bool = False) -> go.Figure:
    """Customers per segment over snapshots (``Snapshots.sizes()``), one line per segment.

    Examples
    --------
    >>> sizes = pd.DataFrame({"as_of": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    ...     "segment": ["A", "A"], "customers": [10, 12], "share": [1.0, 1.0]})
    >>> [int(y) for y in segment_sizes(sizes).data[0].y]
    [10, 12]
    """
    require_columns(sizes, ["as_of", "segment", "customers", "share"], table="sizes")
    metric = "share" if share else "customers"
    fig = _base("Segment sizes over snapshots" + (" (share of customers)" if share else ""))
    if sizes.empty:
        return _no_data(fig, "No snapshots yet.")
    colors = _colors(sizes["segment"])
    for name, part in sizes.sort_values("as_of").groupby("segment", sort=True):
        fig.add_trace(
            go.Scatter(
                x=part["as_of"],
                y=part[metric],
                mode="lines+markers",
                name=str(name),
                line={"color": colors[str(name)]},
                hovertemplate=f"{name}: %{{y:,{'.1%' if share else ''}}} on %{{x|%Y-%m-%d}}"
                "<extra></extra>",
            )
        )
    fig.update_yaxes(title="share of customers" if share else "customers", rangemode="tozero")
    if share:
        fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(title="snapshot (as of)")
    return fig


def _fade(color: str, alpha: float = 0.35) -> str:
    """``rgb(r, g, b)`` -> ``rgba(r, g, b, alpha)`` for Sankey links."""
    return color.replace("rgb(", "rgba(").replace(")", f", {alpha})")
