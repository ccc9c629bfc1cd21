"""CSV files -> all-text frames, for :func:`rfvkit.readers.read_file`.

The encoding and the delimiter are sniffed from the head of the file
(:func:`sniff_encoding`, :func:`sniff_sep`) unless ``read_options`` say. The file is read
by Arrow's multi-threaded reader when that reads it exactly as pandas would, else by
pandas, whose errors become one :class:`~rfvkit.readers.ReadError` line with the fix.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from rfvkit import _progress
from rfvkit._fastpaths import timestamp_columns
from rfvkit._readinfo import _SEP_NAMES, ReadError, ReadInfo, _short
from rfvkit._threads import pool
from rfvkit.errors import EmptyDataError
from rfvkit.parsing import fast_paths_enabled

__all__ = ["sniff_encoding", "sniff_sep"]

_SNIFF_BYTES = 64 * 1024
_SEPS = (",", ";", "\t", "|")


def sniff_encoding(data: bytes, *, cut: bool = False) -> str:
    """``utf-8`` (``utf-8-sig`` with a BOM) when ``data`` decodes, else ``cp1252``, else ``latin-1``.

    With ``cut=True`` (``data`` is the head of a longer file) a multi-byte character
    cut at the end of ``data`` is ignored.

    Examples
    --------
    >>> sniff_encoding("Zoë".encode("utf-8")), sniff_encoding("Zoë".encode("latin-1"))
    ('utf-8', 'cp1252')
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError as exc:
            tail = exc.start >= len(data) - 3 and exc.reason.startswith("unexpected end")
            if encoding == "utf-8" and cut and tail:
                return encoding
    return "latin-1"


def sniff_sep(text: str) -> str | None:
    """The delimiter of CSV ``text`` among ``, ; tab |``, or None when there is one column.

    Examples
    --------
    >>> sniff_sep("a;b;c\\n1;2,5;3\\n"), sniff_sep("a\\tb\\n1\\t2\\n"), sniff_sep("only\\n1\\n")
    (';', '\\t', None)
    """
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut by the sniffing window
    if not lines:
        return None
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(_SEPS)).delimiter
    except csv.Error:
        pass
    header = lines[0]
    counts = {sep: header.count(sep) for sep in _SEPS}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_SNIFF_BYTES)


def _read_csv(
    path: Path, where: str, options: dict[str, Any], head: bytes, suffix: str, compressed: bool
) -> tuple[pd.DataFrame, ReadInfo]:
    info = ReadInfo("CSV")
    sniffed: list[str] = []
    if suffix == ".tsv":
        options.setdefault("sep", "\t")
    if "encoding" not in options and not compressed:
        options["encoding"] = sniff_encoding(head, cut=len(head) == _SNIFF_BYTES)
        sniffed.append("encoding")
    if "sep" not in options and "delimiter" not in options and not compressed:
        text = head.decode(options["encoding"], errors="replace")
        sep = sniff_sep(text)
        options["sep"] = sep or ","
        sniffed.append("sep")
    info.encoding = options.get("encoding", "utf-8")
    info.sep = options.get("sep", options.get("delimiter", ","))
    info.sniffed = tuple(sniffed)
    skip = options.get("on_bad_lines") == "skip"
    if skip:

        def count(bad: list[str]) -> None:  # returning None drops the line
            info.skipped.append(len(bad))

        options["on_bad_lines"] = count
        options["engine"] = "python"
    tries = ["cp1252", "latin-1"] if "encoding" in sniffed else []
    while True:
        try:
            frame = _pandas_or_arrow(path, options)
            break
        except pd.errors.EmptyDataError:
            raise EmptyDataError(
                f"{where} is empty (no header, no rows); export the table again."
            ) from None
        except UnicodeDecodeError as exc:
            tries = [t for t in tries if t != options["encoding"]]
            if tries:  # the sniffed head decoded, a later byte did not: next candidate
                options["encoding"] = info.encoding = tries.pop(0)
                continue
            guess = sniff_encoding(_head(path) if not compressed else b"", cut=True)
            guess = "latin-1" if guess.startswith("utf") else guess
            raise ReadError(
                f"{where} is not {info.encoding} text (byte {exc.object[exc.start : exc.start + 1]!r}); "
                f"set read_options: {{encoding: {guess}}}."
            ) from None
        except pd.errors.ParserError as exc:
            raise ReadError(_ragged(where, str(exc), info.sep)) from None
        except (TypeError, ValueError, LookupError) as exc:
            raise ReadError(
                f"{where}: bad read_options ({_short(exc)}); fix or remove them."
            ) from None
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ReadError(
                f"{where} could not be read ({_short(exc)}); the file is truncated or corrupt."
            ) from None
    dupes = _repeated_header(head, info) if not compressed else []
    if dupes:
        raise ReadError(
            f"{where}: the header repeats column name(s) {dupes}; rename or remove the copies."
        )
    if frame.shape[1] == 1 and "sep" not in sniffed:
        column = str(frame.columns[0])
        other = next((s for s in _SEPS if s != info.sep and s in column), None)
        if other:
            raise ReadError(
                f"{where} reads as one column {column[:40]!r} with sep {_SEP_NAMES.get(info.sep, info.sep)}; "
                f"its header is split by {_SEP_NAMES[other]}: set read_options: {{sep: {_SEP_NAMES[other]}}}."
            )
    return frame, info


