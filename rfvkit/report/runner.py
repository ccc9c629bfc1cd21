"""Run the notebooks as one repeatable, offline HTML report.

``run_report`` loads the data and computes the chain once, then executes every
``notebooks/NN_*.ipynb`` with papermill (one kernel per core at a time), injecting the
run's parameters and the path of that run cache, renders each executed notebook to a self-contained
HTML page without code cells, and writes ``index.html`` and ``manifest.json``.

A run is atomic: it builds in a hidden folder beside the target and moves into
place only when every notebook succeeded. On failure the executed notebook (with
its traceback) and its HTML are kept under ``reports/_failed/<name>/`` and any
previous report of that name is left untouched.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from rfvkit.config import Config, load_config
from rfvkit.history import carry_history, write_snapshot_meta
from rfvkit.pipeline import analyse
from rfvkit.report.html import render_html, slim_notebook
from rfvkit.report.manifest import build_manifest, index_html

__all__ = ["ReportResult", "run_report", "find_notebooks", "PROJECT_ROOT", "NOTEBOOKS_DIR"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
INSTALLED_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"  # in the wheel


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
    notebooks_dir: str | Path | None = None,
    jobs: int | None = None,
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
        Where reports land and where the ``NN_*.ipynb`` notebooks are (default: the
        project's ``notebooks/`` in a source checkout, else the copy installed with rfvkit).
    jobs : int, optional
        Notebooks run at the same time, each in its own kernel (default: one per core).
        The data are loaded and the chain computed once, before any kernel starts; each
        notebook reads that run cache (``analysis_cache``) instead of loading again.
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
    cfg = (
        config if isinstance(config, Config) and not overrides else load_config(config, **overrides)
    )
    if name is None:
        name = Path(cfg.source).stem if cfg.source else "report"
    reports_dir = Path(reports_dir)
    notebooks = find_notebooks(notebooks_dir)
    jobs = _jobs(jobs, len(notebooks))

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    log(
        f"rfvkit report {name!r}: {len(notebooks)} notebooks on {jobs} kernel(s) at a time, "
        f"params {cfg.source}"
    )
    with warnings.catch_warnings():  # the notebooks show these warnings where they matter
        warnings.simplefilter("ignore")
        analysis = analyse(cfg)
    steps = {"load and chain": round(time.perf_counter() - t0, 2)}
    reports_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=reports_dir))
    work.chmod(0o755)  # mkdtemp makes it private; the published report is not
    scratch = Path(tempfile.mkdtemp(prefix="rfvkit-run-"))  # the run cache: never published
    pages = [{"href": f"{nb.stem}.html", "title": _title(nb)} for nb in notebooks]
    nav = {"pages": pages, "subtitle": f"{cfg.title} - as of {analysis.as_of:%Y-%m-%d}"}
    run_params = {
        **cfg.parameters(),
        # every notebook reads the run's effective parameters (file + overrides), so a
        # chapter that does not declare a parameter still sees the value of this run
        "params_file": str(_effective_params(cfg, scratch)),
        "output_dir": str(work.resolve()),
        "analysis_cache": str(analysis.save(scratch / "analysis.pkl", cfg)),
    }
    try:
        carry_history(reports_dir / name, work / "history")  # earlier runs' scored tables
        tick = time.perf_counter()
        order = longest_first(notebooks, reports_dir / name / "manifest.json")
        runs = _run_all(order, work, run_params, nav, jobs, show_cells, log)
        runs = [next(r for r in runs if r["notebook"] == nb.name) for nb in notebooks]
        steps["notebooks"] = round(time.perf_counter() - tick, 2)
        failed = next((run for run in runs if run["status"] == "failed"), None)
        if failed is not None:
            failed_dir = _keep_failed(
                work / failed["notebook"], reports_dir, name, failed["failure"], nav
            )
            return ReportResult(
                name=name,
                ok=False,
                folder=reports_dir / name,
                failure=failed["failure"],
                failed_dir=failed_dir,
            )
        tick = time.perf_counter()
        analysis.write_table(work / "table")
        write_snapshot_meta(analysis.segmented, work / "table", as_of=analysis.as_of)  # dated
        finished = datetime.now(UTC)
        steps["tables and index"] = round(time.perf_counter() - tick, 2)
        manifest = build_manifest(cfg, analysis, runs, started, finished, time.perf_counter() - t0)
        manifest["steps"] = steps
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
        (work / "index.html").write_text(index_html(cfg, analysis, manifest, pages))
        target = _publish(work, reports_dir / name)
        shutil.rmtree(reports_dir / "_failed" / name, ignore_errors=True)  # stale now
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    log("steps: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items()))
    log(f"done in {time.perf_counter() - t0:.1f} s")
    return ReportResult(
        name=name, ok=True, folder=target, index_html=target / "index.html", manifest=manifest
    )


#: Exceptions that mean "this chapter cannot be shown on this data", not "the run failed".
NOT_APPLICABLE = ("NotApplicableError", "NotEnoughDataError")


def _not_applicable_page(notebook: Path, out: Path, reason: str, nav: dict) -> None:
    """A chapter page that says in one sentence why the chapter is not shown."""
    import html

    links = "".join(
        f' <a href="{html.escape(p["href"])}">{html.escape(p["title"])}</a>' for p in nav["pages"]
    )
    out.write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(_title(notebook))}</title></head>"
        "<body style='font-family: system-ui, sans-serif; max-width: 900px; margin: 2em auto'>"
        f"<nav><a href='index.html'>&larr; Report index</a>{links}</nav>"
        f"<h1>{html.escape(_title(notebook))}</h1>"
        f"<p>This chapter cannot be shown on this data: {html.escape(reason)}</p>"
        "</body></html>",
        encoding="utf-8",
    )


def _effective_params(cfg: Config, folder: Path) -> Path:
    """The run's parameters (the params file with its overrides applied) as a params YAML."""
    import yaml

    name = Path(cfg.source).name if cfg.source else "params.yaml"
    path = folder / name
    path.write_text(yaml.safe_dump(cfg.to_mapping(), sort_keys=False, allow_unicode=True))
    return path


