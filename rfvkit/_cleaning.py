"""Column cleaners of the loaders that write what they find to the quality ledger.

Dates (time-zone offsets, day/month order, unparsable text), amounts that look like a
misread thousands separator, dates far after the rest, and exact duplicate lines. Used by
:mod:`rfvkit.io`; each has a vectorised fast path (see :mod:`rfvkit._fastpaths`) and
gives the same frame and ledger as the careful one.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from rfvkit._fastpaths import take_rows, typed_iso_dates
from rfvkit._threads import sort
from rfvkit.checks import late_outliers, split_offsets, thousands_like
from rfvkit.parsing import fast_paths_enabled, parse_dates
from rfvkit.quality import QualityLog

__all__ = [
    "clean_dates",
    "duplicated_lines",
    "maybe_repeated",
    "note_late_outliers",
    "note_thousands",
]


def clean_dates(
    df: pd.DataFrame,
    column: str,
    log: QualityLog,
    date_format: str | None,
    dayfirst: bool | None,
    *,
    drop: bool,
) -> pd.DataFrame:
    """``df`` with ``column`` read as naive datetime64[ns]; offsets, inferred order and
    unreadable values noted in ``log``. Missing and unparsable rows are dropped (``drop``)
    or set to NaT.

    Examples
    --------
    >>> log = QualityLog("t", 2)
    >>> df = pd.DataFrame({"d": pd.Series(["2024-01-02 7:03+01:00", "x"], dtype="str")})
    >>> clean_dates(df, "d", log, None, None, drop=True)["d"].tolist()
    [Timestamp('2024-01-02 07:03:00')]
    >>> log.report(1).frame["rule"].tolist()
    ['d offset +01:00 dropped (local time kept)', 'unparsable d']
    """
    raw = df[column]
    typed = typed_iso_dates(raw) if date_format is None else None
    if typed is not None:  # strict ISO throughout: no offsets, nothing left to read apart
        df = df.assign(**{column: typed})
        return log.drop(df, raw.isna(), f"missing {column}") if drop else df
    text, offsets = split_offsets(raw)
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        text = raw.dt.tz_localize(None)
        log.note(f"{column} time zone {raw.dt.tz} dropped (local time kept)", len(raw), "info")
    elif len(offsets) > 1:
        log.note(
            f"{column} with mixed time-zone offsets (local time kept, offsets dropped)",
            (raw.ne(text) & raw.notna()).sum(),
            "flagged",
            offsets,
        )
    elif offsets:
        log.note(
            f"{column} offset {offsets[0]} dropped (local time kept)",
            (raw.ne(text) & raw.notna()).sum(),
            "info",
        )
    dates, inferred = parse_dates(text, column, date_format=date_format, dayfirst=dayfirst)
    if inferred:
        order, _, shown = inferred.partition(", as in ")
        log.note(
            f"{column} read {order} (inferred from the data)", raw.notna().sum(), "info", shown
        )
    blank = raw.isna()
    unread = dates.isna() & ~blank  # blanks are among the unread values: look only there
    if unread.any() and not pd.api.types.is_datetime64_any_dtype(raw.dtype):
        text = raw[unread].astype("str").str.strip()
        blank[unread] = text.eq("").fillna(True).astype(bool)
    bad = dates.isna() & ~blank
    if dayfirst is not None and date_format is None and bad.any():
        swapped, _ = parse_dates(text[bad], column, dayfirst=not dayfirst)
        log.note(
            f"{column} contradicts dayfirst={dayfirst} (reads only with dayfirst={not dayfirst})",
            swapped.notna().sum(),
            "flagged",
            raw[bad][swapped.notna()],
        )
    df = df.assign(**{column: dates})
    if drop:
        df = log.drop(df, blank, f"missing {column}")
        return log.drop(df, bad, f"unparsable {column}", raw)
    log.note(f"unparsable {column} (set to NaT)", bad.sum(), "changed", raw[bad])
    return df


def note_thousands(
    log: QualityLog,
    raw: pd.Series,
    numbers: pd.Series,
    column: str,
    decimal: str,
    like: pd.Series | None = None,
) -> None:
    """Flag text like ``7,990``: a thousands group or three decimals, depending on ``decimal``.

    ``like`` is ``thousands_like(raw)`` when it was computed ahead.
    """
    like = thousands_like(raw) if like is None else like
    if like.any():
        other = "," if decimal == "." else "."
        shown = [
            f"{v!r} read as {n:g}" for v, n in zip(raw[like][:3], numbers[like][:3], strict=True)
        ]
        log.note(
            f"{column} like '7,990' (thousands separator or 3 decimals? decimal={decimal!r}; "
            f"the other reading needs decimal: {other!r})",
            like.sum(),
            "flagged",
            ", ".join(shown),
        )


def note_late_outliers(
    log: QualityLog, dates: pd.Series, found: tuple[pd.Series, pd.Timestamp | None] | None = None
) -> None:
    """Without ``as_of``, flag dates far after the rest (they would move the analysis date).

    ``found`` is ``late_outliers(dates)`` when it was computed ahead.
    """
    late, suggested = late_outliers(dates) if found is None else found
    if late.any():
        last = dates.max()
        log.note(
            f"order_date far after the rest (as_of would become {last + pd.Timedelta(days=1):%Y-%m-%d}; "
            f"set as_of: {suggested:%Y-%m-%d} or fix these lines)",
            late.sum(),
            "flagged",
            dates[late],
        )
        warnings.warn(
            f"transactions: {int(late.sum())} line(s) dated far after the rest (e.g. {last:%Y-%m-%d}) "
            f"would move the analysis date; set as_of: {suggested:%Y-%m-%d} or fix those lines.",
            stacklevel=4,
        )
    future = (dates > pd.Timestamp.now().normalize() + pd.Timedelta(days=1)) & ~late
    log.note("order_date after today", future.sum(), "flagged", dates[future])


def duplicated_lines(df: pd.DataFrame, maybe: np.ndarray | None = None) -> pd.Series:
    """``df.duplicated()``, comparing whole rows only where date and amount may repeat.

    ``maybe`` marks those rows (:func:`maybe_repeated`, or a superset of its rows) when
    it was computed ahead.
    """
    if not fast_paths_enabled():
        return df.duplicated()
    if maybe is None:
        maybe = maybe_repeated(df["order_date"].to_numpy(), df["amount"].to_numpy(dtype="float64"))
    if maybe is None:  # a missing date or amount: pandas compares those
        maybe = df.duplicated(["order_date", "amount"], keep=False).to_numpy()
    dup = np.zeros(len(df), dtype=bool)
    rows = np.flatnonzero(maybe)
    if len(rows):
        dup[rows] = take_rows(df, rows).duplicated().to_numpy()
    return pd.Series(dup, index=df.index, copy=False)


def maybe_repeated(date: np.ndarray, amount: np.ndarray) -> np.ndarray | None:
    """True for every row whose date (datetime64) and amount (float64) may occur twice,
    never missing one; None when a date or an amount is missing."""
    if np.isnat(date).any() or np.isnan(amount).any():
        return None
    return _maybe_repeated(date.view("int64"), amount)


def _maybe_repeated(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True for every row whose ``(a, b)`` pair may occur twice (never misses one).

    ``a`` int64, ``b`` float64 (``-0.0`` equals ``0.0``, no NaN). Rows are keyed by a
    mix of the two; keys that repeat are found by sorting (several times cheaper than
    hashing 10M keys), the rows holding one through a table of the keys' low bits, and
    those few rows are then checked exactly. Keys are made in slices that stay in the
    CPU cache: the only array the size of the column is the sorted one, of 32-bit keys
    up to :data:`_NARROW_ROWS` rows (half the memory and a faster sort; the more
    frequent equal keys of different pairs only add rows to the exact check).
    """
    width = np.uint32 if len(a) <= _NARROW_ROWS else np.int64
    ordered = np.empty(len(a), dtype=width)
    for part, key in _keys(a, b, width):
        ordered[part] = key
    sort(ordered)  # in parts, on the threads
    repeated = []
    for start in range(0, len(ordered), _SLICE):  # neighbours equal, slice by slice
        run = ordered[start : start + _SLICE + 1]
        repeated.append(run[1:][run[1:] == run[:-1]])
    repeated = np.unique(np.concatenate(repeated)) if repeated else ordered[:0]
    del ordered
    maybe = np.zeros(len(a), dtype=bool)
    if not len(repeated):
        return maybe
    table = np.zeros(_TABLE, dtype=bool)
    table[repeated & (_TABLE - 1)] = True
    low, hit, rows = np.empty(_SLICE, dtype=width), np.empty(_SLICE, dtype=bool), []
    for part, key in _keys(a, b, width):
        np.bitwise_and(key, _TABLE - 1, out=low[: len(key)])
        np.take(table, low[: len(key)], out=hit[: len(key)])
        if hit[: len(key)].any():
            found = np.flatnonzero(hit[: len(key)])
            at = np.minimum(np.searchsorted(repeated, key[found]), len(repeated) - 1)
            rows.append(found[repeated[at] == key[found]] + part.start)  # sorted: no isin
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    pairs = pd.DataFrame({"a": a[rows], "b": np.add(b[rows], 0.0)})
    maybe[rows] = pairs.duplicated(keep=False).to_numpy()
    return maybe