# pandas' default missing-value markers, so Arrow reads blanks and "NA" as pandas does.
_NA_VALUES = sorted(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND"}
    | {"1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)


def _pandas_or_arrow(path: Path, options: dict[str, Any]) -> pd.DataFrame:
    """``pd.read_csv(path, dtype=str, **options)``, through Arrow's reader when it can.

    Arrow reads every column as text, in parallel, into Arrow-backed ``str`` columns
    (what the fast parsers of :mod:`rfvkit.parsing` work on). Anything it does not
    read exactly as pandas would (options, compression, odd headers, ragged rows,
    bad UTF-8) goes to pandas' reader instead.
    """
    frame = _read_csv_arrow(path, options) if fast_paths_enabled() else None
    return frame if frame is not None else pd.read_csv(path, **{"dtype": str, **options})


def _read_csv_arrow(path: Path, options: dict[str, Any]) -> pd.DataFrame | None:
    sep = options.get("sep", ",")
    if set(options) - {"sep", "encoding"} or not isinstance(sep, str) or len(sep) != 1:
        return None
    if sep in '"\r\n' or options.get("encoding", "utf-8").lower() not in ("utf-8", "utf8"):
        return None  # Arrow reads UTF-8 only
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):  # compressed: leave to pandas
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        with pa.OSFile(str(path)) as handle:
            head = handle.read(1 << 16)
        header = pacsv.read_csv(
            pa.py_buffer(head.split(b"\n", 1)[0] + b"\n"),
            parse_options=pacsv.ParseOptions(delimiter=sep),
        ).column_names
        if len(set(header)) < len(header) or any(not name.strip() for name in header):
            return None  # pandas renames these ("a.1", "Unnamed: 0")
        text = {name: pa.large_string() for name in header}
        stamps = [name for name in header if name.strip() in timestamp_columns()]
        tries = ({**text, **dict.fromkeys(stamps, pa.timestamp("ns"))}, text)[not stamps :]
        table = _read_quoted_or_not(path, header, sep, head, tries)
    except (pa.ArrowException, OSError, UnicodeDecodeError, ValueError):
        return None
    text = pd.StringDtype("pyarrow", na_value=float("nan"))
    return table.to_pandas(types_mapper=lambda t: text if t == pa.large_string() else None)


def _read_quoted_or_not(path: Path, header: list[str], sep: str, head: bytes, tries: tuple) -> Any:
    """:func:`_read_typed`, allowing newlines in values only when a ``"`` follows the header.

    A quote in the head of the file settles it at once; else the scan of the whole file
    (:func:`_quoted_after_header`) runs in a thread beside a read that allows none, and
    that read is kept (or its error raised) only when the scan finds no quote: the same
    read, or error, as scanning first.
    """
    if b'"' in head[head.find(b"\n") + 1 :]:
        return _read_typed(path, header, sep, True, tries)
    with pool(2) as executor:
        scan = executor.submit(_quoted_after_header, path)
        if scan.done() and scan.result():  # scanned already (sequential): no guess needed
            return _read_typed(path, header, sep, True, tries)
        try:
            table, error = _read_typed(path, header, sep, False, tries), None
        except Exception as exc:  # noqa: BLE001 - raised below unless the file has quotes
            table, error = None, exc
        quoted = scan.result()
    if quoted:
        return _read_typed(path, header, sep, True, tries)
    if error is not None:
        raise error
    return table


def _read_typed(path: Path, header: list[str], sep: str, quoted: bool, tries: tuple) -> Any:
    """The file read with the first column types of ``tries`` Arrow reads strictly."""
    import pyarrow as pa

    for types in tries[:-1]:
        try:
            return _read_arrow(path, header, sep, quoted, types)
        except pa.ArrowInvalid:  # a date Arrow cannot read strictly: read it as text
            pass
    return _read_arrow(path, header, sep, quoted, tries[-1])


def _read_arrow(path: Path, header: list[str], sep: str, quoted: bool, types: dict) -> Any:
    """Arrow's multi-threaded CSV read with pandas' missing-value markers."""
    import pyarrow.csv as pacsv

    with _progress.reading(path, path.name) as source:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=quoted),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=_NA_VALUES,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )


