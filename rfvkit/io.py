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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import narwhals as nw
import pandas as pd

from rfvkit._ahead import Ahead, handing_over_buyers
from rfvkit._cleaning import clean_dates, duplicated_lines, note_late_outliers, note_thousands
from rfvkit._fastpaths import reading_timestamps
from rfvkit._load_errors import why_empty, with_sheets
from rfvkit.checks import NET_NEGATIVE, Buyers, cross_table_checks, late_outliers, net_negative
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
    parse_numbers,
)
from rfvkit.privacy import mask_phone
from rfvkit.quality import QualityLog, QualityReport, distinct_examples
from rfvkit.readers import ReadError, ReadInfo, read_file

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
    surveys: dict[str, pd.DataFrame] = field(default_factory=dict)  # name -> one row per customer


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
    duplicates: str = "keep",
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
        Passed to the pandas reader (``sep``, ``encoding``, ``sheet_name`` ...); the
        encoding and delimiter of a CSV are sniffed when not given (see
        :mod:`rfvkit.readers`).
    duplicates : {"keep", "drop"}
        What to do with exact duplicate lines (every column equal); counted either way.

    Returns
    -------
    Loaded
        ``frame`` (RangeIndex; ``customer_id`` str, ``order_date`` datetime64[ns],
        ``amount`` float64 with negative = return) and ``quality``. Lines with a missing
        customer id, date or amount are dropped; returns, zero amounts and exact
        duplicate lines are kept (``duplicates="drop"`` drops them) and counted. A
        repeated ``line_id`` is always dropped. Flagged, not changed: amounts like
        ``7,990`` (thousands separator?), customers whose returns exceed their
        purchases, and, without ``as_of``, dates far after the rest of the data.

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
    if duplicates not in ("keep", "drop"):
        raise BadParameterError(f"duplicates: got {duplicates!r}; allowed: keep | drop.")
    named = {new: old for old, new in columns.items()} if isinstance(columns, Mapping) else {}
    stamps = [named.get("order_date", "order_date")] if date_format is None else []
    with reading_timestamps(*stamps):  # strict ISO dates typed while reading (CSV files)
        df, log = _read(source, columns, "transactions", read_options)
    with Ahead(df, decimal) as ahead:  # column work in threads, results used in order
        numbers = {}
        for col in ("quantity", "unit_price"):
            if col in df and not pd.api.types.is_numeric_dtype(df[col].dtype):
                numbers[col], rewritten = parse_numbers(df[col], col, decimal=decimal)
                log.note(f"{col} parsed from text", rewritten.sum(), "changed", df[col][rewritten])
                note_thousands(log, df[col], numbers[col], col, decimal)
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
            df = df.assign(order_id=ahead.ids("order_id"))
        shown, label = (df["order_id"], "order_id") if "order_id" in df else (None, "")
        ids = ahead.ids("customer_id")
        df = log.drop(df.assign(customer_id=ids), ids.isna(), "missing customer_id", shown, label)
        df = clean_dates(df, "order_date", log, date_format, dayfirst, drop=True)
        amount, rewritten, like = ahead.amounts(df)
        log.note("amount parsed from text", rewritten.sum(), "changed", df["amount"][rewritten])
        note_thousands(log, df["amount"], amount, "amount", decimal, like)
        df = log.drop(df.assign(amount=amount), amount.isna(), "missing amount", shown, label)
        del amount, rewritten, like  # noted: free the column-sized masks before the next steps
        if not (df["amount"] > 0).all():  # net_negative will want the customers' codes
            ahead.start_codes()
        cutoff = parse_as_of(as_of)
        if cutoff is not None:
            late = df["order_date"] >= cutoff + pd.Timedelta(days=1)
            df = log.drop(df, late, f"after as_of {cutoff:%Y-%m-%d}", df["order_date"])
            del late
        dup = None
        if "line_id" not in df:  # its first step, the likely repeats, began with the read
            dup = ahead.submit(duplicated_lines, df, ahead.repeated_pairs(df))
        if cutoff is None:
            late = ahead.submit(late_outliers, df["order_date"])  # beside the duplicate check
            note_late_outliers(log, df["order_date"], late.result())
            del late
        if dup is None:
            line_id = normalise_ids(df["line_id"])
            df = log.drop(df, line_id.notna() & line_id.duplicated(), "duplicate line_id", line_id)
        elif duplicates == "drop":
            key = "order_id" if "order_id" in df else "customer_id"
            df = log.drop(df, dup.result(), "exact duplicate line", df[key], key)
        else:
            shown = _examples(df, dup.result(), "order_id", "customer_id")
            log.note("exact duplicate line", dup.result().sum(), "kept", shown)
        del dup
        negative_net = net_negative(df, ahead.codes(df))
        ahead.hand_over(df)  # to load_crm's cross-table checks
    log.note(
        NET_NEGATIVE,
        negative_net.sum(),
        "flagged",
        df["customer_id"][negative_net],
        "customer_id",
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
    df, log = _read(source, columns, "customers", read_options)
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
        df = clean_dates(df, "consent_at", log, date_format, dayfirst, drop=False)
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
    extra_keywords: Sequence[str] = (),
) -> Loaded:
    """Read opt-outs: ``phone`` and/or ``customer_id``, optional ``opted_out_at``.

    Phones get ``phone_e164`` and ``phone_type`` as in :func:`read_customers`. Rows with
    neither a phone nor a customer id are dropped; invalid phones are kept (the raw
    ``phone`` stays) and flagged, since an opt-out must never be lost.

    The file may be an inbound-replies log with a ``message`` column: a reply that is an
    opt-out keyword, or contains one as a word, is an opt-out (see
    :mod:`rfvkit.optouts`; ``extra_keywords`` extends the list); other replies are
    dropped and counted; a row with an empty message is kept as an opt-out (in doubt,
    do not send). ``optout_reason`` says which: ``"opt-out list"``,
    ``"opt-out keyword reply"`` or ``"reply containing an opt-out keyword"``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"phone": ["+44 7400 123456", None], "customer_id": [None, None]})
    >>> out, q = read_optouts(raw)
    >>> out["phone_e164"].tolist(), q.rows("no phone and no customer_id")
    (['+447400123456'], 1)
    """
    df, log = _read(source, columns, "optouts", read_options)
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
    reason = pd.Series("opt-out list", index=df.index, dtype=object)
    if "message" in df:
        from rfvkit.optouts import CONTAINS_KEYWORD, KEYWORD, NOT_OPTOUT, classify_replies

        text = normalise_ids(df["message"])
        kind = classify_replies(text, extra=extra_keywords).where(text.notna(), "opt-out list")
        log.note(
            "reply is an opt-out keyword", (kind == KEYWORD).sum(), "kept", text[kind == KEYWORD]
        )
        contains = kind == CONTAINS_KEYWORD
        log.note("reply contains an opt-out keyword (treated as opt-out)", contains.sum(), "kept")
        log.note("reply empty (kept as opt-out)", text.isna().sum(), "kept")
        reason = kind
        df = log.drop(df, kind == NOT_OPTOUT, NOT_OPTOUT, text)
        reason = reason[df.index]
    df = df.assign(optout_reason=reason)
    if "phone" in df:
        df = _clean_phones(df, log, default_region, per_customer=False)
    if "opted_out_at" in df:
        df = clean_dates(df, "opted_out_at", log, date_format, dayfirst, drop=False)
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
    df, log = _read(source, columns, "campaigns", read_options)
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
        df = clean_dates(df, "sent_at", log, date_format, dayfirst, drop=False)
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
    buyers: list[Buyers | None] = []
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
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=f"{name}: no rows left")
                with handing_over_buyers(buyers):  # read_transactions adds its customers
                    loaded[name] = _READERS[name](spec.path, columns=spec.columns, **options)
        except RfvkitError as exc:
            exc.exit_code = 2  # the input was rejected: the CLI exits 2
            if not str(exc).startswith(f"{name}:"):  # value parsers name only the column
                exc.args = (f"{name}: {spec.path.name}: {exc}",)
            raise with_sheets(exc, spec.path, name, options, spec.columns) from None
    frames = {name: result.frame for name, result in loaded.items()}
    surveys = {}
    if config.surveys:
        from rfvkit.surveys import read_survey  # surveys builds on this module's readers

        for spec in config.surveys:
            options = {k: v for k, v in spec.options.items() if k != "name"}
            name = spec.options["name"]
            loaded[f"survey {name}"] = read_survey(
                spec.path,
                name=name,
                columns=spec.columns,
                customers=frames.get("customers"),
                **options,
            )
            surveys[name] = loaded[f"survey {name}"].frame
    quality = QualityReport.combine(result.quality for result in loaded.values())
    if quality.counts()["transactions"]["kept"] == 0:
        exc = EmptyDataError(why_empty(quality, config.data["transactions"].path))
        exc.exit_code = 2
        raise exc
    checks = cross_table_checks(  # on an engine, one row per customer comes back
        frames["transactions"],
        frames.get("customers"),
        frames.get("optouts"),
        min_match=config.min_customer_match,
        buyers=buyers[0] if buyers else None,
    )
    return CRM(
        transactions=frames["transactions"],
        customers=frames.get("customers"),
        optouts=frames.get("optouts"),
        campaigns=frames.get("campaigns"),
        quality=quality + checks,
        config=config,
        surveys=surveys,
    )


# ----------------------------------------------------------------------------- helpers


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