_TABLE = 1 << 20  # entries of the table of repeated keys' low bits (1 MB: stays in the cache)
_SLICE = 1 << 16  # rows per slice when making keys
_MIX = np.int64(1_000_003)
#: Up to this many rows, keys are folded to 32 bits (~n²/2³³ pairs of rows share a key
#: by chance: 12k at 10M rows, 130k at 33M; beyond, 64-bit keys keep the exact check small).
_NARROW_ROWS = 1 << 25


def _keys(a: np.ndarray, b: np.ndarray, width: type) -> Iterator[tuple[slice, np.ndarray]]:
    """``(slice, key)`` for each slice of the rows: equal ``(a, b)`` pairs, equal keys
    (int64 keys, or their two halves xor-ed for ``width`` uint32).

    The key array is reused from one slice to the next: copy what you keep.
    """
    key, bits = np.empty(_SLICE, dtype=np.int64), np.empty(_SLICE, dtype=np.float64)
    narrow = np.empty(_SLICE, dtype=np.uint32) if width is np.uint32 else None
    for start in range(0, len(a), _SLICE):
        part = slice(start, min(start + _SLICE, len(a)))
        n = part.stop - start
        np.add(b[part], 0.0, out=bits[:n])  # -0.0 + 0.0 == +0.0: one key for both zeros
        np.multiply(a[part], _MIX, out=key[:n])
        np.bitwise_xor(key[:n], bits[:n].view(np.int64), out=key[:n])
        if narrow is None:
            yield part, key[:n]
            continue
        np.bitwise_xor(key[:n], np.right_shift(key[:n], 32), out=key[:n])
        np.copyto(narrow[:n], key[:n], casting="unsafe")  # the low 32 bits
        yield part, narrow[:n]
