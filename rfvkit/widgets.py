"""Live explorers for JupyterLab: move a control, watch scores, segments or clusters update.

:func:`rfv_explorer` re-scores and re-segments the RFV table when the bins, scoring
method or rule set change, and lists the top customers of a chosen segment with
masked phone numbers. :func:`k_explorer` re-clusters for each k and shows the
cluster profiles and snake plot. Both return ordinary ipywidgets containers whose
state (``.scored``, ``.summary``, ``.table``, ``.figures``...) can be read in code.

Where no live front-end is attached (a script, or a report run with
``RFVKIT_STATIC=1`` in the environment) displaying an explorer shows the current
views as plain figures and tables instead of widgets, so nothing goes blank or fails.

Examples
--------
>>> explorer = rfv_explorer(rfv, customers=crm.customers)  # doctest: +SKIP
>>> explorer.bins_slider.value = 4  # doctest: +SKIP
>>> mask_phone("+447700900123")
'+44 **** **0123'
"""

from __future__ import annotations

import html
import json
import os
import warnings
from collections.abc import Iterable, Mapping

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from rfvkit.columns import MAX_BINS, METHODS, MIN_BINS, RFV_METRICS, RULE_SETS
from rfvkit.errors import (
    BadParameterError,
    EmptyDataError,
    MissingColumnsError,
    RfvkitError,
    examples,
    require_columns,
)
from rfvkit.privacy import mask_id, mask_phone

__all__ = ["rfv_explorer", "k_explorer", "RFVExplorer", "KExplorer", "mask_phone", "mask_id"]

#: Methods the explorer offers: "thresholds" needs edges typed per metric, so it is params-only.
LIVE_METHODS = tuple(m for m in METHODS if m != "thresholds")
BINS_RANGE = (MIN_BINS, MAX_BINS)
TABLE_COLUMNS = (
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "first_name",
    "phone",
    "country",
)
STATIC_ENV = "RFVKIT_STATIC"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


# ----------------------------------------------------------------------------- helpers
def _static_default() -> bool:
    """True when no live front-end can show widgets (or ``RFVKIT_STATIC`` says so)."""
    flag = os.environ.get(STATIC_ENV, "").strip().lower()
    if flag in {"1", "true", "yes"}:
        return True
    if flag in {"0", "false", "no"}:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    return shell is None or getattr(shell, "kernel", None) is None


def _check_rfv(rfv: object, columns: Iterable[str] = RFV_METRICS) -> pd.DataFrame:
    require_columns(rfv, list(columns), table="rfv", hint="Pass the output of rfv_table().")
    if rfv.empty:
        raise EmptyDataError("rfv: the table has no customers to explore.")
    return rfv


def _choice(value: object, allowed: Iterable[str], name: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise BadParameterError(f"{name} must be one of {', '.join(allowed)}; got {value!r}.")
    return str(value)


def _figure_output(fig: go.Figure) -> dict:
    """One display_data output carrying a plotly figure, for ``Output.outputs``."""
    return {
        "output_type": "display_data",
        "data": {PLOTLY_MIME: json.loads(fig.to_json()), "text/plain": "Figure"},
        "metadata": {},
    }


def _show_figure(out: widgets.Output, fig: go.Figure) -> None:
    # Setting the synced ``outputs`` trait needs no kernel message routing, so it works
    # the same in JupyterLab, under papermill/nbval and in plain Python.
    out.outputs = (_figure_output(fig),)


def _html_table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="rfv-table", na_rep="", escape=True)


def _error_html(exc: Exception) -> str:
    return f'<p style="color:#b00020"><b>Cannot update:</b> {html.escape(str(exc))}</p>'


def _notes_html(notes: list[str]) -> str:
    items = "".join(f"<li>{html.escape(n)}</li>" for n in dict.fromkeys(notes))
    return f'<ul style="color:#8a5a00">{items}</ul>' if items else ""


def _customers_frame(customers: pd.DataFrame | None) -> pd.DataFrame | None:
    if customers is None:
        return None
    if not isinstance(customers, pd.DataFrame):
        raise BadParameterError(
            f"customers must be a DataFrame or None, got {type(customers).__name__}."
        )
    frame = customers
    if "customer_id" not in frame.columns:
        if frame.index.name != "customer_id":
            raise MissingColumnsError(["customer_id"], list(frame.columns), table="customers")
        frame = frame.reset_index()
    keep = [c for c in ("customer_id", "first_name", "phone", "country") if c in frame.columns]
    frame = frame[keep].drop_duplicates("customer_id")
    frame = frame.assign(customer_id=frame["customer_id"].astype(str))
    return frame.set_index("customer_id")