#: Bytes read at a time by :func:`_quoted_after_header` (one buffer, reused).
_SCAN_BLOCK = 1 << 20


def _quoted_after_header(path: Path, block_size: int | None = None) -> bool:
    """Whether a ``"`` appears after the first ``\\n`` (anywhere, when there is none).

    Arrow splits a file into blocks for its threads at line ends; only quoted values can
    hold a line end, and allowing for them costs about a third of the read time.

    The file is read in blocks into one reused buffer: the reads release the GIL, so the
    scan runs beside Arrow's read. ``mmap.find`` held it for the whole file (page faults
    included), and the read could not start until the scan was done.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "t.csv"
    ...     _ = path.write_bytes(b'"id",amount\\nA1,2\\n')
    ...     plain = _quoted_after_header(path)
    ...     _ = path.write_bytes(b'id,note\\nA1,"two\\nlines"\\n')
    ...     plain, _quoted_after_header(path, block_size=4)
    (False, True)
    """
    block = bytearray(block_size or _SCAN_BLOCK)
    in_header, quote_in_header = True, False
    with open(path, "rb", buffering=0) as handle:
        while size := handle.readinto(block):
            start = 0
            if in_header:
                end = block.find(b"\n", 0, size)
                if end < 0:
                    quote_in_header = quote_in_header or block.find(b'"', 0, size) >= 0
                    continue
                in_header, start = False, end + 1
            if block.find(b'"', start, size) >= 0:
                return True
    return in_header and quote_in_header


def _repeated_header(head: bytes, info: ReadInfo) -> list[str]:
    """Names the CSV header holds twice (pandas would silently rename them ``x.1``)."""
    text = head.decode(info.encoding or "utf-8", errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    if len(info.sep or ",") != 1:
        return []
    names = [n.strip() for n in next(csv.reader([first], delimiter=info.sep or ","), [])]
    seen: set[str] = set()
    return list(dict.fromkeys(n for n in names if n in seen or seen.add(n)))


def _ragged(where: str, message: str, sep: str) -> str:
    """``Expected 9 fields in line 3, saw 10`` -> the line, the likely cause and the fixes."""
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    shown = _SEP_NAMES.get(sep, repr(sep))
    if not found:
        return f"{where} could not be parsed as CSV ({_short(message)}); check quoting and read_options: {{sep: ...}}."
    expected, line, saw = found.groups()
    return (
        f"{where} line {line} has {saw} fields where the header has {expected} (an unquoted "
        f"{shown} inside a value?); quote that value in the file, or set "
        "read_options: {on_bad_lines: skip} to drop and count such lines."
    )
