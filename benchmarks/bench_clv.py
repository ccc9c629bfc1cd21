"""Speed and memory of rfvkit's prediction chain (BG/NBD + Gamma-Gamma + CLV) vs lifetimes.

Run from the project root::

    .venv/bin/python benchmarks/bench_clv.py                  # 1M customers + 100k side by side
    .venv/bin/python benchmarks/bench_clv.py --customers 1e5 --repeats 1

Synthetic, seeded transactions (about 10 lines per customer over two years, several
lines on some days, gamma-distributed amounts) are generated in memory. Each task runs in
a fresh Python process: generating the frame is not timed; the timed chain is
``clv_summary`` (daily periods) -> ``BetaGeo().fit`` -> ``GammaGamma().fit`` ->
``p_alive`` + 90-day expected purchases + 365-day discounted CLV for every customer. The
process reports wall time per step and its peak resident memory (``VmHWM``).

``lifetimes`` (archived, not an rfvkit dependency) runs the same chain on the same data
when it is installed in the environment (``pip install lifetimes``):
``summary_data_from_transaction_data`` -> ``BetaGeoFitter.fit`` -> ``GammaGammaFitter.fit``
-> ``conditional_probability_alive`` + ``conditional_expected_number_of_purchases_up_to_time``
+ ``customer_lifetime_value``. The script writes ``benchmarks/RESULTS_clv.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peak import peak_mb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS_clv.md"
SEED = 20261202
AS_OF = "2025-12-31"


NOTE = (
    "- CLV totals differ slightly by design: lifetimes discounts 12 steps of 30 days at "
    "0.10/12 a month; rfvkit discounts 13 steps of 30 days (the last 5 days) over 365 days at "
    "(1 + 0.10)^(t/365). p_alive and expected purchases agree to the printed digits."
)
TRUE = {"r": 0.5, "alpha": 12.0, "a": 0.8, "b": 4.0}  # BG/NBD parameters of the simulation (days)


def make_transactions(customers: int, seed: int = SEED):
    """Simulate the BG/NBD story: first purchase in 2024-2025, Poisson purchases until drop-out.

    Purchase rate λ ~ Gamma(r, α) per day, drop-out probability after each purchase
    p ~ Beta(a, b) (``TRUE``), so a correct fit recovers ``TRUE``. Each purchase day has
    1 + Poisson(0.7) order lines (about 10 lines per customer) with gamma-distributed amounts.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], customers)
    drop = rng.beta(TRUE["a"], TRUE["b"], customers)
    first = rng.integers(0, 700, customers)
    window = 729 - first
    repeats = np.minimum(rng.geometric(drop) - 1, 200)  # purchases before dropping out
    owner = np.repeat(np.arange(customers), repeats)
    gaps = rng.exponential(1.0, len(owner)) / lam[owner]
    ends = np.cumsum(repeats)
    total = np.cumsum(gaps)
    offset = total - np.repeat(np.r_[0.0, total][np.r_[0, ends[:-1]]], repeats)
    seen = offset <= window[owner]
    days = np.r_[first, first[owner[seen]] + offset[seen].astype("int64")]
    who = np.r_[np.arange(customers), owner[seen]]
    lines = 1 + rng.poisson(0.7, len(who))
    scale = rng.gamma(3.0, 10.0, customers)
    who_line = np.repeat(who, lines)
    return pd.DataFrame(
        {
            "customer_id": who_line.astype("int64"),
            "order_date": np.datetime64("2024-01-01")
            + np.repeat(days, lines).astype("timedelta64[D]"),
            "amount": np.round(rng.gamma(2.0, 1.0, len(who_line)) * scale[who_line] / 2.5, 2),
        }
    )


def _rfvkit(tx) -> dict:
    import rfvkit as rk

    steps, t = {}, time.perf_counter()
    s = rk.clv_summary(tx, as_of=AS_OF, period="D")
    steps["summary"], t = time.perf_counter() - t, time.perf_counter()
    bg = rk.BetaGeo().fit(s)
    steps["bgnbd_fit"], t = time.perf_counter() - t, time.perf_counter()
    gg = rk.GammaGamma().fit(s)
    steps["gammagamma_fit"], t = time.perf_counter() - t, time.perf_counter()
    alive = bg.p_alive(s)
    e90 = bg.expected_purchases(s, t=90)
    clv = rk.predict_clv(bg, gg, s, horizon_days=365, discount_rate=0.10)
    steps["predictions"] = time.perf_counter() - t
    return {
        "steps": steps,
        "customers": len(s),
        "params": {**bg.params_, **gg.params_},
        "check": [float(alive.mean()), float(e90.sum()), float(clv.sum())],
    }