class _Explorer(widgets.VBox):
    """Shows the live widget in JupyterLab, or its ``static_outputs()`` where no front-end
    can (papermill, nbval, HTML reports) or when ``static`` is set."""

    static: bool

    def static_outputs(self) -> list[object]:
        raise TypeError(f"{type(self).__name__} must define static_outputs()")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self.static:
            display(*self.static_outputs())
        else:
            display(self._repr_mimebundle_(), raw=True)


# ----------------------------------------------------------------------------- RFV explorer
class RFVExplorer(_Explorer):
    """Explore scores and segments live: bins slider, scoring and rule-set pickers.

    Parameters
    ----------
    rfv : DataFrame
        Output of :func:`rfvkit.rfv.rfv_table` (index ``customer_id``).
    customers : DataFrame, optional
        Customers table (``customer_id``, optional ``first_name``, ``phone``, ``country``)
        for the customer list; phone numbers are always masked.
    rules : str or RuleSet
        Starting rule set: ``"default"``, ``"r_rfm"``, a rules YAML path or a RuleSet.
    bins : int
        Starting number of score bins, 2..10.
    method : {"rank", "r_rfm"}
        Starting scoring method.
    currency : str
        Currency symbol for values in the customer list.
    top_n : int
        Customers listed for the chosen segment, highest value first.
    static : bool, optional
        Display as plain figures and tables instead of widgets. Default: static when no
        live kernel front-end is attached or the ``RFVKIT_STATIC`` environment variable
        is ``1``.

    Attributes
    ----------
    scored, segmented, summary, figures, table
        The current results, refreshed after every change of the controls.
    notes, error
        Warnings of the last update (shown above the charts) and the message of the
        last failed update (the previous views stay on screen).

    Examples
    --------
    >>> explorer = rfv_explorer(rfv, customers=crm.customers, bins=5)  # doctest: +SKIP
    >>> explorer.bins_slider.value = 4  # doctest: +SKIP
    >>> explorer.summary[["segment", "customers"]]  # doctest: +SKIP
    """

    def __init__(
        self,
        rfv: pd.DataFrame,
        *,
        customers: pd.DataFrame | None = None,
        rules: object = "default",
        bins: int = 5,
        method: str = "rank",
        currency: str = "$",
        top_n: int = 20,
        static: bool | None = None,
    ) -> None:
        self.rfv = _check_rfv(rfv)
        self.customers = _customers_frame(customers)
        if (
            isinstance(bins, bool)
            or not isinstance(bins, int)
            or not (BINS_RANGE[0] <= bins <= BINS_RANGE[1])
        ):
            raise BadParameterError(f"bins must be an int from 2 to 10; got {bins!r}.")
        method = _choice(method, LIVE_METHODS, "method")
        if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
            raise BadParameterError(f"top_n must be a positive int; got {top_n!r}.")
        self.currency = str(currency)
        self.top_n = top_n
        self.static = _static_default() if static is None else bool(static)
        self.scored = self.segmented = self.summary = self.table = None
        self.figures: dict[str, go.Figure] = {}
        self.error: str | None = None
        self.notes: list[str] = []
        self._quiet = False

        rule_options = [(name, name) for name in RULE_SETS]
        if rules not in RULE_SETS:
            rule_options.append((str(getattr(rules, "name", rules)), rules))
        style = {"description_width": "initial"}
        self.bins_slider = widgets.IntSlider(
            value=bins,
            min=BINS_RANGE[0],
            max=BINS_RANGE[1],
            description="Bins",
            style=style,
            continuous_update=False,
        )
        self.method_dropdown = widgets.Dropdown(
            options=list(LIVE_METHODS), value=method, description="Scoring", style=style
        )
        self.rules_dropdown = widgets.Dropdown(
            options=rule_options, value=rules, description="Rules", style=style
        )
        self.segment_dropdown = widgets.Dropdown(description="Segment", style=style)
        self.status = widgets.HTML()
        self.distributions_out = widgets.Output()
        self.segments_out = widgets.Output()
        self.customers_html = widgets.HTML()
        super().__init__(
            [
                widgets.HBox([self.bins_slider, self.method_dropdown, self.rules_dropdown]),
                self.status,
                self.distributions_out,
                self.segments_out,
                self.segment_dropdown,
                self.customers_html,
            ]
        )
        for control in (self.bins_slider, self.method_dropdown, self.rules_dropdown):
            control.observe(self._on_settings, names="value")
        self.segment_dropdown.observe(self._on_segment, names="value")
        self.refresh(strict=True)  # the starting settings must work; later ones may not

    # -- updates
    def _on_settings(self, _change: Mapping) -> None:
        self.refresh()

    def _on_segment(self, _change: Mapping) -> None:
        if not self._quiet:
            self._update_table()

    def refresh(self, *, strict: bool = False) -> None:
        """Re-score and re-segment with the current control values and redraw every view.

        A bad combination of settings shows its error above the charts (and in
        ``error``) and keeps the previous views; ``strict=True`` raises it instead.
        """
        from rfvkit.pipeline import segment_customers
        from rfvkit.plots import score_distributions, segment_bars

        bins = self.bins_slider.value
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                seg = segment_customers(
                    self.rfv,
                    bins=bins,
                    method=self.method_dropdown.value,
                    rules=self.rules_dropdown.value,
                )
        except RfvkitError as exc:
            if strict:
                raise
            self.error = str(exc)
            self.status.value = _error_html(exc)
            return
        self.error = None
        self.notes = [str(w.message) for w in caught]
        self.status.value = _notes_html(self.notes)
        self.scored, self.segmented, self.summary = seg.scored, seg.segmented, seg.summary
        summary = seg.summary
        self.figures = {
            "distributions": score_distributions(seg.scored, bins=bins),
            "segments": segment_bars(summary),
        }
        _show_figure(self.distributions_out, self.figures["distributions"])
        _show_figure(self.segments_out, self.figures["segments"])
        ranked = summary[summary["customers"] > 0]  # rule order, empty segments left out
        options = [
            (f"{s} ({n:,} customers)", str(s))
            for s, n in zip(ranked["segment"], ranked["customers"], strict=True)
        ]
        current = self.segment_dropdown.value
        values = [value for _, value in options]
        self._quiet = True  # one table update below, not one per trait change
        try:
            self.segment_dropdown.options = options
            self.segment_dropdown.value = (
                current if current in values else (values[0] if values else None)
            )
        finally:
            self._quiet = False
        self._update_table()

    def _update_table(self) -> None:
        chosen = self.segment_dropdown.value
        if self.segmented is None or chosen is None:
            self.table = pd.DataFrame(columns=list(TABLE_COLUMNS))
            self.customers_html.value = ""
            return
        rows = self.segmented[self.segmented["segment"] == chosen]
        top = rows.nlargest(self.top_n, "monetary", keep="first")
        table = pd.DataFrame(
            {
                "customer_id": top.index.astype(str),
                "recency_days": top["recency_days"].to_numpy(),
                "frequency": top["frequency"].to_numpy(),
                "monetary": top["monetary"].to_numpy(),
            }
        )
        extra = self.customers.reindex(table["customer_id"]) if self.customers is not None else None
        for column in ("first_name", "phone", "country"):
            if extra is not None and column in extra.columns:
                values = extra[column].to_numpy()
                if column == "phone":
                    regions = (
                        extra["country"].to_numpy()
                        if "country" in extra.columns
                        else [None] * len(values)
                    )
                    values = [
                        mask_phone(p, region=r if isinstance(r, str) else None)
                        for p, r in zip(values, regions, strict=True)
                    ]
                table[column] = values
            else:
                table[column] = ""
        self.table = table
        shown = table.assign(monetary=[f"{self.currency}{m:,.2f}" for m in table["monetary"]])
        self.customers_html.value = (
            f"<p><b>{html.escape(str(chosen))}</b>: top {len(table)} of {len(rows):,} customers "
            f"by value (phone numbers masked)</p>" + _html_table(shown)
        )

    # -- static display
    def static_outputs(self) -> list[object]:
        """What a static front-end shows instead of the widget: figures and tables."""
        note = (
            "<p><i>Interactive explorer: open this notebook in JupyterLab to change bins, "
            f"scoring or rules. Showing bins={self.bins_slider.value}, "
            f"method={html.escape(self.method_dropdown.value)}.</i></p>"
        )
        from IPython.display import HTML

        outputs: list[object] = [HTML(note), *self.figures.values()]
        if self.customers_html.value:
            outputs.append(HTML(self.customers_html.value))
        return outputs


