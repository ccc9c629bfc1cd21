"""Campaign results: conversion, revenue and opt-outs of treatment against holdout, per segment.

:func:`measure_campaign` attributes purchases to one campaign of the send log and compares the
customers who got the SMS (treatment) with those held out, segment by segment and overall. The
statistics (intervals, tests, detectable lift) are in :mod:`rfvkit.lift`, with their references.

Regroup advice (keep, change the message, shrink the audience, stop messaging) lives in
:mod:`rfvkit.regroup`; the sentences in :mod:`rfvkit.narrative.results`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rfvkit.errors import BadParameterError, RfvkitError, examples, require_columns
from rfvkit.lift import lift_interval, minimum_detectable_lift, segment_stats
from rfvkit.privacy import mask_id

__all__ = ["CampaignResults", "measure_campaign", "lift_interval", "minimum_detectable_lift"]

ALL = "All segments"
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class CampaignResults:
    """What :func:`measure_campaign` found for one campaign.

    Attributes
    ----------
    campaign_id : str
    sent_at : pandas.Timestamp
        The campaign's send time (earliest treatment send); holdout windows start here.
    window_days : int
    by_segment : pandas.DataFrame
        One row per segment, then ``segment == "All segments"``; columns documented in
        :func:`measure_campaign`.
    regroup : pandas.DataFrame
        ``segment``, ``recommendation``, ``reason`` (see :func:`rfvkit.regroup.regroup`).
    ledger : pandas.DataFrame
        ``step``, ``rows``: send-log rows read, left out (and why), measured.
    recipients : pandas.DataFrame
        One row per measured customer: ``customer_id``, ``segment``, ``group``, ``start``,
        ``converted``, ``revenue``, ``orders``, ``opted_out``.
    has_holdout : bool
    overlaps : list of str
        Other campaigns whose windows overlap this one.
    """

    campaign_id: str
    sent_at: pd.Timestamp
    window_days: int
    by_segment: pd.DataFrame
    regroup: pd.DataFrame
    ledger: pd.DataFrame
    recipients: pd.DataFrame = field(repr=False)
    has_holdout: bool = True
    overlaps: list[str] = field(default_factory=list)
    currency: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def summary_text(self) -> str:
        """Computed Markdown sentences: where the lift is real, where not, opt-out costs."""
        from rfvkit.narrative.results import campaign_text

        return campaign_text(self)

    def overall(self) -> pd.Series:
        """The ``All segments`` row of :attr:`by_segment`."""
        return self.by_segment.set_index("segment").loc[ALL]


def measure_campaign(
    crm: Any,
    *,
    campaign_id: str | None = None,
    window_days: int = 14,
    sms_price: float | None = None,
    currency: str = "",
    min_lift: float = 0.01,
    optout_limit: float = 0.03,
    alpha: float = 0.05,
    power: float = 0.8,
) -> CampaignResults:
    """Measure one campaign of the send log against its holdout, per segment and overall.

    A conversion is a purchase (``amount > 0``) by a customer of the send log in
    ``[start, start + window_days)``: ``start`` is the customer's ``sent_at`` for treatment and
    the campaign's send time (earliest treatment send) for the holdout. Revenue is the net
    amount (returns included) in the same window. Customers of the log unknown to the CRM are
    counted in the ledger and left out.

    Parameters
    ----------
    crm : CRM or mapping of str to DataFrame
        ``transactions`` and ``campaigns`` (the send log), optionally ``customers`` (who is
        known, phones for matching opt-outs) and ``optouts``. The order lines may stay lazy
        on an engine (``engine:`` in params); only the lines inside the measurement window
        are then collected.
    campaign_id : str, optional
        Campaign to measure; default the latest by send time.
    window_days : int
        Attribution window in days, at least 1.
    sms_price : float, optional
        Price of one message; adds ``sms_cost`` and ``roi``.
    currency : str
        Symbol used in the sentences.
    min_lift : float
        Smallest lift (in points of conversion, 0.01 = 1 point) worth detecting: a holdout
        whose minimum detectable lift exceeds it, and the observed lift, is "too small to tell".
    optout_limit : float
        Treatment opt-out rate (share of recipients opting out in the window) above which,
        when it is also significantly above the holdout's, a segment "sheds" subscribers. 3% is
        a starting point, not a standard: set it from your own sends.
    alpha, power : float
        Two-sided level of the intervals and tests, and the power of the detectable lift.

    Returns
    -------
    CampaignResults
        ``by_segment`` columns: ``segment, customers, share, treatment, holdout,
        converted_treatment, converted_holdout, conversion_treatment, conversion_holdout, lift,
        lift_low, lift_high, relative_lift, relative_low, relative_high, p_value,
        min_detectable_lift, holdout_needed, too_small, verdict, revenue_per_recipient_treatment,
        revenue_per_recipient_holdout, revenue_diff, revenue_diff_low, revenue_diff_high,
        incremental_conversions, incremental_revenue, aov_treatment, aov_holdout,
        retention_treatment, retention_holdout, optouts_treatment, optout_rate_treatment,
        optouts_holdout, optout_rate_holdout, optout_p_value, sheds, sms_cost, roi``. ``sheds``:
        the treatment opt-out rate is over ``optout_limit``, significantly above the
        campaign's holdout rate (one-sided ``optout_p_value`` < ``alpha``) and above the
        segment's own holdout rate. ``verdict`` is ``works``,
        ``hurts``, ``no effect``, ``too small to tell`` or ``no holdout``; ``retention`` is the
        share of recipients with two or more orders in the window.

    Raises
    ------
    BadParameterError
        Unknown ``campaign_id`` (the known ones are listed), ``window_days`` < 1, bad options.

    Examples
    --------
    >>> import rfvkit as rk
    >>> demo = rk.make_demo_crm(400, seed=0)
    >>> tables = {"transactions": demo.transactions, "campaigns": demo.campaigns}
    >>> res = measure_campaign(tables, campaign_id="SMS-20250927", window_days=14)
    >>> res.by_segment["segment"].iloc[-1], int(res.overall()["treatment"]) > 0
    ('All segments', True)
    """
    tables = _tables(crm)
    _check_options(window_days, sms_price, min_lift, optout_limit, alpha, power)
    log_all = tables["campaigns"]
    if log_all is None or len(log_all) == 0:
        raise RfvkitError("campaigns: no send log loaded; add data.campaigns to the params file.")
    require_columns(log_all, ["campaign_id", "customer_id", "group", "sent_at"], table="campaigns")
    _require_lines(tables["transactions"])
    starts = log_all.groupby("campaign_id", observed=True)["sent_at"].min().sort_values()
    if campaign_id is None:
        campaign_id = str(starts.index[-1])
    if campaign_id not in starts.index:
        raise BadParameterError(
            f"campaign_id: {campaign_id!r} is not in the send log; known campaigns: "
            f"{examples(starts.index[::-1], 10)}."
        )
    window = pd.Timedelta(days=window_days)
    ledger: list[tuple[str, int]] = [("send-log rows for this campaign", 0)]
    log = log_all[log_all["campaign_id"] == campaign_id]
    ledger[0] = (ledger[0][0], len(log))
    other = ~log["group"].isin(["treatment", "holdout"])
    quality = getattr(crm, "quality", None)  # rows read_campaigns dropped, all campaigns
    if quality is not None:
        dropped = quality.rows("group not treatment/holdout", "campaigns")
        ledger.append(
            ("group neither treatment nor holdout, dropped at load (all campaigns)", dropped)
        )
    ledger.append(("group neither treatment nor holdout (left out)", int(other.sum())))
    log = log[~other]
    known = _positions(log["customer_id"], _known_ids(tables))  # rows in customers, if given
    unknown = pd.Series(known < 0, log.index)
    ledger.append(("customers unknown to the CRM (left out)", int(unknown.sum())))
    if unknown.any():
        warnings.warn(
            f"campaign {campaign_id!r}: {int(unknown.sum())} customers of the send log are not in "
            f"the CRM (e.g. {examples(log.loc[unknown, 'customer_id'].map(mask_id), 3)}); "
            "left out.",
            stacklevel=2,
        )
    log, known = log[~unknown], known[~unknown.to_numpy()]
    treated = log["group"] == "treatment"
    sent_at = log.loc[treated, "sent_at"].min()
    if pd.isna(sent_at):
        sent_at = log["sent_at"].min()
    if pd.isna(sent_at):
        raise RfvkitError(f"campaign {campaign_id!r}: no sent_at in the send log; add send times.")
    start = log["sent_at"].where(treated & log["sent_at"].notna(), sent_at)
    overlaps = _overlaps(log_all, campaign_id, starts, window)
    if overlaps:
        warnings.warn(
            f"campaign {campaign_id!r} overlaps {', '.join(overlaps)} within {window_days} days; "
            "each is measured on its own, so a purchase can count for both.",
            stacklevel=2,
        )
    recipients = _attribute(log, start, window, tables, known)
    has_holdout = bool((recipients["group"] == "holdout").any())
    if not has_holdout:
        warnings.warn(
            f"campaign {campaign_id!r} has no holdout: conversion and revenue are measured, "
            "lift cannot be estimated.",
            stacklevel=2,
        )
    for group in ("treatment", "holdout"):
        ledger.append((f"measured {group}", int((recipients["group"] == group).sum())))
    opts = {
        "alpha": alpha,
        "power": power,
        "min_lift": min_lift,
        "optout_limit": optout_limit,
        "sms_price": sms_price,
    }
    by_segment = _by_segment(recipients, **opts)
    from rfvkit.regroup import regroup

    return CampaignResults(
        campaign_id=str(campaign_id),
        sent_at=pd.Timestamp(sent_at),
        window_days=int(window_days),
        by_segment=by_segment,
        regroup=regroup(by_segment, min_lift=min_lift, optout_limit=optout_limit),
        ledger=pd.DataFrame(ledger, columns=["step", "rows"]),
        recipients=recipients,
        has_holdout=has_holdout,
        overlaps=overlaps,
        currency=currency,
        options=opts,
    )


# ----------------------------------------------------------------------------- helpers


def _tables(crm: Any) -> dict[str, pd.DataFrame | None]:
    names = ("transactions", "campaigns", "customers", "optouts")
    if isinstance(crm, Mapping):
        if "transactions" not in crm or "campaigns" not in crm:
            raise BadParameterError(
                f"crm: a mapping needs 'transactions' and 'campaigns' frames; got {sorted(crm)}."
            )
        return {name: crm.get(name) for name in names}
    if not hasattr(crm, "transactions"):
        raise BadParameterError(
            f"crm: expected a CRM (rk.load_crm) or a mapping of frames, got {type(crm).__name__}."
        )
    return {name: getattr(crm, name, None) for name in names}


def _check_options(window_days, sms_price, min_lift, optout_limit, alpha, power) -> None:
    if isinstance(window_days, bool) or not isinstance(window_days, int | np.integer):
        raise BadParameterError(f"window_days: got {window_days!r}; allowed: an integer >= 1.")
    if window_days < 1:
        raise BadParameterError(f"window_days: got {window_days!r}; allowed: an integer >= 1.")
    if sms_price is not None and (not isinstance(sms_price, int | float) or sms_price < 0):
        raise BadParameterError(f"sms_price: got {sms_price!r}; allowed: null or a price >= 0.")
    for name, value in [
        ("min_lift", min_lift),
        ("optout_limit", optout_limit),
        ("alpha", alpha),
        ("power", power),
    ]:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise BadParameterError(f"{name}: got {value!r}; allowed: a number between 0 and 1.")


def _known_ids(tables: dict) -> pd.Series:
    customers = tables["customers"]
    if customers is not None and "customer_id" in customers:
        return customers["customer_id"]
    tx = tables["transactions"]
    if isinstance(tx, pd.DataFrame):
        return tx["customer_id"]
    from rfvkit.engines import collect_all
    from rfvkit.rfv import _prepare

    lines, _ = _prepare(tx, "native")  # one row per customer comes back
    return collect_all(lines.lazy().select("customer_id").unique().to_native())[0]["customer_id"]


def _require_lines(tx: Any) -> None:
    """Order lines hold customer_id, order_date and amount: a pandas frame or an engine's."""
    if isinstance(tx, pd.DataFrame):
        require_columns(tx, ["customer_id", "order_date", "amount"], table="transactions")
    else:
        from rfvkit.rfv import _prepare

        _prepare(tx, "native")  # BadParameterError / MissingColumnsError naming the column


