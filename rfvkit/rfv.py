"""Per-customer recency, frequency and value: the RFV table.

:func:`rfv_table` is written once against `narwhals <https://narwhals-dev.github.io>`_, so
the same code aggregates a pandas frame, a polars DataFrame or LazyFrame, or a DuckDB
relation. One cheap pass checks the lines (row count, missing values, last date), unless
:func:`rfvkit.engines.load_transactions` has just counted them (:func:`note_checked`); a
group-by over orders, then customers, summarises them lazily in the chosen engine; the
small per-customer result is finished in pandas, so every engine returns exactly the
same table.

An in-memory pandas frame is aggregated by DuckDB when it is installed (it reads the
frame without copying it). For files larger than memory, hand over a lazy scan instead
of a loaded frame: ``rfv_table(pl.scan_parquet(path))`` or
``rfv_table(duckdb.read_parquet(path))`` reads only the columns needed, in parallel.
"""

from __future__ import annotations

import difflib
import importlib.util
import warnings
import weakref
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rfvkit.columns import MONEY_DECIMALS, RFV_COLUMNS
from rfvkit.columns import TRANSACTION_REQUIRED as REQUIRED
from rfvkit.config import parse_as_of
from rfvkit.errors import (
    BadParameterError,
    BadValuesError,
    EmptyDataError,
    MissingColumnsError,
    examples,
)

__all__ = ["rfv_table", "RFV_COLUMNS"]

ENGINES = ("auto", "native", "duckdb", "polars")
_LOAD_HINT = "Load the file with rfvkit.io.read_transactions(), which parses and checks it."


def rfv_table(tx: Any, *, as_of: Any = None, engine: str = "auto") -> pd.DataFrame:
    """Summarise transaction lines into one row per customer.

    Parameters
    ----------
    tx : pandas.DataFrame, polars.DataFrame, polars.LazyFrame, duckdb relation, Dask or PySpark DataFrame
        Transaction lines with ``customer_id``, ``order_date`` (datetime), ``amount``
        (negative for returns) and optionally ``order_id``. Any frame narwhals supports;
        Dask and Spark frames run on their cluster (``tests/test_engines.py``) and only
        one row per customer comes back.
    as_of : str, date, Timestamp or None
        Analysis date. Defaults to the day after the last transaction date. Lines dated
        after it are left out (with a warning).
    engine : {"auto", "native", "duckdb", "polars"}
        Where an in-memory table is aggregated; lazy inputs (polars LazyFrame, DuckDB
        relation) always run in their own engine. ``"native"``: in the input's own
        library. ``"duckdb"`` / ``"polars"``: handed to that library (``pip install
        rfvkit[fast]``). ``"auto"`` (default): pandas and pyarrow tables go to DuckDB if
        installed, else polars, else stay in pandas; other inputs run natively. Same
        code, same result; DuckDB reads a pandas frame without copying it and is several
        times faster than pandas on millions of lines (see ``benchmarks/RESULTS_rfv.md``).

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id`` (str, sorted), columns ``recency_days`` (int64, as_of minus
        the date of the last purchase), ``frequency`` (int64, distinct ``order_id`` among
        purchase lines ``amount > 0``, or purchase lines without ``order_id``),
        ``monetary`` (float64, net of returns, rounded to 6 decimals so that every
        engine and run gives the same value), ``avg_order_value`` (monetary /
        frequency), ``first_purchase``, ``last_purchase`` (datetime64[ns]) and
        ``tenure_days`` (int64). ``attrs["as_of"]`` holds the analysis date. Customers
        without any purchase line are left out (with a warning).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-03"]),
    ...                    "amount": [10.0, 5.0, 20.0]})
    >>> rfv = rfv_table(tx, as_of="2024-01-10")
    >>> rfv["recency_days"].to_dict(), rfv["frequency"].to_dict()
    ({'a': 5, 'b': 7}, {'a': 2, 'b': 1})
    """
    lines, has_order_id = _prepare(tx, engine)
    limit = None if as_of is None else parse_as_of(as_of) + pd.Timedelta(days=1)
    facts = _known_facts(tx, limit) or _inspect(lines, limit)
    lazy = _to_lazy(lines, engine)
    if limit is None:  # the day after the last transaction
        analysis_date = facts["last_line"].normalize() + pd.Timedelta(days=1)
    else:
        analysis_date = limit - pd.Timedelta(days=1)
        if facts["future"]:
            warnings.warn(
                f"{facts['future']:,} of {facts['rows']:,} transaction lines are dated after "
                f"as_of {analysis_date.date()} and were left out.",
                stacklevel=2,
            )
            lazy = lazy.filter(nw.col("order_date") < limit.to_pydatetime())
    return _aggregate_and_finish(lazy, has_order_id, analysis_date)


