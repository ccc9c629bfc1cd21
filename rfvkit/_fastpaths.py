"""Vectorised fast paths for :mod:`rfvkit.parsing`, and the switch that turns them off.

Each works on the Arrow data behind a text column, over the whole column at once, and
keeps only values it is sure the careful parser reads the same way; the rest is left
(NaT / NaN) for the careful parser. ``tests/test_fastpath.py`` checks that both give the
same frames and quality ledgers.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rfvkit._threads import batches, map_all

_FAST = True


@contextmanager
def careful_parsing(careful: bool = True) -> Iterator[None]:
    """Inside the block, skip the vectorised fast paths (and rfvkit's Arrow CSV reader).

    For tests and for comparing timings: the results must be the same either way.

    Examples
    --------
    >>> import pandas as pd
    >>> from rfvkit.parsing import normalise_ids
    >>> with careful_parsing():
    ...     normalise_ids(pd.Series(["a1 "], dtype="str")).tolist()
    ['a1']
    """
    global _FAST
    before, _FAST = _FAST, not careful
    try:
        yield
    finally:
        _FAST = before


_TIMESTAMPS: ContextVar[frozenset[str]] = ContextVar("rfvkit_timestamps", default=frozenset())


@contextmanager
def reading_timestamps(*names: str) -> Iterator[None]:
    """Inside the block, rfvkit's Arrow CSV reader reads these columns as timestamps.

    A column Arrow cannot read strictly (ISO 8601, no zone, within datetime64[ns]) makes
    it read the whole file again as text, for the careful parsers: the values and the
    quality ledger come out the same either way.
    """
    token = _TIMESTAMPS.set(frozenset(names))
    try:
        yield
    finally:
        _TIMESTAMPS.reset(token)


def timestamp_columns() -> frozenset[str]:
    """The column names :func:`reading_timestamps` asks for (none with the fast paths off)."""
    return _TIMESTAMPS.get() if _FAST else frozenset()


def fast_paths_enabled() -> bool:
    """Whether the vectorised fast paths are on (see :func:`careful_parsing`)."""
    return _FAST


def _arrow_text(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow string data behind ``values`` when the fast paths apply, else None."""
    if not _FAST:
        return None
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        data = values.array.__arrow_array__()
        return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])
    return None


def _text_bytes(arrow: pa.ChunkedArray) -> tuple[bool, bool, bool]:
    """Whether any value may start or end with white space, is empty, or holds a ".".

    Looks at the raw UTF-8 bytes (first and last byte of every value), so a column that
    needs no trimming costs no string copies. Conservative: any control, space or
    non-ASCII byte at an edge counts as white space.
    """
    edges = empty = dot = False
    for chunk in arrow.chunks:
        if len(chunk) == 0:
            continue
        layout = _chunk_bytes(chunk)
        if layout is None:
            return True, True, True  # another layout (string views): assume the worst
        offsets, data = layout
        start, end = offsets[:-1], offsets[1:]
        filled = end > start
        if not filled.all():
            empty = True
            start, end = start[filled], end[filled]
        if data is None or not len(start):
            continue
        first, last = data[start], data[end - 1]
        edges = edges or bool(
            ((first <= 0x20) | (first >= 0x7F) | (last <= 0x20) | (last >= 0x7F)).any()
        )
        dot = dot or bool((data[offsets[0] : offsets[-1]] == ord(".")).any())
    return edges, empty, dot


