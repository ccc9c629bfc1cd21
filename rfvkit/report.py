"""Run the notebooks as one repeatable, offline HTML report.

``run_report`` executes every ``notebooks/NN_*.ipynb`` in order with papermill,
injecting the run's parameters, renders each executed notebook to a self-contained
HTML page without code cells, and writes ``index.html`` and ``manifest.json``.

A run is atomic: it builds in a hidden folder beside the target and moves into
place only when every notebook succeeded. On failure the executed notebook (with
its traceback) and its HTML are kept under ``reports/_failed/<name>/`` and any
previous report of that name is left untouched.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import nbformat
import pandas as pd

from rfvkit import __version__
from rfvkit.config import Config, load_config
from rfvkit.pipeline import Analysis, analyse

__all__ = ["ReportResult", "run_report", "render_html", "PROJECT_ROOT", "NOTEBOOKS_DIR"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "templates"  # rfvkit/ extends nbconvert's lab
# plotly's notebook renderer adds a MathJax <script src="https://cdn..."> to every figure
# (hard-coded); rfvkit figures use no LaTeX, and reports never fetch from a CDN.
EXTERNAL_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.IGNORECASE
)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
KEY_LIBRARIES = (
    "pandas",
    "numpy",
    "pyarrow",
    "narwhals",
    "scikit-learn",
    "plotly",
    "papermill",
    "nbconvert",
    "ipykernel",
    "ipywidgets",
)


@dataclass
class ReportResult:
    """What a report run produced; ``ok`` is False when a notebook failed."""

    name: str
    ok: bool
    folder: Path
    index_html: Path | None = None
    manifest: dict = field(default_factory=dict)
    failure: str | None = None
    failed_dir: Path | None = None


def run_report(
    config: Config | str | Path,
    *,
    name: str | None = None,
    reports_dir: str | Path = "reports",
    notebooks_dir: str | Path = NOTEBOOKS_DIR,
    show_cells: bool = False,
    log=print,
    **overrides: object,
) -> ReportResult:
    """Run every notebook with the given parameters into ``reports_dir/name``.

    Parameters
    ----------
    config : Config or path to a params YAML
        Validated before any notebook runs; ``overrides`` replace single parameters.
    name : str, optional
        Folder name of the report; defaults to the params file's name.
    reports_dir, notebooks_dir : path
        Where reports land and where the ``NN_*.ipynb`` notebooks are.
    show_cells : bool
        Show a per-cell progress bar while each notebook runs.
    log : callable
        Receives one progress line per notebook.

    Returns
    -------
    ReportResult

    Examples
    --------
    >>> result = run_report("params/ci.yaml", name="ci")  # doctest: +SKIP
    >>> result.index_html  # doctest: +SKIP
    PosixPath('reports/ci/index.html')
    """
    import papermill as pm

    cfg = (
        config if isinstance(config, Config) and not overrides else load_config(config, **overrides)
    )
    if name is None:
        name = Path(cfg.source).stem if cfg.source else "report"
    reports_dir = Path(reports_dir)
    notebooks = sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        from rfvkit.errors import RfvkitError

        raise RfvkitError(f"no notebooks named NN_*.ipynb in {notebooks_dir}")

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    log(f"rfvkit report {name!r}: {len(notebooks)} notebooks, params {cfg.source}")
    with warnings.catch_warnings():  # the notebooks show these warnings where they matter
        warnings.simplefilter("ignore")
        analysis = analyse(cfg)
    reports_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=reports_dir))
    work.chmod(0o755)  # mkdtemp makes it private; the published report is not
    pages = [{"href": f"{nb.stem}.html", "title": _title(nb)} for nb in notebooks]
    nav = {"pages": pages, "subtitle": f"{cfg.title} - as of {analysis.as_of:%Y-%m-%d}"}
    runs: list[dict] = []
    kernel_manager = _ipc_kernel_manager()
    run_params = {**cfg.parameters(), "output_dir": str(work.resolve())}
    try:
        for i, notebook in enumerate(notebooks, 1):
            executed = work / notebook.name
            declared = pm.inspect_notebook(str(notebook))
            params = {k: v for k, v in run_params.items() if k in declared}
            tick = time.perf_counter()
            try:
                pm.execute_notebook(
                    str(notebook),
                    str(executed),
                    parameters=params,
                    cwd=str(notebook.parent),
                    progress_bar=show_cells,
                    log_output=False,
                    report_mode=False,
                    kernel_manager_class=kernel_manager,
                )
            except Exception as exc:  # papermill raises PapermillExecutionError, kernels can die
                failure = _describe_failure(notebook, executed, exc)
                log(f"[{i}/{len(notebooks)}] {notebook.stem} FAILED: {failure}")
                failed_dir = _keep_failed(executed, reports_dir, name, failure, nav)
                return ReportResult(
                    name=name,
                    ok=False,
                    folder=reports_dir / name,
                    failure=failure,
                    failed_dir=failed_dir,
                )
            seconds = time.perf_counter() - tick
            render_html(executed, work / f"{notebook.stem}.html", nav=nav)
            runs.append(
                {
                    "notebook": notebook.name,
                    "status": "ok",
                    "seconds": round(seconds, 2),
                    "html": f"{notebook.stem}.html",
                }
            )
            log(f"[{i}/{len(notebooks)}] {notebook.stem} ok ({seconds:.1f} s)")
            _slim(executed)

        finished = datetime.now(UTC)
        manifest = _manifest(cfg, analysis, runs, started, finished, time.perf_counter() - t0)
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
        (work / "index.html").write_text(_index_html(cfg, analysis, manifest, pages))
        analysis.write_table(work / "table")
        target = _publish(work, reports_dir / name)
        shutil.rmtree(reports_dir / "_failed" / name, ignore_errors=True)  # stale now
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    log(f"done in {time.perf_counter() - t0:.1f} s")
    return ReportResult(
        name=name, ok=True, folder=target, index_html=target / "index.html", manifest=manifest
    )


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


def _ipc_kernel_manager():
    """A kernel manager whose kernels talk over local IPC sockets, not loopback TCP.

    Report kernels need no network port; with TCP and no CurveZMQ keys ipykernel warns on
    every start that traffic is unencrypted, which only clutters scheduler logs.
    """
    from jupyter_client.manager import KernelManager
    from traitlets import default

    class IPCKernelManager(KernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

    return IPCKernelManager


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _title(notebook: Path) -> str:
    """The notebook's first heading without its number ("Explore RFV: who buys..."), else its name."""
    import re

    for cell in nbformat.read(str(notebook), as_version=4).cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
            heading = cell.source.strip().splitlines()[0].lstrip("#").strip()
            return re.sub(r"^\d+\.\s*", "", heading)
    return notebook.stem.split("_", 1)[-1].replace("_", " ").capitalize()


