"""What both explorers share: static fallback, figure and table output, input checks."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from rfvkit.columns import MAX_BINS, METHODS, MIN_BINS, RFV_METRICS
from rfvkit.errors import (
    BadParameterError,
    EmptyDataError,
    MissingColumnsError,
    RfvkitError,
    require_columns,
)

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

    def _show_error(self, exc: RfvkitError, strict: bool) -> None:
        """Keep the previous views and say why the update failed (or raise when strict)."""
        if strict:
            raise exc
        self.error = str(exc)
        self.status.value = _error_html(exc)

    def _show_notes(self, notes: list[str]) -> None:
        self.error = None
        self.notes = notes
        self.status.value = _notes_html(notes)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self.static:
            display(*self.static_outputs())
        else:
            display(self._repr_mimebundle_(), raw=True)
