"""Run the notebooks as one repeatable, offline HTML report.

- :mod:`rfvkit.report.runner`: papermill runs every ``NN_*.ipynb``; atomic publish, failures kept;
- :mod:`rfvkit.report.html`: each executed notebook -> one self-contained page (no CDN);
- :mod:`rfvkit.report.manifest`: ``manifest.json`` and the ``index.html`` front page.
"""

from rfvkit.report.html import render_html
from rfvkit.report.runner import NOTEBOOKS_DIR, PROJECT_ROOT, ReportResult, run_report

__all__ = ["ReportResult", "run_report", "render_html", "PROJECT_ROOT", "NOTEBOOKS_DIR"]
