"""The building blocks of the params validators: checks of type and range, and the error.

Each check takes ``(key, value, base)`` like every validator of :mod:`rfvkit.params` and
returns the typed value or raises a :class:`~rfvkit.errors.BadParameterError` that names
the key, the value and what is allowed; :func:`_check_keys` suggests the closest key.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from pathlib import Path

from rfvkit.errors import BadParameterError


def _check_keys(given: Mapping, allowed: list[str] | tuple[str, ...], where: str) -> None:
    for key in given:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise BadParameterError(
                f"{where}: unknown key {key!r}.{hint} Allowed keys: {', '.join(allowed)}."
            )


def _bad(key: str, value: object, allowed: str) -> BadParameterError:
    return BadParameterError(f"{key}: got {value!r}; allowed: {allowed}.")


def _str(key: str, value: object, base: Path) -> str:
    if not isinstance(value, str):
        raise _bad(key, value, "a text value")
    return value


def _title(key: str, value: object, base: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(key, value, "a non-empty text")
    return value


def _int_range(lo: int, hi: int | None = None) -> Callable[[str, object, Path], int]:
    def check(key: str, value: object, base: Path) -> int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or value < lo or (hi is not None and value > hi):
            raise _bad(key, value, f"an integer from {lo}" + (f" to {hi}" if hi else " up"))
        return value

    return check


def _choice(options: tuple[str, ...]) -> Callable[[str, object, Path], str]:
    def check(key: str, value: object, base: Path) -> str:
        if value not in options:
            raise _bad(key, value, " | ".join(options))
        return value

    return check


def _number(lo: float, hi: float, example: str, *, optional: bool = False, below_hi=False):
    """A validator of numbers in [lo, hi] (or [lo, hi) with ``below_hi``); None when optional."""

    def check(key: str, value: object, base: Path) -> float | None:
        if value is None and optional:
            return None
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not lo <= value <= hi or (below_hi and value == hi):
            top = f"below {hi:g}" if below_hi else f"to {hi:g}"
            raise _bad(
                key,
                value,
                f"{'null or ' if optional else ''}a number from {lo:g} {top}, e.g. {example}",
            )
        return float(value)

    return check


_share = _number(0, 1, "0.9")


def _bool(key: str, value: object, base: Path) -> bool:
    if not isinstance(value, bool):
        raise _bad(key, value, "true | false")
    return value
