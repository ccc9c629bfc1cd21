"""Purchase history for personas: order lines as integer codes, grouped with ``np.bincount``.

:class:`OrderLines` looks up each line's customer once (:func:`positions`) and factorizes each
text column once; :func:`purchase_attributes` (main category by spend, main channel, usual
daypart and day type, discount share per customer) and :func:`segment_spend` (spend shares
by category and product per segment) then group 10M lines with integer arithmetic instead
of string group-bys. Each ``np.bincount`` adds a bin's lines in line order (the order a
group-by adds them), so sums and shares are reproducible to the last bit.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "OrderLines",
    "pandas_lines",
    "positions",
    "purchase_attributes",
    "segment_spend",
    "spend_shares",
]

#: Attributes derived from transactions when their source column exists.
PURCHASE = ("top_category", "channel", "order_daypart", "order_day", "discount_share")
DAYPARTS = ("night (0-5h)", "morning (6-11h)", "afternoon (12-17h)", "evening (18-23h)")
OTHER = "Other"
_NAT = np.iinfo(np.int64).min


def positions(index: pd.Index, keys: pd.Series) -> np.ndarray:
    """Position in ``index`` of each key (-1 = absent), as int64.

    String ids go through Arrow's hash lookup (``pyarrow.compute.index_in``), about twice as
    fast as pandas on 10M keys; other ids factorize the long column, then look up only its
    distinct values.

    Examples
    --------
    >>> positions(pd.Index(["a", "b"]), pd.Series(["b", "z", "a"])).tolist()
    [1, -1, 0]
    """
    try:
        values, universe = pa.array(keys.array), pa.array(index.array)
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            found = pc.index_in(values, value_set=universe.cast(values.type)).fill_null(-1)
            return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)
    except (pa.ArrowException, TypeError, ValueError):
        pass
    key_codes, uniques = pd.factorize(keys)
    where = index.get_indexer(pd.Index(uniques))
    if not len(where):
        return np.full(len(keys), -1, dtype=np.int64)
    return np.where(key_codes >= 0, where[np.maximum(key_codes, 0)], -1)


def pandas_lines(transactions: Any, *, stacklevel: int = 2) -> pd.DataFrame | None:
    """``transactions`` if it is a pandas frame (or None); lazy order lines on another
    engine give None and one warning: purchase attributes are skipped there.

    Grouping every line per customer needs the lines in memory; a DuckDB relation, polars
    LazyFrame, Dask or Spark frame (``engine:`` in params) is left where it is.
    ``stacklevel`` is the one the caller would give :func:`warnings.warn`.

    Examples
    --------
    >>> import duckdb
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     out = pandas_lines(duckdb.sql("select 'a' as customer_id, 1.0 as amount"))
    >>> out is None, "engine 'duckdb'" in str(caught[0].message)
    (True, True)
    """
    if transactions is None or isinstance(transactions, pd.DataFrame):
        return transactions
    try:
        import narwhals as nw

        engine = str(nw.from_native(transactions).implementation.name).lower()
    except TypeError:  # not a frame narwhals knows: name its type
        engine = type(transactions).__module__.split(".")[0]
    warnings.warn(
        f"build_personas: order lines on engine {engine!r} are not read: purchase-history "
        "attributes (top category, channel, order daypart/day, discount share) and spend "
        "shares are skipped, because they group every order line in pandas and collecting "
        "the lines could exceed memory. The personas use the customer table, surveys and "
        "scores; load with engine: pandas to include purchase history.",
        stacklevel=stacklevel + 1,
    )
    return None


class OrderLines:
    """Order lines of the customers of ``index`` as integer codes, each computed once.

    ``codes`` is each line's position in ``index`` (-1 = not there); :meth:`factorize`
    gives a column's value codes (-1 = missing) and sorted distinct values; :attr:`spend`
    is the amount with returns counted as 0. With ``background=True`` the customer lookup
    and the text columns' codes are computed in a worker thread (Arrow's hashing releases
    the GIL), so the caller can describe the customer table meanwhile; reading them waits.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["b", "a", "z"], "category": ["Y", "X", "X"],
    ...                    "amount": [5.0, -2.0, 1.0]})
    >>> lines = OrderLines(tx, pd.Index(["a", "b"]))
    >>> lines.codes.tolist(), lines.factorize("category")[0].tolist(), lines.spend.tolist()
    ([1, 0, -1], [1, 0, 0], [5.0, 0.0, 1.0])
    """

    def __init__(self, transactions, index, codes=None, *, background: bool = False) -> None:
        self.frame = transactions
        self.index = index
        self._codes = codes
        self._factorized: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._spend: np.ndarray | None = None
        self._pending = None
        if background:
            pool = ThreadPoolExecutor(1, thread_name_prefix="rfvkit-lines")
            self._pending = pool.submit(self._prepare)
            pool.shutdown(wait=False)

    def _prepare(self) -> None:
        if self._codes is None:
            self._codes = positions(self.index, self.frame["customer_id"])
        for column in ("category", "channel", "product"):
            if column in self.frame:
                self._factorize(column)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()  # re-raises what the worker raised

    def __contains__(self, column: str) -> bool:
        return column in self.frame

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def codes(self) -> np.ndarray:
        self._wait()
        if self._codes is None:
            self._codes = positions(self.index, self.frame["customer_id"])
        return self._codes

    @property
    def spend(self) -> np.ndarray:
        if self._spend is None:
            self._spend = np.clip(self.frame["amount"].to_numpy(dtype="float64"), 0, None)
        return self._spend

    def factorize(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        self._wait()
        return self._factorize(column)

    def _factorize(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._factorized:
            values, labels = pd.factorize(self.frame[column], sort=True)
            self._factorized[column] = (values, np.asarray(labels, dtype=object))
        return self._factorized[column]


def purchase_attributes(lines: OrderLines) -> pd.DataFrame:
    """Main category by spend, main channel, usual daypart and day type, discount share.

    One row per customer of ``lines.index``; a customer without a known value gets NaN; ties
    go to the first value in sorted order.
    """
    codes, n = lines.codes, len(lines.index)
    unknown = codes < 0
    key = np.empty(len(codes), dtype=np.int64)  # one scratch array for every grouping key
    out = pd.DataFrame(index=lines.index)
    if "category" in lines:
        values, labels = lines.factorize("category")
        out["top_category"] = _mode(key, unknown | (values < 0), codes, values, labels, n,
                                    lines.spend)  # fmt: skip
    if "channel" in lines:
        values, labels = lines.factorize("channel")
        out["channel"] = _mode(key, unknown | (values < 0), codes, values, labels, n)
    if "order_date" in lines:
        secs = lines.frame["order_date"].to_numpy(dtype="datetime64[s]").view(np.int64)
        nat = secs == _NAT  # NaT stays NaT in whole hours and days, as numpy casts it
        part = np.floor_divide(secs, 3600)
        part[nat] = _NAT
        part %= 24
        part //= 6
        out["order_daypart"] = _mode(key, unknown, codes, part, DAYPARTS, n)
        day = np.floor_divide(secs, 86400, out=part)
        day[nat] = _NAT
        day += 3  # 1970-01-01 was a Thursday
        day %= 7
        weekend = np.greater_equal(day, 5, out=day)
        out["order_day"] = _mode(key, unknown, codes, weekend, ("weekday", "weekend"), n)
    if "discount" in lines:
        cust = codes[~unknown]
        has = pd.to_numeric(lines.frame["discount"], errors="coerce").fillna(0).to_numpy()
        has = has[~unknown] > 0
        count = np.bincount(cust, minlength=n)
        share = np.bincount(cust, weights=has, minlength=n) / np.maximum(count, 1)
        out["discount_share"] = np.where(count > 0, share, np.nan)
    return out


def _mode(key, skip, cust, codes, labels, n: int, weights=None) -> np.ndarray:
    """Per customer (``cust``: 0..n-1), the label (``codes`` index ``labels``) with the
    largest weight (count by default), over the lines not in ``skip``; ties -> the first
    label; no known value -> NaN. Returns a categorical (sorted categories: later grouping
    reads its codes). ``key`` is scratch space as long as the lines."""
    k = max(len(labels), 1)
    totals = _sums(key, skip, n * k, codes, weights, cust, k).reshape(n, k)
    best = np.where(totals.max(axis=1) > 0, totals.argmax(axis=1), -1)
    labels = np.asarray(labels, dtype=object)
    if not len(labels):
        return pd.Categorical.from_codes(np.full(n, -1), categories=labels)
    order = np.argsort(labels, kind="stable")  # categories in sorted order, like factorize
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    return pd.Categorical.from_codes(np.where(best >= 0, rank[np.maximum(best, 0)], -1),
                                     categories=labels[order])  # fmt: skip


def segment_spend(lines, seg_codes, names, extra, min_group) -> pd.DataFrame:
    """Spend shares by category and product per segment (and VIP group); values bought by
    fewer than ``min_group`` customers of a group fold into Other (with the next smallest
    when Other would hold a single value). Tiny segments are left out.

    ``lines`` is an :class:`OrderLines` (or None), ``seg_codes`` each customer's segment
    (index ``names``; -1 = left out), ``extra`` VIP name -> (member positions, segments).
    """
    if lines is None or not len(lines):
        return pd.DataFrame()
    codes, spend = lines.codes, lines.spend
    known = codes >= 0
    group_sets = [(seg_codes, names)]  # (group of each customer, -1 = left out; group names)
    for name, (pos, _) in extra.items():
        member = np.full(len(seg_codes), -1, dtype=np.int64)
        member[pos] = 0
        member[seg_codes < 0] = -1
        if (member >= 0).sum() >= min_group:
            group_sets.append((member, [name]))
    safe = np.maximum(codes, 0)
    line_groups = []  # each line's group; small ints keep the per-customer table in cache
    for cust_group, gnames in group_sets:
        small = cust_group.astype(np.min_scalar_type(-len(gnames) - 1))
        line_groups.append(np.where(known, small[safe], -1))
    outside = [lg < 0 for lg in line_groups]
    buy = known & (spend > 0)
    key = np.empty(len(codes), dtype=np.int64)  # one scratch array for every grouping key
    n_keys = len(seg_codes)
    parts = []
    for column in (c for c in ("category", "product") if c in lines):
        vcodes, uniques = lines.factorize(column)
        k = max(len(uniques), 1)
        skip = ~(buy & (vcodes >= 0))  # lines left out go to a spare last bin
        total = _sums(key, skip, k, vcodes, spend, None, 0)
        population = total / total.sum() if total.sum() else total
        pairs = _distinct(_keys(key, skip, n_keys * k, vcodes, codes, k), n_keys * k)
        for (cust_group, gnames), line_group, away in zip(
            group_sets, line_groups, outside, strict=True
        ):
            size = len(gnames) * k
            sums = _sums(key, skip | away, size, vcodes, spend, line_group, k).reshape(-1, k)
            pair_group = cust_group[pairs // k]
            mine = pair_group >= 0
            buyers = np.bincount(pair_group[mine] * k + pairs[mine] % k, minlength=size)
            buyers = buyers.reshape(-1, k)
            for i, seg in enumerate(gnames):
                have = np.flatnonzero(sums[i] > 0)
                if not have.size:
                    continue
                rows = pd.DataFrame(
                    {
                        "segment": seg,
                        "attribute": column,
                        "value": uniques[have],
                        "buyers": buyers[i, have],
                        "spend": sums[i, have],
                        "spend_share": sums[i, have] / sums[i].sum(),
                        "spend_share_population": population[have],
                    }
                )
                parts.append(_fold_spend(rows, min_group))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    out["index"] = 100 * out["spend_share"] / out["spend_share_population"]
    return out.drop(columns=["spend"])


def _keys(key, skip, spare, values, groups, k) -> np.ndarray:
    """``groups * k + values`` (just ``values`` without groups) written into ``key``, with
    ``spare`` where ``skip`` is True."""
    if groups is None:
        np.copyto(key, values)
    else:
        np.multiply(groups, k, out=key, dtype=np.int64)
        key += values
    key[skip] = spare
    return key


def _sums(key, skip, size, values, weights, groups, k) -> np.ndarray:
    """Sum of ``weights`` per ``groups * k + values`` (lines in their order), ``size`` bins."""
    keys = _keys(key, skip, size, values, groups, k)
    return np.bincount(keys, weights=weights, minlength=size + 1)[:size]


def _distinct(keys: np.ndarray, size: int) -> np.ndarray:
    """Distinct integer keys below ``size`` (keys equal to ``size`` are left out): a bit mask
    when it is small enough (one pass, no hashing), else a hash table."""
    if size <= 400_000_000:
        seen = np.zeros(size + 1, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen[:size])
    return np.sort(pd.unique(keys[keys < size]))


def _fold_spend(rows: pd.DataFrame, min_group: int) -> pd.DataFrame:
    rows = rows.sort_values("spend", ascending=False)
    hide = (rows["buyers"] < min_group).to_numpy().copy()
    if hide.sum() == 1 and (~hide).any():
        hide[np.flatnonzero(~hide)[-1]] = True
    shown = rows[~hide]
    if hide.any():
        other = {
            "segment": rows["segment"].iloc[0],
            "attribute": rows["attribute"].iloc[0],
            "value": OTHER,
            "buyers": np.nan,
            "spend": rows["spend"][hide].sum(),
            "spend_share": rows["spend_share"][hide].sum(),
            "spend_share_population": np.nan,
        }
        shown = pd.concat([shown, pd.DataFrame([other])], ignore_index=True)
    return shown.drop(columns=["index"], errors="ignore")


def spend_shares(
    transactions: pd.DataFrame, segment_of: pd.Series, *, column: str = "category"
) -> pd.DataFrame:
    """Per segment and value of ``column``: buyers, spend, share of the segment's spend.

    Spend counts purchases only (positive amounts). ``spend_share_population`` is the
    value's share of everyone's spend, and ``index`` = 100 x the ratio of the two.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "category": ["Home", "Pantry", "Home"],
    ...                    "amount": [30.0, 10.0, 60.0]})
    >>> spend_shares(tx, pd.Series(["x", "y"], index=["a", "b"], name="segment"))[
    ...     ["segment", "value", "spend_share", "index"]].round(1).values.tolist()
    [['x', 'Home', 0.8, 83.3], ['x', 'Pantry', 0.2, 250.0], ['y', 'Home', 1.0, 111.1]]
    """
    seg = segment_of.reindex(transactions["customer_id"]).to_numpy()
    lines = pd.DataFrame(
        {
            "segment": seg,
            "value": transactions[column].to_numpy(),
            "customer_id": transactions["customer_id"].to_numpy(),
            "spend": transactions["amount"].clip(lower=0).to_numpy(),
        }
    ).dropna(subset=["segment", "value"])
    lines = lines[lines["spend"] > 0]
    grouped = lines.groupby(["segment", "value"], observed=True, sort=True)
    out = grouped.agg(buyers=("customer_id", "nunique"), spend=("spend", "sum")).reset_index()
    out["segment"] = out["segment"].astype("object")
    out["spend_share"] = out["spend"] / out.groupby("segment")["spend"].transform("sum")
    population = out.groupby("value")["spend"].sum()
    out["spend_share_population"] = out["value"].map(population / population.sum())
    out["index"] = 100 * out["spend_share"] / out["spend_share_population"]
    return out.insert(1, "attribute", column) or out
