"""Checks that flag suspicious data instead of accepting it silently.

Two kinds, both written to the quality ledger as counted rules with examples:

* **cross-table** (:func:`cross_table_checks`, run by :func:`rfvkit.io.load_crm`): the
  share of transaction customers found in the customers table, orphans on both
  sides, ids that match only after stripping leading zeros or case-folding, ids that
  differ only that way inside one table, and opt-outs that match no customer;
* **single-column** helpers used by the loaders: outlying late dates that would move
  an inferred ``as_of``, amounts that look like a misread thousands separator
  (``7,990``), time-zone offsets, and net-negative customers.

Nothing here drops a row: every rule is ``flagged`` or ``info``.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rfvkit._fastpaths import (
    _arrow_text,
    _as_str,
    _text_bytes,
    factorize_ids,
    fast_paths_enabled,
    high_quantile,
    id_counts,
    no_digit_groups,
)
from rfvkit.columns import MONEY_DECIMALS
from rfvkit.quality import QualityLog, QualityReport, distinct_examples

__all__ = [
    "MIN_MATCH",
    "NET_NEGATIVE",
    "cross_table_checks",
    "id_key",
    "loose_duplicates",
    "late_outliers",
    "thousands_like",
    "split_offsets",
    "net_negative",
    "buyers_from_codes",
]

#: The ledger rule of :func:`net_negative`.
NET_NEGATIVE = "customer net negative (returns exceed purchases; 'Net returners' in clustering)"
#: Share of transaction customers that should be found in the customers table.
MIN_MATCH = 0.9
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}")
_THOUSANDS = re.compile(r"^[+-]?[^\d]*\d{1,3}[.,]\d{3}[^\d]*$")


def id_key(ids: pd.Series) -> pd.Series:
    """A loose matching key: trimmed, case-folded, leading zeros stripped (``0`` stays).

    Examples
    --------
    >>> id_key(pd.Series(["000205", "AB-7", " ab-7", "000"])).tolist()
    ['205', 'ab-7', 'ab-7', '0']
    """
    arrow = _arrow_text(ids)
    if (
        arrow is not None
        and not _text_bytes(arrow)[0]
        and pc.all(pc.string_is_ascii(arrow)).as_py()
    ):
        # ASCII with nothing to strip: casefold is ASCII lowercase (Arrow's, no Python strings)
        key = pd.Series(_as_str(pc.utf8_ltrim(pc.ascii_lower(arrow), "0")), index=ids.index)
    else:
        key = ids.astype("str").str.strip().str.casefold().str.lstrip("0")
    return key.mask(key.eq(""), "0")


def loose_duplicates(ids: pd.Series) -> tuple[pd.Series, list[str]]:
    """Rows whose id differs from another id of the same column only by case or zeros.

    Returns the row mask and a few examples like ``'A1' / 'a1'``.

    Examples
    --------
    >>> mask, shown = loose_duplicates(pd.Series(["a1", "A1", "b", "007", "7"]))
    >>> mask.tolist(), shown
    ([True, True, False, True, True], ["'a1' / 'A1'", "'007' / '7'"])
    """
    valid = ids.notna()
    distinct = pd.Series(ids[valid].unique(), dtype="str")
    keys = id_key(distinct)
    clash = keys.duplicated(keep=False)
    if not clash.any():
        return pd.Series(False, index=ids.index), []
    groups = distinct[clash].groupby(keys[clash].to_numpy(), sort=False).agg(list)
    shown = [" / ".join(repr(v) for v in group[:3]) for group in groups.head(3)]
    return ids.isin(set(distinct[clash])) & valid, shown


def cross_table_checks(
    transactions: Any,
    customers: pd.DataFrame | None,
    optouts: pd.DataFrame | None = None,
    *,
    min_match: float = MIN_MATCH,
    buyers: Buyers | None = None,
) -> QualityReport:
    """Ledger rules comparing the tables of one CRM (nothing is dropped).

    Warns (``UserWarning``) when fewer than ``min_match`` of the transaction customers
    are in the customers table, naming the likely cause when ids match loosely.
    ``transactions`` may be a pandas frame or order lines lazy on an engine (DuckDB,
    polars, Dask, Spark): the engine counts lines per customer and only one row per
    customer comes back; the counts are the same, examples are then the first ids in
    sorted order. ``buyers`` are the pandas frame's customers and line counts when the
    loader has them already (:func:`buyers_from_codes`).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["205", "206", "7"]})
    >>> cust = pd.DataFrame({"customer_id": ["000205", "000206", "7", "8"]})
    >>> import warnings; warnings.simplefilter("ignore")
    >>> q = cross_table_checks(tx, cust)
    >>> q.rows("transaction customer not in customers"), q.rows("customer with no transactions")
    (2, 3)
    >>> q.rows("customer_id matches a customer only after stripping leading zeros or case")
    2
    """
    reports = []
    tx_log = QualityLog("transactions", 0)
    ids, lines, net_negative_ids = _buyers(transactions) if buyers is None else buyers
    if net_negative_ids is not None:  # the pandas loader writes this rule while reading
        flagged = ids.isin(net_negative_ids).to_numpy()
        tx_log.note(NET_NEGATIVE, int(lines[flagged].sum()), "flagged", ids[flagged], "customer_id")
    _within(tx_log, ids, lines)
    if customers is not None:
        cust_log = QualityLog("customers", 0)
        cust_ids = customers["customer_id"]
        _within(cust_log, cust_ids, np.ones(len(cust_ids), dtype=np.int64))
        found = _member(ids, cust_ids)
        share = float(found.mean()) if len(ids) else 1.0
        matched = int(found.sum())
        rule = (
            f"transaction customers found in customers: {share:.1%} ({matched:,} of {len(ids):,})"
        )
        low = share < min_match
        tx_log.note(rule, int(lines[found].sum()), "flagged" if low else "info")
        orphans = ids[~found]
        tx_log.note(
            "transaction customer not in customers",
            int(lines[~found].sum()),
            "flagged",
            orphans,
            "customer_id",
        )
        idle = pd.Series(~_member(cust_ids, ids), index=cust_ids.index)
        cust_log.note(
            "customer with no transactions",
            int(idle.sum()),
            "flagged",
            cust_ids[idle],
            "customer_id",
        )
        loose, pairs, cause = _loose_matches(orphans, cust_ids[idle])
        tx_log.note(
            "customer_id matches a customer only after stripping leading zeros or case",
            int(lines[~found][loose.to_numpy()].sum()),
            "flagged",
            ", ".join(pairs),
        )
        if low:
            hint = (
                f" Ids match after {cause} (e.g. {pairs[0]}): export both files with the same "
                "id format, or fix the ids before loading."
                if pairs
                else " Check that both files come from the same system and that columns={...} "
                "maps the right id column."
            )
            warnings.warn(
                f"only {share:.0%} of the transaction customers ({matched:,} of {len(ids):,}) "
                f"are in the customers table, so their attributes will be missing.{hint}",
                stacklevel=3,
            )
        if optouts is not None:
            reports.append(_optout_checks(optouts, customers))
        reports.append(cust_log.report(0))
    return QualityReport.combine([tx_log.report(0), *reports])


def _member(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Whether each of ``values`` is one of the non-missing ``keys`` (ids compared as text).

    Arrow's hash lookup: pandas' ``isin`` on Arrow strings turns the keys into Python
    objects first, seconds for a few hundred thousand ids.

    Examples
    --------
    >>> _member(pd.Series(["a", "b", None, "7"]), pd.Series(["b", None, "7"])).tolist()
    [False, True, False, True]
    """

    def text(series: pd.Series) -> pa.Array:
        arr = pa.array(series.array, from_pandas=True)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return arr if arr.type == pa.string() else pc.cast(arr, pa.string())

    found = pc.is_in(text(values), value_set=text(keys), skip_nulls=True)
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