def _chunk_bytes(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The value offsets and the UTF-8 data buffer of a string chunk (no copies), or None."""
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        return None
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    _, offsets_buffer, data_buffer = chunk.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=width)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else None
    return offsets, data


def no_digit_groups(arrow: pa.ChunkedArray) -> bool:
    """True when no value can hold a ``.`` or ``,`` followed by three digits (``7,990``).

    Looks at the raw UTF-8 bytes of the whole column at once, with shifted whole-chunk
    masks (no per-separator look-ups). Conservative: False (may hold one) when a byte is
    not ASCII (other scripts have digits too) or for another string layout.
    """
    for chunk in arrow.chunks:
        layout = _chunk_bytes(chunk) if len(chunk) else (None, None)
        if layout is None:
            return False
        offsets, data = layout
        if data is None or offsets is None:
            continue
        data = data[offsets[0] : offsets[-1]]
        if (data >= 0x80).any():
            return False
        n = len(data)
        # group[p]: byte p is a separator and bytes p+1..p+3 are digits of the same value.
        group = (data == ord(".")) | (data == ord(","))
        digit = np.zeros(n + 3, dtype=bool)  # past the end: no digit
        np.less_equal(data - np.uint8(ord("0")), 9, out=digit[:n])
        digit[offsets[1:-1] - offsets[0]] = False  # a value's first byte: not of the one before
        for k in (1, 2, 3):
            group &= digit[k : n + k]
        if group.any():
            return False
    return True


def _cast(arrow: pa.ChunkedArray, to: pa.DataType) -> pa.ChunkedArray:
    """``pc.cast``, runs of chunks in threads (Arrow releases the GIL); same errors, values."""
    chunks = arrow.chunks
    if len(chunks) < 4:
        return pc.cast(arrow, to)
    done = map_all(lambda run: [pc.cast(c, to) for c in run], batches(chunks))
    return pa.chunked_array([c for run in done for c in run], type=to)


def _floats(arrow: pa.ChunkedArray) -> np.ndarray:
    """``pc.cast(arrow, float64).to_numpy()``, runs of chunks in threads, each chunk cast
    straight into the result (no second column-sized copy); same errors, same values."""
    out = np.empty(len(arrow), dtype=np.float64)
    starts = np.cumsum([0] + [len(c) for c in arrow.chunks])

    def cast(run: list[tuple[int, pa.Array]]) -> None:
        for start, chunk in run:
            got = pc.cast(chunk, pa.float64()).to_numpy(zero_copy_only=False)
            out[start : start + len(chunk)] = got

    map_all(cast, batches(zip(starts.tolist(), arrow.chunks, strict=False)))
    return out


def _owned(array: np.ndarray) -> np.ndarray:
    """``array`` itself when writable (pandas then wraps it without a copy), else a copy."""
    return array if array.flags.writeable else array.copy()


def _as_str(data: pa.ChunkedArray) -> pd.api.extensions.ExtensionArray:
    return pd.array(data, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _fast_ids(values: pd.Series, arrow: pa.ChunkedArray, decimal_zero: str) -> pd.Series:
    """normalise_ids on Arrow text: trim, drop a ``.0`` tail, blanks to missing."""
    edges, empty, dot = _text_bytes(arrow)
    text = pc.utf8_trim_whitespace(arrow) if edges else arrow
    if dot:
        text = pc.replace_substring_regex(text, decimal_zero, r"\1")
    if empty or edges:
        blank = pc.equal(pc.binary_length(text), 0)
        if pc.any(blank).as_py():
            text = pc.if_else(blank, pa.scalar(None, text.type), text)
    return pd.Series(_as_str(text), index=values.index)


# datetime64[ns] bounds: values outside go to the careful parser (and its errors).
_NS_MIN, _NS_MAX = np.datetime64("1677-09-22", "s"), np.datetime64("2262-04-11", "s")


def _fast_dates(values: pd.Series, arrow: pa.ChunkedArray, date_format: str | None) -> np.ndarray:
    """Dates the careful parser would read the same way; NaT for rows left to it."""
    if date_format is None:
        stamps = _strict_iso(arrow)
        if stamps is None:
            return _fast_iso_rows(values, arrow)
        inside = _ns_or_none(stamps)
        if inside is not None:
            return inside
        got = stamps.to_numpy()
    else:  # the careful parser's own call, on the whole column
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            got = pd.to_datetime(values, format=date_format, errors="coerce", utc=True, cache=False)
        got = got.dt.tz_localize(None).to_numpy()
    return _inside_ns(got)


def typed_iso_dates(values: pd.Series) -> pd.Series | None:
    """``values`` as datetime64[ns] when Arrow reads every one as strict ISO 8601, else None.

    Strict means ``YYYY-MM-DD`` with an optional ``[ T]HH:MM[:SS]`` and no zone offset,
    no white space: the careful parsers read such a column the same way (no offset to
    strip, no day/month order to infer, nothing unparsable), so a loader that gets a
    column here may skip those steps. Also None when the fast paths are off, when the
    column is not Arrow text, or when a date falls outside what nanoseconds can hold.
    """
    arrow = _arrow_text(values)
    stamps = None if arrow is None else _strict_iso(arrow)
    inside = None if stamps is None else _ns_or_none(stamps)
    if inside is None:
        return None
    return pd.Series(_owned(inside), index=values.index, copy=False)


def _strict_iso(arrow: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Arrow's strict ISO-8601 reading ("2024-01-02", "2024-01-02 10:11:12", no zone)."""
    try:
        return _cast(arrow, pa.timestamp("s"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a value is not strict ISO:
        return None  # the caller hands the whole column to the careful date parsers


def _ns_or_none(stamps: pa.ChunkedArray) -> np.ndarray | None:
    """``stamps`` as datetime64[ns] (NaT for nulls), or None when some fall outside ns."""
    bounds = pc.min_max(stamps)
    low, high = bounds["min"].value, bounds["max"].value  # seconds (None: all missing)
    if low is None or (low >= _NS_MIN.astype(np.int64) and high <= _NS_MAX.astype(np.int64)):
        return pc.cast(stamps, pa.timestamp("ns")).to_numpy()
    return None


def _fast_iso_rows(values: pd.Series, arrow: pa.ChunkedArray) -> np.ndarray:
    """Some rows are not strict ISO: the careful parser's ISO-8601 call, on the rows that
    start with a 4-digit year (the day/month forms it reads apart never do)."""
    rows = pc.fill_null(pc.match_substring_regex(arrow, r"^\d{4}-"), False)
    rows = rows.to_numpy(zero_copy_only=False)
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    if rows.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            parsed = pd.to_datetime(values[rows], format="ISO8601", errors="coerce", utc=True)
        out[rows] = _inside_ns(parsed.dt.tz_localize(None).to_numpy())
    return out


def _inside_ns(got: np.ndarray) -> np.ndarray:
    """``got`` as datetime64[ns]; NaT where it falls outside what ns can hold."""
    seconds = got.astype("datetime64[s]")
    ok = ~np.isnat(got) & (seconds >= _NS_MIN) & (seconds <= _NS_MAX)
    out = np.full(len(got), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = got[ok].astype("datetime64[ns]")
    return out


# Plain numbers in ASCII; Arrow's float reading of these equals pandas' to_numeric.
_PLAIN_ASCII = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _fast_floats(arrow: pa.ChunkedArray) -> np.ndarray | None:
    """Arrow's float reading of the column; NaN where it cannot read (or None)."""
    try:
        return _floats(arrow)
    except pa.ArrowInvalid:
        pass
    plain = pc.fill_null(pc.match_substring_regex(arrow, _PLAIN_ASCII), False)
    nums = np.full(len(arrow), np.nan)
    try:
        got = pc.cast(pc.filter(arrow, plain), pa.float64())
    except pa.ArrowInvalid:
        return None
    nums[plain.to_numpy(zero_copy_only=False)] = got.to_numpy(zero_copy_only=False)
    return nums


def factorize_ids(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values)``, with one column-sized copy fewer for Arrow text.

    pandas factorizes Arrow text with Arrow's ``dictionary_encode`` too, then joins the
    chunks of codes into one Arrow array, copies it to NumPy and widens it to ``intp``;
    here each chunk's codes are written straight into the ``intp`` result (NumPy's
    memory), so codes and the order of the uniques are the same. Columns with missing
    values go to pandas.

    Examples
    --------
    >>> ids = pd.Series(["b1", "a2", "b1"], dtype="str")
    >>> codes, uniques = factorize_ids(ids)
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, 0], ['b1', 'a2'])
    """
    arrow = _arrow_text(values)
    if arrow is None or arrow.null_count or not len(arrow):
        return pd.factorize(values)
    encoded = pc.dictionary_encode(arrow)
    dictionary = encoded.chunks[-1].dictionary
    if any(len(chunk.dictionary) != len(dictionary) for chunk in encoded.chunks):
        return pd.factorize(values)  # not one dictionary for all chunks: pandas joins them
    codes = np.empty(len(arrow), dtype=np.intp)
    start = 0
    for chunk in encoded.chunks:
        codes[start : start + len(chunk)] = chunk.indices.to_numpy(zero_copy_only=False)
        start += len(chunk)
    return codes, pd.Index(pd.array(dictionary, dtype=values.dtype))


def id_counts(values: pd.Series) -> tuple[pd.Index, np.ndarray] | None:
    """The distinct values in order of first appearance and the number of rows of each
    (``pd.factorize`` then ``np.bincount`` of the codes), without making the codes.

    Arrow's ``value_counts`` keeps the order of first appearance, as its
    ``dictionary_encode`` (what pandas factorizes Arrow text with) does. None unless
    ``values`` is Arrow text without missing values.

    Examples
    --------
    >>> uniques, counts = id_counts(pd.Series(["b1", "a2", "b1"], dtype="str"))
    >>> uniques.tolist(), counts.tolist()
    (['b1', 'a2'], [2, 1])
    """
    arrow = _arrow_text(values)
    if arrow is None or arrow.null_count or not len(arrow):
        return None
    counted = pc.value_counts(arrow)
    uniques = pd.Index(pd.array(counted.field("values"), dtype=values.dtype))
    return uniques, counted.field("counts").to_numpy(zero_copy_only=False).astype(np.int64)


def high_quantile(values: pd.Series, q: float) -> pd.Timestamp:
    """``values.quantile(q)`` of datetimes without gaps, for ``q`` near 1, with no sorted
    copy of the column.

    The linear quantile is an interpolation between the values of two ranks. Only the
    values at or above a threshold (read from a sample) can hold those ranks; they are
    picked in slices (small temporaries) and partitioned, and NumPy's own quantile then
    interpolates between the two values with the weight it computes for the whole column,
    so the result is pandas'. Other columns, and a threshold the sample set too high, go
    to ``values.quantile(q)`` (a copy of the column).

    Examples
    --------
    >>> d = pd.Series(pd.date_range("2024-01-01", periods=1000, freq="h"))
    >>> high_quantile(d, 0.99) == d.quantile(0.99)
    True
    """
    data = values.to_numpy()
    if not _FAST or data.dtype.kind != "M" or len(data) < 2 or values.hasnans:
        return values.quantile(q)
    n = len(data)
    virtual = (n - 1) * np.asarray([q])  # as numpy's "linear" method computes them
    low = int(np.floor(virtual)[0])
    if not 0 <= low < n - 1:
        return values.quantile(q)
    ints = data.view(np.int64)
    sample = np.sort(ints[:: max(1, n // 4096)])
    threshold = sample[int(len(sample) * max(0.0, low / n - 0.005))]
    below, kept = 0, []
    for start in range(0, n, _SLICE_ROWS):
        part = ints[start : start + _SLICE_ROWS]
        high = part >= threshold
        below += len(part) - int(np.count_nonzero(high))
        kept.append(part[high])
    if below > low:  # the sample missed: some wanted rank lies below the threshold
        return values.quantile(q)
    top = np.concatenate(kept)
    ranks = [low - below, low + 1 - below]
    top.partition(ranks)
    gamma = virtual - low
    pair = np.asarray([[top[ranks[0]], top[ranks[1]]]])
    result = np.quantile(pair, gamma, axis=1, method="linear")  # virtual index = gamma
    return pd.Timestamp(result.astype(data.dtype)[0, 0])


_SLICE_ROWS = 1 << 20  # rows per slice when picking values (1 MB masks)


def take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The values of ``frame.iloc[rows]`` (``rows`` ascending) under a RangeIndex.

    Arrow's take on a column held in many chunks first joins the chunks into one copy
    of the whole column (0.3 s and 180 MB for a few rows of a 10M-line text column);
    here each chunk gives its own rows.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": pd.Series(["x", "y", "z"], dtype="str"), "b": [1, 2, 3]})
    >>> take_rows(frame, np.array([0, 2])).values.tolist()
    [['x', 1], ['z', 3]]
    """
    columns = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        arrow = _arrow_text(column)
        if arrow is None or arrow.num_chunks < 2:
            columns[position] = column.array.take(rows)
        else:
            columns[position] = pd.array(_take_chunked(arrow, rows), dtype=column.dtype)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows))).set_axis(frame.columns, axis=1)


def _take_chunked(arrow: pa.ChunkedArray, rows: np.ndarray) -> pa.ChunkedArray:
    """``arrow.take(rows)`` for ascending ``rows``, chunk by chunk (no joined copy)."""
    starts = np.cumsum([0] + [len(chunk) for chunk in arrow.chunks])
    which = np.searchsorted(starts, rows, side="right") - 1
    pieces = []
    for run in np.split(np.arange(len(rows)), np.flatnonzero(np.diff(which)) + 1):
        if len(run):
            chunk = int(which[run[0]])
            pieces.append(arrow.chunk(chunk).take(pa.array(rows[run] - starts[chunk])))
    return pa.chunked_array(pieces, type=arrow.type)
