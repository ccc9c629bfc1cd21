"""Synthetic order-line exports for bench_load.py (seeded; cached outside the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CACHE = Path(os.environ.get("RFVKIT_BENCH_CACHE", Path.home() / ".cache" / "rfvkit-bench"))


def export(lines: int, *, customers: int = 500_000, seed: int = 0) -> tuple[Path, Path]:
    """Write (once) ``tx_<lines>.csv`` and ``tx_<lines>.parquet``; return their paths."""
    CACHE.mkdir(parents=True, exist_ok=True)
    csv, parquet = CACHE / f"tx_{lines}.csv", CACHE / f"tx_{lines}.parquet"
    if csv.exists() and parquet.exists():
        return csv, parquet
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    seconds = np.sort(rng.integers(0, 3 * 365 * 86_400, lines))
    cust = rng.zipf(1.3, lines) % customers
    table = pa.table(
        {
            "customer_id": pa.array(np.char.add("C", np.char.zfill(cust.astype(str), 6))),
            "order_id": pa.array(np.char.add("O", np.char.zfill(np.arange(lines).astype(str), 9))),
            "order_date": pa.array(start + seconds),
            "amount": pa.array(np.round(rng.gamma(2.0, 20.0, lines), 2)),
        }
    )
    pq.write_table(table, parquet)
    text = table.set_column(
        2, "order_date", pa.compute.strftime(table["order_date"], "%Y-%m-%d %H:%M:%S")
    )
    pacsv.write_csv(text, csv, pacsv.WriteOptions(quoting_style="none"))
    return csv, parquet