#: A frame's distinct customer ids, their line counts, the net-negative ones (or None).
Buyers = tuple[pd.Series, np.ndarray, pd.Series | None]


def buyers_from_codes(ids: pd.Series, codes: np.ndarray, uniques: Any) -> Buyers:
    """What :func:`cross_table_checks` finds for a pandas frame whose customer ids (no
    missing one) the caller has factorized already: ``pd.factorize(ids)``.

    Examples
    --------
    >>> ids = pd.Series(["b", "a", "b"])
    >>> found, lines, _ = buyers_from_codes(ids, *pd.factorize(ids))
    >>> found.tolist(), lines.tolist()
    (['b', 'a'], [2, 1])
    """
    lines = np.bincount(codes, minlength=len(uniques)).astype(np.int64)
    return pd.Series(uniques, dtype=ids.dtype), lines, None


def _buyers(transactions: Any) -> tuple[pd.Series, np.ndarray, pd.Series | None]:
    """The distinct customer ids of the order lines, the number of lines of each and, for
    lines on an engine, the ids of the net-negative customers (see :func:`net_negative`).

    A pandas frame gives its ids in order of first appearance (so examples are the first
    offending lines' ids). Order lines lazy on an engine (:mod:`rfvkit.engines`) are
    counted there and only one row per customer comes back, sorted by id. Nets are
    rounded as in :func:`net_negative`, so the order the engine adds amounts in does not
    move a customer across 0.
    """
    if isinstance(transactions, pd.DataFrame):
        counted = id_counts(transactions["customer_id"])  # Arrow text: no codes needed
        if counted is not None:
            return pd.Series(counted[0], dtype=transactions["customer_id"].dtype), counted[1], None
        codes, uniques = pd.factorize(transactions["customer_id"], use_na_sentinel=False)
        lines = np.bincount(codes, minlength=len(uniques)).astype(np.int64)
        return pd.Series(uniques, dtype=transactions["customer_id"].dtype), lines, None
    import narwhals as nw

    from rfvkit.engines import collect_all

    amount = nw.col("amount")
    per = (
        nw.from_native(transactions)
        .lazy()
        .group_by("customer_id")
        .agg(nw.len().alias("_lines"), amount.sum().alias("_net"), amount.max().alias("_max"))
    )
    (per,) = collect_all(per.to_native())
    per["customer_id"] = per["customer_id"].astype("str")
    per = per.sort_values("customer_id", kind="stable", na_position="last", ignore_index=True)
    negative = (per["_net"].round(MONEY_DECIMALS) <= 0) & (per["_max"] > 0)
    return per["customer_id"], per["_lines"].to_numpy(np.int64), per.loc[negative, "customer_id"]


