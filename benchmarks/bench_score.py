"""``score`` on a large RFV table in fresh processes, optionally against another source tree.

Run from the project root::

    .venv/bin/python benchmarks/bench_score.py --customers 9.7e6 --repeats 4 --gap 10
    git worktree add /tmp/rfvkit-old <commit>      # then, to compare with that commit:
    .venv/bin/python benchmarks/bench_score.py --customers 9.7e6 --repeats 4 --gap 10 \\
        --against /tmp/rfvkit-old

The table is synthetic and seeded (recency 0-729 days and frequency as int64, monetary
in cents as float64: the dtypes ``rfv_table`` returns) and is built before the clock
starts. ``--gap`` waits that many seconds before each timed call, so the call starts
with memory the VM has taken back, as a report started after a pause does (see
RESULTS_load.md, notes). With ``--against`` the two trees run alternately, and the
ratio is the median of the per-round ratios. Adds a section to ``benchmarks/RESULTS_score.md``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _trees import run_in_tree  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS_score.md"

CHILD = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
sys.path.insert(0, {here!r})
from _peak import peak_mb
from rfvkit.scoring import score
rng = np.random.default_rng(0)
n = {customers}
rfv = pd.DataFrame(
    {{"recency_days": rng.integers(0, 730, n), "frequency": rng.geometric(0.3, n),
      "monetary": np.round(rng.gamma(2, 50, n) * rng.geometric(0.3, n), 2)}},
    index=pd.Index(np.arange(n).astype(str), name="customer_id"),
)
time.sleep({gap})
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
scored = score(rfv)
wall = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"wall": wall, "user": after.ru_utime - before.ru_utime,
    "sys": after.ru_stime - before.ru_stime, "faults": after.ru_minflt - before.ru_minflt,
    "peak_mb": peak_mb(), "module": sys.modules["rfvkit"].__file__}}))
"""


def run(customers: int, gap: float, tree: Path) -> dict:
    return run_in_tree(CHILD.format(here=str(HERE), customers=customers, gap=gap), tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=1e6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gap", type=float, default=0.0, help="seconds idle before each call")
    parser.add_argument("--against", type=Path, help="another source tree, run alternately")
    args = parser.parse_args()
    customers = int(args.customers)
    trees = {"this tree": ROOT} | ({f"{args.against}": args.against} if args.against else {})
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.repeats):
        for name, tree in trees.items():
            runs[name].append(run(customers, args.gap, tree))
            got = runs[name][-1]
            print(f"{name:30s} {got['wall']:6.2f} s  sys {got['sys']:5.2f} s", flush=True)
    mine = [r["wall"] for r in runs["this tree"]]
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {customers:,} customers, {args.repeats} rounds, "
        f"{args.gap:g} s idle before each call; command: `.venv/bin/python "
        f"benchmarks/bench_score.py {' '.join(sys.argv[1:])}` (medians; fresh processes).",
        "",
        "| tree | wall s | user s | system s | page faults | peak MB | x this tree |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, got in runs.items():
        ratio = statistics.median(r["wall"] / m for r, m in zip(got, mine, strict=True))
        med = {k: statistics.median(r[k] for r in got) for k in got[0]}
        lines.append(
            f"| {name} | {med['wall']:.2f} | {med['user']:.2f} | {med['sys']:.2f} | "
            f"{med['faults']:,.0f} | {max(r['peak_mb'] for r in got):,.0f} | {ratio:.2f} |"
        )
    title = "# score() on a large RFV table\n\nNewest first; each section is one invocation.\n"
    earlier = RESULTS.read_text().removeprefix(title) if RESULTS.exists() else ""
    RESULTS.write_text(title + "\n" + "\n".join(lines) + "\n" + earlier)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
