"""What reading an input file gives back: :class:`ReadInfo`, or a :class:`ReadError`.

Both are imported from :mod:`rfvkit.readers`; every reader (:mod:`rfvkit._csvread` for
CSV, :mod:`rfvkit.readers` for Parquet and Excel) describes a read with a ``ReadInfo``
and fails with one ``ReadError`` line naming the table, the file, the cause and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rfvkit.errors import RfvkitError

_SEP_NAMES = {",": "','", ";": "';'", "\t": "'\\t'", "|": "'|'"}


class ReadError(RfvkitError):
    """An input file could not be read; the message names table, file, cause and fix.

    The ``rfvkit`` command exits 2 on it (bad input), 1 on other errors.
    """

    exit_code = 2


@dataclass
class ReadInfo:
    """How a file was read: ``format``, sniffed ``encoding`` / ``sep``, ``skipped`` lines."""

    format: str = "frame"
    encoding: str | None = None
    sep: str | None = None
    sniffed: tuple[str, ...] = ()
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    skipped: list[int] = field(default_factory=list)

    def describe(self) -> str:
        """The ledger rule text, e.g. ``read as CSV: encoding cp1252 (sniffed), sep ';'``."""
        parts = []
        if self.encoding:
            parts.append(
                f"encoding {self.encoding}" + (" (sniffed)" if "encoding" in self.sniffed else "")
            )
        if self.sep:
            parts.append(
                f"sep {_SEP_NAMES.get(self.sep, repr(self.sep))}"
                + (" (sniffed)" if "sep" in self.sniffed else "")
            )
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r} of {len(self.sheets)}")
        return f"read as {self.format}" + (": " + ", ".join(parts) if parts else "")


def _short(exc: object) -> str:
    text = " ".join(str(exc).split())
    return text[:160] + ("..." if len(text) > 160 else "")


# Where users import ReadError and ReadInfo from: reprs, tracebacks and pickles name that module.
ReadError.__module__ = "rfvkit.readers"
ReadInfo.__module__ = "rfvkit.readers"