def _within(log: QualityLog, ids: pd.Series, lines: np.ndarray) -> None:
    mask, shown = loose_duplicates(ids)
    log.note(
        "customer_id differing from another only by case or leading zeros",
        int(lines[mask.to_numpy()].sum()),
        "flagged",
        ", ".join(shown),
    )


def _loose_matches(orphans: pd.Series, idle: pd.Series) -> tuple[pd.Series, list[str], str]:
    if orphans.empty or idle.empty:
        return pd.Series(False, index=orphans.index), [], ""
    lookup = pd.Series(idle.to_numpy(), index=id_key(idle).to_numpy())
    lookup = lookup[~lookup.index.duplicated()]
    keys = id_key(orphans)
    hit = keys.isin(lookup.index)
    pairs, zeros = [], False
    for raw in distinct_examples(orphans[hit]):
        other = lookup[id_key(pd.Series([raw])).iloc[0]]
        pairs.append(f"{raw!r} ~ {other!r}")
        zeros |= str(raw).lstrip("0") != str(raw) or str(other).lstrip("0") != str(other)
    cause = "stripping leading zeros" if zeros else "ignoring case"
    return hit, pairs, cause


def _optout_checks(optouts: pd.DataFrame, customers: pd.DataFrame) -> QualityReport:
    log = QualityLog("optouts", 0)
    matched = pd.Series(False, index=optouts.index)
    if "customer_id" in optouts:
        matched |= optouts["customer_id"].isin(set(customers["customer_id"].dropna()))
    if "phone_e164" in optouts and "phone_e164" in customers:
        matched |= optouts["phone_e164"].isin(set(customers["phone_e164"].dropna()))
    shown = optouts.get("customer_id", None)
    examples = [] if shown is None else shown[~matched]
    log.note(
        "opt-out matching no customer", int((~matched).sum()), "flagged", examples, "customer_id"
    )
    return log.report(0)


