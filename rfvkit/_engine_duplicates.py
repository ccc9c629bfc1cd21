"""Duplicate order lines on Dask and Spark, without shuffling whole lines.

Counting lines minus distinct lines with ``distinct()`` / ``drop_duplicates`` moves every
line across the cluster. Here each line is reduced to a 64-bit hash (8 bytes a line);
only the lines whose hash repeats are compared by value, so two different lines that
share a hash are never counted as duplicates. :func:`rfvkit.engine_counts.duplicate_lines`
picks these for Dask and Spark frames; DuckDB and polars sort the hashes on the client
in the ledger's own pass (``rfvkit.engine_counts``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from rfvkit._threads import repeated

__all__ = ["spark_duplicates", "dask_duplicates", "DASK_CLIENT_HASHES"]


def spark_duplicates(lines: Any) -> int:
    """Duplicate lines on Spark: group the lines' 64-bit hashes, compare the repeats.

    ``distinct()`` over every column shuffles whole lines; here 8 bytes a line are
    shuffled (a group-by of ``xxhash64``), the few hashes seen more than once are
    broadcast, and only the lines carrying one are grouped by value, so a hash
    collision is never counted as a duplicate. One Spark job.
    """
    from pyspark.sql import functions as F

    columns = lines.columns
    repeats = (
        lines.select(_spark_hash(lines).alias("_h"))
        .groupBy("_h")
        .count()
        .filter(F.col("count") > 1)
        .select("_h")
    )
    shared = lines.withColumn("_h", _spark_hash(lines)).join(
        F.broadcast(repeats), on="_h", how="left_semi"
    )
    per_line = shared.groupBy(*[shared[c] for c in columns]).count()
    (row,) = per_line.agg(F.sum(F.col("count") - 1).alias("repeats")).collect()
    return int(row["repeats"] or 0)


def _spark_hash(lines: Any) -> Any:
    """Spark's 64-bit hash of a whole line (a function so tests can force collisions)."""
    from pyspark.sql import functions as F

    return F.xxhash64(*[lines[c] for c in lines.columns])


#: Up to this many lines, Dask's line hashes are sorted on the client (8 bytes a line:
#: 1 GB); beyond it they are counted across the workers.
DASK_CLIENT_HASHES = 1 << 27


def dask_duplicates(lines: Any, rows: int | None = None) -> int:
    """Duplicate lines on Dask: the lines' 64-bit hashes, then the repeats by value.

    ``drop_duplicates`` shuffles whole lines (pandas objects). Here each worker hashes
    its lines; up to :data:`DASK_CLIENT_HASHES` lines the hashes (8 bytes a line) come
    to the client and NumPy sorts them, as on DuckDB; beyond, the hash counts are
    reduced across the workers. Only the lines whose hash repeats come back to be
    compared by value.
    """
    hashes = lines.map_partitions(_dask_hash, meta=pd.Series(dtype="uint64", name="_h"))
    if rows is not None and rows <= DASK_CLIENT_HASHES:
        repeats = repeated(hashes.compute().to_numpy().copy())
    else:
        counts = hashes.value_counts(split_out=max(1, lines.npartitions // 8))
        repeats = counts[counts > 1].index.compute().to_numpy()
    if not len(repeats):
        return 0
    shared = lines[hashes.isin(repeats)].compute()
    return int(shared.duplicated().sum())


def _dask_hash(part: pd.DataFrame) -> pd.Series:
    """pandas' 64-bit hash of each line of a partition (a function tests can replace)."""
    return pd.util.hash_pandas_object(part, index=False).rename("_h")