def find_notebooks(notebooks_dir: str | Path | None = None) -> list[Path]:
    """The chapter notebooks ``NN_*.ipynb`` in order: the given folder, else the project's
    ``notebooks/`` (a source checkout), else the copy installed with the package."""
    from rfvkit.errors import RfvkitError

    if notebooks_dir is None:
        notebooks_dir = NOTEBOOKS_DIR if NOTEBOOKS_DIR.is_dir() else INSTALLED_NOTEBOOKS
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise RfvkitError(
            f"notebooks folder {folder} does not exist; pass --notebooks DIR (a folder of "
            "NN_*.ipynb notebooks) or reinstall rfvkit, which ships its notebooks."
        )
    notebooks = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise RfvkitError(f"no notebooks named NN_*.ipynb in {folder}")
    return notebooks


def _jobs(jobs: int | None, n_notebooks: int) -> int:
    """Kernels at a time: one per core (each kernel is one busy process), at most one per
    notebook."""
    if jobs is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        jobs = cores or 1
    return max(1, min(int(jobs), n_notebooks))


def longest_first(notebooks: list[Path], previous_manifest: Path) -> list[Path]:
    """The order to start notebooks in: longest first, by their times in the last run.

    With fewer kernels than notebooks, starting the longest job first shortens the run
    (longest-processing-time-first list scheduling; Graham, "Bounds on multiprocessing timing
    anomalies", SIAM J. Appl. Math. 17(2), 1969). The times come from the manifest of this
    report's previous run; notebooks it does not list (or no manifest) go first, in
    name order, since they may be long too.

    Examples
    --------
    >>> longest_first([Path("01_a.ipynb"), Path("02_b.ipynb")], Path("/nonexistent.json"))
    [PosixPath('01_a.ipynb'), PosixPath('02_b.ipynb')]
    """
    try:
        runs = json.loads(previous_manifest.read_text())["notebooks"]
        seconds = {run["notebook"]: float(run["seconds"]) for run in runs if "seconds" in run}
    except (OSError, ValueError, KeyError, TypeError):
        seconds = {}
    return sorted(notebooks, key=lambda nb: -seconds.get(nb.name, float("inf")))