def _describe_failure(notebook: Path, executed: Path, exc: Exception) -> str:
    """One line: notebook, execution count as shown in the kept notebook, the cell's first line."""
    cell = getattr(exc, "exec_count", None)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = " ".join(str(getattr(exc, "evalue", exc)).split())[:300]
    where = "before any cell ran"
    if cell is not None:
        where = f"cell [{cell}]"
        if executed.exists():  # papermill puts an error banner first: find the cell by its count
            ran = nbformat.read(str(executed), as_version=4).cells
            source = next(
                (
                    c.source.strip()
                    for c in ran
                    if c.cell_type == "code" and c.get("execution_count") == cell
                ),
                "",
            )
            if source:
                where += f" `{source.splitlines()[0][:80]}`"
    return f"{notebook.name} {where}: {ename}: {evalue}"


def _keep_failed(executed: Path, reports_dir: Path, name: str, failure: str, nav: dict) -> Path:
    failed = reports_dir / "_failed" / name
    if failed.exists():
        shutil.rmtree(failed)
    failed.mkdir(parents=True)
    (failed / "FAILURE.txt").write_text(failure + "\n")
    if executed.exists():
        shutil.copy2(executed, failed / executed.name)
        _slim(failed / executed.name)
        try:
            render_html(executed, failed / f"{executed.stem}.html", nav=nav, show_input=True)
        except Exception as exc:  # the notebook is what matters; say why the page is missing
            (failed / "FAILURE.txt").write_text(f"{failure}\nHTML not rendered: {exc}\n")
    return failed


def _slim(executed: Path) -> None:
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


