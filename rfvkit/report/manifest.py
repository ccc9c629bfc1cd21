"""What a report run records: manifest.json (inputs, hashes, versions, timings) and index.html."""

from __future__ import annotations

import glob
import hashlib
import json
import platform
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path

import narwhals as nw
import pandas as pd
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from rfvkit import __version__
from rfvkit.config import Config
from rfvkit.pipeline import Analysis
from rfvkit.report.html import TEMPLATES

__all__ = ["build_manifest", "index_html"]

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


def build_manifest(
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
        if not path.exists():  # a glob of files read on an engine (engines.py): sizes only
            files = [Path(f) for f in glob.glob(str(path), recursive=True)]
            inputs.append(
                {
                    "table": table,
                    "path": str(path),
                    "files": len(files),
                    "bytes": sum(f.stat().st_size for f in files),
                    "sha256": None,
                }
            )
            continue
        inputs.append(
            {
                "table": table,
                "path": str(path),
                "bytes": path.stat().st_size,
                "sha256": _sha256(path),
            }
        )
    # min/max on the engine when order lines stay lazy there (engine: polars, dask ...)
    period = nw.from_native(analysis.crm.transactions).select(
        nw.col("order_date").min().alias("first"), nw.col("order_date").max().alias("last")
    )
    period = (period.collect() if isinstance(period, nw.LazyFrame) else period).to_pandas()
    return {
        "name": Path(cfg.source).stem if cfg.source else None,
        "title": cfg.title,
        "parameters": cfg.parameters(),
        "inputs": inputs,
        "rows": analysis.crm.quality.counts(),
        "customers_scored": int(len(analysis.segmented)),
        "segments": {
            str(s): int(n)
            for s, n in zip(analysis.summary["segment"], analysis.summary["customers"], strict=True)
        },
        "data_period": {
            "first": str(period["first"].iloc[0]),
            "last": str(period["last"].iloc[0]),
            "as_of": str(analysis.as_of.date()),
        },
        "versions": _versions(),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "notebooks": runs,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }


def _table(frame: pd.DataFrame) -> Markup:
    """A frame as an HTML table; pandas escapes the cells."""
    return Markup(frame.to_html(index=False, border=0, classes="rfv-table", na_rep=""))


def index_html(cfg: Config, analysis: Analysis, manifest: dict, pages: list[dict]) -> str:
    """The report's front page from ``templates/index.html.j2``: cards, links, segments, quality."""
    rows = pd.DataFrame([{"table": t, **c} for t, c in manifest["rows"].items()])
    params = pd.DataFrame(
        [
            {"parameter": k, "value": json.dumps(v) if not isinstance(v, str) else v}
            for k, v in manifest["parameters"].items()
        ]
    )
    summary = analysis.summary.copy()
    for col in ("share", "revenue_share"):
        if col in summary:
            summary[col] = (summary[col] * 100).round(1).astype(str) + "%"
    if "revenue" in summary:
        summary["revenue"] = summary["revenue"].map(lambda x: f"{cfg.currency}{x:,.0f}")
    keep = ("segment", "customers", "share", "revenue", "revenue_share", "action")
    summary = summary[[c for c in keep if c in summary]]
    timed = [
        {**page, "seconds": run["seconds"], "note": run.get("reason")}
        for page, run in zip(pages, manifest["notebooks"], strict=True)
    ]
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    return env.get_template("index.html.j2").render(
        title=cfg.title,
        version=__version__,
        source=str(cfg.source),
        manifest=manifest,
        period=manifest["data_period"],
        transactions=analysis.crm.quality.counts()["transactions"]["kept"],  # lazy on engines
        pages=timed,
        rules_name=analysis.rules.name,
        segments_table=_table(summary),
        rows_table=_table(rows),
        quality_table=_table(analysis.crm.quality.frame),
        params_table=_table(params),
    )
