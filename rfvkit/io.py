"""Read and validate CRM tables: transactions, customers, opt-outs, campaign send logs.

Each reader takes a file (``.csv``, ``.parquet``, ``.xlsx``) or an in-memory frame
(pandas, or polars via narwhals), renames the user's columns to the canonical names of
DESIGN.md, checks and converts values, and returns ``Loaded(frame, quality)``: the
clean frame and a :class:`~rfvkit.quality.QualityReport` that counts every row dropped,
kept as a return, changed or flagged. :func:`load_crm` reads every table a params file
lists. The caller's frame is never modified.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import narwhals as nw
import pandas as pd

from rfvkit.columns import TRANSACTION_COLUMNS
from rfvkit.config import Config, load_config, parse_as_of
from rfvkit.errors import (
    BadParameterError,
    EmptyDataError,
    MissingColumnsError,
    RfvkitError,
    require_columns,
)
from rfvkit.parsing import (
    SMS_TYPES,
    normalise_ids,
    normalise_phones,
    parse_consent,
    parse_dates,
    parse_numbers,
)
from rfvkit.privacy import mask_phone
from rfvkit.quality import QualityLog, QualityReport, distinct_examples

__all__ = [
    "Loaded",
    "CRM",
    "QualityReport",
    "read_transactions",
    "read_customers",
    "read_optouts",
    "read_campaigns",
    "load_crm",
]

_GROUPS = {
    "treatment": "treatment",
    "holdout": "holdout",
    "control": "holdout",
    "test": "treatment",
}


class Loaded(NamedTuple):
    """A validated frame and the quality report of its loading (``tx, q = ...``)."""

    frame: pd.DataFrame
    quality: QualityReport


@dataclass(frozen=True, eq=False)
class CRM:
    """Every table of one analysis, validated, with their combined quality report."""

    transactions: pd.DataFrame
    customers: pd.DataFrame | None
    optouts: pd.DataFrame | None
    campaigns: pd.DataFrame | None
    quality: QualityReport
    config: Config


def read_transactions(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    decimal: str = ".",
    as_of: Any = None,
    return_prefix: str | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Loaded:
    """Read order lines into ``customer_id, order_date, amount`` (+ optional columns).

    Parameters
    ----------
    source : path or DataFrame
        ``.csv``, ``.parquet`` or ``.xlsx`` file, or a pandas / polars frame.
    columns : mapping, optional
        Your column names -> canonical ones, e.g. ``{"CustomerID": "customer_id"}``.
        Without ``amount``, amount = ``quantity`` x ``unit_price``.
    date_format, dayfirst : optional
        How to read text dates. Day/month order is never guessed: ``03/04/2011`` with
        no day above 12 anywhere raises until one of them is given.
    decimal : {".", ","}
        Decimal mark of amounts written as text (``"12,50"`` needs ``","``).
    as_of : date-like, optional
        Lines dated after this day are dropped and counted.
    return_prefix : str, optional
        Order ids starting with it are cancellations (``"C"`` in Online Retail).
    read_options : mapping, optional
        Passed to the pandas reader (``sep``, ``sheet_name`` ...).

    Returns
    -------
    Loaded
        ``frame`` (RangeIndex; ``customer_id`` str, ``order_date`` datetime64[ns],
        ``amount`` float64 with negative = return) and ``quality``. Lines with a missing
        customer id, date or amount are dropped; returns, zero amounts and exact
        duplicate lines are kept and counted. Duplicates are dropped only when a
        ``line_id`` column repeats.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"CustomerID": [12347.0, None, 12347.0],
    ...                     "Date": ["2024-01-02", "2024-01-03", "2024-01-05"],
    ...                     "Qty": [2, 1, -1], "Price": ["£1.50", "2", "1.50"]})
    >>> tx, q = read_transactions(raw, columns={"CustomerID": "customer_id",
    ...     "Date": "order_date", "Qty": "quantity", "Price": "unit_price"})
    >>> tx["amount"].tolist(), q.rows("missing customer_id")
    ([3.0, -1.5], 1)
    """
    df = _read(source, columns, "transactions", read_options)
    log = QualityLog("transactions", len(df))
    numbers = {}
    for col in ("quantity", "unit_price"):
        if col in df and not pd.api.types.is_numeric_dtype(df[col].dtype):
            numbers[col], rewritten = parse_numbers(df[col], col, decimal=decimal)
            log.note(f"{col} parsed from text", rewritten.sum(), "changed", df[col][rewritten])
    df = df.assign(**numbers)
    if "amount" not in df and "quantity" in df and "unit_price" in df:
        df = df.assign(amount=df["quantity"] * df["unit_price"])
        log.note("amount derived from quantity x unit_price", len(df), "changed")
    require_columns(
        df,
        ["customer_id", "order_date", "amount"],
        table="transactions",
        hint="Map your names with columns={...}; without an amount column, map quantity "
        "and unit_price and amount = quantity x unit_price.",
    )
    if return_prefix is not None and "order_id" not in df:
        raise BadParameterError(
            f"return_prefix={return_prefix!r} needs an order_id column; map one with "
            "columns={'YourInvoiceColumn': 'order_id'} or pass return_prefix=None."
        )
    if "order_id" in df:
        df = df.assign(order_id=normalise_ids(df["order_id"]))
    shown, label = (df["order_id"], "order_id") if "order_id" in df else (None, "")
    df = _clean_ids(df, "customer_id", log, shown, label)
    df = _clean_dates(df, "order_date", log, date_format, dayfirst, drop=True)
    amount, rewritten = parse_numbers(df["amount"], "amount", decimal=decimal)
    log.note("amount parsed from text", rewritten.sum(), "changed", df["amount"][rewritten])
    df = log.drop(df.assign(amount=amount), amount.isna(), "missing amount", shown, label)
    cutoff = parse_as_of(as_of)
    if cutoff is not None:
        late = df["order_date"] >= cutoff + pd.Timedelta(days=1)
        df = log.drop(df, late, f"after as_of {cutoff:%Y-%m-%d}", df["order_date"])
    if "line_id" in df:
        line_id = normalise_ids(df["line_id"])
        df = log.drop(df, line_id.notna() & line_id.duplicated(), "duplicate line_id", line_id)
    else:
        dup = df.duplicated()
        log.note(
            "exact duplicate line", dup.sum(), "kept", _examples(df, dup, "order_id", "customer_id")
        )
    neg, zero = df["amount"] < 0, df["amount"] == 0
    log.note("negative amount (return)", neg.sum(), "kept as return", df["amount"][neg])
    log.note("zero amount", zero.sum(), "kept", _examples(df, zero, "order_id", "customer_id"))
    if return_prefix is not None:
        cancel = df["order_id"].str.startswith(return_prefix).fillna(False).astype(bool)
        log.note(
            f"cancellation (order_id starts with {return_prefix!r})",
            cancel.sum(),
            "kept",
            df["order_id"][cancel],
        )
        positive = cancel & (df["amount"] > 0)
        log.note(
            "cancellation with positive amount", positive.sum(), "flagged", df["order_id"][positive]
        )
    df = _order(df, list(TRANSACTION_COLUMNS))
    return Loaded(_finish(df, "transactions"), log.report(len(df)))


def read_customers(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    default_region: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Loaded:
    """Read the customer table: one row per ``customer_id`` plus any attributes.

    ``sms_consent`` becomes bool (true/false, yes/no, y/n, 1/0; anything else, or
    missing, is False and counted); ``consent_at`` becomes a datetime. ``phone`` is
    normalised to E.164 in ``phone_e164`` with ``country`` (else ``default_region``)
    as the region of numbers written without ``+``; ``phone_type`` says ``mobile``,
    ``fixed_line``, ``invalid`` .... Invalid, non-mobile and shared numbers are kept
    and flagged; repeated customer ids keep their first row.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"id": ["a", "b", "a"], "phone": ["07400 123456", "0121 234 5678", ""],
    ...                     "sms_consent": ["yes", "N", "y"]})
    >>> cust, q = read_customers(raw, columns={"id": "customer_id"}, default_region="GB")
    >>> cust[["phone_e164", "phone_type", "sms_consent"]].values.tolist()
    [['+447400123456', 'mobile', True], ['+441212345678', 'fixed_line', False]]
    >>> q.rows("duplicate customer_id"), q.rows("phone not mobile")
    (1, 1)
    """
    df = _read(source, columns, "customers", read_options)
    log = QualityLog("customers", len(df))
    require_columns(df, ["customer_id"], table="customers")
    df = _clean_ids(df, "customer_id", log)
    dup = df["customer_id"].duplicated()
    df = log.drop(df, dup, "duplicate customer_id", df["customer_id"])
    if "country" in df:
        df = df.assign(country=normalise_ids(df["country"]).str.upper())
    if "sms_consent" in df:
        consent, missing, unknown = parse_consent(df["sms_consent"])
        log.note(
            "sms_consent missing (set to False)",
            missing.sum(),
            "changed",
            _examples(df, missing, "customer_id"),
        )
        log.note(
            "sms_consent not recognised (set to False)",
            unknown.sum(),
            "changed",
            df["sms_consent"][unknown],
        )
        df = df.assign(sms_consent=consent)
    if "consent_at" in df:
        df = _clean_dates(df, "consent_at", log, date_format, dayfirst, drop=False)
    if "phone" in df:
        df = _clean_phones(df, log, default_region, per_customer=True)
    return Loaded(_finish(df, "customers"), log.report(len(df)))


def read_optouts(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    default_region: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Loaded:
    """Read opt-outs: ``phone`` and/or ``customer_id``, optional ``opted_out_at``.

    Phones get ``phone_e164`` and ``phone_type`` as in :func:`read_customers`. Rows with
    neither a phone nor a customer id are dropped; invalid phones are kept (the raw
    ``phone`` stays) and flagged, since an opt-out must never be lost.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"phone": ["+44 7400 123456", None], "customer_id": [None, None]})
    >>> out, q = read_optouts(raw)
    >>> out["phone_e164"].tolist(), q.rows("no phone and no customer_id")
    (['+447400123456'], 1)
    """
    df = _read(source, columns, "optouts", read_options)
    log = QualityLog("optouts", len(df))
    if "phone" not in df and "customer_id" not in df:
        raise MissingColumnsError(
            ["phone", "customer_id"],
            list(df.columns),
            table="optouts",
            hint="Opt-outs need a phone or a customer_id column (one is enough); map yours "
            "with columns={'YourName': 'phone'}.",
        )
    neither = pd.Series(True, index=df.index)
    if "customer_id" in df:
        df = df.assign(customer_id=normalise_ids(df["customer_id"]))
        neither &= df["customer_id"].isna()
    if "phone" in df:
        df = df.assign(phone=normalise_ids(df["phone"]))
        neither &= df["phone"].isna()
    df = log.drop(df, neither, "no phone and no customer_id")
    if "phone" in df:
        df = _clean_phones(df, log, default_region, per_customer=False)
    if "opted_out_at" in df:
        df = _clean_dates(df, "opted_out_at", log, date_format, dayfirst, drop=False)
    dup = df.duplicated()
    log.note("duplicate opt-out", dup.sum(), "kept", _examples(df, dup, "customer_id"))
    return Loaded(_finish(df, "optouts"), log.report(len(df)))


def read_campaigns(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Loaded:
    """Read a campaign send log: ``campaign_id, customer_id, group`` (+ segment, sent_at).

    ``group`` is ``"treatment"`` or ``"holdout"`` (``control`` -> holdout and ``test`` ->
    treatment, counted as changed); other groups and rows without ids are dropped; a
    customer listed twice in one campaign keeps the first row.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"campaign_id": ["c1"] * 3, "customer_id": ["a", "b", "b"],
    ...                     "group": ["Treatment", "control", "holdout"]})
    >>> log, q = read_campaigns(raw)
    >>> log["group"].tolist(), q.rows("duplicate campaign_id + customer_id")
    (['treatment', 'holdout'], 1)
    """
    df = _read(source, columns, "campaigns", read_options)
    log = QualityLog("campaigns", len(df))
    require_columns(df, ["campaign_id", "customer_id", "group"], table="campaigns")
    ids = normalise_ids(df["campaign_id"])
    df = log.drop(
        df.assign(campaign_id=ids),
        ids.isna(),
        "missing campaign_id",
        df["customer_id"],
        "customer_id",
    )
    df = _clean_ids(df, "customer_id", log, df["campaign_id"], "campaign_id")
    raw_group = df["group"]
    text = normalise_ids(raw_group).str.lower()
    group = text.map(_GROUPS)
    renamed = group.notna() & (group != text)
    log.note("group renamed to treatment/holdout", renamed.sum(), "changed", raw_group[renamed])
    df = log.drop(
        df.assign(group=group.astype("str")), group.isna(), "group not treatment/holdout", raw_group
    )
    dup = df.duplicated(["campaign_id", "customer_id"])
    df = log.drop(df, dup, "duplicate campaign_id + customer_id", df["customer_id"], "customer_id")
    if "segment" in df:
        df = df.assign(segment=df["segment"].astype("str"))
    if "sent_at" in df:
        df = _clean_dates(df, "sent_at", log, date_format, dayfirst, drop=False)
    return Loaded(_finish(df, "campaigns"), log.report(len(df)))


_READERS = {
    "transactions": read_transactions,
    "customers": read_customers,
    "optouts": read_optouts,
    "campaigns": read_campaigns,
}


def load_crm(params: str | os.PathLike | Mapping | Config, **overrides: Any) -> CRM:
    """Read every table listed under ``data`` in a params file (or mapping).

    ``as_of`` from the parameters is passed to :func:`read_transactions`.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-02"],
    ...               "amount": [5]}).to_csv(folder / "tx.csv", index=False)
    >>> crm = load_crm({"data": {"transactions": str(folder / "tx.csv")}}, bins=4)
    >>> len(crm.transactions), crm.customers, crm.config.bins
    (1, None, 4)
    """
    config = load_config(params, **overrides)
    loaded: dict[str, Loaded] = {}
    for name, spec in config.data.items():
        options = dict(spec.options)
        if name == "transactions":
            options["as_of"] = config.as_of
        if name == "transactions" and config.engine != "pandas":  # lazy, on the engine
            from rfvkit import engines

            loaded[name] = engines.load_transactions(
                spec, engine=config.engine, cluster=config.cluster, as_of=config.as_of
            )
            continue
        loaded[name] = _READERS[name](spec.path, columns=spec.columns, **options)
    frames = {name: result.frame for name, result in loaded.items()}
    return CRM(
        transactions=frames["transactions"],
        customers=frames.get("customers"),
        optouts=frames.get("optouts"),
        campaigns=frames.get("campaigns"),
        quality=QualityReport.combine(result.quality for result in loaded.values()),
        config=config,
    )


# ----------------------------------------------------------------------------- helpers


def _read(
    source: Any, columns: Mapping[str, str] | None, table: str, read_options: Mapping | None
) -> pd.DataFrame:
    frame = _read_source(source, table, dict(read_options or {}))
    if frame.columns.duplicated().any():
        dupes = list(frame.columns[frame.columns.duplicated()])
        raise RfvkitError(f"{table}: duplicated column name(s) {dupes}; rename them first.")
    if len(frame) == 0:
        raise EmptyDataError(f"{table}: {_describe(source)} has no data rows.")
    return _rename(frame.reset_index(drop=True), columns, table)


def _read_source(source: Any, table: str, options: dict[str, Any]) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    elif isinstance(source, str | os.PathLike):
        frame = _read_file(Path(source).expanduser(), table, options)
    else:
        native = nw.from_native(source, eager_only=True, pass_through=True)
        if not isinstance(native, nw.DataFrame):
            raise BadParameterError(
                f"{table}: expected a file path or a DataFrame, got {type(source).__name__}."
            )
        frame = native.to_pandas()
    return frame.set_axis([str(c).strip() for c in frame.columns], axis=1)


def _read_file(path: Path, table: str, options: dict[str, Any]) -> pd.DataFrame:
    if not path.exists():
        raise RfvkitError(f"{table}: file not found: {path.resolve()}")
    name = path.name.lower()
    for compression in (".gz", ".bz2", ".zip", ".xz", ".zst"):
        name = name.removesuffix(compression)
    suffix = Path(name).suffix
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            if suffix == ".tsv":
                options.setdefault("sep", "\t")
            return pd.read_csv(path, **{"dtype": str, **options})
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path, **options)
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path, **{"engine": "openpyxl", **options})
    except pd.errors.EmptyDataError:
        raise EmptyDataError(f"{table}: {path} is empty (no header, no rows).") from None
    hint = " Save it as .xlsx." if suffix == ".xls" else ""
    raise RfvkitError(
        f"{table}: unsupported file type {suffix or '(none)'!r} for {path}; use .csv, "
        f".parquet or .xlsx, or pass a DataFrame.{hint}"
    )


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


def _clean_dates(
    df: pd.DataFrame,
    column: str,
    log: QualityLog,
    date_format: str | None,
    dayfirst: bool | None,
    *,
    drop: bool,
) -> pd.DataFrame:
    raw = df[column]
    dates, inferred = parse_dates(raw, column, date_format=date_format, dayfirst=dayfirst)
    if inferred:
        order, _, shown = inferred.partition(", as in ")
        log.note(
            f"{column} read {order} (inferred from the data)", raw.notna().sum(), "info", shown
        )
    blank = raw.isna()
    if not pd.api.types.is_datetime64_any_dtype(raw.dtype):
        blank |= raw.astype("str").str.strip().eq("").fillna(True).astype(bool)
    bad = dates.isna() & ~blank
    df = df.assign(**{column: dates})
    if drop:
        df = log.drop(df, blank, f"missing {column}")
        return log.drop(df, bad, f"unparsable {column}", raw)
    log.note(f"unparsable {column} (set to NaT)", bad.sum(), "changed", raw[bad])
    return df


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
