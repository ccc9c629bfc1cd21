"""Read one input file into a pandas frame, or fail with one line that says how to fix it.

Every failure to read an input — wrong encoding, wrong delimiter, a line with more fields
than the header, a file whose content does not match its extension, a folder, a corrupt
or empty file, a missing Excel sheet — raises :class:`ReadError`: one line naming the
table, the file, the cause and the fix to write in the params file
(``read_options: {encoding: latin-1}``, ``{sep: ";"}``, ``{sheet_name: Orders}``).

When ``read_options`` do not say, the encoding (UTF-8, else cp1252, else latin-1) and
the delimiter (``,`` ``;`` tab ``|``) of a CSV are sniffed from its first 64 KiB; what was
used comes back as :class:`ReadInfo` and the loaders record it in the quality ledger.
Python's :class:`csv.Sniffer` does the delimiter guess (Python docs, ``csv`` module).

The CSV reading (sniffing, the Arrow fast path) is in :mod:`rfvkit._csvread`;
:class:`ReadError` and :class:`ReadInfo` are in :mod:`rfvkit._readinfo`. Import all of
them from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from rfvkit._csvread import _head, _read_csv, sniff_encoding, sniff_sep
from rfvkit._readinfo import ReadError, ReadInfo, _short
from rfvkit.errors import EmptyDataError

__all__ = ["ReadError", "ReadInfo", "read_file", "excel_sheets", "sniff_encoding", "sniff_sep"]

_CSV = (".csv", ".txt", ".tsv")
_PARQUET = (".parquet", ".pq")
_EXCEL = (".xlsx", ".xlsm")
_MAGIC = {b"PK\x03\x04": "xlsx", b"PAR1": "parquet", b"\xd0\xcf\x11\xe0": "xls"}


def read_file(path: str | Path, table: str, options: dict[str, Any] | None = None):
    """Read ``path`` (``.csv``/``.txt``/``.tsv``, ``.parquet``, ``.xlsx``) as all-text CSV.

    Parameters
    ----------
    path : path
        The file (compressed ``.gz``/``.zip``... CSVs are read too, without sniffing).
    table : str
        Table name used in messages (``"transactions"``).
    options : dict, optional
        The table's ``read_options``: passed to the pandas reader (``sep``,
        ``encoding``, ``sheet_name`` ...). ``on_bad_lines: skip`` drops lines with
        too many fields and counts them (``ReadInfo.skipped``).

    Returns
    -------
    (DataFrame, ReadInfo)

    Raises
    ------
    ReadError
        One line: table, file, cause, fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tx.csv"
    >>> _ = p.write_bytes("id;name\\n1;Zoë\\n".encode("cp1252"))
    >>> frame, info = read_file(p, "customers")
    >>> frame.to_dict("records"), info.describe()
    ([{'id': '1', 'name': 'Zoë'}], "read as CSV: encoding cp1252 (sniffed), sep ';' (sniffed)")
    """
    path = Path(path).expanduser()
    options = dict(options or {})
    where = f"{table}: {path}"
    if not path.exists():
        raise ReadError(f"{table}: file not found: {path.resolve()}")
    name = path.name.lower()
    compressed = False
    for compression in (".gz", ".bz2", ".zip", ".xz", ".zst"):
        if name.endswith(compression):
            name, compressed = name.removesuffix(compression), True
    suffix = Path(name).suffix
    if path.is_dir() and suffix not in _PARQUET:
        raise ReadError(
            f"{where} is a folder, not a file; set path to a file inside it "
            f"(e.g. {path.name}/{_first_file(path)})."
        )
    if suffix not in (*_CSV, *_PARQUET, *_EXCEL):
        hint = " Save it as .xlsx." if suffix == ".xls" else ""
        raise ReadError(
            f"{table}: unsupported file type {suffix or '(none)'!r} for {path}; use .csv, "
            f".parquet or .xlsx, or pass a DataFrame.{hint}"
        )
    head = b"" if path.is_dir() else _head(path)
    if not compressed and path.is_file():
        _check_content(head, suffix, where, path)
    if suffix in _PARQUET:
        return _read_parquet(path, where, options), ReadInfo("parquet")
    if suffix in _EXCEL:
        return _read_excel(path, where, options)
    return _read_csv(path, where, options, head, suffix, compressed)


def excel_sheets(path: str | Path) -> list[str]:
    """Sheet names of an ``.xlsx`` file, in workbook order ([] if it cannot be opened).

    Examples
    --------
    >>> excel_sheets("no/such.xlsx")
    []
    """
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return list(book.sheetnames)
        finally:
            book.close()
    except Exception:  # noqa: BLE001 - only used to enrich a message
        return []


# ----------------------------------------------------------------------------- helpers


def _first_file(folder: Path) -> str:
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    return names[0] if names else "<file>"


def _check_content(head: bytes, suffix: str, where: str, path: Path) -> None:
    """A file whose bytes say another format than its extension: say which, and the fix."""
    if not head:
        raise EmptyDataError(f"{where} is empty (0 bytes); export the table again.")
    found = next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)
    if suffix in _CSV:
        if found:
            raise ReadError(
                f"{where} is a {found} file, not CSV text; rename it to .{found if found != 'xls' else 'xlsx'} "
                "(save .xls as .xlsx) or export it as CSV."
            )
        if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ReadError(
                f"{where} is not text (binary bytes found); export the table as CSV, .xlsx or .parquet."
            )
        return
    expected = "parquet" if suffix in _PARQUET else "xlsx"
    if found == expected or (expected == "xlsx" and found == "xlsx"):
        return
    if found == "xls":
        what = "an old Excel .xls file"
        fix = "save it as .xlsx in Excel"
    elif found:
        what = f"a {found} file"
        fix = f"rename it to .{found}"
    elif b"\x00" not in head[:4096]:
        what = "CSV/text"
        fix = "rename it to .csv"
    else:
        what = "not a valid file of that type"
        fix = "export the table again (.csv, .xlsx or .parquet)"
    raise ReadError(f"{where} has the extension {suffix} but its content is {what}; {fix}.")


def _read_parquet(path: Path, where: str, options: dict[str, Any]) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, **options)
    except TypeError as exc:
        raise ReadError(f"{where}: bad read_options {options} ({exc}); remove them.") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for corrupt files
        raise ReadError(
            f"{where} could not be read as parquet ({_short(exc)}); the file is truncated or "
            "corrupt: export it again."
        ) from None


def _read_excel(path: Path, where: str, options: dict[str, Any]) -> tuple[pd.DataFrame, ReadInfo]:
    sheets = excel_sheets(path)
    if not sheets:
        raise ReadError(
            f"{where} could not be opened as an Excel workbook (truncated or corrupt); "
            "save it again from Excel or export it as CSV."
        )
    sheet = options.pop("sheet_name", 0)
    listed = ", ".join(sheets)
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(sheets):
            raise ReadError(
                f"{where} has no sheet number {sheet} (sheets: {listed}); "
                f"set read_options: {{sheet_name: {sheets[0]}}}."
            )
        sheet = sheets[sheet]
    elif sheet not in sheets:
        close = [s for s in sheets if str(s).strip().lower() == str(sheet).strip().lower()]
        fix = close[0] if close else sheets[0]
        raise ReadError(
            f"{where} has no sheet {sheet!r} (sheets: {listed}); "
            f"set read_options: {{sheet_name: {fix}}}."
        )
    try:
        frame = pd.read_excel(path, sheet_name=sheet, **{"engine": "openpyxl", **options})
    except TypeError as exc:
        raise ReadError(f"{where}: bad read_options ({_short(exc)}); remove them.") from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for broken files
        raise ReadError(
            f"{where} sheet {sheet!r} could not be read ({_short(exc)}); save it again."
        ) from None
    return frame, ReadInfo("Excel", sheet=str(sheet), sheets=tuple(sheets))
