"""Out of core on one machine: load + validate + RFV table + scores at 1M -> 10M -> 100M lines.

Run from the project root::

    .venv/bin/python benchmarks/bench_scale.py                     # 1M, 10M, 100M lines
    .venv/bin/python benchmarks/bench_scale.py --sizes 1e6 1e7 3e7  # without 100M

Seeded synthetic order lines (~10 lines per customer, ~2.5 lines per order, 3% return
lines, 0.5% zero lines; the generator of ``bench_rfv.py``) are written once as
partitioned parquet (5M lines per file) under ``~/.cache/rfvkit-bench`` (never the
repository). Every task runs once per size in a fresh Python process; the process
reports wall time, CPU time and its peak resident memory (``VmHWM``, which also
counts Arrow, polars and DuckDB memory):

- ``rfvkit_duckdb``: ``engines.load_transactions(glob, engine="duckdb")`` (scan, types,
  every ledger count on the engine) + ``rfv_table`` + ``score``;
- ``rfvkit_polars``: the same with ``engine="polars"``, polars' streaming engine;
- ``duckdb_sql``: one hand-written DuckDB SQL query over the same files (RFV columns
  only, no validation), the baseline.

The script writes ``benchmarks/RESULTS_scale.md`` with the times, the memory, the ratio
to the SQL baseline and the scaling exponent b of time ~ lines^b between sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peak import peak_mb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("RFVKIT_BENCH_CACHE", "~/.cache/rfvkit-bench")).expanduser()
RESULTS = ROOT / "benchmarks" / "RESULTS_scale.md"
RAW = ROOT / "benchmarks" / "results_scale.json"
SEED = 20240601
PART = 5_000_000  # lines per parquet file

TASKS = {
    "rfvkit_duckdb": "rfvkit: load_transactions(glob, engine='duckdb') + rfv_table + score",
    "rfvkit_polars": "rfvkit: load_transactions(glob, engine='polars'), streaming + rfv_table + score",
    "rfvkit_duckdb_2gb": "rfvkit: the same on DuckDB with cluster: {conf: {memory_limit: 2GB}}",
    "duckdb_sql": "DuckDB: one hand-written SQL query over the same files (no validation)",
    "duckdb_sql_2gb": "DuckDB: the same SQL with memory_limit 2GB (the baseline of the _2gb rows)",
    "rfvkit_dask": "rfvkit: engine='dask' on a LocalCluster (2 workers x 1 thread; start-up untimed)",
    "rfvkit_spark": "rfvkit: engine='spark', local[2] SparkSession (start-up untimed)",
}
#: Tasks run by default (Dask and Spark only with --tasks, at the sizes you choose).
DEFAULT_TASKS = ["rfvkit_duckdb", "rfvkit_polars", "duckdb_sql"]

DUCKDB_SQL = """
WITH per_customer AS (
    SELECT customer_id,
           count(DISTINCT order_id) FILTER (WHERE amount > 0) AS frequency,
           sum(amount) AS monetary,
           min(order_date) FILTER (WHERE amount > 0) AS first_purchase,
           max(order_date) FILTER (WHERE amount > 0) AS last_purchase,
           max(order_date) AS last_line
    FROM read_parquet('{glob}')
    GROUP BY customer_id
), as_of AS (SELECT CAST(max(last_line) AS DATE) + 1 AS as_of FROM per_customer)
SELECT customer_id, frequency, monetary, first_purchase, last_purchase,
       as_of - CAST(last_purchase AS DATE) AS recency_days,
       monetary / frequency AS avg_order_value,
       as_of - CAST(first_purchase AS DATE) AS tenure_days