def _aggregate_and_finish(
    lines: nw.LazyFrame, has_order_id: bool, as_of: pd.Timestamp
) -> pd.DataFrame:
    """The engine's group-bys, one row per customer collected, finished in pandas."""
    per_customer = _aggregate(lines, has_order_id)
    return _finish(per_customer.collect().to_pandas(), as_of)


def _prepare(tx: Any, engine: str) -> tuple[Any, bool]:
    """Wrap ``tx`` in narwhals, keep the canonical columns, check and normalise types."""
    if engine not in ENGINES:
        close = difflib.get_close_matches(str(engine), ENGINES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise BadParameterError(f"engine={engine!r} is not one of {ENGINES}.{hint}")
    try:
        frame = nw.from_native(tx)
    except TypeError as exc:
        raise BadParameterError(
            f"rfv_table() needs a data frame (pandas, polars, DuckDB ...), got "
            f"{type(tx).__name__}. {_LOAD_HINT}"
        ) from exc
    schema = frame.collect_schema()
    missing = [c for c in REQUIRED if c not in schema]
    if missing:
        raise MissingColumnsError(missing, list(schema), table="transactions")
    has_order_id = "order_id" in schema
    frame = frame.select(*REQUIRED, *(["order_id"] if has_order_id else []))

    date_type = schema["order_date"]
    if date_type == nw.Date:
        frame = frame.with_columns(nw.col("order_date").cast(nw.Datetime("us")))
    elif date_type != nw.Datetime:
        raise BadValuesError(
            f"transactions: 'order_date' must hold dates, but its type is {date_type}. "
            f"{_LOAD_HINT} (date_format= / dayfirst= choose how dates are read)."
        )
    elif date_type.time_zone is not None:  # type: ignore[union-attr]
        # A purchase belongs to the day it happened on in the shop's own time zone.
        frame = frame.with_columns(nw.col("order_date").dt.replace_time_zone(None))
    if not schema["amount"].is_numeric():
        raise BadValuesError(
            f"transactions: 'amount' must be numeric, but its type is {schema['amount']}. "
            f"{_LOAD_HINT} (decimal= chooses the decimal separator)."
        )
    ids = ["customer_id", *(["order_id"] if has_order_id else [])]
    frame = frame.with_columns(nw.col(c).cast(nw.String) for c in ids if schema[c] != nw.String)
    return frame, has_order_id


def _inspect(lines: Any, limit: pd.Timestamp | None) -> dict[str, Any]:
    """One cheap pass over the lines: row count, missing values, last date, future lines."""
    checks = [
        nw.len().alias("rows"),
        *(nw.col(c).null_count().alias(f"{c}_nulls") for c in REQUIRED),
        nw.col("order_date").max().alias("last_line"),
    ]
    if limit is not None:
        future = nw.col("order_date") >= limit.to_pydatetime()
        checks.append(future.cast(nw.Int64).sum().alias("future"))
    result = lines.select(*checks)
    row = (result.collect() if isinstance(result, nw.LazyFrame) else result).to_pandas()
    facts = {name: row[name].iloc[0] for name in row.columns}
    facts = {k: (int(v) if k != "last_line" and pd.notna(v) else v) for k, v in facts.items()}
    facts.setdefault("future", 0)
    if facts["rows"] == 0:
        raise EmptyDataError("transactions: no lines to summarise (the frame is empty).")
    for column in REQUIRED:
        if facts[f"{column}_nulls"]:
            raise BadValuesError(
                f"transactions: {facts[f'{column}_nulls']:,} of {facts['rows']:,} line(s) have "
                f"no {column!r}. Drop or fix them first. {_LOAD_HINT}"
            )
    if limit is not None and facts["future"] == facts["rows"]:
        raise EmptyDataError(
            f"transactions: all {facts['rows']:,} lines are dated after as_of "
            f"{(limit - pd.Timedelta(days=1)).date()}; choose a later as_of."
        )
    facts["last_line"] = pd.Timestamp(facts["last_line"])
    return facts


#: Lazy frames whose lines a loader has already checked: id -> (weak reference, facts).
_CHECKED: dict[int, tuple[weakref.ref, dict[str, Any]]] = {}


def note_checked(lines: Any, *, rows: int, last_line: pd.Timestamp) -> None:
    """Record that ``lines`` (a lazy engine frame) has no missing customer, date or amount.

    :func:`rfvkit.engines.load_transactions` counted these facts in its own pass, so
    :func:`rfv_table` on the same frame object skips its check pass (at 100M lines on
    DuckDB one pass over the files; on Spark or Dask one more job). Frames that cannot be
    weakly referenced are checked as usual; nothing is kept once the frame is gone.
    """

    def forget(_ref: weakref.ref, key: int = id(lines)) -> None:
        _CHECKED.pop(key, None)

    try:
        ref = weakref.ref(lines, forget)
    except TypeError:
        return
    _CHECKED[id(lines)] = (ref, {"rows": int(rows), "last_line": pd.Timestamp(last_line)})


def _known_facts(tx: Any, limit: pd.Timestamp | None) -> dict[str, Any] | None:
    """:func:`_inspect`'s answer from :func:`note_checked`, when it still holds for ``limit``."""
    entry = _CHECKED.get(id(tx))
    if entry is None or entry[0]() is not tx or not entry[1]["rows"]:
        return None
    facts = entry[1]
    if limit is not None and facts["last_line"] >= limit:
        return None  # some lines are after as_of: count them in the check pass
    return {**facts, "future": 0, **{f"{column}_nulls": 0 for column in REQUIRED}}


def _to_lazy(lines: Any, engine: str) -> nw.LazyFrame:
    """The lazy frame to aggregate (see ``engine`` in :func:`rfv_table`)."""
    if isinstance(lines, nw.LazyFrame) or engine == "native":
        return lines.lazy()
    if engine == "auto":
        if lines.implementation not in (nw.Implementation.PANDAS, nw.Implementation.PYARROW):
            return lines.lazy()
        engine = next((name for name in ("duckdb", "polars") if _installed(name)), "native")
        if engine == "native":
            return lines.lazy()
    elif not _installed(engine):
        raise BadParameterError(
            f"engine={engine!r} needs the {engine} package: pip install 'rfvkit[fast]'."
        )
    if lines.implementation is nw.Implementation.from_backend(engine):
        return lines.lazy()
    return lines.lazy(engine)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _aggregate(lines: nw.LazyFrame, has_order_id: bool) -> nw.LazyFrame:
    """Group-by over the lines; only simple aggregations, so every engine runs it."""
    purchase = nw.col("amount") > 0
    lines = lines.with_columns(nw.when(purchase).then(nw.col("order_date")).alias("_purchase_date"))
    summary = [
        nw.col("amount").sum().alias("monetary"),
        nw.col("_purchase_date").min().alias("first_purchase"),
        nw.col("_purchase_date").max().alias("last_purchase"),
        nw.col("_purchase_date").count().alias("_purchases"),
    ]
    # Customers without a purchase line sort last: _finish leaves them out by slicing, no
    # copy of every column (0.3 s at 3M customers).
    if not has_order_id:
        per_customer = lines.group_by("customer_id").agg(*summary)
        idle = nw.col("_purchases") == 0
        return per_customer.with_columns(idle.alias("_idle")).sort("_idle", "customer_id")
    # Orders first, then customers: counting the orders of a customer is cheaper than a
    # distinct count over the lines, and grouping by the order_id column as it is avoids
    # a derived copy of it. An order counts when it has a purchase line; purchase lines
    # without an order id share one null order per customer and count one order each
    # (_loose), as when order_id is absent.
    orders = lines.group_by("customer_id", "order_id").agg(*summary)
    no_id = nw.col("order_id").is_null()
    return (
        orders.with_columns(
            nw.when(~no_id & (nw.col("_purchases") > 0)).then(nw.col("_purchases")).alias("_order"),
            nw.when(no_id).then(nw.col("_purchases")).alias("_loose"),
        )
        .group_by("customer_id")
        .agg(
            nw.col("monetary").sum(),
            nw.col("first_purchase").min(),
            nw.col("last_purchase").max(),
            nw.col("_order").count().alias("_orders"),
            nw.col("_loose").sum(),
        )
        .with_columns(nw.col("_loose").cast(nw.Int64))  # DuckDB sums to a 128-bit decimal
        .with_columns(((nw.col("_orders") + nw.col("_loose")) == 0).alias("_idle"))
        .sort("_idle", "customer_id")
    )


def _finish(agg: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Turn the per-customer aggregates into the RFV table (pandas, any engine).

    NumPy arrays from here on: at 3M customers the boolean ``.loc`` of the whole frame
    cost 0.25 s. The frame keeps the seven arrays as they are (no copy into pandas' 2-D
    blocks): at 2.9M customers that copy took 0.4-0.9 s in a fresh process, most of it
    first touches of new memory, and ``score`` takes the same time on either frame (3
    alternating rounds, 2026-12-03: 0.69-0.92 s against 0.75-1.12 s).
    """
    if "_orders" in agg:
        frequency = agg["_orders"].to_numpy("int64") + agg["_loose"].to_numpy("int64")
    else:
        frequency = agg["_purchases"].to_numpy("int64")
    buyers = frequency > 0
    ids = agg["customer_id"]
    if not buyers.any():
        raise EmptyDataError(
            f"transactions: none of the {len(agg):,} customers has a purchase line "
            "(amount > 0) on or before as_of; nothing to summarise."
        )
    count = int(buyers.sum())
    keep: slice | np.ndarray = slice(None)
    if count < len(buyers):
        last = buyers[:count].all()  # as the engines sort them (_aggregate)
        idle = ids.iloc[count : count + 10] if last else ids.iloc[np.flatnonzero(~buyers)[:10]]
        warnings.warn(
            f"{len(buyers) - count:,} customer(s) have no purchase line (amount > 0), only "
            f"returns or zero amounts, and are left out of the RFV table: {examples(idle)}.",
            stacklevel=4,
        )
        keep = slice(count) if last else np.flatnonzero(buyers)  # a slice: no copies
        frequency, ids = frequency[keep], ids.iloc[keep]

    def column(name: str, dtype: str) -> np.ndarray:
        return agg[name].to_numpy(dtype)[keep]

    monetary = column("monetary", "float64")
    bad = ~np.isfinite(monetary)
    if bad.any():
        raise BadValuesError(
            f"transactions: 'amount' holds NaN or infinite values for customers "
            f"{examples(ids[bad])}. {_LOAD_HINT}"
        )
    # An engine adds a customer's lines in an order that varies from run to run (DuckDB's
    # threads), and the last bits of a float sum vary with it; a score bin edge between
    # two customers who spent the same would move. Rounded to a millionth of the currency
    # unit, every engine and every run gives the same monetary value.
    monetary = np.round(monetary, MONEY_DECIMALS)
    first = column("first_purchase", "datetime64[ns]")
    last = column("last_purchase", "datetime64[ns]")
    day = np.datetime64(as_of.date(), "D")  # casting to datetime64[D] floors to the date
    out = pd.DataFrame(
        {
            "recency_days": (day - last.astype("datetime64[D]")).astype("int64"),
            "frequency": frequency,
            "monetary": monetary,
            "avg_order_value": monetary / frequency,
            "first_purchase": first,
            "last_purchase": last,
            "tenure_days": (day - first.astype("datetime64[D]")).astype("int64"),
        },
        index=pd.Index(ids.astype("str"), name="customer_id", copy=False),
        copy=False,
    )
    out.attrs["as_of"] = as_of
    return out