def late_outliers(dates: pd.Series) -> tuple[pd.Series, pd.Timestamp | None]:
    """Dates far after the bulk of the data, and the ``as_of`` the bulk suggests.

    A date is an outlier when it lies more than ``max(90 days, a quarter of the span)``
    after the 99th percentile of the dates, so one typo (``2099``) cannot move an
    inferred ``as_of``; the suggestion is the day after the last regular date.

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2024-01-0%d" % i for i in range(1, 10)] * 20 + ["2099-01-01"]))
    >>> mask, as_of = late_outliers(d)
    >>> int(mask.sum()), as_of.date().isoformat()
    (1, '2024-01-10')
    """
    valid = dates.dropna() if dates.hasnans else dates  # no copy of a column without gaps
    if len(valid) < 20:
        return pd.Series(False, index=dates.index), None
    bulk = high_quantile(valid, 0.99)
    margin = max(pd.Timedelta(days=90), (bulk - valid.min()) / 4)
    late = (dates > bulk + margin).fillna(False).astype(bool)
    if not late.any():
        return late, None
    return late, dates[~late].max().normalize() + pd.Timedelta(days=1)


def thousands_like(raw: pd.Series) -> pd.Series:
    """Text numbers with one separator followed by exactly three digits (``7,990``, ``1.250``).

    Read as a thousands group they are a thousand times a decimal reading: worth a look.

    Examples
    --------
    >>> thousands_like(pd.Series(["7,990", "7.99", "$1.250", "12,345.50", None])).tolist()
    [True, False, True, False, False]
    """
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return pd.Series(False, index=raw.index)
    arrow = _arrow_text(raw)
    if arrow is not None and no_digit_groups(arrow):
        return pd.Series(False, index=raw.index)
    edges = arrow is None or _text_bytes(arrow)[0]  # False: no value needs a strip
    text = raw.astype("str").str.strip() if edges else raw
    return (text.str.match(_THOUSANDS) & raw.notna()).fillna(False).astype(bool)


def split_offsets(raw: pd.Series) -> tuple[pd.Series, list[str]]:
    """Strip UTC offsets from ISO date-time text; return the text and the offsets seen.

    The loaders keep the local time as written (the day a purchase happened in the
    shop's own time), which is what :func:`rfvkit.rfv.rfv_table` does with a
    time-zone-aware column too, so both paths give the same day.

    Examples
    --------
    >>> text, seen = split_offsets(pd.Series(["2024-03-30 23:30+01:00", "2024-04-01T00:30+02:00"]))
    >>> text.tolist(), seen
    (['2024-03-30 23:30', '2024-04-01T00:30'], ['+01:00', '+02:00'])
    """
    if pd.api.types.is_datetime64_any_dtype(raw.dtype) or pd.api.types.is_numeric_dtype(raw.dtype):
        return raw, []
    text = raw.astype("str").str.strip()
    if fast_paths_enabled():
        has = _offset_candidates(text)
        if has is None:
            return raw, []
        cand = text[has]
        found = cand.str.match(_DATE_TIME) & cand.str.contains(_OFFSET) & raw[has].notna()
        has[has] = found.fillna(False).astype(bool).to_numpy()
    else:
        has = text.str.match(_DATE_TIME) & text.str.contains(_OFFSET) & raw.notna()
        has = has.fillna(False).astype(bool)
    if not has.any():
        return raw, []
    offsets = text[has].str.extract(f"({_OFFSET.pattern})")[0]
    seen = sorted(offsets.unique().tolist())
    return raw.mask(has, text[has].str.replace(_OFFSET, "", regex=True).str.rstrip()), seen