rfv_explorer = RFVExplorer  # the verb-style name the notebooks use


# ----------------------------------------------------------------------------- k explorer
class KExplorer(_Explorer):
    """Explore k-means clusterings live: slide k, watch profiles and the snake plot update.

    Parameters
    ----------
    rfv : DataFrame
        Output of :func:`rfvkit.rfv.rfv_table`.
    k_range : iterable of int
        Consecutive values of k the slider offers, default 2..10.
    k : int, optional
        Starting k; default the third value of ``k_range`` (4 for the default range).
    random_state : int
        Seed passed to :func:`rfvkit.clustering.suggest_segments`.
    static : bool, optional
        Display as plain figure and table instead of widgets (see :func:`rfv_explorer`).
    **options
        Passed on to ``suggest_segments`` (``features``, ``scaler``...). ``n_bootstrap``
        defaults to 0 here: stability only matters when choosing k, and the slider
        should answer quickly.

    Attributes
    ----------
    results, result, figure
        Fits cached per k, the current one, and its snake plot.

    Examples
    --------
    >>> explorer = k_explorer(rfv, k_range=range(2, 8), random_state=0)  # doctest: +SKIP
    >>> explorer.k_slider.value = 5  # doctest: +SKIP
    >>> explorer.result.profiles  # doctest: +SKIP
    """

    def __init__(
        self,
        rfv: pd.DataFrame,
        *,
        k_range: Iterable[int] = range(2, 11),
        k: int | None = None,
        random_state: int = 0,
        static: bool | None = None,
        **options: object,
    ) -> None:
        self.rfv = _check_rfv(rfv)
        values = list(k_range) if isinstance(k_range, Iterable) else []
        ks = sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool)})
        if (
            len(ks) != len(set(values))
            or not ks
            or ks[0] < 2
            or ks != list(range(ks[0], ks[-1] + 1))
        ):
            raise BadParameterError(
                f"k_range must be consecutive whole numbers >= 2, e.g. range(2, 11); "
                f"got {examples(values) or repr(k_range)}."
            )
        if ks[-1] > len(self.rfv):
            raise BadParameterError(
                f"k_range goes up to {ks[-1]} clusters but rfv has only {len(self.rfv)} "
                f"customers; use a smaller range."
            )
        k = ks[min(2, len(ks) - 1)] if k is None else k
        if k not in ks:
            raise BadParameterError(f"k must lie in k_range ({ks[0]}..{ks[-1]}); got {k!r}.")
        self.random_state = random_state
        self.options = {"n_bootstrap": 0, **options}
        self.static = _static_default() if static is None else bool(static)
        self.results: dict[int, object] = {}
        self.notes_by_k: dict[int, list[str]] = {}
        self.notes: list[str] = []
        self.result = None
        self.figure: go.Figure | None = None
        self.error: str | None = None
        self.k_slider = widgets.IntSlider(
            value=k,
            min=ks[0],
            max=ks[-1],
            description="k (clusters)",
            style={"description_width": "initial"},
            continuous_update=False,
        )
        self.status = widgets.HTML()
        self.profiles_html = widgets.HTML()
        self.snake_out = widgets.Output()
        super().__init__([self.k_slider, self.status, self.snake_out, self.profiles_html])
        self.k_slider.observe(self._on_k, names="value")
        self.refresh(strict=True)

    def _on_k(self, _change: Mapping) -> None:
        self.refresh()

    def refresh(self, *, strict: bool = False) -> None:
        """Cluster with the slider's k (cached) and redraw the profiles and snake plot.

        An error shows above the plot (and in ``error``); ``strict=True`` raises it.
        """
        from rfvkit.clustering import suggest_segments
        from rfvkit.plots import cluster_snake

        k = self.k_slider.value
        try:
            if k not in self.results:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    self.results[k] = suggest_segments(
                        self.rfv, k=k, random_state=self.random_state, **self.options
                    )
                self.notes_by_k[k] = [str(w.message) for w in caught]
            result = self.results[k]
            features = list(self.options.get("features") or RFV_METRICS)
            labelled = self.rfv[features].assign(
                cluster_name=result.labels["cluster_name"].reindex(self.rfv.index)
            )
            figure = cluster_snake(labelled, features, by="cluster_name")
        except RfvkitError as exc:
            if strict:
                raise
            self.error = str(exc)
            self.status.value = _error_html(exc)
            return
        self.error = None
        self.notes = self.notes_by_k.get(k, [])
        self.status.value = _notes_html(self.notes)
        self.result, self.figure = result, figure
        _show_figure(self.snake_out, figure)
        profiles = result.profiles
        shown = profiles
        self.profiles_html.value = f"<p><b>Cluster profiles, k = {k}</b></p>" + _html_table(
            shown.round(2)
        )

    def static_outputs(self) -> list[object]:
        """What a static front-end shows instead of the widget: snake plot and profiles."""
        from IPython.display import HTML

        note = (
            "<p><i>Interactive k explorer: open this notebook in JupyterLab to change k. "
            f"Showing k={self.k_slider.value}.</i></p>"
        )
        return [HTML(note), self.figure, HTML(self.profiles_html.value)]


k_explorer = KExplorer  # the verb-style name the notebooks use