FROM per_customer, as_of
WHERE frequency > 0
"""


def make_data(rows: int) -> Path:
    """Write (once) ``rows`` seeded lines as parquet parts; returns the folder."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = CACHE / f"tx_{rows}"
    if (folder / "_done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    n_customers = max(rows // 10, 1)
    customer_ids = pa.array([f"C{i:08d}" for i in range(n_customers)])
    start = np.datetime64("2022-01-01T00:00:00", "s")
    first_order = 0
    for part, lo in enumerate(range(0, rows, PART)):
        n = min(PART, rows - lo)
        n_orders = max(n * 2 // 5, 1)
        order_customer = rng.integers(0, n_customers, n_orders)
        order_time = start + rng.integers(0, 3 * 365 * 86400, n_orders).astype("timedelta64[s]")
        line_order = np.sort(rng.integers(0, n_orders, n))
        amount = np.round(rng.lognormal(3.0, 1.0, n), 2)
        kind = rng.random(n)
        amount[kind < 0.03] *= -1  # returns
        amount[(kind >= 0.03) & (kind < 0.035)] = 0.0  # zero lines
        order_ids = pa.array([f"O{first_order + i:010d}" for i in range(n_orders)])
        table = pa.table(
            {
                "customer_id": customer_ids.take(pa.array(order_customer[line_order])),
                "order_id": order_ids.take(pa.array(line_order)),
                "order_date": pa.array(order_time[line_order].astype("datetime64[us]")),
                "amount": pa.array(amount),
            }
        )
        pq.write_table(table, folder / f"part-{part:04d}.parquet")
        first_order += n_orders
    (folder / "_done").write_text("ok\n")
    return folder


def run_clustering(customers: int) -> dict:
    """suggest_segments(k="auto") on a seeded synthetic RFV table of ``customers`` rows."""
    import numpy as np
    import pandas as pd

    from rfvkit.clustering import suggest_segments

    rng = np.random.default_rng(SEED)
    frequency = rng.geometric(0.3, customers)
    monetary = np.round(frequency * rng.lognormal(3.5, 0.8, customers), 2)
    rfv = pd.DataFrame(
        {
            "recency_days": rng.integers(1, 1096, customers),
            "frequency": frequency,
            "monetary": monetary,
            "avg_order_value": monetary / frequency,
        },
        index=pd.Index([f"C{i:08d}" for i in range(customers)], name="customer_id"),
    )
    t0, c0 = time.perf_counter(), time.process_time()
    result = suggest_segments(rfv, k="auto", random_state=0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_mb()
    k = int(result.k)
    return {
        "task": "suggest_segments",
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_mb": peak,
        "customers": customers,
        "lines_kept": None,
        "k": k,
        "assigned": len(result.labels),
    }


def run_task(name: str, folder: Path) -> dict:
    """Run one task in this process (called in a fresh child); returns its measurements."""
    if name == "suggest_segments":
        return run_clustering(int(str(folder)))
    glob = str(folder / "*.parquet")
    kind = name.removeprefix("rfvkit_")
    cluster = start_cluster(kind) if kind in ("dask", "spark") else None
    t0, c0 = time.perf_counter(), time.process_time()
    driver_bytes = None
    if name.startswith("duckdb_sql"):
        import duckdb

        limit = {"memory_limit": "2GB"} if name.endswith("_2gb") else {}
        result = duckdb.connect(config=limit).sql(DUCKDB_SQL.format(glob=glob)).df()
        customers, lines = len(result), None
    else:
        from rfvkit.engines import load_transactions
        from rfvkit.rfv import rfv_table
        from rfvkit.scoring import score

        engine = name.removeprefix("rfvkit_").removesuffix("_2gb")
        if name == "rfvkit_duckdb_2gb":
            cluster = {"conf": {"memory_limit": "2GB"}}
        if engine == "polars":
            import polars as pl

            pl.Config.set_engine_affinity("streaming")
        passes = _time_passes()
        tx, quality = load_transactions(glob, engine=engine, cluster=cluster)
        rfv = rfv_table(tx)
        started = time.perf_counter()
        scored = score(rfv)
        passes["score"] = time.perf_counter() - started
        customers, lines = len(scored), quality.counts()["transactions"]["kept"]
        driver_bytes = scored.memory_usage(deep=True, index=True).sum() / len(scored)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_mb()
    return {
        "passes": locals().get("passes"),
        "task": name,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_mb": peak,
        "customers": customers,
        "lines_kept": lines,
        "driver_bytes": driver_bytes,
        "parquet_bytes": sum(f.stat().st_size for f in folder.glob("*.parquet")),
    }


def start_cluster(engine: str) -> dict:
    """Start a local Dask cluster or Spark session (loopback); their ``cluster:`` params."""
    if engine == "dask":
        from distributed import Client, LocalCluster

        local = LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
        )
        Client(local)
        return {"address": local.scheduler_address}
    from pyspark.sql import SparkSession

    conf = {
        "spark.ui.enabled": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": "3g",
        "spark.sql.shuffle.partitions": "8",
    }
    builder = SparkSession.builder.master("local[2]")
    for key, value in conf.items():
        builder = builder.config(key, value)
    builder.getOrCreate()
    return {"master": "local[2]", "conf": conf}


def _time_passes() -> dict[str, float]:
    """Wall seconds per pass over the files, filled in while the task runs.

    Wraps (in this child process only) the functions that each run one engine query:
    the ledger's aggregation passes, the duplicate-line count (on DuckDB and polars both
    in one pass), ``rfv_table``'s check and
    its aggregation (collect + finishing in pandas).
    """
    from rfvkit import engine_counts, engines, rfv

    passes: dict[str, float] = {}
    running: list[str] = []  # a pass inside another (polars' distinct count) is the outer's

    def timed(module, attr: str, key: str) -> None:
        inner = getattr(module, attr)

        def wrapper(*args, **kwargs):
            if running:
                return inner(*args, **kwargs)
            started = time.perf_counter()
            running.append(key)
            try:
                return inner(*args, **kwargs)
            finally:
                running.pop()
                passes[key] = passes.get(key, 0.0) + time.perf_counter() - started

        setattr(module, attr, wrapper)

    timed(engine_counts, "_counted_with_hashes", "ledger + duplicates, one pass")
    timed(engine_counts, "one_row", "ledger counts")
    timed(engines, "duplicate_lines", "duplicate lines")
    timed(rfv, "_inspect", "rfv_table check")
    timed(rfv, "_aggregate_and_finish", "rfv_table group-bys + finish")
    return passes


def measure(name: str, folder: Path, rows: int) -> dict:
    cmd = [sys.executable, __file__, "--child", name, str(folder)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"{name} at {rows:,} lines failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["rows"] = rows
    result["when"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    print(
        f"{rows:>12,} {name:<15} {result['wall_s']:7.1f} s  {result['peak_mb']:7.0f} MB", flush=True
    )
    return result


def measure_rounds(tasks: list[str], folder: Path, rows: int, repeats: int) -> list[dict]:
    """Every task ``repeats`` times, in a seeded shuffled order per round; medians.

    The machine is shared: a neighbour's burst slows one run of one task. Each round runs
    every task once, so each rfvkit run has a SQL baseline run of the same round beside it;
    the ratio kept is the median of the per-round ratios, the times the medians of the runs.
    """
    order = random.Random(rows)
    runs: dict[str, list[dict]] = {task: [] for task in tasks}
    for _ in range(repeats):
        for task in order.sample(tasks, len(tasks)):
            runs[task].append(measure(task, folder, rows))
    out = []
    for task, got in runs.items():
        result = dict(got[0])
        result["runs"] = [r["wall_s"] for r in got]
        result["wall_s"] = statistics.median(result["runs"])
        result["cpu_s"] = statistics.median(r["cpu_s"] for r in got)
        result["peak_mb"] = max(r["peak_mb"] for r in got)
        if got[0].get("passes"):
            keys = got[0]["passes"]
            result["passes"] = {
                k: statistics.median(r["passes"].get(k, 0) for r in got) for k in keys
            }
        baseline = _baseline(task)
        if baseline in runs and task != baseline:
            base = [r["wall_s"] for r in runs[baseline]]
            result["ratio"] = statistics.median(
                a / b for a, b in zip(result["runs"], base, strict=True)
            )
        out.append(result)
    return out


def _baseline(task: str) -> str:
    """The SQL run a task is compared with: the one under the same DuckDB memory limit."""
    return "duckdb_sql_2gb" if task.endswith("_2gb") else "duckdb_sql"


def exponent(results: list[dict], task: str) -> list[tuple[int, int, float]]:
    """b in time ~ lines^b between consecutive sizes."""
    points = sorted((r["rows"], r["wall_s"]) for r in results if r["task"] == task)
    return [
        (a[0], b[0], math.log(b[1] / a[1]) / math.log(b[0] / a[0]))
        for a, b in zip(points, points[1:], strict=False)
    ]


def write_results(results: list[dict], sizes: list[int], gen: dict[int, float]) -> None:
    measured = sorted({r["rows"] for r in results if r["task"] in DEFAULT_TASKS})
    lines = [
        "# Out of core on one machine: 1M -> 10M -> 100M lines",
        "",
        f"Measured on {platform.machine()} ({os.cpu_count()} cores, shared with other work), Python "
        f"{platform.python_version()}, with `benchmarks/bench_scale.py` (`--sizes ...`, "
        "`--tasks rfvkit_dask rfvkit_spark`, `--clustering 1e7`; the exact commands are in "
        "docs/scale.md). Data: partitioned parquet under `~/.cache/rfvkit-bench` (~10 lines "
        "per customer, ~2.5 per order). Each run in a fresh process; "
        "peak = `VmHWM` of that process (for Dask and Spark: the driver only; workers "
        "and the JVM are other processes). Rows with several runs (`--repeats`, the "
        "`runs` column) give median times and the median of the per-round ratios to the "
        "SQL baseline. The last column is when a row's first run ended (UTC; a later "
        "invocation replaces only the sizes and tasks it ran, so rows of one size can "
        "come from different sittings, and a ratio is only ever taken within one).",
        "",
    ]
    if 100_000_000 not in measured:
        lines += [
            f"**100M lines were not measured** (sizes measured: "
            f"{', '.join(f'{n:,}' for n in measured)}): at the measured exponent the 100M "
            "run would take over 10 minutes on this shared 2-core machine; see docs/scale.md.",
            "",
        ]
    lines += [
        "| lines | customers | task | runs | wall s | CPU s | peak MB | x SQL baseline "
        "| ns per line | driver bytes per customer | measured |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    base = {
        (r["rows"], r["task"]): r["wall_s"] for r in results if r["task"].startswith("duckdb_sql")
    }
    clustering = [r for r in results if r["task"] == "suggest_segments"]
    results = [r for r in results if r["task"] != "suggest_segments"]
    for r in sorted(results, key=lambda r: (r["rows"], r["task"])):
        key = (r["rows"], _baseline(r["task"]))
        ratio = r.get("ratio") or (r["wall_s"] / base[key] if key in base else math.nan)
        lines.append(
            f"| {r['rows']:,} | {r['customers']:,} | {r['task']} | {len(r.get('runs', [1]))} | "
            f"{r['wall_s']:.2f} | "
            f"{r['cpu_s']:.2f} | {r['peak_mb']:,.0f} | {ratio:.2f} | "
            f"{r['wall_s'] / r['rows'] * 1e9:.0f} | "
            + (f"{r['driver_bytes']:.0f} |" if r.get("driver_bytes") else "- |")
            + f" {r.get('when', '-')} |"
        )
    lines += [
        "",
        "Scaling exponent b (time ~ lines^b) between consecutive sizes:",
        "",
        "| task | from | to | b |",
        "|---|---:|---:|---:|",
    ]
    for task in TASKS:
        for a, b, e in exponent(results, task):
            lines.append(f"| {task} | {a:,} | {b:,} | {e:.2f} |")
    timed = [r for r in results if r.get("passes")]
    if timed:
        keys = list(dict.fromkeys(k for r in timed for k in r["passes"]))
        lines += [
            "",
            "Where the time goes: wall seconds per pass over the files (same runs as above; "
            "the rest of the wall time is scanning set-up, typing and imports of the engine):",
            "",
            "| lines | task | " + " | ".join(keys) + " |",
            "|---:|---|" + "---:|" * len(keys),
        ]
        for r in sorted(timed, key=lambda r: (r["rows"], r["task"])):
            cells = " | ".join(f"{r['passes'].get(k, 0.0):.2f}" for k in keys)
            lines.append(f"| {r['rows']:,} | {r['task']} | {cells} |")
    if clustering:
        lines += [
            "",
            'Clustering at scale: `suggest_segments(rfv, k="auto")` (k 2..10, fit on a '
            "seeded sample, every customer assigned) on a synthetic RFV table, command "
            "`.venv/bin/python benchmarks/bench_scale.py --clustering 1e7`:",
            "",
            "| customers | k chosen | customers assigned | wall s | CPU s | peak MB |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for r in clustering:
            lines.append(
                f"| {r['customers']:,} | {r['k']} | {r['assigned']:,} | "
                f"{r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:,.0f} |"
            )
    sizes_seen = sorted(
        {(r["rows"], r.get("parquet_bytes")) for r in results if r.get("parquet_bytes")}
    )
    if sizes_seen:
        lines += [
            "",
            "Parquet on disk: "
            + ", ".join(
                f"{n:,} lines {b / 1e6:,.0f} MB ({b / n:.1f} bytes per line)" for n, b in sizes_seen
            )
            + ".",
        ]
    made = ", ".join(f"{k:,} lines {v:.0f} s" for k, v in sorted(gen.items()))
    lines += ["", f"Data generation (once per size, not timed above): {made or 'cached'}."]
    lines += ["", "Tasks:", ""] + [f"- `{k}`: {v}" for k, v in TASKS.items()]
    RESULTS.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7, 1e8])
    parser.add_argument("--tasks", nargs="+", default=DEFAULT_TASKS, choices=list(TASKS))
    parser.add_argument("--clustering", type=float, help="customers for suggest_segments only")
    parser.add_argument(
        "--repeats", type=int, default=1, help="rounds per size (medians; ratios per round)"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_task(args.child[0], Path(args.child[1]))))
        return
    results, gen = [], {}
    old = json.loads(RAW.read_text()) if RAW.exists() else []
    if args.clustering:
        n = int(args.clustering)
        results = [r for r in old if not (r["task"] == "suggest_segments" and r["rows"] == n)]
        results.append(measure("suggest_segments", Path(str(n)), n))
        RAW.write_text(json.dumps(results, indent=1))
        write_results(results, sorted({r["rows"] for r in results if r["task"] in TASKS}), gen)
        return
    sizes = [int(s) for s in args.sizes]
    # keep earlier sizes (and the clustering figure) when a run adds one
    results = [r for r in old if r["rows"] not in sizes or r["task"] not in args.tasks]
    for rows in sizes:
        t0 = time.perf_counter()
        folder = make_data(rows)
        gen[rows] = time.perf_counter() - t0
        results += measure_rounds(args.tasks, folder, rows, args.repeats)
        RAW.write_text(json.dumps(results, indent=1))
    write_results(results, sorted({r["rows"] for r in results}), gen)


if __name__ == "__main__":
    main()
