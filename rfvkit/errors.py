"""One exception hierarchy for rfvkit, rooted in ``ValueError``.

Messages say what was wrong, show a few offending values, and say how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = [
    "RfvkitError",
    "MissingColumnsError",
    "BadValuesError",
    "BadParameterError",
    "EmptyDataError",
    "examples",
    "require_columns",
]


class RfvkitError(ValueError):
    """Base class for every error rfvkit raises on bad input."""


class MissingColumnsError(RfvkitError):
    """Required columns are absent; the message lists what is available."""

    def __init__(
        self,
        missing: Sequence[str],
        available: Sequence[str],
        *,
        table: str = "data",
        hint: str = "",
    ) -> None:
        self.missing = list(missing)
        self.available = list(available)
        parts = [
            f"{table}: missing required column(s) {', '.join(map(repr, self.missing))}; "
            f"available columns: {', '.join(map(repr, self.available)) or '(none)'}."
        ]
        for name in self.missing:
            close = difflib.get_close_matches(
                name, [str(a) for a in self.available], n=1, cutoff=0.5
            )
            close = (
                close
                or [a for a in map(str, self.available) if name.replace("_", "") in a.lower()][:1]
            )
            if close:
                parts.append(f"Did you mean {close[0]!r} for {name!r}?")
        parts.append(hint or "Map your column names with columns={'YourName': 'canonical_name'}.")
        super().__init__(" ".join(parts))


class BadValuesError(RfvkitError):
    """Values in a column cannot be used as they are."""


class BadParameterError(RfvkitError):
    """A function argument or report parameter is out of range or of the wrong type."""


class EmptyDataError(RfvkitError):
    """A file or frame holds no rows to work with."""


def examples(values: Iterable[object], n: int = 5) -> str:
    """Format up to ``n`` distinct example values for an error or quality message."""
    seen: list[str] = []
    for value in values:
        text = repr(value) if not isinstance(value, str) else repr(value)
        if text not in seen:
            seen.append(text)
        if len(seen) >= n:
            break
    return ", ".join(seen)


def require_columns(frame: object, columns: Sequence[str], *, table: str, hint: str = "") -> None:
    """Check that ``frame`` is a pandas DataFrame holding every name in ``columns``.

    Raises
    ------
    BadParameterError
        ``frame`` is not a pandas DataFrame.
    MissingColumnsError
        Some columns are absent; the message lists them, the available ones, a
        "did you mean" guess and ``hint`` (the fix).
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise BadParameterError(f"{table} must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnsError(missing, list(frame.columns), table=table, hint=hint)


class NotApplicableError(RfvkitError):
    """A chapter cannot be shown on this data (too few customers, no repeat purchases...).

    Raised inside a notebook, it does not fail a report: ``rfvkit report`` publishes the
    chapter's page with this sentence in place of the analysis.
    """
