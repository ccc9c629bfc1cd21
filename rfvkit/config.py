"""Report parameters: one validated, frozen :class:`Config` read from a params YAML file.

Relative data paths (and a rules file path) resolve against the YAML file's own folder,
so a report runs the same from any working directory. Every bad value raises a
:class:`~rfvkit.errors.BadParameterError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from rfvkit.columns import ENGINES, FEATURES, MAX_BINS, METHODS, MIN_BINS, RULE_SETS, SCALERS
from rfvkit.errors import BadParameterError, RfvkitError

__all__ = ["Config", "TableSpec", "load_config", "parse_override", "parse_as_of"]

#: Options each table of ``data`` accepts besides ``path`` and ``columns``.
TABLE_OPTIONS: dict[str, tuple[str, ...]] = {
    "transactions": ("date_format", "dayfirst", "decimal", "return_prefix", "read_options"),
    "customers": ("date_format", "dayfirst", "default_region", "read_options"),
    "optouts": ("date_format", "dayfirst", "default_region", "read_options"),
    "campaigns": ("date_format", "dayfirst", "read_options"),
}


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


@dataclass(frozen=True)
class Config:
    """Validated report parameters; build it with :func:`load_config`.

    Examples
    --------
    >>> cfg = load_config({"data": {"transactions": "/data/tx.csv"}}, bins=4)
    >>> cfg.bins, cfg.k, cfg.data["transactions"].path.name
    (4, 'auto', 'tx.csv')
    """

    data: dict[str, TableSpec]
    title: str = "RFV report"
    as_of: pd.Timestamp | None = None
    bins: int = 5
    method: str = "rank"
    rules: str = "default"
    currency: str = "£"
    top_n: int = 10
    dimension: str = "country"
    k: int | str = "auto"
    k_min: int = 2
    k_max: int = 10
    features: tuple[str, ...] = ("recency_days", "frequency", "monetary")
    scaler: str = "standard"
    random_state: int = 0
    thresholds: dict[str, list[float]] | None = None
    engine: str = "pandas"
    cluster: dict[str, Any] | None = None
    source: Path | None = None

    def parameters(self) -> dict[str, Any]:
        """Flat JSON-serialisable parameters (all but ``data``, plus ``params_file``).

        Examples
        --------
        >>> cfg = load_config({"data": {"transactions": "/tx.csv"}, "as_of": "2024-03-01"})
        >>> cfg.parameters()["as_of"], cfg.parameters()["params_file"]
        ('2024-03-01', None)
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("data", "source"):
                continue
            out[f.name] = getattr(self, f.name)
        out["as_of"] = None if self.as_of is None else self.as_of.strftime("%Y-%m-%d")
        out["features"] = list(self.features)
        out["params_file"] = None if self.source is None else str(self.source)
        return out

    def _repr_html_(self) -> str:
        """Parameters and input files as two small tables (for notebooks and reports)."""
        params = pd.DataFrame(
            [(k, v) for k, v in self.parameters().items() if k != "params_file"],
            columns=["parameter", "value"],
        ).astype(str)
        files = pd.DataFrame(
            [
                (name, spec.path.name, ", ".join(f"{a} -> {b}" for a, b in spec.columns.items()))
                for name, spec in self.data.items()
            ],
            columns=["table", "file", "column mapping"],
        )
        source = "" if self.source is None else f" from <code>{self.source.name}</code>"
        return (
            f"<p><b>{self.title}</b>{source}</p>"
            + files.to_html(index=False, border=0)
            + params.to_html(index=False, border=0)
        )

    def to_mapping(self) -> dict[str, Any]:
        """Plain mapping (absolute paths) that :func:`load_config` reads back unchanged.

        Examples
        --------
        >>> load_config(load_config({"data": {"transactions": "/tx.csv"}}).to_mapping()).bins
        5
        """
        out = {k: v for k, v in self.parameters().items() if k != "params_file"}
        out["data"] = {
            name: {"path": str(spec.path), "columns": dict(spec.columns), **spec.options}
            for name, spec in self.data.items()
        }
        return out


