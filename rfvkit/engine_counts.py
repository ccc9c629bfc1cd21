"""The quality ledger of order lines on an engine, counted where the lines live.

:func:`rfvkit.engines.load_transactions` types and flags the lines lazily; this module
turns the flags into the ledger's counts with as few passes over the files as the input
allows, because at 100M lines every pass is a full scan (``docs/scale.md``):

- **typed files** (parquet dates and amounts): ONE pass counts the id tidiness, every
  drop rule, the ``as_of`` cut and the returns, zero amounts and cancellations among
  the kept lines. On DuckDB and polars the same pass also hashes each whole line: it
  returns each line's key (32 bits of its hash, :data:`NARROW_KEYS`) and its flags
  packed in one small integer, NumPy counts the flag combinations and sorts the keys
  (:func:`_counted_with_hashes`); only the lines whose key repeats are compared value by
  value in one more pass, so a shared key can never be counted as a duplicate. Dask
  and Spark aggregate the flags (one row comes back); their duplicate lines take a job
  of their own: a group-by of the lines' hashes (8 bytes a line shuffled, not the
  lines), then the lines whose hash repeats are compared by value
  (:mod:`rfvkit._engine_duplicates`);
- **text dates** (CSV): the drop rules first, then, on the kept lines once their dates
  are parsed, the rest (a strict date parser must never see a line already dropped),
  then the duplicate lines.

Every count means what the pandas loader's count means: each drop rule counts the lines
the earlier rules kept (``tests/test_engines.py`` compares the two ledgers).

Examples
--------
>>> [rule for rule, _, _ in ledger_rules(None, None, ("exact duplicate line", "kept"))][:2]
['missing customer_id', 'missing order_date']
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import pyarrow as pa

from rfvkit._engine_duplicates import dask_duplicates, spark_duplicates
from rfvkit._threads import repeated

__all__ = ["ledger_rules", "count_lines", "amount_counts", "duplicate_lines", "one_row"]


def ledger_rules(
    cutoff: pd.Timestamp | None, return_prefix: str | None, duplicate: tuple[str, str]
) -> list[tuple[str, str, str]]:
    """(rule, count key, action) in the order the pandas loader writes them."""
    rules = [
        ("missing customer_id", "missing customer_id", "dropped"),
        ("missing order_date", "missing order_date", "dropped"),
        ("unparsable order_date", "unparsable order_date", "dropped"),
        ("missing amount", "missing amount", "dropped"),
    ]
    if cutoff is not None:
        rules.append((f"after as_of {cutoff:%Y-%m-%d}", "after as_of", "dropped"))
    rules += [
        (duplicate[0], "duplicates", duplicate[1]),
        ("negative amount (return)", "negative", "kept as return"),
        ("zero amount", "zero", "kept"),
    ]
    if return_prefix is not None:
        rules += [
            (f"cancellation (order_id starts with {return_prefix!r})", "cancel", "kept"),
            ("cancellation with positive amount", "cancel positive", "flagged"),
        ]
    return rules


def count_lines(
    frame: nw.LazyFrame,
    flags: dict[str, nw.Expr],
    cutoff: pd.Timestamp | None,
    return_prefix: str | None,
    date_format: str | None,
    extra: dict[str, nw.Expr] | None = None,
    *,
    duplicates: bool = False,
) -> tuple[dict[str, int], nw.LazyFrame]:
    """The ledger counts (and the ``extra`` line flags counted, e.g. id checks); the kept
    lines, lazily.

    One pass when ``order_date`` is typed, two when it is text (see the module
    docstring). ``counts["kept"]`` is the number of kept lines and
    ``counts["_last_line"]`` the date of the last one (None when none is kept).
    ``duplicates=True``: on DuckDB and polars with typed dates, the duplicate lines are
    counted in the same pass (``counts["duplicates"]``, see :func:`_counted_with_hashes`).
    """
    extra = dict(extra or {})
    alive = nw.lit(True)
    for flag in flags.values():
        alive = alive & ~flag
    date_type = frame.collect_schema()["order_date"]
    if date_type == nw.Date:
        frame = frame.with_columns(nw.col("order_date").cast(nw.Datetime("us")))
    late = _late(cutoff)
    if date_type == nw.String:
        text = nw.col("order_date")
        parsed = iso_datetime(text) if date_format is None else text.str.to_datetime(date_format)
        kept = frame.filter(alive).with_columns(order_date=parsed)
        drops = _ledger_tallies({**extra, **flags}, list(flags), list(extra), nw.lit(True))
        counts = one_row(frame.select(nw.len().alias("input"), *_sums(drops)))
        last = nw.when(~late).then(nw.col("order_date")).max().alias("_last_line")
        counts.update(one_row(kept.select(*_after_parse(late, return_prefix), last)))
    else:  # typed dates: nothing can fail to parse, so every count fits in one pass
        kept = frame.filter(alive)
        raw = {**extra, **flags, "_late": late, **_amount_flags(return_prefix)}
        if duplicates and frame.implementation in _HASHED and len(raw) < 16:  # an Int16
            counts = _counted_with_hashes(frame, raw, list(flags), list(extra), kept.filter(~late))
        else:
            tallies = _ledger_tallies(raw, list(flags), list(extra), nw.lit(True))
            last = nw.when(alive & ~late).then(nw.col("order_date")).max().alias("_last_line")
            counts = one_row(frame.select(nw.len().alias("input"), *_sums(tallies), last))
    if cutoff is not None:
        kept = kept.filter(~late)
    counts["kept"] = counts.pop("_survivors") - counts["after as_of"]
    return counts, kept


def _ledger_tallies(raw: dict[str, Any], rules: list[str], extra: list[str], true: Any) -> dict:
    """The ledger's line tallies (what each count counts) from the raw line flags.

    One set of formulas, two evaluators: on narwhals expressions (the engine sums them)
    and on NumPy masks over every combination of the flags (:func:`_counted_with_hashes`).
    Each drop rule takes the lines the earlier ones kept; with ``"_late"`` in ``raw``
    the counts among the surviving lines follow (the as_of cut, returns, zero amounts,
    cancellations).
    """
    tallies = {name: raw[name] for name in extra}
    alive = true
    for rule in rules:  # each rule counts the rows the earlier ones kept
        tallies[rule] = alive & raw[rule]
        alive = alive & ~raw[rule]
    if "_late" not in raw:
        return tallies
    tallies["after as_of"] = alive & raw["_late"]
    tallies.update(_among(raw, raw["_late"] | ~alive))
    tallies["_survivors"] = alive
    return tallies


def _amount_flags(return_prefix: str | None) -> dict[str, nw.Expr]:
    """Raw line flags of the amount counts: returns, zero amounts, cancellations."""
    flags = {"_negative": nw.col("amount") < 0, "_zero": nw.col("amount") == 0}
    if return_prefix is not None:
        flags["_cancel"] = nw.col("order_id").str.starts_with(return_prefix).fill_null(False)
        flags["_positive"] = nw.col("amount") > 0
    return flags


def _among(raw: dict[str, Any], excluded: Any) -> dict[str, Any]:
    """Returns, zero amounts and cancellations among the lines that are not ``excluded``."""
    tallies = {"negative": raw["_negative"] & ~excluded, "zero": raw["_zero"] & ~excluded}
    if "_cancel" in raw:
        tallies["cancel"] = raw["_cancel"] & ~excluded
        tallies["cancel positive"] = tallies["cancel"] & raw["_positive"]
    return tallies


def _sums(tallies: dict[str, nw.Expr]) -> list[nw.Expr]:
    return [flag.cast(nw.Int64).sum().alias(name) for name, flag in tallies.items()]


def _late(cutoff: pd.Timestamp | None) -> nw.Expr:
    """Lines dated after ``as_of`` (never true without one: dates are checked by then)."""
    if cutoff is None:
        return nw.col("order_date").is_null()
    return nw.col("order_date") >= (cutoff + pd.Timedelta(days=1)).to_pydatetime()


def _after_parse(late: nw.Expr, return_prefix: str | None) -> list[nw.Expr]:
    """Counts on the lines no drop rule took, once their text dates are parsed."""
    return [
        late.cast(nw.Int64).sum().alias("after as_of"),
        *amount_counts(return_prefix, late),
        nw.len().alias("_survivors"),
    ]


def iso_datetime(text: nw.Expr) -> nw.Expr:
    """ISO text (date, date + minutes, or date + seconds) as a datetime, on every engine."""
    n = text.str.len_chars()
    full = (
        nw.when(n == 10)
        .then(nw.concat_str(text, nw.lit(" 00:00:00")))
        .otherwise(nw.when(n == 16).then(nw.concat_str(text, nw.lit(":00"))).otherwise(text))
    )
    return full.str.replace_all("T", " ", literal=True).str.to_datetime("%Y-%m-%d %H:%M:%S")


def amount_counts(return_prefix: str | None, excluded: nw.Expr) -> list[nw.Expr]:
    """Returns, zero amounts and cancellations among the lines that are not ``excluded``."""
    return _sums(_among(_amount_flags(return_prefix), excluded))


def one_row(frame: nw.LazyFrame) -> dict[str, Any]:
    """A one-row aggregation as ``{name: int}`` (a null sum of no rows counts 0); dates
    come back as Timestamps (None when there is no row)."""
    row = frame.collect().to_pandas()
    out: dict[str, Any] = {}
    for name in row.columns:
        value = row[name].iloc[0]
        if pd.api.types.is_datetime64_any_dtype(row[name]):
            out[str(name)] = None if pd.isna(value) else pd.Timestamp(value)
        else:
            out[str(name)] = int(0 if pd.isna(value) else value)
    return out


def count_rows(frame: nw.LazyFrame) -> int:
    return one_row(frame.select(nw.len().alias("n")))["n"]


def duplicate_lines(frame: nw.LazyFrame, lines: int | None = None) -> int:
    """How many lines repeat an earlier line exactly (lines minus distinct lines).

    ``lines``: the number of lines in ``frame`` when already known (saves a pass).

    Examples
    --------
    >>> import duckdb
    >>> rel = duckdb.sql("SELECT * FROM (VALUES ('a', 1.0), ('a', 1.0), ('b', 2.0)) t(customer_id, amount)")
    >>> duplicate_lines(nw.from_native(rel))
    1
    """
    narrow = lines is not None and lines <= NARROW_KEYS
    if frame.implementation is nw.Implementation.DUCKDB:
        return _duckdb_duplicates(frame.to_native(), narrow)
    if frame.implementation is nw.Implementation.POLARS:
        return _polars_duplicates(frame.to_native(), narrow)
    if frame.implementation is nw.Implementation.PYSPARK:
        return spark_duplicates(frame.to_native())
    if frame.implementation is nw.Implementation.DASK:
        return dask_duplicates(frame.to_native(), lines)
    return (count_rows(frame) if lines is None else lines) - count_rows(frame.unique())


#: Engines whose duplicate lines are found by sorting hashes (and can be counted in the
#: ledger's pass, :func:`_counted_with_hashes`).
_HASHED = (nw.Implementation.DUCKDB, nw.Implementation.POLARS)

#: Up to this many lines, DuckDB's and polars' duplicate checks key each line by the
#: high 32 bits of its 64-bit hash: half the memory, and sorting the keys in parts on the
#: threads takes 1.12 s at 30M lines against 2.64 s for one sort of 64-bit hashes
#: (medians of 5, ``benchmarks/bench_duplicates.py --sort``). Different lines share a key more often,
#: about n² / 2^33 pairs (0.1M at 30M lines, 1.2M at 100M), which only adds lines to the
#: comparison by value; beyond this many lines, the whole hash is the key.
NARROW_KEYS = 1 << 28


def _counted_with_hashes(
    frame: nw.LazyFrame,
    raw: dict[str, nw.Expr],
    rules: list[str],
    extra: list[str],
    kept: nw.LazyFrame,
) -> dict[str, Any]:
    """The ledger's counts and the duplicate lines in ONE pass over the lines.

    The duplicate count needs a hash of every line anyway; the same scan returns, beside
    each hash, the line's raw flags (each rule's, the as_of cut's, the amount's signs
    ...) packed in one small integer, bit ``i`` for flag ``i``. NumPy counts the lines of
    each flag combination (``bincount``) and :func:`_ledger_tallies` turns the
    combinations into the ledger's counts, with the formulas the engines sum elsewhere.
    Raw flags are single comparisons: the rules' running conjunctions, evaluated per
    line, cost DuckDB more than the pass saved (30M lines: 2.4 s against 0.1 s). Hashes
    of lines that are not kept are set aside before the sort; the date of the last kept
    line takes a pass over that one column.
    """
    names = list(raw)
    columns = list(frame.collect_schema())
    narrow = True  # the number of lines is known after the pass (see below)
    duckdb = frame.implementation is nw.Implementation.DUCKDB
    in_sql = {
        i: _duckdb_untidy(n.removeprefix(UNTIDY))
        for i, n in enumerate(names)
        if duckdb and n.startswith(UNTIDY)
    }
    terms = [
        flag.fill_null(False).cast(nw.Int32) * (1 << i)
        for i, flag in enumerate(raw.values())
        if i not in in_sql
    ]
    code = terms[0]  # there are always the as_of and amount flags
    for term in terms[1:]:
        code = code + term
    flagged = frame.with_columns(code.cast(nw.Int16).alias("_rfvkit_flags"))
    if duckdb:
        quoted = ", ".join(_quote(c) for c in columns)
        bits = "".join(
            f" + (CASE WHEN {sql} THEN {1 << i} ELSE 0 END)" for i, sql in in_sql.items()
        )
        flags = f"(_rfvkit_flags{bits})::SMALLINT AS _rfvkit_flags"
        projection = f"{_duckdb_key(quoted, narrow)} AS _h, {flags}"
        got = flagged.to_native().project(projection).fetchnumpy()
        hashes = np.asarray(got["_h"])
    else:
        got = flagged.to_native().select(_polars_key(columns, narrow).alias("_h"), "_rfvkit_flags")
        got = got.collect()
        hashes = got["_h"].to_numpy().copy()
    codes = np.asarray(got["_rfvkit_flags"]).view(np.uint16)  # 2 bytes per line
    del got
    if codes.size > NARROW_KEYS:  # too many shared keys to compare: the whole hashes
        narrow, hashes = False, _keys(frame, columns, narrow=False)
    lines_per_code = _bincount(codes, 1 << len(names))
    combination = np.arange(lines_per_code.size)
    masks = {name: (combination >> i & 1).astype(bool) for i, name in enumerate(names)}
    tallies = _ledger_tallies(masks, rules, extra, np.ones(combination.size, bool))
    counts: dict[str, Any] = {"input": int(codes.size)}
    counts.update({name: int(lines_per_code[mask].sum()) for name, mask in tallies.items()})
    kept_code = tallies["_survivors"] & ~tallies["after as_of"]
    everything_kept = counts["input"] == int(lines_per_code[kept_code].sum())
    if not everything_kept:
        hashes = hashes[kept_code[codes]]
    del codes
    counts["duplicates"] = _confirmed_duplicates(kept, repeated(hashes), narrow)
    del hashes
    source = frame if everything_kept else kept
    counts.update(one_row(source.select(nw.col("order_date").max().alias("_last_line"))))
    return counts


def _bincount(codes: np.ndarray, size: int) -> np.ndarray:
    """``np.bincount`` in slices: it widens its input to 8 bytes a value (at 100M lines a
    800 MB temporary for 2-byte codes)."""
    counts = np.zeros(size, np.int64)
    for start in range(0, codes.size, 1 << 22):
        counts += np.bincount(codes[start : start + (1 << 22)], minlength=size)
    return counts


def _confirmed_duplicates(lines: nw.LazyFrame, repeats: np.ndarray, narrow: bool) -> int:
    """Duplicate lines among ``lines`` whose key is one of ``repeats``, compared by value.

    Only the lines whose key (``narrow``: 32 bits of the hash, else all 64) repeats are
    compared: the duplicates, and any different lines that happen to share a key, so a
    shared key is never counted as a duplicate.
    """
    if not len(repeats):
        return 0  # every line has its own hash: every line is distinct
    native = lines.to_native()
    if lines.implementation is nw.Implementation.DUCKDB:
        quoted = ", ".join(_quote(c) for c in native.columns)
        rfvkit_repeated_hashes = pa.table({"_h": repeats})  # noqa: F841 (read by SQL)
        sql = f"""
            SELECT count(*) - count(DISTINCT ({quoted}))
            FROM (SELECT {_duckdb_key(quoted, narrow)} AS _h, {quoted} FROM _lines)
            WHERE _h IN (SELECT _h FROM rfvkit_repeated_hashes)
        """
        (row,) = native.query("_lines", sql).fetchall()  # DuckDB finds the table by its name
        return int(row[0] or 0)
    import polars as pl

    columns = native.collect_schema().names()
    wanted = pl.LazyFrame({"_h": pl.Series(repeats, dtype=pl.UInt32 if narrow else pl.UInt64)})
    hashed = native.with_columns(_polars_key(columns, narrow).alias("_h"))
    shared = hashed.join(wanted, on="_h", how="semi").drop("_h").collect()
    return shared.height - shared.n_unique()


def _duckdb_duplicates(lines: Any, narrow: bool = False) -> int:
    """Duplicate lines on DuckDB: sort a hash of each line, then compare the candidates.

    DuckDB computes one 64-bit hash per line (every column) in parallel, ``narrow``: its
    high 32 bits (:data:`NARROW_KEYS`); NumPy sorts these keys in place (4 or 8 bytes
    per line) and finds the repeated ones, which
    :func:`_confirmed_duplicates` compares value by value. A ``DISTINCT`` over every
    column, or a group-by of the hashes, holds a hash table with an entry per line
    instead: at 100M lines a group-by of the hashes alone peaked at 6.1 GB, the sort at
    1.8 GB (2026-12-03, ``docs/scale.md``).
    """
    values = _keys(nw.from_native(lines), lines.columns, narrow)
    return _confirmed_duplicates(nw.from_native(lines), repeated(values), narrow)


def _polars_duplicates(lines: Any, narrow: bool = False) -> int:
    """Duplicate lines on polars, as on DuckDB: sort the lines' hashes, check the repeats.

    Polars' streaming ``unique()`` keeps every distinct line in memory (at 100M lines
    the largest part of its 9.5 GB peak, ``docs/scale.md``); here one 64-bit hash per
    line is kept, and the few lines whose hash repeats are collected and compared.
    """
    values = _keys(nw.from_native(lines), lines.collect_schema().names(), narrow)
    return _confirmed_duplicates(nw.from_native(lines), repeated(values), narrow)


def _keys(lines: nw.LazyFrame, columns: list[str], narrow: bool) -> np.ndarray:
    """Each line's key (see :data:`NARROW_KEYS`) in one NumPy array, on DuckDB or polars."""
    native = lines.to_native()
    if lines.implementation is nw.Implementation.DUCKDB:
        quoted = ", ".join(_quote(c) for c in columns)  # every column, as pandas does
        # Straight into one NumPy array (NumPy's memory, on huge pages where the kernel
        # allows): through Arrow, the chunks and their concatenation cost 1.8 s more at
        # 30M lines, most of it first-touch page faults (docs/scale.md).
        return np.asarray(native.project(f"{_duckdb_key(quoted, narrow)} AS _h").fetchnumpy()["_h"])
    keys = native.select(_polars_key(columns, narrow).alias("_h"))
    return keys.collect()["_h"].to_numpy().copy()


