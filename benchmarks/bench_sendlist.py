"""Speed of build_send_list at 1M customers (target: under 10 s on this machine).

Run from the project root::

    .venv/bin/python benchmarks/bench_sendlist.py              # 1M customers, 3 rounds
    .venv/bin/python benchmarks/bench_sendlist.py --customers 200000 --repeats 1

Synthetic, seeded data built in memory:

- customers as ``read_customers`` returns them: ``phone_e164`` strings shaped like E.164 but
  one digit too long for the North American plan (``+1`` and 11 digits), so that a million
  distinct values exist and none can reach anyone (the fictional ranges hold only ~38,000
  numbers); 8% missing, 3% landline, 2% invalid; consent for 70%; a time zone for 95%
  (the rest resolve from ``country`` or stay unknown), US regions with stricter windows;
- 2% opted out: half by customer id, half by number typed in other formats (``00``+digits,
  national digits without the country);
- a send log of 200,000 treatment sends in the 30 days before ``send_at`` (frequency cap);
- a segment per customer drawn from 11 names; all segments are messaged.

Separately, ``read_customers`` parses 1M raw phone strings drawn from the fictional US
range (555-0100..0199 in 789 area codes, ~79k numbers in 3 typed styles): each distinct
digit key is parsed once and each distinct number typed once (``rfvkit/phones.py``).
Each round is timed in this process (wall and CPU) after one warm-up call; writes
``benchmarks/RESULTS_sendlist.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rfvkit.io import read_customers  # noqa: E402
from rfvkit.sendlist import build_send_list  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS_sendlist.md"
SEGMENTS = [
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "Can't Lose Them",
    "At Risk",
    "Hibernating",
    "Lost",
]
ZONES = {
    "US": ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"],
    "GB": ["Europe/London"],
    "FR": ["Europe/Paris"],
    "DE": ["Europe/Berlin"],
    "AU": ["Australia/Sydney", "Australia/Perth"],
}
REGIONS = ["New York", "Texas", "Florida", "California", "Connecticut", "Illinois"]
NAMES = ["Ann", "Bo", "Zoë", "Lucía", "Max", "Olivia", "", "Noah", "Chloé", "Liam"]
SEND_AT = pd.Timestamp("2026-01-15T15:00:00Z")


def make_data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.char.zfill(np.arange(n).astype(str), 8))
    digits = rng.permutation(n) + 10**10  # 11 digits, distinct
    e164 = np.char.add("+1", digits.astype(str)).astype(object)
    kind = rng.choice(
        ["fixed_line_or_mobile", "mobile", "fixed_line", "invalid", "missing"],
        size=n,
        p=[0.6, 0.27, 0.03, 0.02, 0.08],
    )
    e164[np.isin(kind, ["invalid", "missing"])] = None
    country = rng.choice(list(ZONES), size=n, p=[0.4, 0.3, 0.1, 0.1, 0.1])
    zone = np.array([ZONES[c][rng.integers(len(ZONES[c]))] for c in country], dtype=object)
    zone[rng.random(n) < 0.05] = None
    region = np.where(country == "US", rng.choice(REGIONS, size=n), None)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "first_name": rng.choice(NAMES, size=n),
            "phone": e164,
            "phone_e164": e164,
            "phone_type": np.where(kind == "missing", None, kind),
            "country": country,
            "region": region,
            "timezone": zone,
            "sms_consent": rng.random(n) < 0.7,
        }
    )
    out = rng.choice(n, size=n // 50, replace=False)
    half = out.size // 2
    typed = [f"00{d}" if i % 2 else str(d)[1:] for i, d in enumerate(digits[out[half:]])]
    optouts = pd.DataFrame(
        {
            "customer_id": np.concatenate([ids[out[:half]], np.full(out.size - half, None)]),
            "phone": np.concatenate([np.full(half, None), np.array(typed, dtype=object)]),
            "optout_reason": "opt-out list",
        }
    )
    log = pd.DataFrame(
        {
            "campaign_id": "older",
            "customer_id": ids[rng.choice(n, size=min(200_000, n), replace=False)],
            "group": "treatment",
            "sent_at": (
                SEND_AT.tz_localize(None)
                - pd.to_timedelta(rng.integers(1, 30 * 86400, size=min(200_000, n)), unit="s")
            ),
        }
    )
    segmented = pd.DataFrame(
        {"segment": rng.choice(SEGMENTS, size=n), "monetary": rng.gamma(2, 50, size=n)},
        index=pd.Index(ids, name="customer_id"),
    )
    crm = SimpleNamespace(customers=customers, optouts=optouts, campaigns=log)
    area = rng.choice(np.arange(201, 990), size=n)
    tail = rng.integers(100, 200, size=n)
    style = rng.integers(0, 3, size=n)
    raw = np.where(
        style == 0,
        [f"({a}) 555-0{t}" for a, t in zip(area, tail, strict=True)],
        np.where(
            style == 1,
            [f"+1{a}5550{t}" for a, t in zip(area, tail, strict=True)],
            [f"{a}5550{t}" for a, t in zip(area, tail, strict=True)],
        ),
    )
    raw_customers = pd.DataFrame({"customer_id": ids, "phone": raw, "country": "US"})
    return segmented, crm, raw_customers


def run(segmented, crm) -> tuple[float, object]:
    """Wall-clock seconds of one build_send_list call, and its plan."""
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = build_send_list(
            segmented,
            crm,
            campaign_id="bench",
            send_at=SEND_AT,
            holdout=0.1,
            message="Hi {first_name}, 20% off with BACK20. Reply STOP to opt out",
            frequency_cap=(1, 7),
            price_per_part=0.05,
        )
    return time.perf_counter() - started, plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    t0 = time.perf_counter()
    segmented, crm, raw = make_data(args.customers)
    print(f"data built in {time.perf_counter() - t0:.1f} s")
    run(
        segmented.head(2000),
        SimpleNamespace(
            customers=crm.customers.head(2000), optouts=crm.optouts, campaigns=crm.campaigns
        ),
    )
    load_before = os.getloadavg()[0]
    times, cpus, plan = [], [], None
    for _ in range(args.repeats):
        cpu = time.process_time()
        seconds, plan = run(segmented, crm)
        times.append(seconds)
        cpus.append(time.process_time() - cpu)
        print(f"build_send_list: {seconds:.2f} s wall, {cpus[-1]:.2f} s CPU")
    parse_s, parse_cpu = [], []
    for _ in range(args.repeats):
        cpu, started = time.process_time(), time.perf_counter()
        read_customers(raw)
        parse_s.append(time.perf_counter() - started)
        parse_cpu.append(time.process_time() - cpu)
    distinct = raw["phone"].nunique()
    print(
        f"read_customers on {len(raw):,} raw phones ({distinct:,} distinct): "
        f"{statistics.median(parse_s):.2f} s wall, {statistics.median(parse_cpu):.2f} s CPU"
    )
    load_after = os.getloadavg()[0]
    median = statistics.median(times)
    ledger = "| reason | customers |\n|---|---|\n" + "\n".join(
        f"| {r.reason} | {r.customers:,} |" for r in plan.exclusions.itertuples()
    )
    groups = plan.recipients["group"].value_counts().to_dict()
    RESULTS.write_text(
        f"""# build_send_list at {args.customers:,} customers

