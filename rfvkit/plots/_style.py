"""Shared look and helpers of every rfvkit figure: template, palette, labels, checks."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from rfvkit.errors import (
    BadParameterError,
    BadValuesError,
    examples,
    require_columns,
)

TEMPLATE = "plotly_white"
PALETTE = plotly.colors.qualitative.Safe
HEAT_SCALE = "Blues"
MEDIAN_COLOR = "rgb(68, 68, 68)"
RFV = ("recency_days", "frequency", "monetary")
MONEY = {"monetary", "avg_order_value", "revenue"}
_LABELS = {
    "recency_days": "Recency (days since last purchase)",
    "frequency": "Frequency (orders)",
    "monetary": "Monetary value ({c}, net of returns)",
    "avg_order_value": "Average order value ({c})",
    "tenure_days": "Tenure (days since first purchase)",
}
_SHORT = {"recency_days": "Recency", "frequency": "Frequency", "monetary": "Monetary value"}
_SCORES = {"r_score": "Recency (R)", "f_score": "Frequency (F)", "v_score": "Value (V)"}
_K_METRICS = {
    "inertia": "Inertia (within-cluster spread; look for the elbow)",
    "silhouette": "Silhouette (higher is better)",
    "calinski_harabasz": "Calinski-Harabasz (higher is better)",
    "davies_bouldin": "Davies-Bouldin (lower is better)",
    "stability": "Stability across seeds (higher is better)",
}


# ----------------------------------------------------------------------------- helpers
def _numeric(frame: pd.DataFrame, column: str, table: str) -> np.ndarray:
    series = frame[column]
    if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        raise BadValuesError(
            f"{table}: column {column!r} must be numeric, got dtype {series.dtype} "
            f"(e.g. {examples(series)}). Convert it with pd.to_numeric first."
        )
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise BadParameterError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _label(metric: str, currency: str) -> str:
    return _LABELS.get(metric, metric.replace("_", " ").capitalize()).format(c=currency)


def _fmt(value: float, metric: str, currency: str) -> str:
    if metric in MONEY:
        sign = "-" if value < 0 else ""
        digits = 0 if abs(value) >= 1000 else 2
        return f"{sign}{currency}{abs(value):,.{digits}f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _n(count: int) -> str:
    return f"{count:,} customer" + ("" if count == 1 else "s")


def _base(title: str, fig: go.Figure | None = None) -> go.Figure:
    fig = go.Figure() if fig is None else fig
    fig.update_layout(template=TEMPLATE, title={"text": title, "x": 0.01}, margin={"t": 90})
    return fig


def _no_data(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font_size=14
    )
    return fig


def _colors(names: Sequence[object]) -> dict[str, str]:
    """Colour per group, assigned by sorted name so every figure agrees."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(sorted({str(x) for x in names}))}


def _vline(
    fig: go.Figure,
    x: float,
    text: str,
    *,
    axis: int = 1,
    log: bool = False,
    span: list | None = None,
    annotate: bool = True,
) -> None:
    """Dashed vertical line at data value ``x`` with a label (annotations use log10 on log axes).

    ``span`` is the axis range (log10 on log axes); past its middle the label sits left of the line.
    """
    pos = math.log10(x) if log else x
    right = span is not None and pos > (span[0] + span[1]) / 2
    suffix = "" if axis == 1 else str(axis)
    xref, yref = f"x{suffix}", f"y{suffix} domain"
    line = {"color": MEDIAN_COLOR, "dash": "dash", "width": 2}
    fig.add_shape(type="line", xref=xref, yref=yref, x0=x, x1=x, y0=0, y1=1, line=line, name=text)
    if not annotate:
        return
    fig.add_annotation(
        x=pos,
        y=1,
        xref=xref,
        yref=yref,
        text=text,
        showarrow=False,
        xanchor="right" if right else "left",
        yanchor="top",
        bgcolor="rgba(255,255,255,0.8)",
    )


def _pct(value: float) -> str:
    return f"{value:.1%}" if pd.notna(value) else "n/a"


def _wrap(text: object, width: int = 60) -> str:
    return "<br>".join(textwrap.wrap(str(text), width)) if pd.notna(text) else ""


def _summary(summary: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    if "segment" not in summary.columns and summary.index.name == "segment":
        summary = summary.reset_index()  # as rules.segment_summary returns it
    require_columns(summary, columns, table="summary")
    for column in columns[1:]:
        _numeric(summary, column, "summary")
    names = summary["segment"].astype(str)
    if names.duplicated().any():
        raise BadValuesError(
            f"summary: segment names must be unique; repeated: "
            f"{examples(names[names.duplicated()])}."
        )
    if "customers" in columns and (summary["customers"] < 0).any():
        bad = summary.loc[summary["customers"] < 0, "customers"]
        raise BadValuesError(f"summary: 'customers' must be >= 0; found {examples(bad)}.")
    return summary
