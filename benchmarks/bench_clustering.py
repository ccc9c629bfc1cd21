"""Benchmark ``suggest_segments(k="auto")`` at 100k, 1M and 5M customers.

Each run is a fresh Python process (so peak memory belongs to that run alone) on a
seeded synthetic RFV table: four latent customer types with gamma recency and
log-normal order counts and order values. Reports wall time (median of the runs)
and peak resident memory, plus KMeans against MiniBatchKMeans on 1M x 3, and
writes ``benchmarks/RESULTS_clustering.md``.

Usage::

    .venv/bin/python benchmarks/bench_clustering.py               # full run
    .venv/bin/python benchmarks/bench_clustering.py --sizes 100000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peak import peak_mb  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS_clustering.md"


def synthetic_rfv(n: int, seed: int = 0) -> pd.DataFrame:
    """Seeded RFV table with the canonical columns and four latent customer types."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(4, n, p=[0.45, 0.25, 0.2, 0.1])
    # one-timers, occasionals, lapsed regulars, recent big spenders
    rec_shape, rec_scale = np.array([1.5, 1.2, 4.0, 0.8]), np.array([120, 60, 90, 15])
    f_mu, aov_mu = np.array([-2.0, 1.0, 1.5, 2.2]), np.array([3.2, 3.6, 3.8, 4.6])
    recency = np.minimum(rng.gamma(rec_shape[kind], rec_scale[kind]), 1500).astype("int64")
    frequency = 1 + np.floor(rng.lognormal(f_mu[kind], 0.6)).astype("int64")
    aov = rng.lognormal(aov_mu[kind], 0.5)
    tenure = recency + np.where(frequency > 1, rng.gamma(2.0, 150.0, n), 0).astype("int64")
    as_of = pd.Timestamp("2026-01-01")
    ids = pd.Index(np.char.add("C", np.char.zfill(np.arange(n).astype(str), 8)), name="customer_id")
    return pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": aov * frequency,
            "avg_order_value": aov,
            "first_purchase": as_of - pd.to_timedelta(tenure, unit="D"),
            "last_purchase": as_of - pd.to_timedelta(recency, unit="D"),
            "tenure_days": tenure,
        },
        index=ids.astype("str"),
    )


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_one(n: int) -> dict:
    """Time one suggest_segments(k='auto') call in this process."""
    from rfvkit.clustering import suggest_segments

    rfv = synthetic_rfv(n)
    before = _rss_mib()
    start = time.perf_counter()
    sug = suggest_segments(rfv, k="auto")
    seconds = time.perf_counter() - start
    peak = peak_mb()
    return {
        "n": n,
        "seconds": seconds,
        "peak_rss_mib": peak,
        "rss_before_mib": before,
        "k": sug.k,
        "reason": sug.reason,
        "names": list(sug.profiles["name"]),
    }