def load_config(path_or_mapping: str | os.PathLike | Mapping | Config, **overrides: Any) -> Config:
    """Read and validate report parameters from a YAML file or a mapping.

    Parameters
    ----------
    path_or_mapping : str, path, mapping or Config
        A params YAML file (relative data paths resolve against its folder), a mapping
        with the same keys (relative paths resolve against the working directory), or a
        :class:`Config` to re-validate with overrides.
    **overrides
        Top-level keys replacing those of the file, e.g. ``bins=7``.

    Returns
    -------
    Config

    Raises
    ------
    BadParameterError
        Naming the key, the bad value and the allowed values; unknown keys get a
        "did you mean" hint.

    Examples
    --------
    >>> cfg = load_config({"data": {"transactions": "/tx.csv"}}, k=4, as_of="2024-01-31")
    >>> cfg.k, cfg.as_of.date().isoformat()
    (4, '2024-01-31')
    """
    source = None
    if isinstance(path_or_mapping, Config):
        raw: Mapping = path_or_mapping.to_mapping()
        source = path_or_mapping.source
        base = source.parent if source is not None else Path.cwd()
    elif isinstance(path_or_mapping, Mapping):
        raw, base = path_or_mapping, Path.cwd()
    elif isinstance(path_or_mapping, str | os.PathLike):
        source = Path(path_or_mapping).expanduser().resolve()
        raw, base = _read_yaml(source), source.parent
    else:
        raise BadParameterError(
            f"params: expected a YAML path, a mapping or a Config, got "
            f"{type(path_or_mapping).__name__}."
        )
    merged = {**raw, **overrides}
    _check_keys(merged, _FIELDS, "params")
    values = {key: _VALIDATORS[key](key, merged[key], base) for key in merged}
    if "data" not in values:
        raise BadParameterError(
            "data: missing; add a 'data:' section with at least 'transactions: {path: ...}'."
        )
    cfg = Config(**values, source=source)
    if (cfg.method == "thresholds") != (cfg.thresholds is not None):
        raise BadParameterError(
            "thresholds: method 'thresholds' needs 'thresholds: {recency_days: [...], "
            "frequency: [...], monetary: [...]}', and 'thresholds' is only read with "
            f"method: thresholds (method is {cfg.method!r})."
        )
    if cfg.k_max < cfg.k_min:
        raise BadParameterError(
            f"k_max: {cfg.k_max!r} is below k_min={cfg.k_min!r}; allowed: k_max >= k_min."
        )
    return cfg


def parse_override(text: str) -> tuple[str, Any]:
    """Turn ``"key=value"`` (a command-line override) into a typed, validated pair.

    Examples
    --------
    >>> parse_override("bins=7"), parse_override("k=auto"), parse_override("as_of=null")
    (('bins', 7), ('k', 'auto'), ('as_of', None))
    >>> parse_override("features=recency_days,monetary")
    ('features', ['recency_days', 'monetary'])
    """
    key, sep, value = str(text).partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise BadParameterError(f"override {text!r}: expected key=value, e.g. bins=7.")
    if key == "data":
        raise BadParameterError(
            "data: cannot be overridden on the command line; edit the params file."
        )
    _check_keys({key: None}, [k for k in _FIELDS if k != "data"], "override")
    typed: Any = value
    if key in _INT_KEYS or (key == "k" and value != "auto"):
        try:
            typed = int(value)
        except ValueError:
            raise BadParameterError(
                f"{key}: expected an integer{' or auto' if key == 'k' else ''}, got {value!r}."
            ) from None
    elif key == "as_of" and value.lower() in ("", "null", "none"):
        typed = None
    elif key == "features":
        typed = [v.strip(" '\"") for v in value.strip("[]").split(",") if v.strip(" '\"")]
    _VALIDATORS[key](key, typed, Path.cwd())
    return key, typed


