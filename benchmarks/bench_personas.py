"""Speed and memory of ``build_personas`` at 1M customers and 10M transaction lines.

Run from the project root::

    .venv/bin/python benchmarks/bench_personas.py                 # 1M customers, 10M lines
    .venv/bin/python benchmarks/bench_personas.py --customers 1e5 --lines 1e6 --repeats 3

Synthetic, seeded, in-memory data in the shapes :func:`rfvkit.load_crm` returns (string
ids, datetime64 dates): a segmented table (11 segments, RFV columns), a customer table
(country, region, age, gender, preferred channel, plus first name and phone, which must not
reach the personas), order lines (category, product, channel) and a poll answered by 40% of
customers. Setup is untimed; each round times one ``build_personas`` call (the VIP group and
every default attribute included) in a fresh process and reports wall time and peak
resident memory. Writes ``benchmarks/RESULTS_personas.md``.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peak import peak_mb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS_personas.md"
SEED = 20261202
TARGET_S = 15.0
SEGMENTS = [
    "Champions", "Loyal", "Potential Loyalist", "New", "Promising", "Need Attention",
    "About to Sleep", "Can't Lose Them", "At Risk", "Hibernating", "Lost",
]  # fmt: skip


def make_data(n_customers: int, n_lines: int):
    """Seeded frames: segmented, customers, transactions, surveys."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    rng = np.random.default_rng(SEED)
    ids = pa.array([f"C{i:08d}" for i in range(n_customers)])
    index = pd.Index(pd.array(ids, dtype="str"), name="customer_id")
    pick = lambda names, n, p=None: np.array(names, dtype=object)[  # noqa: E731
        rng.choice(len(names), n, p=p)
    ]
    segment = pick(SEGMENTS, n_customers, np.linspace(2, 1, len(SEGMENTS)) / 16.5)
    segmented = pd.DataFrame(
        {
            "segment": segment,
            "recency_days": rng.integers(1, 700, n_customers),
            "frequency": rng.geometric(0.4, n_customers),
            "monetary": np.round(rng.lognormal(4, 1, n_customers), 2),
        },
        index=index,
    )
    countries = ["GB", "US", "DE", "FR", "ES", "IE", "NL", "AU"]
    customers = pd.DataFrame(
        {
            "customer_id": index.to_numpy(),
            "first_name": pick(["Ann", "Bob", "Cy"], n_customers),
            "phone": "+12015550100",
            "country": pick(countries, n_customers),
            "region": pick([f"Region {i}" for i in range(27)], n_customers),
            "age": rng.integers(18, 86, n_customers),
            "gender": pick(["F", "M", "X"], n_customers, [0.51, 0.46, 0.03]),
            "preferred_channel": pick(["SMS", "Email", "WhatsApp", "Post", None], n_customers),
        }
    )
    who = rng.integers(0, n_customers, n_lines)
    start = np.datetime64("2024-01-01T00:00:00", "s")
    when = start + rng.integers(0, 2 * 365 * 86400, n_lines).astype("timedelta64[s]")
    categories = ["Apparel", "Beauty", "Home", "Electronics", "Pantry"]
    cat = rng.integers(0, 5, n_lines)
    products = np.array([f"{c} {k}" for c in categories for k in range(8)], dtype=object)
    transactions = pd.DataFrame(
        {
            "customer_id": pd.array(ids.take(pa.array(who)), dtype="str"),
            "order_date": when.astype("datetime64[ns]"),
            "amount": np.round(rng.lognormal(3, 1, n_lines), 2),
            "category": pd.array(np.array(categories, dtype=object)[cat], dtype="str"),
            "product": pd.array(products[cat * 8 + rng.integers(0, 8, n_lines)], dtype="str"),
            "channel": pd.array(pick(["web", "app", "store"], n_lines), dtype="str"),
        }
    )
    answered = rng.random(n_customers) < 0.4
    poll = pd.DataFrame(
        {
            "customer_id": index.to_numpy()[answered],
            "contact": pick(["SMS", "Email", "App push"], int(answered.sum())),
            "interest": pick(["Discounts", "Early access"], int(answered.sum())),
        }
    )
    return segmented, customers, transactions, {"poll": poll}


def one_round(n_customers: int, n_lines: int) -> dict:
    """Set up (untimed), then time one build_personas call; runs in its own process."""
    from rfvkit.personas import build_personas

    segmented, customers, tx, surveys = make_data(n_customers, n_lines)
    t0, c0 = time.perf_counter(), time.process_time()
    personas = build_personas(
        segmented, customers=customers, transactions=tx, surveys=surveys,
        vip={"segments": ["Champions", "Loyal"]},
    )  # fmt: skip
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mb": round(peak_mb()),
        "cards": len(personas.cards),
        "index_rows": len(personas.index),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--lines", type=float, default=1e7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n, lines = int(args.customers), int(args.lines)
    if args.child:
        print(json.dumps(one_round(n, lines)))
        return
    runs = []
    for i in range(args.repeats):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--customers", str(n), "--lines", str(lines)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"round {i + 1}: {runs[-1]}", flush=True)
    median = statistics.median(r["seconds"] for r in runs)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    command = "python benchmarks/bench_personas.py " + " ".join(argv or sys.argv[1:])
    rows = "\n".join(
        f"| {i + 1} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['peak_mb']:,} | "
        f"{r['cards']} | {r['index_rows']} |"
        for i, r in enumerate(runs)
    )
    RESULTS.write_text(
        f"""# build_personas at scale

Command: `{command.strip()}` on {dt.date.today()} ({platform.machine()}, {platform.python_version()},
2 shared cores). {n:,} customers, {lines:,} transaction lines, a poll answered by 40%,
default attributes, VIP = Champions + Loyal. Target: under {TARGET_S:.0f} s.

**Median: {median:.2f} s wall, {cpu:.2f} s CPU** ({"met" if median < TARGET_S else "**missed**"}
on wall time). Load average at the end: {load} (2 shared cores: wall time counts the
wait for a core; CPU time does not).

| round | wall s | CPU s | peak RSS (MB, setup included) | cards | index rows |
|---|---|---|---|---|---|
{rows}
""",
        encoding="utf-8",
    )
    print(f"median {median:.2f} s -> {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