def _lifetimes(tx) -> dict:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    steps, t = {}, time.perf_counter()
    s = summary_data_from_transaction_data(
        tx, "customer_id", "order_date", "amount", observation_period_end=AS_OF, freq="D"
    )
    steps["summary"], t = time.perf_counter() - t, time.perf_counter()
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    steps["bgnbd_fit"], t = time.perf_counter() - t, time.perf_counter()
    rep = s[s["frequency"] > 0]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    steps["gammagamma_fit"], t = time.perf_counter() - t, time.perf_counter()
    alive = bg.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
    e90 = bg.conditional_expected_number_of_purchases_up_to_time(
        90, s["frequency"], s["recency"], s["T"]
    )
    clv = gg.customer_lifetime_value(
        bg,
        s["frequency"],
        s["recency"],
        s["T"],
        s["monetary_value"],
        time=12,
        discount_rate=0.10 / 12,
        freq="D",
    )
    steps["predictions"] = time.perf_counter() - t
    params = {**dict(bg.params_), **dict(gg.params_)}
    return {
        "steps": steps,
        "customers": len(s),
        "params": {k: float(v) for k, v in params.items()},
        "check": [float(alive.mean()), float(e90.sum()), float(clv.sum())],
    }


def run_task(task: str, customers: int) -> dict:
    """Called in a fresh process: build the data (untimed), run the chain, report."""
    warnings.simplefilter("ignore")
    tx = make_transactions(customers)
    start = time.perf_counter()
    out = {"rfvkit": _rfvkit, "lifetimes": _lifetimes}[task](tx)
    out.update(
        task=task,
        lines=len(tx),
        wall=time.perf_counter() - start,
        peak_mb=peak_mb(),
    )
    return out


def _spawn(task: str, customers: int, timeout: float) -> dict:
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
        f"from benchmarks.bench_clv import run_task; "
        f"print(json.dumps(run_task({task!r}, {customers})))"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {"task": task, "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode:
        tail = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return {"task": task, "error": tail[:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("numpy", "pandas", "scipy", "lifetimes"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def _table(runs: list[dict]) -> list[str]:
    rows = [
        "| task | customers | lines | summary s | BG/NBD fit s | Gamma-Gamma fit s | "
        "predictions s | total s (median) | runs s | peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for task in dict.fromkeys(r["task"] for r in runs):
        ok = [r for r in runs if r["task"] == task and "error" not in r]
        if not ok:
            err = next(r["error"] for r in runs if r["task"] == task)
            rows.append(f"| {task} | | | | | | | failed: {err} | | |")
            continue
        med = {k: statistics.median(r["steps"][k] for r in ok) for k in ok[0]["steps"]}
        rows.append(
            f"| {task} | {ok[0]['customers']:,} | {ok[0]['lines']:,} | {med['summary']:.2f} | "
            f"{med['bgnbd_fit']:.2f} | {med['gammagamma_fit']:.2f} | {med['predictions']:.2f} | "
            f"{statistics.median(r['wall'] for r in ok):.2f} | "
            f"{' '.join(format(r['wall'], '.2f') for r in ok)} | {max(r['peak_mb'] for r in ok):,.0f} |"
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--compare", type=float, default=1e5, help="customers for the side by side")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)
    big, small = int(args.customers), int(args.compare)
    runs_big = [_spawn("rfvkit", big, args.timeout) for _ in range(args.repeats)]
    runs_small = []
    for _ in range(args.repeats):
        runs_small += [
            _spawn("rfvkit", small, args.timeout),
            _spawn("lifetimes", small, args.timeout),
        ]
    for r in runs_big + runs_small:
        print(json.dumps(r))
    lines = [
        "# Prediction benchmark: BG/NBD + Gamma-Gamma + CLV",
        "",
        "Generated by `benchmarks/bench_clv.py`; do not edit by hand.",
        "",
        f"- Command: `python benchmarks/bench_clv.py --customers {args.customers:g} "
        f"--compare {args.compare:g} --repeats {args.repeats}` (from the project root)",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.machine()}, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {_versions()}",
        "- Each run is a fresh process; generating the synthetic frame is not timed. Peak MB is "
        "the process's maximum resident set size (interpreter, imports and the 10-lines-per-"
        "customer frame included). The machine has 2 cores shared with other work.",
        "- Chain: summary (daily periods) -> BG/NBD fit (with standard errors for rfvkit) -> "
        "Gamma-Gamma fit -> p_alive, 90-day expected purchases and 365-day CLV at 10%/year "
        "for every customer.",
        "",
        f"## {big:,} customers (target: under 30 s and 2 GB)",
        "",
        *_table(runs_big),
        "",
        f"## {small:,} customers, side by side with lifetimes",
        "",
        *_table(runs_small),
        "",
        "Fitted parameters (first run of each task), which should agree between the two:",
        "",
    ]
    for r in [*runs_big[:1], *runs_small[:2]]:
        if "params" in r:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in r["params"].items())
            lines.append(
                f"- {r['task']} ({r['customers']:,}): {shown}; "
                f"mean p_alive {r['check'][0]:.4f}, 90-day purchases {r['check'][1]:,.0f}, "
                f"CLV total {r['check'][2]:,.0f}"
            )
    lines += ["", NOTE]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
