"""One spreadsheet-safe CSV writer for every CSV rfvkit writes.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
run as a formula when the file is opened in Excel, LibreOffice or Google Sheets (OWASP,
"CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection). Such text cells
(and column names) are neutralised by prefixing a single quote, as OWASP recommends; the
quote shows in the spreadsheet, so the content stays readable and is never evaluated.
Numeric columns are written as numbers (``-3.5`` stays a number).

Phone columns (``protect``) are not altered but validated instead: every value must be
strict E.164 (``+`` then 2 to 15 digits, no leading zero), so a phone cell can never carry
a formula and a send list never holds a number a platform would misread.

Files are written atomically (a temporary file in the same folder, flushed, then
``os.replace``), so a reader sees the old file or the new one, never half of one, and the
final file gets exactly ``mode`` whatever the umask (0600 for send lists).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from rfvkit.errors import BadValuesError, examples

__all__ = ["write_csv", "neutralise", "E164", "DANGEROUS_PREFIXES"]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP).
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Strict E.164: ``+``, a country code not starting with 0, at most 15 digits in all (ITU-T E.164).
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def neutralise(value: object) -> object:
    """Prefix ``'`` to a text value that a spreadsheet would read as a formula.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-2"), neutralise("Ann"), neutralise(3)
    ('\\'=HYPERLINK("http://x")', "'-2", 'Ann', 3)
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _safe_text(column: pd.Series) -> pd.Series:
    text = column.astype("string")
    risky = text.str.startswith(DANGEROUS_PREFIXES).fillna(False).astype(bool)
    if not risky.any():
        return column
    return column.astype(object).where(~risky.to_numpy(), "'" + text[risky].astype(str))


def _check_e164(column: pd.Series, name: str) -> None:
    values = column.dropna()
    text = values.astype(str)
    bad = ~text.str.fullmatch(E164.pattern)
    if len(values) < len(column) or bad.any():
        shown = examples(list(text[bad]) + (["<missing>"] if len(values) < len(column) else []))
        raise BadValuesError(
            f"{name}: {int(bad.sum()) + len(column) - len(values)} value(s) are not strict E.164 "
            f"(+ and 2-15 digits), e.g. {shown}; normalise phones with read_customers first."
        )


def write_csv(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    mode: int = 0o644,
    protect: Sequence[str] = ("phone",),
    index: bool = False,
    encoding: str = "utf-8",
) -> Path:
    """Write ``frame`` as a spreadsheet-safe CSV, atomically, with file mode ``mode``.

    Parameters
    ----------
    frame : DataFrame
        Not modified. With ``index=True`` the index is written as the first column(s).
    path : path
        Target file; its folder must exist.
    mode : int
        Permission bits of the written file, e.g. ``0o600`` for files holding phone numbers.
    protect : sequence of str
        Columns that must be strict E.164 phone numbers (checked, not rewritten);
        names absent from the frame are ignored.
    index : bool
        Write the index too.
    encoding : str
        Text encoding (UTF-8 without BOM by default).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    BadValuesError
        A protected column holds a missing or non-E.164 value; nothing is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = write_csv(pd.DataFrame({"name": ["=1+1", "Ann"], "n": [-1, 2]}), out, mode=0o600)
    >>> out.read_text().splitlines(), oct(out.stat().st_mode & 0o777)
    (['name,n', "'=1+1,-1", 'Ann,2'], '0o600')
    """
    table = frame.reset_index() if index else frame
    for name in protect:
        if name in table.columns:
            _check_e164(table[name], name)
    safe = {}
    for name in table.columns:
        column = table[name]
        if name in protect or pd.api.types.is_numeric_dtype(column.dtype):
            continue
        if pd.api.types.is_bool_dtype(column.dtype) or isinstance(column.dtype, pd.DatetimeTZDtype):
            continue
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            continue
        safe[name] = _safe_text(column)
    if safe:
        table = table.copy()
        for name, column in safe.items():
            table[name] = column
    table = table.set_axis([neutralise(str(c)) for c in table.columns], axis=1)
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            table.to_csv(handle, index=False, lineterminator="\r\n")  # RFC 4180; quotes CR and LF
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target
