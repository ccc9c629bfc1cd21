"""Speed and memory of rfvkit's RFV table against hand-written pandas, polars and DuckDB.

Run from the project root::

    .venv/bin/python -m benchmarks.bench_rfv                 # 1M and 10M lines, 3 rounds
    .venv/bin/python benchmarks/bench_rfv.py --sizes 1e6 --repeats 5

Synthetic, seeded transactions (~10 lines per customer, ~2.5 lines per order, 3% return
lines, 0.5% zero lines) are written once as parquet under ``benchmarks/data/``
(git-ignored). In each round every task runs once in a fresh Python process: untimed
setup (imports, loading the in-memory frame), then the timed task; the process reports
wall time, CPU time and its peak resident memory (``VmHWM``, which also sees memory
allocated by Arrow, polars and DuckDB). Every task computes the same per-customer table
(recency, distinct orders among purchase lines, net value, first and last purchase);
the script checks that they agree, then writes ``benchmarks/RESULTS_rfv.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peak import peak_mb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "RESULTS_rfv.md"
RAW = ROOT / "benchmarks" / "results.json"  # the measurements RESULTS_rfv.md is made from
SEED = 20240601
COLUMNS = ["customer_id", "order_id", "order_date", "amount"]

# task name -> (what it measures, baseline it is compared with)
TASKS = {
    "rfvkit_polars_scan": (
        "rfvkit: rfv_table(pl.scan_parquet(path)) + score()",
        "polars_lazy",
    ),
    "rfvkit_duckdb_scan": (
        "rfvkit: rfv_table(duckdb.read_parquet(path)) + score()",
        "duckdb_sql",
    ),
    "pandas_parquet": ("pandas: read_parquet + named-aggregation groupby", None),
    "polars_lazy": ("polars: hand-written lazy query over the file", None),
    "duckdb_sql": ("DuckDB: SQL over the file", None),
    "rfvkit_memory": ("rfvkit: rfv_table(pandas frame) (engine='auto': DuckDB)", "pandas_memory"),
    "rfvkit_memory_polars": (
        "rfvkit: rfv_table(pandas frame, engine='polars')",
        "pandas_memory",
    ),
    "rfvkit_memory_native": (
        "rfvkit: rfv_table(pandas frame, engine='native': pandas)",
        "pandas_memory",
    ),
    "pandas_memory": ("pandas: named-aggregation groupby on the same frame", None),
}


# ---------------------------------------------------------------- data
def make_data(rows: int) -> Path:
    """Write (once) ``rows`` seeded synthetic transaction lines as parquet."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = DATA / f"tx_{rows}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    n_customers = max(rows // 10, 1)
    n_orders = max(rows * 2 // 5, 1)
    order_customer = rng.integers(0, n_customers, n_orders)
    start = np.datetime64("2022-01-01T00:00:00", "s")
    order_time = start + rng.integers(0, 3 * 365 * 86400, n_orders).astype("timedelta64[s]")
    line_order = np.sort(rng.integers(0, n_orders, rows))
    amount = np.round(rng.lognormal(3.0, 1.0, rows), 2)
    kind = rng.random(rows)
    amount[kind < 0.03] *= -1  # returns
    amount[(kind >= 0.03) & (kind < 0.035)] = 0.0  # free items, zero lines
    customer_ids = pa.array([f"C{i:08d}" for i in range(n_customers)])
    order_ids = pa.array([f"O{i:09d}" for i in range(n_orders)])
    table = pa.table(
        {
            "customer_id": customer_ids.take(pa.array(order_customer[line_order])),
            "order_id": order_ids.take(pa.array(line_order)),
            "order_date": pa.array(order_time[line_order].astype("datetime64[ns]")),
            "amount": pa.array(amount),
        }
    )
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return path


# ---------------------------------------------------------------- tasks
def _pandas_groupby(df):  # the idiomatic pandas baseline
    import pandas as pd

    purchase = df["amount"] > 0
    g = (
        df.assign(
            purchase_date=df["order_date"].where(purchase),
            purchase_order=df["order_id"].where(purchase),
        )
        .groupby("customer_id")
        .agg(
            frequency=("purchase_order", "nunique"),
            monetary=("amount", "sum"),
            first_purchase=("purchase_date", "min"),
            last_purchase=("purchase_date", "max"),
        )
    )
    g = g[g["frequency"] > 0]
    as_of = df["order_date"].max().normalize()
    as_of = as_of + pd.Timedelta(days=1)
    return g.assign(
        recency_days=(as_of - g["last_purchase"].dt.normalize()).dt.days,
        avg_order_value=g["monetary"] / g["frequency"],
        tenure_days=(as_of - g["first_purchase"].dt.normalize()).dt.days,
    )


def _polars_query(path: Path):
    import polars as pl

    purchase = pl.col("amount") > 0
    day = pl.col("as_of")
    return (
        pl.scan_parquet(path)
        .group_by("customer_id")
        .agg(
            frequency=pl.col("order_id").filter(purchase).n_unique(),
            monetary=pl.col("amount").sum(),
            first_purchase=pl.col("order_date").filter(purchase).min(),
            last_purchase=pl.col("order_date").filter(purchase).max(),
            last_line=pl.col("order_date").max(),
        )
        .with_columns(as_of=pl.col("last_line").max().dt.truncate("1d") + pl.duration(days=1))
        .filter(pl.col("frequency") > 0)
        .with_columns(
            recency_days=(day - pl.col("last_purchase").dt.truncate("1d")).dt.total_days(),
            avg_order_value=pl.col("monetary") / pl.col("frequency"),
            tenure_days=(day - pl.col("first_purchase").dt.truncate("1d")).dt.total_days(),
        )
        .collect()
    )


DUCKDB_SQL = """
WITH per_customer AS (
    SELECT customer_id,
           count(DISTINCT order_id) FILTER (WHERE amount > 0) AS frequency,
           sum(amount) AS monetary,
           min(order_date) FILTER (WHERE amount > 0) AS first_purchase,
           max(order_date) FILTER (WHERE amount > 0) AS last_purchase,
           max(order_date) AS last_line
    FROM read_parquet('{path}')
    GROUP BY customer_id
), as_of AS (SELECT CAST(max(last_line) AS DATE) + 1 AS as_of FROM per_customer)
SELECT customer_id, frequency, monetary, first_purchase, last_purchase,
       as_of - CAST(last_purchase AS DATE) AS recency_days,
       monetary / frequency AS avg_order_value,
       as_of - CAST(first_purchase AS DATE) AS tenure_days
FROM per_customer, as_of
WHERE frequency > 0
"""


def _setup_and_task(name: str, path: Path) -> tuple[Callable[[], object], Callable]:
    """Return (task, summary) for one task; setup (imports, loading) happens here."""
    if name in ("rfvkit_polars_scan", "rfvkit_duckdb_scan"):
        import duckdb
        import polars as pl

        from rfvkit.rfv import rfv_table
        from rfvkit.scoring import score

        def task():
            lazy = (
                pl.scan_parquet(path)
                if name == "rfvkit_polars_scan"
                else duckdb.read_parquet(str(path))
            )
            return score(rfv_table(lazy))

        return task, _summary_pandas
    if name == "pandas_parquet":
        import pandas as pd

        return lambda: _pandas_groupby(pd.read_parquet(path, columns=COLUMNS)), _summary_pandas
    if name == "polars_lazy":
        return lambda: _polars_query(path), _summary_polars
    if name == "duckdb_sql":
        import duckdb

        sql = DUCKDB_SQL.format(path=path)
        return lambda: duckdb.sql(sql).pl(), _summary_polars
    if "_memory" in name:
        import pandas as pd

        df = pd.read_parquet(path, columns=COLUMNS)
        if name == "pandas_memory":
            return lambda: _pandas_groupby(df), _summary_pandas
        from rfvkit.rfv import rfv_table

        engine = {"rfvkit_memory_polars": "polars", "rfvkit_memory_native": "native"}
        return lambda: rfv_table(df, engine=engine.get(name, "auto")), _summary_pandas
    raise SystemExit(f"unknown task {name!r}")


def _summary_pandas(out) -> dict:
    return {
        "customers": len(out),
        "frequency": int(out["frequency"].sum()),
        "monetary": round(float(out["monetary"].sum()), 2),
        "recency_days": int(out["recency_days"].sum()),
        "tenure_days": int(out["tenure_days"].sum()),
    }


def _summary_polars(out) -> dict:
    return {
        "customers": out.height,
        "frequency": int(out["frequency"].sum()),
        "monetary": round(float(out["monetary"].sum()), 2),
        "recency_days": int(out["recency_days"].sum()),
        "tenure_days": int(out["tenure_days"].sum()),
    }


def _cpu_seconds() -> float:
    """CPU time of this process, all threads (polars and DuckDB work in threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(name: str, path: Path, repeats: int) -> None:
    """Run one task in this process and print a JSON line with timings and peak memory."""
    warnings.simplefilter("ignore")  # rfv_table's data warnings are expected here
    started = time.perf_counter()
    task, summary = _setup_and_task(name, path)
    setup_s = time.perf_counter() - started
    setup_rss = peak_mb()
    times, cpu, out = [], [], None
    for _ in range(repeats):
        out = None  # free the previous result before the next run
        c0, t0 = _cpu_seconds(), time.perf_counter()
        out = task()
        times.append(time.perf_counter() - t0)
        cpu.append(_cpu_seconds() - c0)
    peak = peak_mb()
    print(
        json.dumps(
            {
                "task": name,
                "times": times,
                "cpu": cpu,
                "median_s": statistics.median(times),
                "setup_s": setup_s,
                "setup_peak_mb": setup_rss,
                "peak_mb": peak,
                "summary": summary(out),
            }
        )
    )


# ---------------------------------------------------------------- driver
def run_task(name: str, path: Path) -> dict:
    """Run one task once, in a fresh process; return its timing, memory and summary."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", name]
    proc = subprocess.run(
        [*command, "--path", str(path), "--repeats", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(f"task {name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_size(rows: int, tasks: list[str], repeats: int) -> dict[str, dict]:
    """Rounds of every task in turn, so that load from other work hits all of them."""
    path = make_data(rows)
    runs: dict[str, list[dict]] = {name: [] for name in tasks}
    for round_ in range(repeats):
        for name in tasks:
            r = run_task(name, path)
            runs[name].append(r)
            print(
                f"{rows:>11,} round {round_ + 1} {name:<22} {r['times'][0]:7.2f} s  "
                f"peak {r['peak_mb']:7,.0f} MB",
                flush=True,
            )
    summaries = {json.dumps(r["summary"], sort_keys=True) for rs in runs.values() for r in rs}
    if len(summaries) != 1:
        raise SystemExit(f"tasks disagree at {rows:,} rows: {summaries}")
    results = {}
    for name, rs in runs.items():
        times = [r["times"][0] for r in rs]
        results[name] = {
            "times": times,
            "cpu_s": statistics.median(r["cpu"][0] for r in rs),
            "median_s": statistics.median(times),
            "peak_mb": max(r["peak_mb"] for r in rs),
            "setup_peak_mb": max(r["setup_peak_mb"] for r in rs),
            "summary": rs[0]["summary"],
        }
        base = TASKS[name][1]
        if base in runs:  # paired: the ratio within each round, then the median
            ratios = [
                a / b for a, b in zip(times, [r["times"][0] for r in runs[base]], strict=True)
            ]
            results[name]["ratio"] = statistics.median(ratios)
    return results


def machine_info() -> list[str]:
    import duckdb
    import narwhals
    import pandas
    import polars
    import pyarrow

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"- Date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- Machine: {cpu}, {os.cpu_count()} cores, {mem_gb:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; pandas {pandas.__version__}, polars "
        f"{polars.__version__}, duckdb {duckdb.__version__}, pyarrow {pyarrow.__version__}, "
        f"narwhals {narwhals.__version__}",
    ]


def report(
    results: dict[int, dict[str, dict]], command: str, repeats: int, machine: list[str]
) -> str:
    lines = [
        "# RFV table benchmark",
        "",
        "Generated by `benchmarks/bench_rfv.py` from the measurements in "
        "`benchmarks/results.json` (`--render` rewrites it from them); do not edit by hand.",
        "",
        f"- Command: `{command}` (from the project root)",
        *machine,
        f"- {repeats} rounds; in each round every task runs once in a fresh process (setup "
        "such as loading the in-memory frame is not timed). Times are medians over the "
        "rounds; a ratio is the median of the per-round ratios (paired, so load from "
        "other work on the machine hits both sides). CPU s is the process's CPU time "
        "over all its threads during the task. Peak MB is the largest maximum resident "
        "set size of the task's process (interpreter, imports and, for the in-memory "
        "tasks, the loaded pandas frame included).",
        "- **The machine is shared with other people's work while this runs** (2 cores): "
        "absolute times move by tens of percent from run to run, and the multi-threaded "
        "engines (polars, DuckDB) suffer most when the second core is busy. Read the "
        "ratios, and the CPU seconds for the work each approach does.",
        "",
    ]
    for rows, res in results.items():
        first = res[next(iter(res))]["summary"]
        lines += [
            f"## {rows:,} transaction lines, {first['customers']:,} customers",
            "",
            "| task | median s | runs s | CPU s | peak MB | ratio |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for name, r in res.items():
            label, base = TASKS[name]
            ratio = f"{r['ratio']:.2f}x {base}" if "ratio" in r else ""
            runs = " ".join(f"{t:.2f}" for t in r["times"])
            lines.append(
                f"| {label} | {r['median_s']:.2f} | {runs} | {r['cpu_s']:.2f} | "
                f"{r['peak_mb']:,.0f} | {ratio} |"
            )
        if rows >= 10_000_000:
            lines += ["", *targets(res), ""]
        else:
            lines += ["", "(The targets are set for 10 million lines; see below.)", ""]
        lines += [
            "All tasks agree on: " + ", ".join(f"{k} {v:,}" for k, v in first.items()) + ".",
            "",
        ]
    return "\n".join(lines)


def targets(res: dict[str, dict]) -> list[str]:
    """The issue's targets, checked against this run."""
    out = []
    if "ratio" in res.get("rfvkit_polars_scan", {}):
        ratio = res["rfvkit_polars_scan"]["ratio"]
        out.append(
            f"- From parquet, rfvkit (rfv_table + score) takes {ratio:.2f}x the time of the "
            f"hand-written polars query (target: at most 1.5x): "
            f"{'met' if ratio <= 1.5 else 'not met'}."
        )
    for name in ("rfvkit_memory", "rfvkit_memory_polars"):
        if "ratio" in res.get(name, {}) and "pandas_memory" in res:
            speedup = 1 / res[name]["ratio"]
            work = res[name]["cpu_s"] / res["pandas_memory"]["cpu_s"]
            out.append(
                f"- In memory, {TASKS[name][0].split(': ', 1)[1]} is {speedup:.1f}x faster "
                f"than idiomatic pandas (target: at least 3x): "
                f"{'met' if speedup >= 3 else 'not met'}. It uses {work:.2f}x the CPU time "
                f"of pandas, spread over the {os.cpu_count()} cores."
            )
    for name, r in res.items():
        if name.startswith("rfvkit"):
            verdict = "met" if r["peak_mb"] < 2048 else "not met"
            out.append(
                f"- Peak memory, {TASKS[name][0].split(': ', 1)[1]}: {r['peak_mb']:,.0f} MB "
                f"(target: under 2,048 MB): {verdict}."
            )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", type=float, default=[1e6, 1e7], help="transaction lines"
    )
    parser.add_argument("--repeats", type=int, default=3, help="rounds of every task")
    parser.add_argument(
        "--tasks", nargs="+", default=list(TASKS), choices=list(TASKS), metavar="TASK"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-write", action="store_true", help=f"print, don't write RESULTS_rfv.md or {RAW.name}"
    )
    parser.add_argument(
        "--render", action="store_true", help=f"rewrite RESULTS_rfv.md from {RAW.name} only"
    )
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.path, args.repeats)
        return

    if args.render:
        raw = json.loads(RAW.read_text())
    else:
        script = "-m benchmarks.bench_rfv" if __spec__ else "benchmarks/bench_rfv.py"
        raw = {
            "command": " ".join(["python", script, *sys.argv[1:]]),
            "repeats": args.repeats,
            "machine": machine_info(),
            "results": {
                str(int(size)): run_size(int(size), args.tasks, args.repeats) for size in args.sizes
            },
        }
        if not args.no_write:
            RAW.write_text(json.dumps(raw, indent=1))
    results = {int(rows): res for rows, res in raw["results"].items()}
    text = report(results, raw["command"], raw["repeats"], raw["machine"])
    if args.no_write:
        print(text)
    else:
        RESULTS.write_text(text)
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
