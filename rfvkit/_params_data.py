"""The ``data`` key of the params file: where each input table lives and how to read it.

:class:`TableSpec` holds one table's path, column mapping and reader options;
``TABLE_OPTIONS`` lists the options each table accepts. The validators of ``data`` and
``data.surveys`` here are used by :mod:`rfvkit.params` (import these names from there).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rfvkit._param_checks import _bad, _check_keys
from rfvkit.errors import BadParameterError

#: Options each table of ``data`` accepts besides ``path`` and ``columns``.
TABLE_OPTIONS: dict[str, tuple[str, ...]] = {
    "transactions": (
        "date_format",
        "dayfirst",
        "decimal",
        "return_prefix",
        "read_options",
        "duplicates",
    ),
    "customers": ("date_format", "dayfirst", "default_region", "read_options"),
    "optouts": ("date_format", "dayfirst", "default_region", "read_options", "extra_keywords"),
    "campaigns": ("date_format", "dayfirst", "read_options"),
}
#: Options of each ``data.surveys`` entry besides ``path`` and ``columns``.
SURVEY_OPTIONS = ("name", "date_format", "dayfirst", "default_region", "read_options")


@dataclass(frozen=True)
class TableSpec(Mapping):
    """Where one input table lives and how to read it.

    Also reads like the YAML mapping it came from: ``spec["path"]``, ``spec["columns"]``
    and each reader option (``spec["dayfirst"]``).

    Examples
    --------
    >>> spec = TableSpec(Path("/data/tx.csv"), {"CustomerID": "customer_id"}, {"dayfirst": True})
    >>> spec.path.name, spec["dayfirst"], sorted(spec)
    ('tx.csv', True, ['columns', 'dayfirst', 'path'])
    """

    path: Path
    columns: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key == "path":
            return self.path
        if key == "columns":
            return self.columns
        return self.options[key]

    def __iter__(self) -> Iterator[str]:
        return iter(["path", "columns", *self.options])

    def __len__(self) -> int:
        return 2 + len(self.options)


def _data(key: str, value: object, base: Path) -> dict[str, TableSpec]:
    if not isinstance(value, Mapping):
        raise _bad(key, value, "a mapping of table name -> {path: ..., columns: {...}}")
    _check_keys(value, tuple(TABLE_OPTIONS), key)
    if "transactions" not in value:
        raise BadParameterError(f"{key}.transactions: missing; a transactions table is required.")
    return {name: _table(f"{key}.{name}", spec, base, name) for name, spec in value.items()}


def _table(key: str, spec: object, base: Path, name: str) -> TableSpec:
    if isinstance(spec, str | os.PathLike):
        spec = {"path": spec}
    if not isinstance(spec, Mapping):
        raise _bad(key, spec, "a path or a mapping with path, columns and options")
    _check_keys(spec, ("path", "columns", *TABLE_OPTIONS[name]), key)
    path = spec.get("path")
    if not isinstance(path, str | os.PathLike) or not str(path).strip():
        raise _bad(f"{key}.path", path, "a file path (relative to the params file)")
    columns = spec.get("columns") or {}
    if not isinstance(columns, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise _bad(f"{key}.columns", columns, "a mapping {TheirName: canonical_name}")
    options = {k: v for k, v in spec.items() if k not in ("path", "columns")}
    checks: dict[str, tuple[Callable[[object], bool], str]] = {
        "date_format": (
            lambda v: v is None or isinstance(v, str),
            "null or a format like '%d/%m/%Y'",
        ),
        "dayfirst": (lambda v: v is None or isinstance(v, bool), "null | true | false"),
        "decimal": (lambda v: v in (".", ","), "'.' | ','"),
        "return_prefix": (
            lambda v: v is None or (isinstance(v, str) and v != ""),
            "null or a prefix like 'C'",
        ),
        "default_region": (
            lambda v: v is None or (isinstance(v, str) and len(v) == 2 and v.isalpha()),
            "null or an ISO country code like 'GB'",
        ),
        "read_options": (
            lambda v: v is None or isinstance(v, Mapping),
            "a mapping of reader options, e.g. {encoding: latin-1, sep: ';', sheet_name: Orders}",
        ),
        "duplicates": (lambda v: v in ("keep", "drop"), "keep | drop"),
        "extra_keywords": (
            lambda v: isinstance(v, list | tuple) and all(isinstance(w, str) for w in v),
            "a list of extra opt-out keywords, e.g. [ARRET, BAJA]",
        ),
    }
    for opt, val in options.items():
        ok, allowed = checks[opt]
        if not ok(val):
            raise _bad(f"{key}.{opt}", val, allowed)
    if options.get("read_options") is not None:
        options["read_options"] = dict(options["read_options"])
    resolved = (base / Path(path).expanduser()).resolve()
    return TableSpec(resolved, dict(columns), options)


def _surveys(key: str, value: object, base: Path) -> tuple[TableSpec, ...]:
    """``data.surveys``: a list of ``{path, columns, name, ...}``; names must be unique."""
    if isinstance(value, str | os.PathLike | Mapping) or not isinstance(value, list | tuple):
        raise _bad(f"data.{key}", value, "a list of {path: ..., columns: {...}, name: ...}")
    specs = []
    for i, item in enumerate(value):
        where = f"data.{key}[{i}]"
        if isinstance(item, str | os.PathLike):
            item = {"path": item}
        if not isinstance(item, Mapping):
            raise _bad(where, item, "a mapping {path: ..., columns: {...}, name: ...}")
        _check_keys(item, ("path", "columns", *SURVEY_OPTIONS), where)
        plain = {k: v for k, v in item.items() if k != "name"}
        spec = _table(where, plain, base, "optouts")  # same reader options as opt-outs
        name = item.get("name", Path(str(item.get("path"))).stem)
        if not isinstance(name, str) or not name.strip():
            raise _bad(f"{where}.name", name, "a non-empty text naming the survey")
        specs.append(TableSpec(spec.path, spec.columns, {"name": name.strip(), **spec.options}))
    names = [s.options["name"] for s in specs]
    if len(set(names)) != len(names):
        raise _bad(f"data.{key}", names, "a different name for each survey")
    return tuple(specs)


# Where users import TableSpec from: reprs, tracebacks and pickles name that module.
TableSpec.__module__ = "rfvkit.params"
