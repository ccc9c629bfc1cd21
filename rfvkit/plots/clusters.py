"""Figures of the suggested segments: k selection, cluster profiles, rules vs clusters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rfvkit.errors import (
    BadParameterError,
    BadValuesError,
    MissingColumnsError,
    examples,
    require_columns,
)
from rfvkit.plots._style import (
    _K_METRICS,
    _SHORT,
    HEAT_SCALE,
    PALETTE,
    RFV,
    _base,
    _colors,
    _label,
    _n,
    _no_data,
    _numeric,
    _positive_int,
    _vline,
)


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