def _window_lines(tx: Any, lo: np.datetime64, hi: np.datetime64) -> pd.DataFrame:
    """The order lines dated in ``[lo, hi)``; pandas frames are returned whole.

    Order lines that stay lazy on an engine (DuckDB, polars, Dask, Spark: see
    :mod:`rfvkit.engines`) are filtered there, and only the lines inside the campaign's
    measurement window come back to pandas, never the whole history. Dates lose their time
    zone on the engine as in :func:`rfvkit.rfv.rfv_table` (the shop's own clock).
    """
    if isinstance(tx, pd.DataFrame):
        return tx
    import narwhals as nw

    from rfvkit.engines import collect_all
    from rfvkit.rfv import _prepare

    lines, _ = _prepare(tx, "native")
    start, end = (pd.Timestamp(t).to_pydatetime() for t in (lo, hi))
    inside = (nw.col("order_date") >= start) & (nw.col("order_date") < end)
    return collect_all(lines.lazy().filter(inside).to_native())[0]


def _positions(values, keys) -> np.ndarray:
    """Row in ``keys`` of each of ``values`` (first match), -1 when absent or missing.

    Hashing runs in Arrow (``pyarrow.compute.index_in``): ids are Arrow strings already under
    pandas 3, and a million Python-string lookups would take seconds.
    """
    found = pc.index_in(
        _arrow(values), options=pc.SetLookupOptions(value_set=_arrow(keys), skip_nulls=True)
    )
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _arrow(values):
    """Ids as one Arrow string array (numbers become their text)."""
    data = values.array if isinstance(values, pd.Series | pd.Index) else values
    arr = pa.array(data, from_pandas=True) if not isinstance(data, pa.Array) else data
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.string() else pc.cast(arr, pa.string())


