"""Executed notebook -> one self-contained HTML page that opens offline (no CDN)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

__all__ = ["render_html", "slim_notebook", "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parent / "templates"  # rfvkit/ extends nbconvert's lab
# plotly's notebook renderer adds a MathJax <script src="https://cdn..."> to every figure
# (hard-coded); rfvkit figures use no LaTeX, and reports never fetch from a CDN.
EXTERNAL_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.IGNORECASE
)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def render_html(
    notebook: str | Path, out: str | Path, *, nav: dict | None = None, show_input: bool = False
) -> Path:
    """Render an executed notebook to one self-contained HTML page, offline.

    Code cells are hidden unless ``show_input``; widget views are dropped (every
    widget result is also shown statically in rfvkit notebooks), so no widget or
    require.js script is fetched from a CDN.
    """
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.get("outputs", []) if WIDGET_MIME not in o.get("data", {})
            ]
            for output in cell.outputs:
                data = output.get("data", {})
                if "text/html" in data:
                    data["text/html"] = EXTERNAL_SCRIPT.sub("", _text(data["text/html"]))
    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="rfvkit",
        exclude_input=not show_input,
        exclude_input_prompt=not show_input,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"rfvkit_nav": nav})
    out = Path(out)
    out.write_text(body, encoding="utf-8")
    return out


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def slim_notebook(executed: Path) -> None:
    """Executed notebooks stay beside the report (for re-running) without the bulk and the
    personal data: plotly.js is dropped, and so is the widget state nbclient saves (the
    explorer's customer table)."""
    nb = nbformat.read(str(executed), as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "text/html" in data and len(data["text/html"]) > 1_000_000:
                    data["text/html"] = "<!-- plotly.js removed from the stored notebook -->"
    nbformat.write(nb, str(executed))
