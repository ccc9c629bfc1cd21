"""The RFV explorer: bins, scoring method and rule set live; top customers of a segment."""

from __future__ import annotations

import html
import warnings
from collections.abc import Mapping

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from rfvkit.columns import RULE_SETS
from rfvkit.errors import (
    BadParameterError,
    RfvkitError,
)
from rfvkit.privacy import mask_phone
from rfvkit.widgets._base import (
    BINS_RANGE,
    LIVE_METHODS,
    TABLE_COLUMNS,
    _check_rfv,
    _choice,
    _customers_frame,
    _Explorer,
    _html_table,
    _show_figure,
    _static_default,
)


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
            self._show_error(exc, strict)
            return
        self._show_notes([str(w.message) for w in caught])
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