def compare_kmeans() -> list[dict]:
    """Fit times of KMeans and MiniBatchKMeans on log-scaled R, F, V (k = 3, 6, 10).

    Two settings, as suggest_segments runs them: the k scan (200k customers, one
    thread) and the final fit (1M customers, default threads).
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from threadpoolctl import threadpool_limits

    rfv = synthetic_rfv(1_000_000)
    x = np.log1p(rfv[["recency_days", "frequency", "monetary"]].to_numpy(float))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    models = {
        "KMeans(n_init='auto')": lambda k: KMeans(k, n_init="auto", random_state=0),
        "MiniBatchKMeans(n_init='auto')": lambda k: MiniBatchKMeans(
            k, n_init="auto", random_state=0
        ),
    }
    rows = []
    for n, threads in ((200_000, 1), (1_000_000, None)):
        for name, make in models.items():
            row = {"model": name, "n": n, "threads": threads or os.cpu_count()}
            with threadpool_limits(threads):
                for k in (3, 6, 10):
                    start = time.perf_counter()
                    row[f"inertia_k{k}"] = make(k).fit(x[:n]).inertia_
                    row[f"seconds_k{k}"] = time.perf_counter() - start
            rows.append(row)
    return rows


def _child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per size (5M runs once)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--kmeans", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-kmeans-compare", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    if args.kmeans:
        print(json.dumps(compare_kmeans()))
        return
    load_before = os.getloadavg()
    results = []
    for n in args.sizes:
        runs = [_child(["--one", str(n)]) for _ in range(1 if n >= 5_000_000 else args.repeats)]
        results.append((n, runs))
        times = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        print(
            f"{n:>9,} customers: {times} s; peak {max(r['peak_rss_mib'] for r in runs):.0f} MiB",
            flush=True,
        )
    kmeans = [] if args.no_kmeans_compare else _child(["--kmeans"])
    write_results(results, kmeans, load_before, os.getloadavg())


def write_results(results, kmeans, load_before, load_after) -> None:
    import sklearn

    lines = [
        '# Clustering benchmark: `suggest_segments(rfv, k="auto")`',
        "",
        f"Command: `.venv/bin/python benchmarks/bench_clustering.py` ({time.strftime('%Y-%m-%d')}).",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}, "
        f"scikit-learn {sklearn.__version__}, pandas {pd.__version__}, numpy {np.__version__}.",
        f"Load average (1/5/15 min) before {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, "
        f"after {load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f}: the machine was shared "
        "with other workers, so times are upper bounds.",
        "",
        "Defaults: k in 2..10, features recency_days/frequency/monetary, StandardScaler, sample_size=20,000 "
        "(silhouette, stability), n_bootstrap=5, scan_size=200,000 (k scan), fit_size=1,000,000 "
        "(final fit); each run in a fresh process on a seeded synthetic table (four latent types, "
        "gamma recency, log-normal frequency and order value). Peak = peak resident memory of the "
        "process, including Python, the libraries and the input table (the 'before' column). "
        "Work on fewer than 250,000 rows (k scan, silhouettes, bootstraps) runs on one thread; "
        "the final fit on up to 1M uses the default threads.",
        "",
        "| customers | runs | median time (s) | all runs (s) | peak RSS (MiB) | RSS before call (MiB) "
        "| peak minus before (MiB) | chosen k |",
        "|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for n, runs in results:
        each = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        lines.append(
            f"| {n:,} | {len(runs)} | {statistics.median(r['seconds'] for r in runs):.1f} | "
            f"{each} | {max(r['peak_rss_mib'] for r in runs):.0f} | "
            f"{runs[0]['rss_before_mib']:.0f} | "
            f"{max(r['peak_rss_mib'] - r['rss_before_mib'] for r in runs):.0f} | {runs[0]['k']} |"
        )
    lines += ["", "Chosen k and names (first run of each size):", ""]
    for n, runs in results:
        lines.append(f"- {n:,}: {runs[0]['reason']} Names: {', '.join(runs[0]['names'])}.")
    if kmeans:
        lines += [
            "",
            "## KMeans vs MiniBatchKMeans (log-scaled R, F, V; same seed)",
            "",
            "| model | customers | threads | fit s k=3 | k=6 | k=10 | inertia k=3 | k=6 | k=10 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in kmeans:
            secs = " | ".join(f"{r[f'seconds_k{k}']:.2f}" for k in (3, 6, 10))
            inert = " | ".join(f"{r[f'inertia_k{k}']:,.0f}" for k in (3, 6, 10))
            lines.append(f"| {r['model']} | {r['n']:,} | {r['threads']} | {secs} | {inert} |")
        pairs = [(a, b) for a, b in zip(kmeans[::2], kmeans[1::2], strict=True)]
        faster = all(a[f"seconds_k{k}"] < b[f"seconds_k{k}"] for a, b in pairs for k in (3, 6, 10))
        lower = all(a[f"inertia_k{k}"] <= b[f"inertia_k{k}"] for a, b in pairs for k in (3, 6, 10))
        lines += [
            "",
            f"KMeans {'was faster in every cell' if faster else 'was not always faster'} and "
            f"{'reached an equal or lower inertia everywhere' if lower else 'not always the lower inertia'}: "
            "suggest_segments uses KMeans.",
        ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
