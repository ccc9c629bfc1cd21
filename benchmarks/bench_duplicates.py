"""Duplicate lines on an engine: hash-then-value (rfvkit) against ``unique()``, same process.

The quality ledger counts lines that repeat another exactly. rfvkit hashes each line (64
bits), finds the repeated hashes (sorted by NumPy on DuckDB, polars and Dask up to 2^27
lines; a group-by of the hashes on Spark and on bigger Dask inputs), and compares only
those lines by value. The straightforward way is ``count(lines) - count(unique(lines))``,
which shuffles or hashes whole lines. Both run here in one process on the same engine
session, alternating, ``--repeats`` rounds each; the table gives the medians and their
ratio. Data: the seeded parquet lines of ``bench_scale.py`` (written once to
``~/.cache/rfvkit-bench``).

    .venv/bin/python benchmarks/bench_duplicates.py --engines dask spark --lines 1e7

``--sort`` times only the sort of the keys, in one process, alternating: 64-bit hashes
sorted at once (before 2026-12-03), 32-bit keys sorted at once, and 32-bit keys sorted in
parts on the threads (``rfvkit._threads.sort``, what DuckDB and polars use now):

    .venv/bin/python benchmarks/bench_duplicates.py --sort --lines 3e7 --repeats 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import make_data, start_cluster  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "benchmarks" / "results_duplicates.json"
RESULTS = ROOT / "benchmarks" / "RESULTS_duplicates.md"


def measure(engine: str, rows: int, repeats: int) -> dict:
    import narwhals as nw

    from rfvkit import engine_counts, engines

    folder = make_data(rows)
    load_before = os.getloadavg()[0]
    cluster = start_cluster(engine) if engine in ("dask", "spark") else None
    native = engines.scan(
        str(folder / "*.parquet"), engine=engine, session=engines.connect(engine, cluster)
    )
    frame = nw.from_native(native)
    lines = engine_counts.count_rows(frame)
    times: dict[str, list[float]] = {"hash then value": [], "unique()": []}
    answers = set()
    for round_ in range(repeats):  # the order alternates: a session's first job is slower
        for way in list(times)[:: 1 if round_ % 2 == 0 else -1]:
            started = time.perf_counter()
            if way == "hash then value":
                found = engine_counts.duplicate_lines(frame, lines)
            else:
                found = lines - engine_counts.count_rows(frame.unique())
            times[way].append(time.perf_counter() - started)
            answers.add(found)
            print(f"{engine:7} {rows:>12,} {way:16} {times[way][-1]:7.2f} s", flush=True)
    if len(answers) != 1:
        sys.exit(f"{engine}: the two ways disagree: {sorted(answers)}")
    medians = {way: statistics.median(t) for way, t in times.items()}
    return {
        "engine": engine,
        "rows": rows,
        "duplicates": answers.pop(),
        "runs": times,
        "median_s": medians,
        "ratio": medians["hash then value"] / medians["unique()"],
        "load_before": load_before,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def measure_sort(rows: int, repeats: int) -> dict:
    """Median seconds to sort ``rows`` seeded random keys three ways (alternating order)."""
    import numpy as np

    from rfvkit._threads import sort

    hashes = np.random.default_rng(0).integers(0, 2**64, rows, dtype=np.uint64)
    ways = {
        "64-bit, one sort": (lambda: hashes.copy(), np.ndarray.sort),
        "32-bit, one sort": (lambda: (hashes >> 32).astype(np.uint32), np.ndarray.sort),
        "32-bit, in parts on threads": (lambda: (hashes >> 32).astype(np.uint32), sort),
    }
    times: dict[str, list[float]] = {way: [] for way in ways}
    for round_ in range(repeats):
        for way in list(ways)[:: 1 if round_ % 2 == 0 else -1]:
            make, sorter = ways[way]
            keys = make()
            started = time.perf_counter()
            sorter(keys)
            times[way].append(time.perf_counter() - started)
            print(f"sort {rows:>12,} {way:28} {times[way][-1]:7.2f} s", flush=True)
    return {
        "engine": "sort",
        "rows": rows,
        "runs": times,
        "median_s": {way: statistics.median(t) for way, t in times.items()},
        "load_before": os.getloadavg()[0],
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write(results: list[dict]) -> None:
    lines = [
        "# Duplicate lines: hash then value vs unique(), same process",
        "",
        f"`benchmarks/bench_duplicates.py` on {platform.machine()} ({os.cpu_count()} cores, "
        "shared with other work). Dask: LocalCluster 2 workers x 1 thread; Spark: local[2]; "
        "cluster start-up not timed. Both ways give the same count (checked by the script).",
        "",
        "| engine | lines | duplicates | rounds | hash then value s | unique() s | ratio | "
        "load before | measured |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    sorts = [r for r in results if r["engine"] == "sort"]
    for r in sorted(results, key=lambda r: (r["engine"], r["rows"])):
        if r["engine"] == "sort":
            continue
        m = r["median_s"]
        lines.append(
            f"| {r['engine']} | {r['rows']:,} | {r['duplicates']:,} | "
            f"{len(r['runs']['unique()'])} | {m['hash then value']:.2f} | {m['unique()']:.2f} | "
            f"{r['ratio']:.2f} | {r['load_before']:.1f} | {r['date']} |"
        )
    if sorts:
        ways = list(sorts[0]["median_s"])
        lines += [
            "",
            "## Sorting the keys (`--sort`)",
            "",
            "Seeded random keys sorted in one process, the ways alternating; median seconds "
            "(32-bit keys are the high half of the 64-bit ones).",
            "",
            f"| keys | rounds | {' | '.join(ways)} | load before | measured |",
            "|---:|---:|" + "---:|" * len(ways) + "---:|---|",
        ]
        for r in sorted(sorts, key=lambda r: r["rows"]):
            cells = " | ".join(f"{r['median_s'][w]:.2f}" for w in ways)
            lines.append(
                f"| {r['rows']:,} | {len(r['runs'][ways[0]])} | {cells} | "
                f"{r['load_before']:.1f} | {r['date']} |"
            )
    RESULTS.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--engines",
        nargs="+",
        default=["dask", "spark"],
        choices=["duckdb", "polars", "dask", "spark"],
    )
    parser.add_argument("--lines", type=float, default=1e7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sort", action="store_true", help="time only the sort of the keys")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = int(args.lines)
    if args.sort:
        old = json.loads(STORE.read_text()) if STORE.exists() else []
        result = measure_sort(rows, args.repeats)
        old = [r for r in old if (r["engine"], r["rows"]) != ("sort", rows)] + [result]
        STORE.write_text(json.dumps(old, indent=1))
        write(old)
        return
    if args.child:  # one engine per process: a cluster left running would slow the next
        warnings.simplefilter("ignore")
        print(json.dumps(measure(args.child, rows, args.repeats)))
        return
    old = json.loads(STORE.read_text()) if STORE.exists() else []
    for engine in args.engines:
        cmd = [sys.executable, __file__, "--child", engine, "--lines", str(rows)]
        out = subprocess.run([*cmd, "--repeats", str(args.repeats)], capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"{engine} failed:\n{out.stderr[-3000:]}")
        print("\n".join(line for line in out.stdout.splitlines()[:-1]))
        result = json.loads(out.stdout.strip().splitlines()[-1])
        old = [r for r in old if (r["engine"], r["rows"]) != (engine, rows)] + [result]
        STORE.write_text(json.dumps(old, indent=1))
    write(old)


if __name__ == "__main__":
    main()