def _run_all(notebooks, work, run_params, nav, jobs, show_cells, log) -> list[dict]:
    """Execute and render every notebook, ``jobs`` kernels at a time, started in the order given.

    Each notebook runs in its own worker process: papermill changes the working directory
    of the process that drives a kernel, so two notebooks cannot share one process.
    """
    results: dict[Path, dict] = {}

    def record(notebook: Path, result: dict) -> None:
        results[notebook] = result
        status = {
            "ok": "ok",
            "failed": f"FAILED: {result.get('failure')}",
            "not applicable": f"not shown: {result.get('reason')}",
        }[result["status"]]
        seconds = f" ({result['seconds']:.1f} s)" if result["status"] == "ok" else ""
        log(f"[{len(results)}/{len(notebooks)}] {notebook.stem} {status}{seconds}")

    if jobs == 1:
        for notebook in notebooks:
            record(notebook, _run_one(notebook, work, run_params, nav, show_cells))
    else:
        spawn = multiprocessing.get_context("spawn")  # no inherited threads, sockets or cwd
        with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
            futures = {
                pool.submit(_run_one, nb, work, run_params, nav, show_cells): nb for nb in notebooks
            }
            for future in as_completed(futures):
                record(futures[future], future.result())
    return [results[nb] for nb in notebooks]


def _run_one(notebook: Path, work: Path, run_params: dict, nav: dict, show_cells: bool) -> dict:
    """Execute one notebook with papermill and render its page; a failure of either is one line."""
    import papermill as pm

    notebook, work = notebook.resolve(), work.resolve()  # papermill changes directory
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
            kernel_manager_class=_ipc_kernel_manager(),
        )
    except Exception as exc:  # papermill raises PapermillExecutionError, kernels can die
        if getattr(exc, "ename", "") in NOT_APPLICABLE:  # the data cannot support this chapter
            reason = " ".join(str(getattr(exc, "evalue", exc)).split())
            _not_applicable_page(notebook, work / f"{notebook.stem}.html", reason, nav)
            executed.unlink(missing_ok=True)
            return {
                "notebook": notebook.name,
                "status": "not applicable",
                "reason": reason,
                "seconds": round(time.perf_counter() - tick, 2),
                "html": f"{notebook.stem}.html",
            }
        return {
            "notebook": notebook.name,
            "status": "failed",
            "failure": _describe_failure(notebook, executed, exc),
        }
    seconds = time.perf_counter() - tick
    try:
        render_html(executed, work / f"{notebook.stem}.html", nav=nav)
    except Exception as exc:  # nbconvert: a bad output or template; handled like a cell failure
        reason = " ".join(str(exc).split())[:300]
        return {
            "notebook": notebook.name,
            "status": "failed",
            "failure": f"{notebook.name} ran, but its HTML page could not be rendered: "
            f"{type(exc).__name__}: {reason}",
        }
    slim_notebook(executed)
    return {
        "notebook": notebook.name,
        "status": "ok",
        "seconds": round(seconds, 2),
        "html": f"{notebook.stem}.html",
    }


def _ipc_kernel_manager():
    """A kernel manager whose kernels talk over local IPC sockets, not loopback TCP.

    Report kernels need no network port; with TCP and no CurveZMQ keys ipykernel warns on
    every start that traffic is unencrypted, which only clutters scheduler logs. Each
    kernel gets its sockets in a private temporary folder, so kernels started at the same
    time never pick the same socket files.
    """
    from jupyter_client.manager import KernelManager
    from traitlets import default

    class IPCKernelManager(KernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            return str(Path(tempfile.mkdtemp(prefix="rfvkit-ipc-")) / "kernel")

        def cleanup_resources(self, restart: bool = False) -> None:
            super().cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(Path(self.ip).parent, ignore_errors=True)

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
