"""Order lines on another engine: polars, DuckDB, Dask or Spark, with the same checks.

A params file that says ``engine: dask`` (or ``polars``, ``duckdb``, ``spark``) makes
:func:`rfvkit.io.load_crm` call :func:`load_transactions`: the transaction files (a glob
of parquet or CSV files, or a folder of partitioned parquet) are scanned lazily on that
engine, renamed, typed and checked with the rules of :func:`rfvkit.io.read_transactions`,
and the quality ledger is filled with counts computed on the engine
(:mod:`rfvkit.engine_counts`: one aggregation pass for typed files, up to three for text
files, and one pass for duplicate lines; global sums, one row back each). No order line
is collected into
pandas: the frame handed back is the engine's own lazy frame, and
:func:`rfvkit.rfv.rfv_table` brings back one row per customer.

What the engine loader reads (the pandas loader reads more):

- dates typed in the file (parquet), ISO text (``2024-01-31`` or ``2024-01-31 14:05:00``)
  or text in the given ``date_format``; day/month order is never inferred here;
- amounts, quantities and prices typed in the file or written as plain numbers
  (``-12.5``); currency symbols and thousands separators need the pandas loader;
- the ledger holds counts only, not examples of offending values.

Examples
--------
>>> check_engine("pandas")
'pandas'
>>> check_engine("dusk")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
BadParameterError: engine: got 'dusk'; allowed: pandas | polars | duckdb | dask | spark. Did you mean 'dask'?
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import narwhals as nw
import pandas as pd

from rfvkit.columns import ENGINES, TRANSACTION_COLUMNS
from rfvkit.config import parse_as_of
from rfvkit.engine_counts import (
    UNTIDY,
    amount_counts,
    count_lines,
    duplicate_lines,
    ledger_rules,
    one_row,
)
from rfvkit.engine_sessions import (  # noqa: F401  (_SESSIONS: the test fixtures close them)
    _SESSIONS,
    ClusterUnreachableError,
    check_engine,
    connect,
)
from rfvkit.errors import BadParameterError, BadValuesError, MissingColumnsError, RfvkitError
from rfvkit.quality import QualityLog
from rfvkit.rfv import note_checked

__all__ = [
    "ENGINES",
    "ClusterUnreachableError",
    "check_engine",
    "connect",
    "scan",
    "load_transactions",
    "distinct_per_customer",
    "collect_all",
]

_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$"
_PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def _files(path: str | os.PathLike) -> tuple[list[str], str]:
    """The files a glob (or a folder of parquet files) names, and their format."""
    text = os.path.expanduser(str(path))
    if os.path.isdir(text):
        text = os.path.join(text, "**", "*.parquet")
    files = sorted(glob.glob(text, recursive=True))
    if not files:
        raise RfvkitError(
            f"transactions: no file matches {text!r}; check the path and the glob pattern "
            "(e.g. /data/orders/*.parquet)."
        )
    kinds = {Path(f).suffix.lower() for f in files}
    kind = "parquet" if kinds <= {".parquet", ".pq"} else "csv" if kinds <= {".csv"} else ""
    if not kind:
        raise RfvkitError(
            f"transactions: {text!r} matches files of types {sorted(kinds)}; on an engine, "
            "use only .parquet or only .csv files."
        )
    return files, kind


def scan(path: str | os.PathLike, *, engine: str, session: Any = None) -> Any:
    """Scan a glob of parquet/CSV files lazily; returns the engine's native lazy frame.

    CSV columns are read as text (as the pandas loader does), parquet keeps its types.

    Examples
    --------
    >>> lazy = scan("data/ci/transactions.csv", engine="polars")  # doctest: +SKIP
    """
    check_engine(engine)
    files, kind = _files(path)
    if engine == "polars":
        import polars as pl

        if kind == "parquet":
            return pl.scan_parquet(files)
        return pl.scan_csv(files, infer_schema=False)
    if engine == "duckdb":
        import duckdb

        con = session or duckdb.default_connection()
        if kind == "parquet":
            return con.read_parquet(files)
        return con.read_csv(files, all_varchar=True, header=True)
    if engine == "dask":
        import dask.dataframe as dd

        if kind == "parquet":
            return dd.read_parquet(files)
        return dd.read_csv(files, dtype="string", blocksize="64MB")
    if engine == "spark":
        spark = session if session is not None else connect("spark")
        if kind == "parquet":
            return spark.read.parquet(*files)
        return spark.read.csv(files, header=True)
    raise BadParameterError(f"engine: {engine!r} has nothing to scan; use read_transactions().")


def load_transactions(
    path: Any,
    *,
    engine: str,
    cluster: Mapping[str, Any] | None = None,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    decimal: str = ".",
    as_of: Any = None,
    return_prefix: str | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Any:
    """Scan, rename, type and check order lines on ``engine``; counts only come back.

    Parameters
    ----------
    path : str, path or TableSpec
        Glob of ``.parquet`` or ``.csv`` files, or a folder of parquet files. A
        :class:`~rfvkit.config.TableSpec` brings its ``columns`` and options with it.
    engine : {"polars", "duckdb", "dask", "spark"}
    cluster : mapping, optional
        See :func:`connect`.
    columns, date_format, decimal, as_of, return_prefix
        As in :func:`rfvkit.io.read_transactions` (``dayfirst`` and ``read_options``
        are accepted for the same signature; day-first text dates need the pandas loader).

    Returns
    -------
    rfvkit.io.Loaded
        ``frame``: the engine's lazy frame (polars LazyFrame, DuckDB relation, Dask or
        Spark DataFrame) with the canonical columns; ``quality``: the ledger, with the
        same rules and counts the pandas loader writes, without examples.

    Examples
    --------
    >>> tx, q = load_transactions("data/ci/transactions.csv", engine="duckdb")  # doctest: +SKIP
    >>> q.counts()["transactions"]["input"]  # doctest: +SKIP
    1931
    """
    from rfvkit.io import Loaded  # io imports this module lazily: no cycle at import time

    if hasattr(path, "path") and hasattr(path, "columns") and hasattr(path, "options"):
        spec = path
        options = dict(spec.options)
        path, columns = spec.path, columns or spec.columns
        date_format = date_format or options.get("date_format")
        return_prefix = return_prefix or options.get("return_prefix")
        decimal = options.get("decimal", decimal)
        dayfirst = dayfirst or options.get("dayfirst")
    if dayfirst:
        raise BadParameterError(
            f"dayfirst: engine {engine!r} reads ISO dates or a date_format such as "
            "'%d/%m/%Y'; give date_format instead of dayfirst=True."
        )
    session = connect(engine, cluster)
    native = scan(path, engine=engine, session=session)
    renamed = _rename(nw.from_native(native), columns)
    cutoff = parse_as_of(as_of)
    frame, rules, derived, checks = _typed(renamed, date_format, decimal, return_prefix)
    # Duplicate lines counted in the ledger's pass where the engine allows (line_id: the
    # loader keeps the first line of each id instead, below).
    fused = "line_id" not in frame.collect_schema()
    counts, kept_frame = count_lines(
        frame, rules, cutoff, return_prefix, date_format, checks, duplicates=fused
    )
    untidy = {c for c in ("customer_id", "order_id") if counts.pop(f"{UNTIDY}{c}", 0)}
    if untidy:  # ids with blanks or spaces around them: trim those columns, count again
        frame, rules, derived, _ = _typed(renamed, date_format, decimal, return_prefix, untidy)
        counts, kept_frame = count_lines(
            frame, rules, cutoff, return_prefix, date_format, duplicates=fused
        )
    kept, last_line = counts["kept"], None
    if "line_id" in kept_frame.collect_schema():  # pandas keeps the first of each line_id
        line_id = nw.col("line_id")
        kept_frame = nw.concat(
            [
                kept_frame.filter(line_id.is_null()),
                kept_frame.filter(~line_id.is_null()).unique(subset=["line_id"], keep="any"),
            ]
        )
        no_late = nw.col("amount").is_null()  # never true here: amounts are checked
        after = one_row(
            kept_frame.select(*amount_counts(return_prefix, no_late), nw.len().alias("n"))
        )
        counts.update(after)
        counts["duplicates"], kept = kept - after["n"], after["n"]
        duplicate = ("duplicate line_id", "dropped")
    else:
        if "duplicates" not in counts:  # not counted in the ledger's pass
            counts["duplicates"] = duplicate_lines(kept_frame, kept)
        duplicate = ("exact duplicate line", "kept")
        last_line = counts.pop("_last_line")
    log = QualityLog("transactions", counts["input"])
    for rule, action in derived:
        log.note(rule, counts["input"], action)
    for rule, key, action in ledger_rules(cutoff, return_prefix, duplicate):
        log.note(rule, counts.get(key, 0), action)
    order = [c for c in TRANSACTION_COLUMNS if c in kept_frame.collect_schema()]
    rest = [c for c in kept_frame.collect_schema() if c not in order]
    native = kept_frame.select(*order, *rest).to_native()
    if last_line is not None and last_line.tz is None:  # rfv_table can skip its check
        note_checked(native, rows=kept, last_line=last_line)
    return Loaded(native, log.report(kept))


def _rename(frame: nw.LazyFrame, columns: Mapping[str, str] | None) -> nw.LazyFrame:
    schema = list(frame.collect_schema())
    frame = frame.rename({c: c.strip() for c in schema if c != c.strip()})
    if not columns:
        return frame
    names = list(frame.collect_schema())
    missing = [c for c in columns if c not in names]
    if missing:
        raise MissingColumnsError(
            missing,
            names,
            table="transactions",
            hint="The keys of columns={...} must be names from your file's header.",
        )
    return frame.rename(dict(columns))


def _typed(
    frame: nw.LazyFrame,
    date_format: str | None,
    decimal: str,
    return_prefix: str | None,
    untidy: set[str] | None = None,
) -> tuple[nw.LazyFrame, dict[str, nw.Expr], list[tuple[str, str]], dict[str, nw.Expr]]:
    """Typed columns, the row flags the ledger counts, derived columns, pending checks.

    Trimming text ids costs a string pass on every later scan, so ids are trimmed only
    when some need it. ``untidy=None``: not known yet. The returned checks
    (``_untidy_<column>`` line flags) then ride along in the ledger's counting pass, and the
    caller types again with ``untidy={columns that need trimming}`` if any does. Text
    numbers are checked (and ids with them) in a pass of their own first: a value that
    is not a plain number must stop the load before any cast sees it.
    """
    schema = frame.collect_schema()
    derived: list[tuple[str, str]] = []
    numbers = {
        c: _number(c, schema[c], decimal)
        for c in ("quantity", "unit_price", "amount")
        if c in schema
    }
    bad_numbers = {c: bad for c, (_, bad) in numbers.items() if bad is not None}
    text_ids = [c for c in ("customer_id", "order_id") if c in schema and schema[c] == nw.String]
    checks = {f"{UNTIDY}{c}": _untidy(c) for c in text_ids} if untidy is None else {}
    if bad_numbers:
        first = one_row(
            frame.select(
                *(bad.cast(nw.Int64).sum().alias(c) for c, bad in bad_numbers.items()),
                *(flag.cast(nw.Int64).sum().alias(name) for name, flag in checks.items()),
            )
        )
        untidy = untidy or {c for c in text_ids if first.pop(f"{UNTIDY}{c}", 0)}
        checks = {}
        for column, bad in first.items():
            if bad:
                raise BadValuesError(
                    f"transactions: {bad:,} value(s) of {column!r} are not plain numbers "
                    "(such as '£1.50' or '1,234.5'); on an engine write plain numbers (-12.5) "
                    "or typed parquet columns, or use engine: pandas, which reads them."
                )
    tidy = {c for c in text_ids if c not in (untidy or set())}
    if numbers:
        frame = frame.with_columns(**{c: expr for c, (expr, _) in numbers.items()})
    if "amount" not in schema and "quantity" in schema and "unit_price" in schema:
        frame = frame.with_columns((nw.col("quantity") * nw.col("unit_price")).alias("amount"))
        derived.append(("amount derived from quantity x unit_price", "changed"))
        schema = frame.collect_schema()
    missing = [c for c in ("customer_id", "order_date", "amount") if c not in schema]
    if missing:
        raise MissingColumnsError(
            missing,
            list(schema),
            table="transactions",
            hint="Map your names with columns={...}; without an amount column, map quantity "
            "and unit_price and amount = quantity x unit_price.",
        )
    if return_prefix is not None and "order_id" not in schema:
        raise BadParameterError(
            f"return_prefix={return_prefix!r} needs an order_id column; map one with "
            "columns={'YourInvoiceColumn': 'order_id'} or pass return_prefix=None."
        )
    ids = [c for c in ("customer_id", "order_id") if c in schema]
    frame = frame.with_columns(_identifier(c, schema[c]) for c in ids if c not in tidy)
    date_type = schema["order_date"]
    flags: dict[str, nw.Expr] = {"missing customer_id": nw.col("customer_id").is_null()}
    if date_type == nw.String:
        text = nw.col("order_date").str.strip_chars()
        blank = text.is_null() | (text.str.len_chars() == 0)
        flags["missing order_date"] = blank
        if date_format is None:
            flags["unparsable order_date"] = ~blank & ~text.str.contains(_ISO)
        frame = frame.with_columns(order_date=text)
    elif date_type in (nw.Datetime, nw.Date):
        flags["missing order_date"] = nw.col("order_date").is_null()
    else:
        raise BadValuesError(
            f"transactions: 'order_date' has type {date_type}; expected dates or ISO text."
        )
    flags["missing amount"] = nw.col("amount").is_null() | nw.col("amount").is_nan()
    return frame, flags, derived, checks


def _untidy(column: str) -> nw.Expr:
    """The ids that may need trimming: empty, or white space at either end.

    White space sorts before every printable character, so an id starting with it, or
    empty, sorts before ``"!"``, and so does its last character when that is white
    space: two comparisons per id. On DuckDB at 30M lines the last character costs
    0.37 s per column and the first nothing beyond the scan, where an anchored regular
    expression took 1.4 s per column (``docs/scale.md``). Control characters count as
    white space here too, a few more ids than ``\\s`` matches: a false alarm only costs
    the trimmed recount.
    """
    raw = nw.col(column)
    return ((raw < "!") | (raw.str.tail(1) < "!")).fill_null(False)


def _number(column: str, dtype: Any, decimal: str) -> tuple[nw.Expr, nw.Expr | None]:
    """The column as float64, and the flag of text values that are not plain numbers."""
    if dtype.is_numeric():
        return nw.col(column).cast(nw.Float64), None
    if dtype != nw.String:
        raise BadValuesError(f"transactions: {column!r} has type {dtype}; expected numbers.")
    text = nw.col(column).str.strip_chars()
    if decimal == ",":
        text = text.str.replace_all(",", ".", literal=True)
    filled = ~text.is_null() & (text.str.len_chars() > 0)
    bad = filled & ~text.str.contains(_PLAIN_NUMBER)
    return nw.when(filled).then(text).cast(nw.Float64), bad


def _identifier(column: str, dtype: Any) -> nw.Expr:
    if dtype.is_integer():
        return nw.col(column).cast(nw.String)
    if dtype.is_float():  # 12347.0 -> "12347"
        return nw.col(column).cast(nw.Int64).cast(nw.String)
    text = nw.col(column).cast(nw.String).str.strip_chars()
    return nw.when(text.str.len_chars() > 0).then(text).alias(column)


def distinct_per_customer(lines: Any, column: str, *, name: str | None = None) -> Any:
    """Distinct values of ``column`` per customer as a lazy frame, on any engine.

    Dask's group-by has no ``nunique`` aggregation (dask-expr), so the distinct count is
    a two-level group-by: by customer and value, then by customer. Returns the native
    lazy frame ``customer_id, <name>`` (default name ``n_<column>``).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "day": [1, 1, 2]})
    >>> distinct_per_customer(tx, "day").sort_values("customer_id")["n_day"].tolist()
    [1, 1]
    """
    frame = nw.from_native(lines)
    out = (
        frame.group_by("customer_id", column)
        .agg(nw.len().alias("_lines"))
        .group_by("customer_id")
        .agg(nw.len().alias(name or f"n_{column}"))
    )
    return out.to_native()


def collect_all(*frames: Any) -> list[pd.DataFrame]:
    """Small lazy results (one row per customer) as pandas frames, computed together.

    Dask frames are computed in ONE ``dask.compute`` call: joining two shuffled group-by
    results inside dask-expr can raise, so join the small pandas results instead.

    Examples
    --------
    >>> import pandas as pd
    >>> [len(f) for f in collect_all(pd.DataFrame({"x": [1]}))]
    [1]
    """
    natives = [nw.from_native(f) for f in frames]
    dask_at = [i for i, f in enumerate(natives) if f.implementation is nw.Implementation.DASK]
    out: list[pd.DataFrame | None] = [None] * len(frames)
    if dask_at:
        import dask

        computed = dask.compute(*(frames[i] for i in dask_at))
        for i, result in zip(dask_at, computed, strict=True):
            out[i] = result
    for i, frame in enumerate(natives):
        if out[i] is None:
            lazy = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
            out[i] = lazy.collect().to_pandas()
    return [o.reset_index(drop=True) for o in out]  # type: ignore[union-attr]
