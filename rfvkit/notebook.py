"""Notebook set-up: plotly renderers that work live in JupyterLab and in offline HTML."""

from __future__ import annotations

__all__ = ["setup_notebook"]

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