def _publish(work: Path, target: Path) -> Path:
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        work.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(target)
    return target


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _versions() -> dict[str, str]:
    versions = {"rfvkit": __version__, "python": platform.python_version()}
    for lib in KEY_LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _manifest(
    cfg: Config,
    analysis: Analysis,
    runs: list[dict],
    started: datetime,
    finished: datetime,
    seconds: float,
) -> dict:
    inputs = []
    for table, spec in cfg.data.items():
        path = Path(spec["path"])
        inputs.append(
            {
                "table": table,
                "path": str(path),
                "bytes": path.stat().st_size,
                "sha256": _sha256(path),
            }
        )
    tx = analysis.crm.transactions
    return {
        "name": Path(cfg.source).stem if cfg.source else None,
        "title": cfg.title,
        "parameters": cfg.parameters(),
        "inputs": inputs,
        "rows": analysis.crm.quality.counts(),
        "customers_scored": int(len(analysis.segmented)),
        "segments": {str(k): int(v) for k, v in analysis.summary["customers"].items()},
        "data_period": {
            "first": str(tx["order_date"].min()),
            "last": str(tx["order_date"].max()),
            "as_of": str(analysis.as_of.date()),
        },
        "versions": _versions(),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "notebooks": runs,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }


def _table(frame: pd.DataFrame, **kwargs) -> str:
    return frame.to_html(index=False, border=0, classes="rfv-table", na_rep="", **kwargs)


def _index_html(cfg: Config, analysis: Analysis, manifest: dict, pages: list[dict]) -> str:
    esc = html.escape
    period = manifest["data_period"]
    rows = pd.DataFrame([{"table": t, **c} for t, c in manifest["rows"].items()])
    params = pd.DataFrame(
        [
            {"parameter": k, "value": json.dumps(v) if not isinstance(v, str) else v}
            for k, v in manifest["parameters"].items()
        ]
    )
    links = "\n".join(
        f'<li><a href="{esc(p["href"])}">{esc(p["title"])}</a>'
        f' <span class="muted">({r["seconds"]:.1f} s)</span></li>'
        for p, r in zip(pages, manifest["notebooks"], strict=True)
    )
    summary = analysis.summary.reset_index()
    for col in ("share", "revenue_share"):
        if col in summary:
            summary[col] = (summary[col] * 100).round(1).astype(str) + "%"
    if "revenue" in summary:
        summary["revenue"] = summary["revenue"].map(lambda x: f"{cfg.currency}{x:,.0f}")
    summary = summary[
        [
            c
            for c in ("segment", "customers", "share", "revenue", "revenue_share", "action")
            if c in summary
        ]
    ]
    quality = analysis.crm.quality.frame
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{esc(cfg.title)} - rfvkit report</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }}
h1 {{ margin-bottom: 0.1em; }} .muted {{ color: #666; font-size: 0.9em; }}
.cards {{ display: flex; gap: 1em; flex-wrap: wrap; margin: 1em 0; }}
.card {{ background: #f4f6fa; border-radius: 8px; padding: 0.8em 1.2em; min-width: 150px; }}
.card b {{ display: block; font-size: 1.5em; }}
table.rfv-table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }}
table.rfv-table th, table.rfv-table td {{ padding: 4px 10px; border-bottom: 1px solid #e3e3e3;
  text-align: left; vertical-align: top; }}
ol.pages li {{ font-size: 1.1em; margin: 0.3em 0; }}
</style></head><body>
<h1>{esc(cfg.title)}</h1>
<p class="muted">rfvkit {esc(__version__)} report &middot; run {esc(manifest["started_at"])}
&middot; {manifest["seconds"]:.0f} s &middot; params <code>{esc(str(cfg.source))}</code></p>
<div class="cards">
<div class="card">Analysis date<b>{esc(period["as_of"])}</b></div>
<div class="card">Data period<b>{esc(period["first"][:10])} &ndash; {esc(period["last"][:10])}</b></div>
<div class="card">Transactions kept<b>{len(analysis.crm.transactions):,}</b></div>
<div class="card">Customers scored<b>{manifest["customers_scored"]:,}</b></div>
</div>
<h2>Pages</h2>
<ol class="pages">
{links}
</ol>
<h2>Segments ({esc(analysis.rules.name)} rules)</h2>
{_table(summary)}
<h2>Data quality</h2>
<p>Input rows = kept + dropped for every table. Each rule below says how many rows it
touched and what was done with them.</p>
{_table(rows)}
{_table(quality)}
<h2>Run parameters</h2>
{_table(params)}
<p class="muted">Inputs, hashes, library versions and timings: <a href="manifest.json">manifest.json</a>.
Scored table: <a href="table/customers_scored.csv">table/customers_scored.csv</a>.</p>
</body></html>
"""
