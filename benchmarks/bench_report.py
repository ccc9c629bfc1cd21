"""Wall time of ``rfvkit report`` on the shipped sample, the UCI Online Retail data and a 10M-line CSV.

Each run is a fresh ``rfvkit report`` process, as ``make report`` or a scheduler starts it
(kernel start-up included), into a temporary reports folder. Writes
``benchmarks/RESULTS_report.md``.

    .venv/bin/python benchmarks/bench_report.py [--repeats 3] [--cases sample online_retail csv_10m]

``csv_10m`` is a CRM export of order lines only (``customer_id, order_id, order_date,
amount``; 10M lines, 500k customers, seeded, written once by ``benchmarks/_gen_load.py``
under ``~/.cache/rfvkit-bench``) with predictions on: issue 14's end-to-end case (target:
under 3 minutes). Without customers, opt-outs or a send log, chapters 04 and 05 publish
their one-sentence "not applicable" page.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS_report.md"
CASES = {"sample": "params/sample.yaml", "online_retail": "params/online_retail.yaml"}
BIG_LINES = 10_000_000


def big_csv_params(folder: Path) -> str:
    """A params file for the cached 10M-line CSV export (generated on first use)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _gen_load import export

    csv, _ = export(BIG_LINES)
    path = folder / "csv_10m.yaml"
    path.write_text(
        "title: 10M-line CSV export (bench_report.py)\n"
        f"data:\n  transactions:\n    path: {csv}\n"
        "predict: true\n"
    )
    return str(path)


def run_once(params: str, reports: Path, name: str) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rfvkit.cli",
            "report",
            "--params",
            params,
            "--name",
            name,  # one report per case: a rerun starts its longest notebooks first
            "--reports-dir",
            str(reports),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"rfvkit report failed for {params}:\n{proc.stderr[-2000:]}")
    notebooks = {}
    for line in proc.stdout.splitlines():  # "[1/2] 01_explore_rfv ok (7.5 s)"
        if line.startswith("[") and " ok (" in line:
            name = line.split("] ", 1)[1].split(" ok", 1)[0]
            notebooks[name] = float(line.rsplit("(", 1)[1].split(" s)")[0])
    return wall, notebooks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--cases", nargs="+", default=[*CASES, "csv_10m"], choices=[*CASES, "csv_10m"]
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            case: big_csv_params(Path(tmp)) if case == "csv_10m" else CASES[case]
            for case in args.cases
        }
        for case, params in cases.items():
            walls, per_nb = [], {}
            for _ in range(args.repeats):
                wall, notebooks = run_once(params, Path(tmp), case)
                walls.append(wall)
                for name, seconds in notebooks.items():
                    per_nb.setdefault(name, []).append(seconds)
                print(f"{case}: {wall:.1f} s", flush=True)
            rows.append((case, params, walls, {k: statistics.median(v) for k, v in per_nb.items()}))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines = [
        "# Report benchmark: `rfvkit report` wall time",
        "",
        f"- Command: `.venv/bin/python benchmarks/bench_report.py --repeats {args.repeats} "
        f"--cases {' '.join(args.cases)}`",
        f"- Date: {datetime.now():%Y-%m-%d %H:%M}; {os.cpu_count()} cores; Python "
        f"{platform.python_version()}; load average before the last run: "
        f"{os.getloadavg()[0]:.2f}",
        "- Each run is a fresh `rfvkit report` process: validation, papermill (a new kernel per "
        "notebook, start-up included), HTML rendering, manifest. Targets: the sample report in "
        "under 60 s on this 2-core machine; the 10M-line CSV export (`csv_10m`, order lines "
        "only, predictions on) under 3 minutes.",
        "",
        "| data | params | median wall s | runs s | median per notebook s |",
        "|---|---|---:|---|---|",
    ]
    for case, params, walls, per_nb in rows:
        nbs = ", ".join(f"{k} {v:.1f}" for k, v in per_nb.items())
        runs = " ".join(f"{w:.1f}" for w in walls)
        shown = "generated (see the script)" if case == "csv_10m" else f"`{params}`"
        lines.append(f"| {case} | {shown} | {statistics.median(walls):.1f} | {runs} | {nbs} |")
    lines += [
        "",
        f"Largest resident set of any process of the runs (rfvkit or one of its kernels): {peak:,.0f} MB.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
