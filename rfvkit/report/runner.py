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

import json
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from rfvkit.config import Config, load_config
from rfvkit.history import carry_history, write_snapshot_meta
from rfvkit.pipeline import analyse
from rfvkit.report.html import render_html, slim_notebook
from rfvkit.report.manifest import build_manifest, index_html

__all__ = ["ReportResult", "run_report", "PROJECT_ROOT", "NOTEBOOKS_DIR"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


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
        carry_history(reports_dir / name, work / "history")  # earlier runs' scored tables
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
            slim_notebook(executed)

        finished = datetime.now(UTC)
        manifest = build_manifest(cfg, analysis, runs, started, finished, time.perf_counter() - t0)
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
        (work / "index.html").write_text(index_html(cfg, analysis, manifest, pages))
        analysis.write_table(work / "table")
        write_snapshot_meta(analysis.segmented, work / "table", as_of=analysis.as_of)  # dated
        target = _publish(work, reports_dir / name)
        shutil.rmtree(reports_dir / "_failed" / name, ignore_errors=True)  # stale now
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    log(f"done in {time.perf_counter() - t0:.1f} s")
    return ReportResult(
        name=name, ok=True, folder=target, index_html=target / "index.html", manifest=manifest
    )


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
        slim_notebook(failed / executed.name)
        try:
            render_html(executed, failed / f"{executed.stem}.html", nav=nav, show_input=True)
        except Exception as exc:  # the notebook is what matters; say why the page is missing
            (failed / "FAILURE.txt").write_text(f"{failure}\nHTML not rendered: {exc}\n")
    return failed


def _publish(work: Path, target: Path) -> Path:
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        work.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(target)
    return target
