"""Figures of chapter 06: holdout check, cumulative tracking, p_alive map, CLV views.

The first two are the standard validation charts of Fader, Hardie & Lee (2005),
"Counting your customers the easy way", Marketing Science 24(2), Figures 2 and 4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rfvkit.errors import BadParameterError, require_columns
from rfvkit.plots._style import (
    HEAT_SCALE,
    MEDIAN_COLOR,
    PALETTE,
    _base,
    _fmt,
    _n,
    _no_data,
    _positive_int,
    _vline,
)

__all__ = [
    "holdout_check",
    "tracking_plot",
    "p_alive_heatmap",
    "clv_distribution",
    "clv_segment_bars",
]

_UNITS = {1.0: "days", 7.0: "weeks"}


def holdout_check(
    bg, cal: pd.DataFrame, hold: pd.DataFrame, *, max_frequency: int = 7
) -> go.Figure:
    """Actual vs predicted mean holdout purchases by calibration repeat purchases.

    Examples
    --------
    >>> holdout_check(bg, cal, hold)                          # doctest: +SKIP
    """
    from rfvkit.predict import holdout_comparison

    table = holdout_comparison(
        bg, cal, hold, max_frequency=_positive_int(max_frequency, "max_frequency")
    )
    unit = _UNITS.get(bg.unit_days_, "units")
    fig = _base(
        f"Holdout check: purchases in the {table.attrs['duration']:.0f} {unit} after calibration"
        f"<br><sup>by repeat purchases in calibration; mean absolute error "
        f"{table.attrs['mae']:.3f} purchases per customer</sup>"
    )
    hover = "%{x} repeat purchases<br>%{customdata:,} customers<br>%{y:.2f} purchases<extra>%{fullData.name}</extra>"
    for name, color, dash in (("actual", PALETTE[0], "solid"), ("predicted", PALETTE[1], "dash")):
        fig.add_trace(
            go.Scatter(
                x=table["frequency_cal"],
                y=table[name],
                name=name.capitalize(),
                mode="lines+markers",
                line={"color": color, "dash": dash},
                customdata=table["customers"],
                hovertemplate=hover,
            )
        )
    fig.update_layout(
        xaxis_title="Repeat purchases in the calibration period",
        yaxis_title="Mean purchases per customer in the holdout",
        xaxis_type="category",
    )
    return fig


def tracking_plot(track: pd.DataFrame, *, calibration_end=None) -> go.Figure:
    """Cumulative repeat purchases, actual vs BG/NBD expected, from :func:`rfvkit.tracking`.

    Examples
    --------
    >>> tracking_plot(rk.tracking(bg, tx, calibration_end="1997-09-30"))  # doctest: +SKIP
    """
    require_columns(
        track,
        ("date", "actual", "expected", "holdout"),
        table="track",
        hint="Build it with rk.tracking(bg, transactions, calibration_end=...).",
    )
    fig = _base("Cumulative repeat purchases: actual vs expected (BG/NBD)")
    if not len(track):
        return _no_data(fig, "No tracking period")
    fig.add_trace(
        go.Scatter(x=track["date"], y=track["actual"], name="Actual", line={"color": PALETTE[0]})
    )
    fig.add_trace(
        go.Scatter(
            x=track["date"],
            y=track["expected"],
            name="Expected",
            line={"color": PALETTE[1], "dash": "dash"},
        )
    )
    if calibration_end is not None:
        end = pd.Timestamp(calibration_end)
        fig.add_shape(
            type="line",
            xref="x",
            yref="y domain",
            x0=end,
            x1=end,
            y0=0,
            y1=1,
            line={"color": MEDIAN_COLOR, "dash": "dot", "width": 2},
        )
        fig.add_annotation(
            x=end,
            y=1,
            xref="x",
            yref="y domain",
            text="end of calibration",
            showarrow=False,
            xanchor="right",
            yanchor="top",
        )
    fig.update_layout(xaxis_title="Date", yaxis_title="Cumulative repeat purchases")
    return fig


def p_alive_heatmap(
    bg, summary: pd.DataFrame, *, max_frequency: int | None = None, cells: int = 30
) -> go.Figure:
    """P(alive) for a customer as old as the oldest in ``summary``, by frequency and recency.

    The grid of lifetimes' ``plot_probability_alive_matrix``: rows are repeat purchases,
    columns recency (time from first to last purchase); top right are frequent, recent
    buyers, bottom left the one-time buyers.

    Examples
    --------
    >>> p_alive_heatmap(bg, summary)                          # doctest: +SKIP
    """
    require_columns(summary, ("frequency", "recency", "T"), table="summary")
    cells = _positive_int(cells, "cells")
    T = float(summary["T"].max())
    top = max_frequency or int(max(1, np.ceil(summary["frequency"].quantile(0.99))))
    top = _positive_int(top, "max_frequency")
    freq = np.arange(0, top + 1)
    rec = np.linspace(0, T, cells)
    grid = pd.DataFrame(
        {"frequency": np.repeat(freq, len(rec)), "recency": np.tile(rec, len(freq)), "T": T}
    )
    grid.loc[grid["frequency"] == 0, "recency"] = 0.0  # no repeats: recency is 0 by definition
    z = bg.p_alive(grid).to_numpy().reshape(len(freq), len(rec))
    unit = _UNITS.get(bg.unit_days_, "units")
    fig = _base(
        f"Probability a customer is still active (age {T:,.0f} {unit}), by repeat "
        "purchases and recency"
    )
    fig.add_trace(
        go.Heatmap(
            x=rec,
            y=freq,
            z=z,
            zmin=0,
            zmax=1,
            colorscale=HEAT_SCALE,
            colorbar={"title": "P(alive)"},
            hovertemplate=f"recency %{{x:.0f}} {unit}<br>%{{y}} repeat purchases<br>"
            "P(alive) %{z:.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title=f"Recency: time between first and last purchase ({unit})",
        yaxis_title="Repeat purchases (frequency)",
    )
    return fig


def clv_distribution(predicted: pd.DataFrame, *, currency: str = "$", bins: int = 40) -> go.Figure:
    """Histogram of customer lifetime value (log scale) with the median marked.

    Examples
    --------
    >>> clv_distribution(pd.DataFrame({"clv": [1.0, 10.0, 100.0]})).layout.xaxis.type
    'log'
    """
    require_columns(predicted, ("clv",), table="predicted")
    values = predicted["clv"].to_numpy("float64")
    positive = values[np.isfinite(values) & (values > 0)]
    fig = _base(f"Customer lifetime value ({_n(len(values))})")
    if not positive.size:
        return _no_data(fig, "No customer with a positive CLV")
    floor = 0.01  # one cent: smaller values are shown in the first bar
    tiny = int((positive < floor).sum())
    positive = np.maximum(positive, floor)
    lo, hi = positive.min(), positive.max()
    n_bins = _positive_int(bins, "bins")
    edges = np.geomspace(lo, hi * 1.0001 if hi > lo else lo * 1.1, n_bins + 1)
    if tiny:
        fig.update_layout(
            title_text=f"Customer lifetime value ({_n(len(values))}; {tiny:,} below "
            f"{currency}{floor} shown in the first bar)"
        )
    counts, _ = np.histogram(positive, bins=edges)
    centres = np.sqrt(edges[:-1] * edges[1:])
    fig.add_trace(
        go.Bar(
            x=centres,
            y=counts,
            width=np.diff(edges),
            marker_color=PALETTE[0],
            name="customers",
            customdata=np.c_[edges[:-1], edges[1:]],
            hovertemplate=f"{currency}%{{customdata[0]:,.2f}} to {currency}%{{customdata[1]:,.2f}}"
            "<br>%{y:,} customers<extra></extra>",
        )
    )
    median = float(np.median(values[np.isfinite(values)]))
    if median > 0:
        _vline(
            fig,
            median,
            f"median {_fmt(median, 'revenue', currency)}",
            log=True,
            span=[np.log10(lo), np.log10(hi)],
        )
    fig.update_layout(
        xaxis_type="log",
        xaxis_title=f"Predicted value ({currency}, log scale)",
        yaxis_title="Customers",
        bargap=0,
        showlegend=False,
    )
    return fig


def clv_segment_bars(table: pd.DataFrame, *, currency: str = "$") -> go.Figure:
    """Median CLV per segment (bars), with each segment's share of total CLV as text.

    Examples
    --------
    >>> clv_segment_bars(rk.clv_by_segment(predicted))        # doctest: +SKIP
    """
    require_columns(
        table,
        ("segment", "customers", "median_clv", "clv_share"),
        table="table",
        hint="Build it with rk.clv_by_segment(predicted).",
    )
    if (table["customers"] < 0).any():
        raise BadParameterError("table: 'customers' must be >= 0.")
    order = table.sort_values("median_clv")
    fig = _base("Median customer lifetime value by segment (text: share of total CLV)")
    fig.add_trace(
        go.Bar(
            x=order["median_clv"],
            y=order["segment"].astype(str),
            orientation="h",
            marker_color=PALETTE[0],
            text=[f"{s:.0%}" for s in order["clv_share"]],
            textposition="outside",
            cliponaxis=False,
            customdata=order["customers"],
            hovertemplate=f"%{{y}}<br>median CLV {currency}%{{x:,.2f}}<br>"
            "%{customdata:,} customers<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title=f"Median predicted value ({currency})",
        yaxis_title="",
        showlegend=False,
        height=max(350, 40 * len(order) + 150),
    )
    return fig
