"""Order lines: :func:`read_transactions` reads, checks and converts them (see :mod:`rfvkit.io`).

Every line is accounted for in the quality ledger: dropped (no customer id, date or
amount; after ``as_of``; repeated ``line_id``), kept and counted (returns, zero amounts,
exact duplicates) or flagged (amounts like ``7,990``, customers whose returns exceed
their purchases, dates far after the rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from rfvkit._ahead import Ahead
from rfvkit._cleaning import clean_dates, duplicated_lines, note_late_outliers, note_thousands
from rfvkit._fastpaths import reading_timestamps
from rfvkit._loading import Loaded, _examples, _finish, _order, _read
from rfvkit.checks import NET_NEGATIVE, late_outliers, net_negative
from rfvkit.columns import TRANSACTION_COLUMNS
from rfvkit.config import parse_as_of
from rfvkit.errors import BadParameterError, require_columns
from rfvkit.parsing import normalise_ids, parse_numbers

__all__ = ["read_transactions"]


def read_transactions(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    decimal: str = ".",
    as_of: Any = None,
    return_prefix: str | None = None,
    read_options: Mapping[str, Any] | None = None,
    duplicates: str = "keep",
) -> Loaded:
    """Read order lines into ``customer_id, order_date, amount`` (+ optional columns).

    Parameters
    ----------
    source : path or DataFrame
        ``.csv``, ``.parquet`` or ``.xlsx`` file, or a pandas / polars frame.
    columns : mapping, optional
        Your column names -> canonical ones, e.g. ``{"CustomerID": "customer_id"}``.
        Without ``amount``, amount = ``quantity`` x ``unit_price``.
    date_format, dayfirst : optional
        How to read text dates. Day/month order is never guessed: ``03/04/2011`` with
        no day above 12 anywhere raises until one of them is given.
    decimal : {".", ","}
        Decimal mark of amounts written as text (``"12,50"`` needs ``","``).
    as_of : date-like, optional
        Lines dated after this day are dropped and counted.
    return_prefix : str, optional
        Order ids starting with it are cancellations (``"C"`` in Online Retail).
    read_options : mapping, optional
        Passed to the pandas reader (``sep``, ``encoding``, ``sheet_name`` ...); the
        encoding and delimiter of a CSV are sniffed when not given (see
        :mod:`rfvkit.readers`).
    duplicates : {"keep", "drop"}
        What to do with exact duplicate lines (every column equal); counted either way.

    Returns
    -------
    Loaded
        ``frame`` (RangeIndex; ``customer_id`` str, ``order_date`` datetime64[ns],
        ``amount`` float64 with negative = return) and ``quality``. Lines with a missing
        customer id, date or amount are dropped; returns, zero amounts and exact
        duplicate lines are kept (``duplicates="drop"`` drops them) and counted. A
        repeated ``line_id`` is always dropped. Flagged, not changed: amounts like
        ``7,990`` (thousands separator?), customers whose returns exceed their
        purchases, and, without ``as_of``, dates far after the rest of the data.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"CustomerID": [12347.0, None, 12347.0],
    ...                     "Date": ["2024-01-02", "2024-01-03", "2024-01-05"],
    ...                     "Qty": [2, 1, -1], "Price": ["£1.50", "2", "1.50"]})
    >>> tx, q = read_transactions(raw, columns={"CustomerID": "customer_id",
    ...     "Date": "order_date", "Qty": "quantity", "Price": "unit_price"})
    >>> tx["amount"].tolist(), q.rows("missing customer_id")
    ([3.0, -1.5], 1)
    """
    if duplicates not in ("keep", "drop"):
        raise BadParameterError(f"duplicates: got {duplicates!r}; allowed: keep | drop.")
    named = {new: old for old, new in columns.items()} if isinstance(columns, Mapping) else {}
    stamps = [named.get("order_date", "order_date")] if date_format is None else []
    with reading_timestamps(*stamps):  # strict ISO dates typed while reading (CSV files)
        df, log = _read(source, columns, "transactions", read_options)
    with Ahead(df, decimal) as ahead:  # column work in threads, results used in order
        numbers = {}
        for col in ("quantity", "unit_price"):
            if col in df and not pd.api.types.is_numeric_dtype(df[col].dtype):
                numbers[col], rewritten = parse_numbers(df[col], col, decimal=decimal)
                log.note(f"{col} parsed from text", rewritten.sum(), "changed", df[col][rewritten])
                note_thousands(log, df[col], numbers[col], col, decimal)
        df = df.assign(**numbers)
        if "amount" not in df and "quantity" in df and "unit_price" in df:
            df = df.assign(amount=df["quantity"] * df["unit_price"])
            log.note("amount derived from quantity x unit_price", len(df), "changed")
        require_columns(
            df,
            ["customer_id", "order_date", "amount"],
            table="transactions",
            hint="Map your names with columns={...}; without an amount column, map quantity "
            "and unit_price and amount = quantity x unit_price.",
        )
        if return_prefix is not None and "order_id" not in df:
            raise BadParameterError(
                f"return_prefix={return_prefix!r} needs an order_id column; map one with "
                "columns={'YourInvoiceColumn': 'order_id'} or pass return_prefix=None."
            )
        if "order_id" in df:
            df = df.assign(order_id=ahead.ids("order_id"))
        shown, label = (df["order_id"], "order_id") if "order_id" in df else (None, "")
        ids = ahead.ids("customer_id")
        df = log.drop(df.assign(customer_id=ids), ids.isna(), "missing customer_id", shown, label)
        df = clean_dates(df, "order_date", log, date_format, dayfirst, drop=True)
        amount, rewritten, like = ahead.amounts(df)
        log.note("amount parsed from text", rewritten.sum(), "changed", df["amount"][rewritten])
        note_thousands(log, df["amount"], amount, "amount", decimal, like)
        df = log.drop(df.assign(amount=amount), amount.isna(), "missing amount", shown, label)
        del amount, rewritten, like  # noted: free the column-sized masks before the next steps
        if not (df["amount"] > 0).all():  # net_negative will want the customers' codes
            ahead.start_codes()
        cutoff = parse_as_of(as_of)
        if cutoff is not None:
            late = df["order_date"] >= cutoff + pd.Timedelta(days=1)
            df = log.drop(df, late, f"after as_of {cutoff:%Y-%m-%d}", df["order_date"])
            del late
        dup = None
        if "line_id" not in df:  # its first step, the likely repeats, began with the read
            dup = ahead.submit(duplicated_lines, df, ahead.repeated_pairs(df))
        if cutoff is None:
            late = ahead.submit(late_outliers, df["order_date"])  # beside the duplicate check
            note_late_outliers(log, df["order_date"], late.result())
            del late
        if dup is None:
            line_id = normalise_ids(df["line_id"])
            df = log.drop(df, line_id.notna() & line_id.duplicated(), "duplicate line_id", line_id)
        elif duplicates == "drop":
            key = "order_id" if "order_id" in df else "customer_id"
            df = log.drop(df, dup.result(), "exact duplicate line", df[key], key)
        else:
            shown = _examples(df, dup.result(), "order_id", "customer_id")
            log.note("exact duplicate line", dup.result().sum(), "kept", shown)
        del dup
        negative_net = net_negative(df, ahead.codes(df))
        ahead.hand_over(df)  # to load_crm's cross-table checks
    log.note(
        NET_NEGATIVE,
        negative_net.sum(),
        "flagged",
        df["customer_id"][negative_net],
        "customer_id",
    )
    neg, zero = df["amount"] < 0, df["amount"] == 0
    log.note("negative amount (return)", neg.sum(), "kept as return", df["amount"][neg])
    log.note("zero amount", zero.sum(), "kept", _examples(df, zero, "order_id", "customer_id"))
    if return_prefix is not None:
        cancel = df["order_id"].str.startswith(return_prefix).fillna(False).astype(bool)
        log.note(
            f"cancellation (order_id starts with {return_prefix!r})",
            cancel.sum(),
            "kept",
            df["order_id"][cancel],
        )
        positive = cancel & (df["amount"] > 0)
        log.note(
            "cancellation with positive amount", positive.sum(), "flagged", df["order_id"][positive]
        )
    df = _order(df, list(TRANSACTION_COLUMNS))
    return Loaded(_finish(df, "transactions"), log.report(len(df)))