def _polars_key(columns: list[str], narrow: bool) -> Any:
    """A line's key on polars: its 64-bit hash, ``narrow``: the high 32 bits of it."""
    import polars as pl

    hashed = _polars_hash(columns)
    return (hashed // (1 << 32)).cast(pl.UInt32) if narrow else hashed


def _polars_hash(columns: list[str]) -> Any:
    """Polars' 64-bit hash of a whole line (a function so tests can force collisions)."""
    import polars as pl

    return pl.struct(columns).hash(seed=0)


#: Line flags named ``_untidy_<column>`` (``engines._untidy``: the id is empty, or starts
#: or ends with white space) are written in DuckDB's own SQL in the ledger's pass:
#: narwhals spells an id's last character ``substr(c, greatest(1, length(c)), length(c))``,
#: two UTF-8 length scans per id. For both id columns at 30M lines, over the 0.80 s scan
#: of them, ``substring(c, -1)`` adds 0.87 s where that spelling adds 1.42 s (medians of 3
#: alternating rounds, ``benchmarks/bench_fused.py``, RESULTS_fused.md).
UNTIDY = "_untidy_"


def _duckdb_untidy(column: str) -> str:
    """``engines._untidy(column)`` in DuckDB SQL: first or last character before "!"."""
    quoted = _quote(column)
    return f"({quoted} < '!' OR substring({quoted}, -1) < '!')"


def _duckdb_key(quoted: str, narrow: bool) -> str:
    """A line's key on DuckDB: its 64-bit hash, ``narrow``: the high 32 bits of it."""
    return f"({_line_hash(quoted)} >> 32)::UINTEGER" if narrow else _line_hash(quoted)


def _line_hash(quoted: str) -> str:
    """DuckDB's 64-bit hash of a line's columns (a function so tests can force collisions)."""
    return f"hash({quoted})"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