def _overlaps(log: pd.DataFrame, campaign_id: str, starts: pd.Series, window: pd.Timedelta):
    ends = log.groupby("campaign_id", observed=True)["sent_at"].max() + window
    mine_start, mine_end = starts[campaign_id], ends[campaign_id]
    hit = (starts < mine_end) & (ends.reindex(starts.index) > mine_start)
    return [str(c) for c in starts.index[hit] if c != campaign_id]


def _attribute(log: pd.DataFrame, start: pd.Series, window: pd.Timedelta, tables: dict, rows):
    """One row per recipient: conversion, net revenue, orders and opt-out inside the window."""
    n = len(log)
    begin = start.to_numpy(dtype="datetime64[ns]")
    lo, hi = begin.min(), begin.max() + window.to_timedelta64()
    tx = _window_lines(tables["transactions"], lo, hi)
    dates = tx["order_date"].to_numpy(dtype="datetime64[ns]")
    near = np.flatnonzero((dates >= lo) & (dates < hi))  # cheap cut before the id lookup
    pos = _positions(tx["customer_id"].iloc[near], log["customer_id"])
    hit = pos >= 0
    near, pos = near[hit], pos[hit]
    inside = (dates[near] >= begin[pos]) & (dates[near] < begin[pos] + window.to_timedelta64())
    near, pos = near[inside], pos[inside]
    amount = tx["amount"].iloc[near].to_numpy(dtype=float)
    revenue = np.bincount(pos, weights=amount, minlength=n)
    bought = amount > 0
    sales = np.bincount(pos[bought], weights=amount[bought], minlength=n)
    key = tx["order_id"].iloc[near].to_numpy() if "order_id" in tx else dates[near]
    orders_seen = pd.DataFrame({"pos": pos[bought], "order": key[bought]}).drop_duplicates()
    orders = np.bincount(orders_seen["pos"].to_numpy(), minlength=n)
    segment = log["segment"] if "segment" in log else pd.Series("(no segment)", index=log.index)
    return pd.DataFrame(
        {
            "customer_id": log["customer_id"].array,
            "segment": segment.fillna("(no segment)").astype(str).astype("category").array,
            "group": log["group"].astype(str).astype("category").array,
            "start": begin,
            "converted": orders > 0,
            "revenue": revenue,
            "sales": sales,
            "orders": orders,
            "opted_out": _opted_out(log, begin, window, tables, rows),
        }
    )