def parse_as_of(value: object, key: str = "as_of") -> pd.Timestamp | None:
    """An analysis date from ``"YYYY-MM-DD"``, a date, a Timestamp, 20240131 or None.

    Examples
    --------
    >>> parse_as_of("2024-01-31")
    Timestamp('2024-01-31 00:00:00')
    >>> parse_as_of(20240131) == parse_as_of(dt.date(2024, 1, 31))
    True

    This is the one parser of analysis dates: ``rfv_table(tx, as_of=...)`` and the params
    file read the same value the same way.
    """
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int):
            stamp = pd.to_datetime(str(value), format="%Y%m%d")
        elif isinstance(value, str):
            stamp = pd.to_datetime(value.strip(), format="ISO8601")
        elif isinstance(value, dt.date | pd.Timestamp | np.datetime64):
            stamp = pd.Timestamp(value)
        else:
            raise TypeError
    except (TypeError, ValueError):
        raise BadParameterError(
            f"{key}: expected a date like '2024-01-31' (or null), got {value!r}."
        ) from None
    if stamp is pd.NaT:
        raise BadParameterError(f"{key}: expected a date like '2024-01-31' (or null), got NaT.")
    if stamp.tz is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


# ----------------------------------------------------------------------------- validation


def _read_yaml(path: Path) -> Mapping:
    if not path.is_file():
        raise RfvkitError(f"params file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BadParameterError(f"{path}: not valid YAML ({exc}).") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise BadParameterError(
            f"{path}: expected a mapping of parameters, got {type(raw).__name__}."
        )
    return raw


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


def _k(key: str, value: object, base: Path) -> int | str:
    if value == "auto":
        return "auto"
    return _int_range(2)(key, value, base)


def _as_of(key: str, value: object, base: Path) -> pd.Timestamp | None:
    return parse_as_of(value, key)


def _rules(key: str, value: object, base: Path) -> str:
    if value in RULE_SETS:
        return value
    if isinstance(value, str | os.PathLike) and str(value).endswith((".yaml", ".yml")):
        return str((base / Path(value).expanduser()).resolve())
    raise _bad(key, value, "default | r_rfm | a path to a rules .yaml file")


def _features(key: str, value: object, base: Path) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise _bad(key, value, f"a non-empty list drawn from {', '.join(FEATURES)}")
    for item in value:
        if item not in FEATURES:
            raise BadParameterError(
                f"{key}: got {value!r} ({item!r} is not an RFV column); "
                f"allowed: {' | '.join(FEATURES)}."
            )
    if len(set(value)) != len(value):
        raise _bad(key, value, "each feature once")
    return tuple(value)


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
            "a mapping of reader options",
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


def _thresholds(key: str, value: object, base: Path) -> dict[str, list[float]] | None:
    if value is None:
        return None
    from rfvkit.scoring import check_thresholds

    return {metric: edges.tolist() for metric, edges in check_thresholds(value).items()}


def _cluster(key: str, value: object, base: Path) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _bad(key, value, "a mapping like {address: 'tcp://scheduler:8786'}")
    _check_keys(value, ("address", "master", "conf", "timeout"), key)
    for name in ("address", "master"):
        if value.get(name) is not None and not isinstance(value[name], str):
            raise _bad(f"{key}.{name}", value[name], "an address like 'tcp://host:8786'")
    if value.get("conf") is not None and not isinstance(value["conf"], Mapping):
        raise _bad(f"{key}.conf", value["conf"], "a mapping of Spark settings")
    timeout = value.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise _bad(f"{key}.timeout", timeout, "seconds above 0")
    return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in value.items()}


_INT_KEYS = ("bins", "top_n", "k_min", "k_max", "random_state")
_VALIDATORS: dict[str, Callable[[str, Any, Path], Any]] = {
    "title": _title,
    "data": _data,
    "as_of": _as_of,
    "bins": _int_range(MIN_BINS, MAX_BINS),
    "method": _choice(METHODS),
    "rules": _rules,
    "currency": _str,
    "top_n": _int_range(1),
    "dimension": _str,
    "k": _k,
    "k_min": _int_range(2),
    "k_max": _int_range(2),
    "features": _features,
    "scaler": _choice(SCALERS),
    "random_state": _int_range(0, 2**32 - 1),
    "thresholds": _thresholds,
    "engine": _choice(ENGINES),
    "cluster": _cluster,
}
_FIELDS = list(_VALIDATORS)
