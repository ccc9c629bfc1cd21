"""What the table readers of :mod:`rfvkit.io` share: a source read, renamed and counted.

:func:`_read` opens a file (see :mod:`rfvkit.readers`) or takes a frame, renames the
user's columns to the canonical ones and starts the table's quality ledger; the other
helpers clean ids and phones with a ledger note each, pick examples for the ledger and
finish the frame that goes back as ``Loaded(frame, quality)``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

import narwhals as nw
import pandas as pd

from rfvkit.errors import BadParameterError, EmptyDataError, MissingColumnsError
from rfvkit.parsing import SMS_TYPES, normalise_ids, normalise_phones
from rfvkit.privacy import mask_phone
from rfvkit.quality import QualityLog, QualityReport, distinct_examples
from rfvkit.readers import ReadError, ReadInfo, read_file


class Loaded(NamedTuple):
    """A validated frame and the quality report of its loading (``tx, q = ...``)."""

    frame: pd.DataFrame
    quality: QualityReport


def _read(
    source: Any, columns: Mapping[str, str] | None, table: str, read_options: Mapping | None
) -> tuple[pd.DataFrame, QualityLog]:
    """The renamed frame and a ledger that already counts how the file was read."""
    frame, info = _read_source(source, table, dict(read_options or {}))
    where = f"{table}: {_describe(source)}"
    if frame.columns.duplicated().any():
        dupes = list(dict.fromkeys(frame.columns[frame.columns.duplicated()]))
        raise ReadError(f"{where} has duplicated column name(s) {dupes}; rename them first.")
    if len(frame) == 0 and table not in _MAY_BE_EMPTY:
        raise EmptyDataError(f"{where} has no data rows.")
    log = QualityLog(table, len(frame) + len(info.skipped))
    if info.format != "frame":
        log.note(info.describe(), len(frame), "info", _sheets_text(info))
    if info.skipped:
        log.note(
            "line with more fields than the header (on_bad_lines: skip)",
            len(info.skipped),
            "dropped",
            [f"{n} fields" for n in info.skipped],
        )
    return _rename(frame.reset_index(drop=True), columns, table), log


#: Tables whose header-only file means "none yet" (no opt-outs, no campaigns sent).
_MAY_BE_EMPTY = ("optouts", "campaigns")


def _sheets_text(info: ReadInfo) -> str:
    return f"sheets: {', '.join(info.sheets)}" if len(info.sheets) > 1 else ""


def _read_source(source: Any, table: str, options: dict[str, Any]) -> tuple[pd.DataFrame, ReadInfo]:
    info = ReadInfo()
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    elif isinstance(source, str | os.PathLike):
        frame, info = read_file(source, table, options)
    else:
        native = nw.from_native(source, eager_only=True, pass_through=True)
        if not isinstance(native, nw.DataFrame):
            raise BadParameterError(
                f"{table}: expected a file path or a DataFrame, got {type(source).__name__}."
            )
        frame = native.to_pandas()
    return frame.set_axis([str(c).strip() for c in frame.columns], axis=1), info


def _describe(source: Any) -> str:
    return str(source) if isinstance(source, str | os.PathLike) else "the frame"


def _rename(frame: pd.DataFrame, columns: Mapping[str, str] | None, table: str) -> pd.DataFrame:
    if not columns:
        return frame
    if not isinstance(columns, Mapping):
        raise BadParameterError(
            f"{table}: columns must be a mapping {{'YourName': 'canonical'}}, got {columns!r}."
        )
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise MissingColumnsError(
            missing,
            list(frame.columns),
            table=table,
            hint="The keys of columns={...} must be names from your file's header.",
        )
    after = pd.Index([columns.get(c, c) for c in frame.columns])
    if after.duplicated().any():
        raise BadParameterError(
            f"{table}: after renaming, column(s) {list(after[after.duplicated()])} appear twice; "
            "map only one source column to each canonical name."
        )
    return frame.set_axis(after, axis=1)


def _clean_ids(
    df: pd.DataFrame, column: str, log: QualityLog, shown: pd.Series | None = None, label: str = ""
) -> pd.DataFrame:
    ids = normalise_ids(df[column])
    return log.drop(df.assign(**{column: ids}), ids.isna(), f"missing {column}", shown, label)


def _clean_phones(
    df: pd.DataFrame, log: QualityLog, default_region: str | None, *, per_customer: bool
) -> pd.DataFrame:
    regions: pd.Series | str | None = default_region
    if "country" in df:
        country = normalise_ids(df["country"]).str.upper()
        regions = country.fillna(default_region) if default_region else country
    raw = normalise_ids(df["phone"])
    e164, kind = normalise_phones(raw, regions)
    missing, invalid = raw.isna(), kind.eq("invalid").fillna(False).astype(bool)
    other = e164.notna() & ~kind.isin(SMS_TYPES)
    log.note("missing phone", missing.sum(), "kept")
    log.note(
        "invalid phone",
        invalid.sum(),
        "flagged",
        [mask_phone(p) for p in distinct_examples(raw[invalid])],
    )
    log.note(
        "phone not mobile",
        other.sum(),
        "flagged",
        [f"{mask_phone(p)} ({t})" for p, t in zip(e164[other][:3], kind[other][:3], strict=True)],
    )
    if per_customer:
        shared = e164.notna() & e164.duplicated(keep=False)
        log.note(
            "phone shared by several customers",
            shared.sum(),
            "flagged",
            [mask_phone(p) for p in distinct_examples(e164[shared])],
        )
    df = df.drop(columns=[c for c in ("phone_e164", "phone_type") if c in df]).assign(phone=raw)
    position = df.columns.get_loc("phone") + 1
    cols = list(df.columns)
    cols[position:position] = ["phone_e164", "phone_type"]
    return df.assign(phone_e164=e164, phone_type=kind)[cols]


def _examples(df: pd.DataFrame, mask: pd.Series, *names: str) -> list[str]:
    """A few ``name=value`` strings identifying the rows in ``mask`` (first column found)."""
    if not mask.any():
        return []
    for name in names:
        if name in df:
            return [f"{name}={v}" for v in distinct_examples(df.loc[mask, name])]
    return []


def _order(df: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    lead = [c for c in first if c in df.columns]
    return df[lead + [c for c in df.columns if c not in lead]]


def _finish(df: pd.DataFrame, table: str) -> pd.DataFrame:
    if len(df) == 0:
        warnings.warn(
            f"{table}: no rows left after validation; see the quality report.", stacklevel=3
        )
    return df.reset_index(drop=True)


# Where users import Loaded from: reprs, tracebacks and pickles name that module.
Loaded.__module__ = "rfvkit.io"
