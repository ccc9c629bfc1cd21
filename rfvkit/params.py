"""The params file, key by key: what each key accepts, and the one parser of dates.

:mod:`rfvkit.config` builds a :class:`~rfvkit.config.Config` from these validators;
each takes ``(key, value, base)`` (``base`` = the params file's folder) and returns the
typed value or raises a :class:`~rfvkit.errors.BadParameterError` that names the key,
the value and what is allowed.

The ``data`` key (:class:`TableSpec`, ``TABLE_OPTIONS``) is validated in
:mod:`rfvkit._params_data`, the shared checks of type and range are in
:mod:`rfvkit._param_checks`; all of them are imported from here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from rfvkit._param_checks import (
    _bad,
    _bool,
    _check_keys,
    _choice,
    _int_range,
    _number,
    _share,
    _str,
    _title,
)
from rfvkit._params_data import (  # noqa: F401  (SURVEY_OPTIONS stays importable from here)
    SURVEY_OPTIONS,
    TABLE_OPTIONS,
    TableSpec,
    _data,
    _surveys,
)
from rfvkit._params_sendlist import (
    _frequency_cap,
    _message_file,
    _quiet_hours,
    _segments,
    _send_at,
)
from rfvkit.columns import ENGINES, FEATURES, MAX_BINS, METHODS, MIN_BINS, RULE_SETS, SCALERS
from rfvkit.errors import BadParameterError, RfvkitError

__all__ = ["TableSpec", "parse_as_of", "TABLE_OPTIONS"]

#: Keys of ``vip:`` (exactly one of segments, top_share, rule).
VIP_KEYS = ("segments", "top_share", "rule", "name")
DEFAULT_MESSAGE = (
    "Hi {first_name}, we miss you! 20% off this week with code BACK20. Reply STOP to opt out"
)


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


def _thresholds(key: str, value: object, base: Path) -> dict[str, list[float]] | None:
    if value is None:
        return None
    from rfvkit.scoring import check_thresholds

    return {metric: edges.tolist() for metric, edges in check_thresholds(value).items()}


def _campaign_id(key: str, value: object, base: Path) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(key, value, "null (the latest campaign of the send log) or a campaign id")
    return value.strip()


def _folder(key: str, value: object, base: Path) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | os.PathLike):
        raise _bad(key, value, "null or a folder path (relative to the params file)")
    return str((base / Path(value).expanduser()).resolve())


def _vip(key: str, value: object, base: Path) -> dict[str, Any]:
    """``vip:``: ``{segments: [...]}``, ``{top_share: 0.1}`` or ``{rule: "r_score >= 4 ..."}``."""
    allowed = "a mapping with one of segments: [..], top_share: 0..1, rule: 'r_score >= 4'"
    if not isinstance(value, Mapping):
        raise _bad(key, value, allowed)
    _check_keys(value, VIP_KEYS, key)
    kinds = [k for k in ("segments", "top_share", "rule") if k in value]
    if len(kinds) != 1:
        raise _bad(key, dict(value), allowed + " (exactly one)")
    kind, spec = kinds[0], value[kinds[0]]
    if kind == "segments" and (
        isinstance(spec, str)
        or not isinstance(spec, list | tuple)
        or not spec
        or not all(isinstance(s, str) for s in spec)
    ):
        raise _bad(f"{key}.segments", spec, "a non-empty list of segment names")
    if kind == "top_share" and (
        isinstance(spec, bool) or not isinstance(spec, int | float) or not 0 < spec < 1
    ):
        raise _bad(f"{key}.top_share", spec, "a share of customers in (0, 1), e.g. 0.1")
    if kind == "rule" and (not isinstance(spec, str) or not spec.strip()):
        raise _bad(f"{key}.rule", spec, "an expression on score columns, e.g. 'r_score >= 4'")
    name = value.get("name", "VIP")
    if not isinstance(name, str) or not name.strip():
        raise _bad(f"{key}.name", name, "a non-empty text")
    return {kind: list(spec) if kind == "segments" else spec, "name": name}


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
        raise _bad(f"{key}.conf", value["conf"], "a mapping of Spark or DuckDB settings")
    timeout = value.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise _bad(f"{key}.timeout", timeout, "seconds above 0")
    return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in value.items()}


#: How ``-p key=value`` overrides are typed before validation.
_NULLABLE = (
    "as_of",
    "calibration_end",
    "campaign_id",
    "sms_price",
    "history",
    "send_at",
    "message_file",
    "segments",
    "frequency_cap",
)
_FLOAT_KEYS = ("min_customer_match", "discount_rate", "sms_price", "holdout", "price_per_part")
_BOOL_KEYS = ("predict", "reconsent_overrides_optout")
_INT_KEYS = (
    "max_parts",
    "bins",
    "top_n",
    "k_min",
    "k_max",
    "random_state",
    "horizon_days",
    "window_days",
    "min_group",
)


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
    "min_customer_match": _share,
    "predict": _bool,
    "horizon_days": _int_range(1, 3650),
    "discount_rate": _number(0, 1, "0.10", below_hi=True),
    "calibration_end": _as_of,
    "campaign_id": _campaign_id,
    "window_days": _int_range(1, 365),
    "sms_price": _number(0, 1e6, "0.05", optional=True),
    "history": _folder,
    "min_group": _int_range(1),
    "vip": _vip,
    "surveys": _surveys,
    "segments": _segments,
    "send_campaign_id": _title,
    "message": _title,
    "message_file": _message_file,
    "send_at": _send_at,
    "holdout": _number(0, 0.5, "0.10"),
    "frequency_cap": _frequency_cap,
    "price_per_part": _number(0, 1e6, "0.05"),
    "max_parts": _int_range(1, 20),
    "quiet_hours": _quiet_hours,
    "reconsent_overrides_optout": _bool,
    "engine": _choice(ENGINES),
    "cluster": _cluster,
}
_FIELDS = list(_VALIDATORS)
