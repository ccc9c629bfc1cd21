"""The k explorer: slide k, watch the cluster profiles and snake plot update."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from rfvkit.columns import RFV_METRICS
from rfvkit.errors import (
    BadParameterError,
    RfvkitError,
    examples,
)
from rfvkit.widgets._base import (
    _check_rfv,
    _Explorer,
    _html_table,
    _show_figure,
    _static_default,
)


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
            self._show_error(exc, strict)
            return
        self._show_notes(self.notes_by_k.get(k, []))
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