def _opted_out(log: pd.DataFrame, begin: np.ndarray, window: pd.Timedelta, tables: dict, rows):
    """Whether each recipient opted out in the window, matched by customer id or phone.

    ``rows`` are the recipients' rows in the customers table (where their phones are)."""
    out = np.zeros(len(log), dtype=bool)
    opt = tables["optouts"]
    if opt is None or len(opt) == 0 or "opted_out_at" not in opt:
        return out
    at = opt["opted_out_at"].to_numpy(dtype="datetime64[ns]")
    keys = [("customer_id", _arrow(log["customer_id"]))]
    customers = tables["customers"]
    with_ids = customers is not None and "customer_id" in customers
    if with_ids and "phone_e164" in customers and "phone_e164" in opt:
        phones = _arrow(customers["phone_e164"]).take(pa.array(rows, mask=rows < 0))
        keys.append(("phone_e164", phones))
    end = begin + window.to_timedelta64()
    for column, mine in keys:
        if column not in opt:
            continue
        found = opt[column].notna().to_numpy() & ~np.isnat(at)
        first = pd.Series(at[found]).groupby(opt[column].to_numpy(object)[found]).min()
        if first.empty:
            continue
        hit = _positions(mine, first.index)
        when = np.where(hit >= 0, first.to_numpy()[np.maximum(hit, 0)], np.datetime64("NaT"))
        when = when.astype("datetime64[ns]")
        out |= ~np.isnat(when) & (when >= begin) & (when < end)
    return out


def _by_segment(recipients: pd.DataFrame, **opts: Any) -> pd.DataFrame:
    recipients = recipients.drop(columns=["customer_id", "start"])  # not needed for statistics
    groups = list(recipients.groupby("segment", sort=True, observed=True))
    groups.append((ALL, recipients))
    holdout = recipients["group"] == "holdout"
    base = (int(recipients.loc[holdout, "opted_out"].sum()), int(holdout.sum()))
    rows = [
        segment_stats(name, part, len(recipients), holdout_optouts=base, **opts)
        for name, part in groups
    ]
    return pd.DataFrame(rows)
