"""Could the ledger ride in rfv_table's group-by? Raw DuckDB SQL over the same files.

rfvkit's DuckDB path scans the order lines twice: once for the ledger's flags and the
lines' hash keys (one projection, `engine_counts._counted_with_hashes`), once for
`rfv_table`'s group-bys. This probe times, in one process with the order of the queries
alternating per round, the hand-written SQL baseline of `bench_scale.py`, the two-level
RFV group-by alone, and that group-by carrying the ledger's work as aggregates: a
duplicate-line count inside each (customer, order) group, or the flag sums. Medians
and ratios to the baseline go to ``benchmarks/RESULTS_fused.md``. Data: the seeded
parquet lines of ``bench_scale.py``.

A second table times the ledger pass's id tidiness check on both id columns, over a bare
scan of them: narwhals' spelling of an id's last character (``str.tail(1)``, which
DuckDB gets as ``substr(c, greatest(1, length(c)), length(c))``) against DuckDB's
``right(c, 1)`` and ``substring(c, -1)`` (what ``engine_counts._duckdb_untidy`` writes).

    .venv/bin/python benchmarks/bench_fused.py --lines 3e7 --repeats 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import DUCKDB_SQL, make_data  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS_fused.md"

ORDERS = """
SELECT customer_id, order_id, sum(amount) AS monetary,
       min(CASE WHEN amount > 0 THEN order_date END) AS first_purchase,
       max(CASE WHEN amount > 0 THEN order_date END) AS last_purchase,
       count(CASE WHEN amount > 0 THEN 1 END) AS purchases{extra}
FROM read_parquet('{glob}') GROUP BY customer_id, order_id"""
CUSTOMERS = """
SELECT customer_id, sum(monetary), min(first_purchase), max(last_purchase),
       count(CASE WHEN purchases > 0 THEN 1 END){extra}
FROM ({orders}) GROUP BY customer_id"""
DUPLICATES = ", count(*) - count(DISTINCT (order_date, amount)) AS duplicates"
FLAGS = (
    ", count(*) AS lines, sum((customer_id IS NULL)::INT) AS no_customer,"
    " sum((right(customer_id, 1) < '!')::INT) AS untidy_customer,"
    " sum((right(order_id, 1) < '!')::INT) AS untidy_order,"
    " sum((amount < 0)::INT) AS returns, sum((amount = 0)::INT) AS zero"
)


def queries(glob: str) -> dict[str, str]:
    def rfv(extra: str, totals: str) -> str:
        return CUSTOMERS.format(orders=ORDERS.format(extra=extra, glob=glob), extra=totals)

    return {
        "hand-written SQL baseline (bench_scale.py)": DUCKDB_SQL.format(glob=glob),
        "rfv_table's two-level group-by alone": rfv("", ""),
        "+ duplicate lines counted in each order group": rfv(DUPLICATES, ", sum(duplicates)"),
        "+ the ledger's flag sums in each order group": rfv(
            FLAGS,
            ", sum(lines), sum(no_customer), sum(untidy_customer), sum(untidy_order),"
            " sum(returns), sum(zero)",
        ),
    }


def _tidiness(glob: str) -> dict[str, str]:
    def both(last: str) -> str:
        checks = [f"(({c} < '!') OR ({last.format(c=c)} < '!'))::INT" for c in _IDS]
        return f"SELECT sum({' + '.join(checks)}) FROM read_parquet('{glob}')"

    tail = "substr({c}, greatest(1, length({c}) - 1 + 1), length({c}))"
    return {
        "scan of both id columns (is null)": (
            f"SELECT sum((customer_id IS NULL)::INT + (order_id IS NULL)::INT) "
            f"FROM read_parquet('{glob}')"
        ),
        "narwhals str.tail(1) (substr / length)": both(tail),
        "right(c, 1)": both("right({c}, 1)"),
        "substring(c, -1) (rfvkit)": both("substring({c}, -1)"),
    }


_IDS = ("customer_id", "order_id")


def _rounds(con, todo: dict[str, str], repeats: int, rows: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in todo}
    for round_ in range(repeats):
        for name in list(todo)[:: 1 if round_ % 2 == 0 else -1]:
            started = time.perf_counter()
            con.sql(todo[name]).fetchall()
            times[name].append(time.perf_counter() - started)
            print(f"{rows:>12,} {name:48} {times[name][-1]:7.2f} s", flush=True)
    return times


def _table(times: dict[str, list[float]]) -> list[str]:
    base = statistics.median(next(iter(times.values())))
    lines = ["| query | median s | x first row | rounds (s) |", "|---|---:|---:|---|"]
    for name, found in times.items():
        median = statistics.median(found)
        lines.append(
            f"| {name} | {median:.2f} | {median / base:.2f} | "
            f"{', '.join(f'{t:.2f}' for t in found)} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=float, default=3e7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import duckdb

    rows = int(args.lines)
    glob = str(make_data(rows) / "*.parquet")
    load = os.getloadavg()[0]
    con = duckdb.connect()
    times = _rounds(con, queries(glob), args.repeats, rows)
    tidy = _rounds(con, _tidiness(glob), args.repeats, rows)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Could the ledger ride in rfv_table's group-by? (`benchmarks/bench_fused.py`)",
        "",
        f"{rows:,} lines, {args.repeats} rounds in one process, order alternating; "
        f"{when}, load average {load:.1f} before. Median seconds and ratio to the first row.",
        "",
        *_table(times),
        "",
        "## The id tidiness check of the ledger pass (both id columns)",
        "",
        *_table(tidy),
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
