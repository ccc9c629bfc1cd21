"""Notebook set-up: plotly renderers that work live in JupyterLab and in offline HTML."""

from __future__ import annotations

__all__ = ["setup_notebook", "live_k_explorer"]

RENDERER = "plotly_mimetype+notebook"


def setup_notebook() -> None:
    """Make plotly figures show in JupyterLab *and* in offline HTML reports.

    ``plotly_mimetype`` is what JupyterLab renders (even in untrusted notebooks);
    ``notebook`` adds a text/html copy that nbconvert keeps. Activating the
    ``notebook`` renderer inlines plotly.js (~4.8 MB) once, in the output of the
    cell that calls this function, so no page ever fetches it from a CDN. Call
    it in the first code cell and never hide that cell's output. Warnings are
    shown as one line (what happened and what to do), without source paths.

    Examples
    --------
    >>> import rfvkit as rk
    >>> rk.setup_notebook()  # doctest: +SKIP
    """
    import warnings

    import plotly.io as pio
    from plotly.offline import init_notebook_mode

    pio.templates.default = "plotly_white"
    pio.renderers.default = RENDERER
    init_notebook_mode(connected=False)
    warnings.formatwarning = _one_line_warning


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings in notebooks and reports read as one sentence, without the kernel's temp path."""
    return f"{category.__name__}: {message}\n"


def live_k_explorer(rfv, suggested, *, k_range=range(2, 11), **options):
    """The live k explorer over the k the data allows, or the sentence saying why there is none.

    Tiny data (one customer, a few, or all identical) cannot be split into ``k`` groups:
    the range is cut to the number of distinct customers, and below 2 the cell shows
    :data:`rfvkit.clustering.RULES_ONLY` instead of a slider, so the report still builds.

    Examples
    --------
    >>> rk.live_k_explorer(rfv, sug, k_range=range(2, 7), random_state=0)  # doctest: +SKIP
    """
    from rfvkit.clustering import RFV, RULES_ONLY
    from rfvkit.narrative import markdown
    from rfvkit.widgets import k_explorer

    features = list(dict.fromkeys([*RFV, *options.get("features", RFV)]))
    buyers = rfv[rfv["monetary"] > 0] if "monetary" in rfv else rfv
    distinct = len(buyers[[c for c in features if c in rfv]].drop_duplicates())
    ks = [k for k in k_range if 2 <= k <= min(distinct, len(buyers))]
    if suggested.k < 2 or not ks:
        return markdown(f"No live k explorer here: {RULES_ONLY}")
    k = suggested.k if suggested.k in ks else None
    return k_explorer(rfv, k_range=range(ks[0], ks[-1] + 1), k=k, **options)