Measured {dt.date.today():%Y-%m-%d} on {platform.machine()}, Python {platform.python_version()},
pandas {pd.__version__}; the machine has 2 cores shared with other work (1-minute load
average {load_before:.1f} before the runs, {load_after:.1f} after them; wall time grows
with the load, CPU time (`time.process_time`, all threads of this process) much less).
Command: `.venv/bin/python benchmarks/bench_sendlist.py --customers {args.customers}
--repeats {args.repeats}` (data as described in the script's docstring).

| step | median wall | median CPU | runs (wall / CPU) |
|---|---|---|---|
| `build_send_list` (all 11 segments, cap, opt-outs, quiet hours, holdout, messages) | {median:.2f} s | {statistics.median(cpus):.2f} s | {", ".join(f"{t:.2f} / {c:.2f}" for t, c in zip(times, cpus, strict=True))} s |
| `read_customers` on {len(raw):,} raw phone strings ({distinct:,} distinct) | {statistics.median(parse_s):.2f} s | {statistics.median(parse_cpu):.2f} s | {", ".join(f"{t:.2f} / {c:.2f}" for t, c in zip(parse_s, parse_cpu, strict=True))} s |

Target: under 10 s at 1M customers -> **{"met" if median < 10 else "missed"}**.

Recipients: {groups.get("treatment", 0):,} treatment, {groups.get("holdout", 0):,} holdout.

{ledger}
"""
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
