"""Plotly figures for exploring RFV tables, segments and clusters.

Every function takes a DataFrame first, then column names, then keyword-only options,
and returns a :class:`plotly.graph_objects.Figure`; nothing is shown or written.
Figures are deterministic: fixed colours, seeded sampling, stable category order.

Example
-------
>>> import pandas as pd
>>> rfv = pd.DataFrame({"recency_days": [3, 40], "frequency": [5, 1],
...                     "monetary": [250.0, 20.0]})
>>> metric_histogram(rfv, "monetary", currency="£").layout.xaxis.type
'log'
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rfvkit.errors import (
    BadParameterError,
    BadValuesError,
    MissingColumnsError,
    examples,
    require_columns,
)

__all__ = [
    "metric_histogram",
    "rfv_distributions",
    "metric_by_dimension",
    "rf_heatmap",
    "score_distributions",
    "segment_treemap",
    "segment_bars",
    "k_selection",
    "cluster_snake",
    "cluster_scatter",
    "crosstab_heatmap",
]

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


def _bin_edges(values: np.ndarray, *, log: bool, bins: int, integer: bool) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if integer:  # whole-number bins centred on the numbers: [a - 0.5, b - 0.5) holds a..b-1
        if log:
            return np.unique(np.round(np.geomspace(lo, hi + 1, bins + 1))) - 0.5
        step = max(1, math.ceil((hi + 1 - lo) / bins))
        return lo - 0.5 + step * np.arange(math.ceil((hi + 1 - lo) / step) + 1)
    if log:
        if lo == hi:
            lo, hi = lo / 1.1, hi * 1.1
        return np.geomspace(lo, hi, bins + 1)
    return np.histogram_bin_edges(values, bins=bins)


def _histogram(
    values: np.ndarray, metric: str, *, log: bool, bins: int, currency: str
) -> tuple[go.Bar, float | None, dict, str]:
    """Bar trace of pre-binned counts, the median shown, x-axis settings, and a note."""
    finite = values[np.isfinite(values)]
    use_log = log and bool((finite > 0).any())
    shown = finite[finite > 0] if use_log else finite
    notes = []
    if values.size - shown.size:
        notes.append(f"{_n(values.size - shown.size)} with value <= 0 left out")
    if log and not use_log and finite.size:
        notes.append("no value > 0: linear scale")
    axis = {"type": "log" if use_log else "linear"}
    if not shown.size:
        return go.Bar(x=[], y=[], showlegend=False), None, axis, "no customers"
    integer = metric not in MONEY and bool(np.all(shown == np.round(shown)))
    edges = _bin_edges(shown, log=use_log, bins=bins, integer=integer)
    counts, _ = np.histogram(shown, edges)
    if integer:
        ranges = [
            _fmt(a + 0.5, metric, currency)
            + ("" if b - a == 1 else f" to {_fmt(b - 0.5, metric, currency)}")
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
    else:
        ranges = [
            f"{_fmt(a, metric, currency)} to {_fmt(b, metric, currency)}"
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
    trace = go.Bar(
        x=(edges[:-1] + edges[1:]) / 2,
        y=counts,
        width=np.diff(edges),
        customdata=ranges,
        hovertemplate="%{customdata}<br>%{y:,} customers<extra></extra>",
        marker={"color": PALETTE[0], "line": {"color": "white", "width": 1}},
        name=metric,
        showlegend=False,
    )
    axis["range"] = np.log10(edges[[0, -1]]).tolist() if use_log else edges[[0, -1]].tolist()
    return trace, float(np.median(shown)), axis, "; ".join(notes)


# ----------------------------------------------------------------------------- notebook 01
def metric_histogram(
    rfv: pd.DataFrame,
    metric: str = "monetary",
    *,
    log: bool = True,
    bins: int = 30,
    currency: str = "$",
) -> go.Figure:
    """Histogram of one per-customer metric with its median marked.

    Parameters
    ----------
    rfv : DataFrame
        RFV table (one row per customer).
    metric : str
        Numeric column to show, e.g. ``"recency_days"``, ``"frequency"``, ``"monetary"``.
    log : bool
        Log-scale x axis with log-spaced bins. Customers with a value <= 0 cannot be shown on
        a log scale; they are left out and counted in the title (all <= 0: linear scale).
    bins : int
        Number of bins (whole-number metrics get whole-number bins, possibly fewer).
    currency : str
        Currency symbol for money columns.

    Returns
    -------
    plotly.graph_objects.Figure
        One bar trace; the median (of the customers shown) is a dashed line named
        ``"median ..."``.

    Examples
    --------
    >>> rfv = pd.DataFrame({"monetary": [10.0, 20.0, 0.0]})
    >>> fig = metric_histogram(rfv, "monetary")
    >>> fig.layout.shapes[0].x0
    15.0
    """
    require_columns(rfv, [metric], table="rfv")
    bins = _positive_int(bins, "bins")
    trace, median, axis, note = _histogram(
        _numeric(rfv, metric, "rfv"), metric, log=log, bins=bins, currency=currency
    )
    scale = ", log scale" if axis["type"] == "log" else ""
    title = f"{_label(metric, currency)}: {_n(len(rfv))}{scale}"
    fig = _base(title + (f"<br><sup>{note}</sup>" if note else ""))
    fig.add_trace(trace)
    fig.update_layout(bargap=0)
    fig.update_xaxes(title_text=_label(metric, currency), **axis)
    fig.update_yaxes(title_text="Customers")
    if median is not None:
        text = f"median {_fmt(median, metric, currency)}"
        _vline(fig, median, text, log=axis["type"] == "log", span=axis["range"])
    else:
        _no_data(fig, note)
    return fig


def rfv_distributions(
    rfv: pd.DataFrame,
    metrics: Sequence[str] = RFV,
    *,
    log: bool = True,
    bins: int = 30,
    currency: str = "$",
) -> go.Figure:
    """Histograms of recency, frequency and monetary value side by side, medians marked.

    Parameters
    ----------
    rfv : DataFrame
        RFV table.
    metrics : sequence of str
        Numeric columns, one panel each (default recency_days, frequency, monetary).
    log, bins, currency
        As in :func:`metric_histogram`.

    Examples
    --------
    >>> rfv = pd.DataFrame({"recency_days": [3, 40], "frequency": [5, 1],
    ...                     "monetary": [250.0, 20.0]})
    >>> len(rfv_distributions(rfv).data)
    3
    """
    metrics = list(metrics)
    require_columns(rfv, metrics, table="rfv")
    bins = _positive_int(bins, "bins")
    parts = [
        _histogram(_numeric(rfv, m, "rfv"), m, log=log, bins=bins, currency=currency)
        for m in metrics
    ]
    titles = [
        _SHORT.get(m, m) + (f"<br><sup>{p[3]}</sup>" if p[3] else "")
        for m, p in zip(metrics, parts, strict=True)
    ]
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=titles)
    _base(f"Distributions per customer ({_n(len(rfv))}; dashed line = median)", fig)
    fig.update_layout(bargap=0)
    fig.update_yaxes(title_text="Customers", row=1, col=1)
    for i, (metric, (trace, median, axis, _)) in enumerate(zip(metrics, parts, strict=True), 1):
        fig.add_trace(trace, row=1, col=i)
        fig.update_xaxes(title_text=_label(metric, currency), **axis, row=1, col=i)
        if median is not None:
            text = f"median {_fmt(median, metric, currency)}"
            _vline(fig, median, text, axis=i, log=axis["type"] == "log", span=axis["range"])
    return fig


def metric_by_dimension(
    frame: pd.DataFrame,
    metric: str,
    by: str,
    *,
    kind: str = "box",
    top: int = 10,
    log: bool = True,
    currency: str = "$",
) -> go.Figure:
    """Box or violin plot of a metric per category of a customer attribute.

    Categories are ordered by customer count; those beyond ``top`` are folded into one
    ``"Other (n categories)"`` box, and the fold is stated in the axis title. Missing
    attribute values form a ``"(missing)"`` category.

    Parameters
    ----------
    frame : DataFrame
        RFV table joined with customer attributes.
    metric : str
        Numeric column on the y axis.
    by : str
        Category column, e.g. ``"country"`` or ``"region"``.
    kind : {"box", "violin"}
        Violins on a log scale are drawn over log10 values (so the density is estimated on
        the log scale) with tick labels in original units.
    top : int
        Number of largest categories shown on their own.
    log : bool
        Log-scale y axis; values <= 0 are left out and counted in the title.
    currency : str
        Currency symbol for money columns.

    Examples
    --------
    >>> frame = pd.DataFrame({"monetary": [10.0, 30.0, 5.0], "country": ["GB", "GB", "FR"]})
    >>> list(metric_by_dimension(frame, "monetary", "country").data[0].x)
    ['GB', 'GB', 'FR']
    """
    require_columns(frame, [metric, by], table="frame")
    if kind not in ("box", "violin"):
        raise BadParameterError(f"kind must be 'box' or 'violin', got {kind!r}.")
    top = _positive_int(top, "top")
    values = _numeric(frame, metric, "frame")
    raw = frame[by]
    cats = pd.Series(
        np.where(raw.isna(), "(missing)", raw.astype(object).astype(str)), dtype=object
    )
    counts = cats.value_counts()
    order = sorted(counts.index, key=lambda c: (-counts[c], c))
    fold = ""
    if len(order) > top:
        other = f"Other ({len(order) - top} categories)"
        cats = cats.where(cats.isin(order[:top]), other)
        order = [*order[:top], other]
        fold = f"; {len(counts) - top} smaller categories folded into 'Other'"
    keep = np.isfinite(values)
    use_log = log and bool((values[keep] > 0).any())
    if use_log:
        keep &= values > 0
    notes = [f"{_n((~keep).sum())} with value <= 0 left out"] if (~keep).any() else []
    if log and not use_log and keep.any():
        notes.append("no value > 0: linear scale")
    x, y = cats[keep].to_numpy(), values[keep]
    stats = pd.Series(y).groupby(x).agg(["size", "median"]) if y.size else None
    ticks = [
        f"{c}<br>n={int(stats.loc[c, 'size']):,}, median {_fmt(stats.loc[c, 'median'], metric, currency)}"
        if stats is not None and c in stats.index
        else f"{c}<br>n=0"
        for c in order
    ]
    label = _label(metric, currency)
    if kind == "violin":
        shown = np.log10(y) if use_log else y
        trace = go.Violin(
            x=x,
            y=shown,
            box_visible=True,
            points=False,
            name=label,
            hoverinfo="skip" if use_log else None,
        )
    else:
        trace = go.Box(x=x, y=y, boxpoints="outliers", name=label)
    trace.update(marker_color=PALETTE[0], showlegend=False)
    title = f"{label} by {by} ({kind}; {_n(len(frame))})"
    fig = _base(title + (f"<br><sup>{'; '.join(notes)}</sup>" if notes else ""))
    fig.add_trace(trace)
    fig.update_xaxes(
        title_text=f"{by} (top {top} by customers{fold})",
        categoryorder="array",
        categoryarray=order,
        tickvals=order,
        ticktext=ticks,
    )
    fig.update_yaxes(title_text=label)
    if use_log and kind == "box":
        fig.update_yaxes(type="log")
    elif use_log and y.size:
        fig.update_yaxes(**_log_ticks(float(y.min()), float(y.max()), metric, currency))
    if not y.size:
        _no_data(fig, "no customers to show")
    return fig


def _log_ticks(lo: float, hi: float, metric: str, currency: str) -> dict[str, list]:
    """Tick positions (log10) and labels (original units) for a log10-transformed axis."""
    exps = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    for mantissas in ((1,), (1, 2, 5), tuple(range(1, 10))):
        vals = [
            m * 10.0**e for e in exps for m in mantissas if lo / 1.01 <= m * 10.0**e <= hi * 1.01
        ]
        if len(vals) >= 3:
            break
    vals = vals if len(vals) >= 2 else sorted({lo, hi})
    return {
        "tickvals": [math.log10(v) for v in vals],
        "ticktext": [_fmt(v, metric, currency) for v in vals],
    }


def _score_levels(scored: pd.DataFrame, columns: Sequence[str], bins: int | None) -> int:
    """Number of score levels (``bins`` or the highest score), after checking scores are 1..bins."""
    bins = None if bins is None else _positive_int(bins, "bins")
    for column in columns:
        values = _numeric(scored, column, "scored")
        bad = values[~np.isfinite(values) | (values < 1) | (values != np.round(values))]
        if bins is not None:
            bad = np.concatenate([bad, values[values > bins]])
        if bad.size:
            raise BadValuesError(
                f"scored: column {column!r} must hold whole scores 1..{bins or 'bins'}; "
                f"found {examples(bad)}. Recompute scores with rfvkit.scoring.score."
            )
    if bins is not None:
        return bins
    observed = [scored[c].max() for c in columns if len(scored)]
    return int(max(observed)) if observed else 5


def rf_heatmap(
    scored: pd.DataFrame,
    *,
    value: str = "monetary",
    agg: str = "mean",
    bins: int | None = None,
    currency: str = "$",
) -> go.Figure:
    """Recency score x frequency score grid coloured by a per-customer value.

    Each cell holds the customers with that (R, F) pair; the colour is ``agg`` of ``value``
    over them and the text is the customer count. Empty cells are blank.

    Parameters
    ----------
    scored : DataFrame
        Scored RFV table with ``r_score``, ``f_score`` and ``value``.
    value : str
        Numeric column to aggregate (default monetary).
    agg : {"mean", "median", "sum"}
        Aggregate shown as colour.
    bins : int, optional
        Number of score levels; default the highest score present.
    currency : str
        Currency symbol for money columns.

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap; ``z[f - 1][r - 1]`` is the aggregate for R = r, F = f.

    Examples
    --------
    >>> scored = pd.DataFrame({"r_score": [1, 2, 2], "f_score": [1, 2, 2],
    ...                        "monetary": [10.0, 20.0, 40.0]})
    >>> float(rf_heatmap(scored).data[0].z[1][1])
    30.0
    """
    require_columns(scored, ["r_score", "f_score", value], table="scored")
    if agg not in ("mean", "median", "sum"):
        raise BadParameterError(f"agg must be 'mean', 'median' or 'sum', got {agg!r}.")
    n = _score_levels(scored, ["r_score", "f_score"], bins)
    levels = list(range(1, n + 1))
    cells = pd.DataFrame(
        {
            "r": scored["r_score"].astype("int64"),
            "f": scored["f_score"].astype("int64"),
            "v": _numeric(scored, value, "scored"),
        }
    ).groupby(["f", "r"])["v"]
    z = cells.agg(agg).unstack().reindex(index=levels, columns=levels)
    counts = cells.size().unstack().reindex(index=levels, columns=levels).fillna(0).astype(int)
    text = [[f"{c:,}" if c else "" for c in row] for row in counts.to_numpy()]
    unit = f"{agg} {_SHORT.get(value, value.replace('_', ' ')).lower()}"
    money = currency if value in MONEY else ""
    fig = _base(
        f"{unit.capitalize()} by recency and frequency score (cell text = customers; "
        f"{_n(len(scored))})"
    )
    fig.add_trace(
        go.Heatmap(
            x=levels,
            y=levels,
            z=z.to_numpy(),
            text=text,
            texttemplate="%{text}",
            customdata=counts.to_numpy(),
            colorscale=HEAT_SCALE,
            hoverongaps=False,
            colorbar={"title": {"text": f"{unit.capitalize()}" + (f" ({money})" if money else "")}},
            hovertemplate=(
                f"R score %{{x}}, F score %{{y}}<br>%{{customdata:,}} customers<br>"
                f"{unit}: {money}%{{z:,.2f}}<extra></extra>"
            ),
        )
    )
    fig.update_xaxes(title_text=f"Recency score ({n} = most recent)", dtick=1, showgrid=False)
    fig.update_yaxes(title_text=f"Frequency score ({n} = most orders)", dtick=1, showgrid=False)
    return fig


def score_distributions(scored: pd.DataFrame, *, bins: int | None = None) -> go.Figure:
    """Customers per score for R, F and V as grouped bars; empty scores show as 0.

    Parameters
    ----------
    scored : DataFrame
        Scored RFV table with ``r_score``, ``f_score``, ``v_score``.
    bins : int, optional
        Number of score levels; default the highest score present.

    Examples
    --------
    >>> scored = pd.DataFrame({"r_score": [1, 3], "f_score": [1, 1], "v_score": [2, 3]})
    >>> score_distributions(scored).data[1].y.tolist()
    [2, 0, 0]
    """
    columns = list(_SCORES)
    require_columns(scored, columns, table="scored")
    n = _score_levels(scored, columns, bins)
    levels = list(range(1, n + 1))
    fig = _base("")
    empty = []
    for i, column in enumerate(columns):
        counts = scored[column].value_counts().reindex(levels, fill_value=0).astype(int)
        if (counts == 0).any():
            empty.append(f"{column[0].upper()}: {', '.join(map(str, counts.index[counts == 0]))}")
        fig.add_trace(
            go.Bar(
                x=levels,
                y=counts.to_numpy(),
                name=_SCORES[column],
                text=counts.to_numpy(),
                textposition="outside",
                marker_color=PALETTE[i],
                hovertemplate=f"{_SCORES[column]} score %{{x}}<br>%{{y:,}} customers<extra></extra>",
            )
        )
    note = f"<br><sup>empty scores: {'; '.join(empty)}</sup>" if empty else ""
    fig.update_layout(
        title_text=f"Customers per score ({_n(len(scored))}, {n} levels){note}",
        barmode="group",
    )
    fig.update_xaxes(title_text=f"Score (1 = worst, {n} = best)", dtick=1)
    fig.update_yaxes(title_text="Customers")
    return fig


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
def k_selection(
    k_scores: pd.DataFrame,
    chosen_k: int | None = None,
    *,
    metrics: Sequence[str] | None = None,
) -> go.Figure:
    """Cluster-quality scores against k, one panel per score, chosen k marked in each.

    Parameters
    ----------
    k_scores : DataFrame
        Indexed by k, with any of ``inertia, silhouette, calinski_harabasz, davies_bouldin,
        stability``.
    chosen_k : int, optional
        The k that was picked; drawn as a dashed line in every panel.
    metrics : sequence of str, optional
        Columns to plot; default every known score present (all of them required if given).

    Examples
    --------
    >>> k_scores = pd.DataFrame({"inertia": [9.0, 4.0, 3.0], "silhouette": [0.5, 0.6, 0.4]},
    ...                         index=pd.Index([2, 3, 4], name="k"))
    >>> len(k_selection(k_scores, 3).layout.shapes)
    2
    """
    if metrics is None:
        require_columns(k_scores, [], table="k_scores")
        metrics = [m for m in _K_METRICS if m in k_scores.columns]
        if not metrics:
            raise MissingColumnsError(
                list(_K_METRICS),
                list(k_scores.columns),
                table="k_scores",
                hint="Pass at least one of these score columns.",
            )
    metrics = list(metrics)
    require_columns(k_scores, metrics, table="k_scores")
    if "k" in k_scores.columns:
        k_scores = k_scores.set_index("k")
    ks = k_scores.index.to_numpy()
    if not pd.api.types.is_integer_dtype(k_scores.index):
        raise BadValuesError(f"k_scores must be indexed by integer k, got {examples(ks)}.")
    if chosen_k is not None and chosen_k not in set(ks.tolist()):
        raise BadParameterError(
            f"chosen_k={chosen_k!r} is not in k_scores; available k: {examples(ks, n=20)}."
        )
    fig = make_subplots(
        rows=len(metrics),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=[_K_METRICS.get(m, m) for m in metrics],
    )
    chosen = f" (chosen k = {chosen_k})" if chosen_k is not None else ""
    _base(f"Cluster quality by number of clusters k{chosen}", fig)
    for i, metric in enumerate(metrics, 1):
        fig.add_trace(
            go.Scatter(
                x=ks,
                y=_numeric(k_scores, metric, "k_scores"),
                mode="lines+markers",
                name=metric,
                line_color=PALETTE[4],
                showlegend=False,
                hovertemplate=f"k = %{{x}}<br>{metric}: %{{y:,.3f}}<extra></extra>",
            ),
            row=i,
            col=1,
        )
        if chosen_k is not None:
            span = [ks.min(), ks.max()]
            _vline(fig, chosen_k, f"chosen k = {chosen_k}", axis=i, span=span, annotate=i == 1)
    fig.update_xaxes(dtick=1)
    fig.update_xaxes(title_text="Number of clusters (k)", row=len(metrics), col=1)
    fig.update_layout(height=max(320, 200 * len(metrics)))
    return fig


def cluster_snake(
    frame: pd.DataFrame,
    features: Sequence[str] = RFV,
    by: str | None = None,
) -> go.Figure:
    """Snake plot: standardized mean of each feature per cluster, one line per cluster.

    Parameters
    ----------
    frame : DataFrame
        Either cluster profiles indexed by cluster name with standardized feature means
        (``by=None``), or one row per customer with raw features and a cluster column ``by``;
        then each feature is z-scored over all customers and averaged per cluster.
    features : sequence of str
        Feature columns, in x-axis order.
    by : str, optional
        Cluster column for per-customer input, e.g. ``"cluster_name"``.

    Examples
    --------
    >>> per_customer = pd.DataFrame({"frequency": [1, 3], "cluster_name": ["a", "b"]})
    >>> cluster_snake(per_customer, ["frequency"], by="cluster_name").data[0].y.tolist()
    [-1.0]
    """
    features = list(features)
    require_columns(frame, features + ([by] if by else []), table="frame")
    values = pd.DataFrame({f: _numeric(frame, f, "frame") for f in features}, index=frame.index)
    if by is not None:
        std = values.std(ddof=0).replace(0.0, 1.0).fillna(1.0)
        z = (values - values.mean()) / std
        means = z.groupby(frame[by].to_numpy(), sort=True).mean()
    else:
        means = values
    colors = _colors(means.index)
    labels = [_SHORT.get(f, f) for f in features]
    fig = _base(
        "Snake plot: standardized mean per cluster (0 = average customer; "
        "higher recency = longer since last purchase)"
    )
    for name, row in means.iterrows():
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=row.to_numpy(),
                mode="lines+markers",
                name=str(name),
                line_color=colors[str(name)],
                hovertemplate=f"{name}<br>%{{x}}: %{{y:.2f}} SD<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": "grey", "width": 1})
    fig.update_xaxes(title_text="Feature")
    fig.update_yaxes(title_text="Standardized mean (SD from average)")
    if means.empty:
        _no_data(fig, "no clusters to show")
    return fig


def cluster_scatter(
    rfv: pd.DataFrame,
    labels: pd.Series | pd.DataFrame,
    features: Sequence[str] = RFV,
    *,
    label: str = "cluster_name",
    sample: int = 5000,
    random_state: int = 0,
    log: bool = True,
    currency: str = "$",
) -> go.Figure:
    """Pairwise scatter (lower triangle) of a seeded customer sample coloured by cluster.

    Parameters
    ----------
    rfv : DataFrame
        RFV table indexed by customer_id.
    labels : Series or DataFrame
        Cluster per customer (same index); a DataFrame must hold column ``label``.
    features : sequence of str
        Columns to plot pairwise.
    label : str
        Cluster column when ``labels`` is a DataFrame.
    sample : int
        At most this many customers are drawn (``DataFrame.sample`` with ``random_state``).
    random_state : int
        Seed for the sample.
    log : bool
        Log axes; customers with a value <= 0 in any feature are left out and counted.
    currency : str
        Currency symbol for money columns.

    Examples
    --------
    >>> rfv = pd.DataFrame({"recency_days": [3, 40], "frequency": [5, 1],
    ...                     "monetary": [250.0, 20.0]}, index=["a", "b"])
    >>> [t.name for t in cluster_scatter(rfv, pd.Series(["top", "low"], index=["a", "b"])).data]
    ['low', 'top']
    """
    features = list(features)
    require_columns(rfv, features, table="rfv")
    if len(features) < 2:
        raise BadParameterError(f"features needs at least two columns to pair, got {features!r}.")
    sample, random_state = _positive_int(sample, "sample"), int(random_state)
    if isinstance(labels, pd.DataFrame):
        require_columns(labels, [label], table="labels")
        labels = labels[label]
    if not isinstance(labels, pd.Series):
        raise BadParameterError(
            f"labels must be a Series or DataFrame, got {type(labels).__name__}."
        )
    if labels.index.duplicated().any():
        raise BadValuesError(
            f"labels: customer_id must be unique; repeated: "
            f"{examples(labels.index[labels.index.duplicated()])}."
        )
    values = pd.DataFrame({f: _numeric(rfv, f, "rfv") for f in features}, index=rfv.index)
    joined = values.join(labels.rename("_cluster"), how="inner")
    if len(rfv) and joined.empty:
        raise BadValuesError(
            f"labels share no customer_id with rfv (rfv: {examples(rfv.index)}; "
            f"labels: {examples(labels.index)}). Align both on customer_id."
        )
    notes = (
        [f"{_n(len(rfv) - len(joined))} without a cluster left out"]
        if len(rfv) > len(joined)
        else []
    )
    ok = np.isfinite(joined[features]).all(axis=1)
    if log:
        ok &= (joined[features] > 0).all(axis=1)
    if (~ok).any():
        notes.append(f"{_n((~ok).sum())} with a value <= 0 left out (log axes)")
    joined = joined[ok]
    total = len(joined)
    if total > sample:
        joined = joined.sample(n=sample, random_state=random_state)
        what = f"random sample of {sample:,} of {_n(total)} (seed {random_state})"
    else:
        what = f"all {_n(total)}"
    note = f"<br><sup>{'; '.join(notes)}</sup>" if notes else ""
    fig = _base(
        f"Clusters by {', '.join(_SHORT.get(f, f).lower() for f in features)}: {what}{note}"
    )
    names = sorted(joined["_cluster"].astype(str).unique())
    colors = _colors(names)
    cluster = joined["_cluster"].astype(str)
    for name in names:
        part = joined[cluster == name]
        fig.add_trace(
            go.Splom(
                dimensions=[
                    {"label": _label(f, currency), "values": part[f].to_numpy()} for f in features
                ],
                name=name,
                text=part.index.astype(str).tolist(),
                showupperhalf=False,
                diagonal_visible=False,
                marker={"color": colors[name], "size": 4, "opacity": 0.6},
            )
        )
    axes = {
        f"{a}axis{i if i > 1 else ''}": {"type": "log" if log else "linear"}
        for a in "xy"
        for i in range(1, len(features) + 1)
    }
    fig.update_layout(axes, height=250 * len(features), legend_title_text="Cluster")
    if joined.empty:
        _no_data(fig, "no customers to show")
    return fig


def crosstab_heatmap(crosstab: pd.DataFrame, *, normalize: str | None = "index") -> go.Figure:
    """Rule segments (rows) vs clusters (columns): shares as colour, counts as text.

    Parameters
    ----------
    crosstab : DataFrame
        Customer counts, rows = rule segments, columns = clusters (as from
        ``compare_segments(...).crosstab``).
    normalize : {"index", "columns", "all", None}
        Colour = share of the row, of the column, of all customers, or the raw count.

    Examples
    --------
    >>> ct = pd.DataFrame({"c1": [3, 0], "c2": [1, 2]}, index=["Champions", "Lost"])
    >>> crosstab_heatmap(ct).data[0].z[0].tolist()
    [0.75, 0.25]
    """
    if normalize not in ("index", "columns", "all", None):
        raise BadParameterError(
            f"normalize must be 'index', 'columns', 'all' or None, got {normalize!r}."
        )
    require_columns(crosstab, [], table="crosstab")
    counts = pd.DataFrame(
        {c: _numeric(crosstab, c, "crosstab") for c in crosstab.columns}, index=crosstab.index
    ).to_numpy()
    if (counts < 0).any() or not np.isfinite(counts).all():
        raise BadValuesError(
            f"crosstab: counts must be finite and >= 0; found "
            f"{examples(counts[(counts < 0) | ~np.isfinite(counts)])}."
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "index":
            z = counts / counts.sum(axis=1, keepdims=True)
        elif normalize == "columns":
            z = counts / counts.sum(axis=0, keepdims=True)
        elif normalize == "all":
            z = counts / counts.sum()
        else:
            z = counts.copy()
    z = np.where(np.isfinite(z), z, np.nan)
    share = normalize is not None
    text = [
        [
            f"{c:,.0f}" + (f"<br>{s:.0%}" if share and np.isfinite(s) else "")
            for c, s in zip(cr, zr, strict=True)
        ]
        for cr, zr in zip(counts, z, strict=True)
    ]
    what = {
        "index": "share of each segment (row)",
        "columns": "share of each cluster (column)",
        "all": "share of all customers",
        None: "customers",
    }[normalize]
    rows = [str(r) for r in crosstab.index]
    cols = [str(c) for c in crosstab.columns]
    fig = _base(f"Rule segments vs clusters: colour = {what}, text = customers")
    fig.add_trace(
        go.Heatmap(
            x=cols,
            y=rows,
            z=z,
            text=text,
            texttemplate="%{text}",
            customdata=counts,
            colorscale=HEAT_SCALE,
            zmin=0,
            zmax=1 if share else None,
            hoverongaps=False,
            colorbar={
                "title": {"text": "Share" if share else "Customers"},
                "tickformat": ".0%" if share else ",",
            },
            hovertemplate="segment %{y}<br>cluster %{x}<br>%{customdata:,.0f} customers"
            + ("<br>share %{z:.1%}" if share else "")
            + "<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=crosstab.columns.name or "Cluster", type="category")
    fig.update_yaxes(
        title_text=crosstab.index.name or "Rule segment", type="category", autorange="reversed"
    )
    if not counts.size:
        _no_data(fig, "no customers to show")
    return fig
