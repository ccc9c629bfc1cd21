"""Figures of chapter 01: RFV distributions, metric by dimension, R x F heat map, scores."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rfvkit.errors import (
    BadParameterError,
    BadValuesError,
    examples,
    require_columns,
)
from rfvkit.plots._style import (
    _SCORES,
    _SHORT,
    HEAT_SCALE,
    MONEY,
    PALETTE,
    RFV,
    _base,
    _fmt,
    _label,
    _n,
    _no_data,
    _numeric,
    _positive_int,
    _vline,
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
    if_missing: str = "raise",
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
    if_missing : {"raise", "note"}
        Without a ``by`` column (e.g. no customers file): raise ``MissingColumnsError``,
        or return a figure that says so in a sentence (reports use ``"note"``).

    Examples
    --------
    >>> frame = pd.DataFrame({"monetary": [10.0, 30.0, 5.0], "country": ["GB", "GB", "FR"]})
    >>> list(metric_by_dimension(frame, "monetary", "country").data[0].x)
    ['GB', 'GB', 'FR']
    """
    if if_missing not in ("raise", "note"):
        raise BadParameterError(f"if_missing must be 'raise' or 'note', got {if_missing!r}.")
    missing = isinstance(frame, pd.DataFrame) and metric in frame and by not in frame
    if missing and if_missing == "note":
        title = f"{_label(metric, currency)} by {by}"
        return _no_data(
            _base(title),
            f"No {by!r} attribute in this data (no customers file, or no such column):<br>"
            f"nothing to group by. Set dimension to a column your customers file has.",
        )
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