def _offset_candidates(text: pd.Series) -> pd.Series | None:
    """Rows that may hold an offset (a superset, found with literal tests), or None.

    An offset ends the text, after at least "YYYY-MM-DD H:MM" (15 characters: the hour
    may have one digit), so only text ending in Z or with a + or - from the 16th
    character on can hold one; most exports have none, and the regular expressions then
    run on no row at all.
    """
    tail = text.str.slice(15)
    maybe = text.str.endswith("Z") | tail.str.contains("+", regex=False)
    maybe = (maybe | tail.str.contains("-", regex=False)).fillna(False).astype(bool)
    return maybe if maybe.any() else None


def net_negative(transactions: pd.DataFrame, codes: np.ndarray | None = None) -> pd.Series:
    """Lines of customers who bought (an amount > 0) but whose net value is <= 0.

    The net is rounded to ``MONEY_DECIMALS`` (a millionth) as ``rfv_table``'s monetary
    is: purchases and returns that cancel out exactly are net 0 whatever the order of
    addition. The same customers :func:`rfvkit.clustering.suggest_segments` sets aside as
    "Net returners" (monetary <= 0 in the RFV table). ``codes`` are
    ``pd.factorize(transactions["customer_id"])[0]`` when the caller has them already.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [5.0, -9.0, 3.0]})
    >>> net_negative(tx).tolist()
    [True, True, False]
    """
    amount = transactions["amount"].to_numpy(dtype="float64")
    if fast_paths_enabled() and np.isfinite(amount).all():
        if (amount > 0.5 * 10.0**-MONEY_DECIMALS).all():  # every net rounds to > 0
            return pd.Series(False, index=transactions.index, name="amount", dtype=bool)
        if codes is None:
            codes, _ = factorize_ids(transactions["customer_id"])
        flags = _net_negative_codes(codes, amount) if not len(codes) or codes.min() >= 0 else None
        if flags is not None:
            return pd.Series(flags, index=transactions.index, name="amount", copy=False)
    groups = transactions.groupby("customer_id", sort=False)["amount"]
    net = groups.transform("sum").round(MONEY_DECIMALS)
    bought = groups.transform("max") > 0
    return ((net <= 0) & bought).fillna(False).astype(bool)


def _net_negative_codes(codes: np.ndarray, amount: np.ndarray) -> np.ndarray | None:
    """:func:`net_negative` on customer codes (0, 1, ...) and finite amounts, or None.

    Sums with ``np.bincount``. None when some customer's plain sum is too close to zero
    for its rounding to be sure of the sign: pandas' compensated group sum may then read
    the sign otherwise (it depends on the other groups' lines too), so the caller asks
    pandas for the whole column.
    """
    size = int(codes.max()) + 1 if len(codes) else 0
    net = np.bincount(codes, weights=amount, minlength=size)
    bought = np.bincount(codes, weights=amount > 0, minlength=size) > 0
    lines = np.bincount(codes, minlength=size)
    scale = np.bincount(codes, weights=np.abs(amount), minlength=size)
    edge = 0.5 * 10.0**-MONEY_DECIMALS  # where the rounded net turns from 0 to positive
    if (bought & (np.abs(net - edge) <= scale * lines * 1e-12)).any():
        return None
    return ((np.round(net, MONEY_DECIMALS) <= 0) & bought)[codes]
