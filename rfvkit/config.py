"""Report parameters: one validated, frozen :class:`Config` read from a params YAML file.

Relative data paths (and a rules file path) resolve against the YAML file's own folder,
so a report runs the same from any working directory. Every bad value raises a
:class:`~rfvkit.errors.BadParameterError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from rfvkit.errors import BadParameterError
from rfvkit.params import (  # noqa: F401  (TableSpec and parse_as_of are part of this API)
    _BOOL_KEYS,
    _FIELDS,
    _FLOAT_KEYS,
    _INT_KEYS,
    _NULLABLE,
    _VALIDATORS,
    DEFAULT_MESSAGE,
    TableSpec,
    _check_keys,
    _read_yaml,
    parse_as_of,
)

__all__ = ["Config", "TableSpec", "load_config", "parse_override", "parse_as_of"]


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
    min_customer_match: float = 0.9
    predict: bool = False
    horizon_days: int = 365
    discount_rate: float = 0.10
    calibration_end: pd.Timestamp | None = None
    campaign_id: str | None = None
    window_days: int = 14
    sms_price: float | None = None
    history: str | None = None
    min_group: int = 10
    vip: dict[str, Any] = field(
        default_factory=lambda: {"segments": ["Champions", "Loyal"], "name": "VIP"}
    )
    surveys: tuple[TableSpec, ...] = ()
    # send lists (notebook 04, ``rfvkit sendlist``)
    segments: tuple[str, ...] | None = None
    send_campaign_id: str = "campaign"
    message: str = DEFAULT_MESSAGE
    message_file: str | None = None
    send_at: str | None = None
    holdout: float = 0.10
    frequency_cap: tuple[int, int] | None = (1, 7)
    price_per_part: float = 0.0
    max_parts: int = 2
    quiet_hours: tuple[dict, ...] = ()
    reconsent_overrides_optout: bool = False
    source: Path | None = None

    @property
    def message_text(self) -> str:
        """The SMS template: the contents of ``message_file`` when set, else ``message``."""
        if self.message_file:
            return Path(self.message_file).read_text(encoding="utf-8").strip()
        return self.message

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
            if f.name in ("data", "source", "surveys"):
                continue
            out[f.name] = getattr(self, f.name)
        out["as_of"] = None if self.as_of is None else self.as_of.strftime("%Y-%m-%d")
        out["calibration_end"] = (
            None if self.calibration_end is None else self.calibration_end.strftime("%Y-%m-%d")
        )
        out["features"] = list(self.features)
        out["segments"] = None if self.segments is None else list(self.segments)
        out["frequency_cap"] = None if self.frequency_cap is None else list(self.frequency_cap)
        out["quiet_hours"] = [dict(row) for row in self.quiet_hours]
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
                for name, spec in [
                    *self.data.items(),
                    *((f"survey {s.options.get('name', '')}", s) for s in self.surveys),
                ]
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
        if self.surveys:
            out["data"]["surveys"] = [
                {"path": str(s.path), "columns": dict(s.columns), **s.options} for s in self.surveys
            ]
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
    data = merged.get("data")
    if isinstance(data, Mapping) and "surveys" in data:  # data.surveys -> Config.surveys
        rest = {k: v for k, v in data.items() if k != "surveys"}
        merged = {**merged, "data": rest, "surveys": data["surveys"]}
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
    if key in ("data", "surveys", "vip"):
        raise BadParameterError(
            "data: cannot be overridden on the command line; edit the params file."
        )
    _check_keys(
        {key: None}, [k for k in _FIELDS if k not in ("data", "surveys", "vip")], "override"
    )
    typed: Any = value
    if key in _NULLABLE and value.lower() in ("", "null", "none"):
        typed = None
    elif key in _INT_KEYS or (key == "k" and value != "auto"):
        try:
            typed = int(value)
        except ValueError:
            raise BadParameterError(
                f"{key}: expected an integer{' or auto' if key == 'k' else ''}, got {value!r}."
            ) from None
    elif key in _FLOAT_KEYS:
        try:
            typed = float(value)
        except ValueError:
            raise BadParameterError(f"{key}: expected a number, got {value!r}.") from None
    elif key in _BOOL_KEYS and value.lower() in ("true", "false"):
        typed = value.lower() == "true"
    elif key in ("features", "segments"):
        typed = [v.strip(" '\"") for v in value.strip("[]").split(",") if v.strip(" '\"")]
    _VALIDATORS[key](key, typed, Path.cwd())
    return key, typed
