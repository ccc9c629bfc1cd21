"""The validators of the send-list parameters (chapter 04): segments, the message file,
the send time, the frequency cap and the quiet hours.

Each takes ``(key, value, base)`` like every validator of :mod:`rfvkit.params` and
returns the typed value or raises a :class:`~rfvkit.errors.BadParameterError` naming the
key, the value and what is allowed.

Examples
--------
>>> _frequency_cap("frequency_cap", "[1, 7]", Path("."))
(1, 7)
>>> _segments("segments", "Champions, At Risk", Path("."))
('Champions', 'At Risk')
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path

from rfvkit._param_checks import _bad
from rfvkit.errors import BadParameterError


def _segments(key: str, value: object, base: Path) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        raise _bad(key, value, "null (every segment) or a list of segment names")
    return tuple(value)


def _message_file(key: str, value: object, base: Path) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | os.PathLike):
        raise _bad(key, value, "null or a path to a UTF-8 text file holding the SMS template")
    path = (base / Path(value).expanduser()).resolve()
    if not path.is_file():
        raise BadParameterError(f"{key}: file not found: {path}")
    return str(path)


def _send_at(key: str, value: object, base: Path) -> str | None:
    if value is None or value == "":
        return None
    from rfvkit.sendlist import parse_send_at

    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return parse_send_at(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _frequency_cap(key: str, value: object, base: Path) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.strip("[]()").split(",")]
        try:
            value = [int(v) for v in value]
        except ValueError:
            raise _bad(key, value, "null or [n, days], e.g. [1, 7]") from None
    ok = isinstance(value, list | tuple) and len(value) == 2
    if not ok or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value):
        raise _bad(key, value, "null or [n, days] with n, days >= 1, e.g. [1, 7]")
    return int(value[0]), int(value[1])


def _quiet_hours(key: str, value: object, base: Path) -> tuple[dict, ...]:
    if value is None:
        return ()
    rows = value if isinstance(value, list | tuple) else None
    if rows is None or not all(isinstance(r, Mapping) for r in rows):
        raise _bad(
            key,
            value,
            "a list of rows {country, region, days, start, end, source}, e.g. "
            "[{country: GB, days: Mon-Sun, start: '10:00', end: '19:00'}]",
        )
    from rfvkit.quiet_hours import quiet_hours_table

    quiet_hours_table(rows)  # checks days and times
    return tuple(dict(r) for r in rows)
