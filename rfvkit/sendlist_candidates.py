"""The candidates of a send list and the one exclusion reason each gets (vectorised).

:func:`decide` works on whole columns: reasons are small integer codes (the first that
applies wins), opt-outs are matched with hash look-ups on keys, time zones and quiet-hour
deferrals are computed once per distinct (zone, country, region), and only the rows
whose number is shared are sorted to find duplicates. ``tests/test_sendlist_reference.py``
checks the results against the row-by-row reference in ``tests/sendlist_reference.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rfvkit.optouts import expand_optouts, match_optouts
from rfvkit.phones import SMS_TYPES
from rfvkit.quiet_hours import next_allowed, quiet_hours_table, resolve_timezones

__all__ = ["candidates", "decide", "group_codes"]


def group_codes(columns: Sequence[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """One code per row for the combination of ``columns`` (missing is a value of its own),
    numbered in order of first appearance, and the position of each group's first row.

    Examples
    --------
    >>> group_codes([pd.Series(["a", "b", "a", None]), pd.Series([1, 1, 1, 2])])
    (array([0, 1, 0, 2]), array([0, 1, 3]))
    """
    n = len(columns[0]) if columns else 0
    codes = np.zeros(n, dtype=np.int64)
    for column in columns:
        own, uniques = pd.factorize(column)
        codes, _ = pd.factorize(codes * (len(uniques) + 1) + own + 1)
    first = np.unique(codes, return_index=True)[1] if n else np.zeros(0, dtype=np.int64)
    return codes.astype(np.int64), first


def candidates(seg: pd.DataFrame, customers: pd.DataFrame, chosen: Sequence[str]):
    """The customers of the chosen segments joined to their customer-table row.

    Returns the joined frame (``_merge`` says whether the row was found, ``_value`` breaks
    shared-phone ties) and the customer table keyed by text ids.
    """
    cand = seg.loc[seg["segment"].astype(str).isin(chosen)].copy()
    cand["customer_id"] = cand["customer_id"].astype(str)
    cand["segment"] = cand["segment"].astype(str)
    value = cand["monetary"] if "monetary" in cand else pd.Series(0.0, index=cand.index)
    cand = cand[["customer_id", "segment"]].assign(_value=value.to_numpy())
    cust = customers.drop_duplicates("customer_id").assign(
        customer_id=lambda d: d["customer_id"].astype(str)
    )
    extra = [c for c in cust.columns if c not in ("segment",)]
    df = cand.merge(cust[extra], on="customer_id", how="left", indicator=True)
    for col in ("phone", "phone_e164", "phone_type", "sms_consent", "consent_at"):
        if col not in df:
            df[col] = np.nan
    return df, cust


def _flag(values: pd.Series | np.ndarray) -> np.ndarray:
    """A NumPy bool mask; a missing value is False."""
    if isinstance(values, pd.Series):
        values = values.fillna(False)
    return np.asarray(values, dtype=bool)


def decide(
    df: pd.DataFrame,
    cust: pd.DataFrame,
    crm: object,
    *,
    reasons: Sequence[str],
    optout_labels: Mapping[str, str],
    capped: set[str] | None,
    when: pd.Timestamp,
    quiet_hours: Sequence[Mapping] | None,
    reconsent: bool,
) -> tuple[np.ndarray, pd.DataFrame | None, np.ndarray]:
    """Each candidate's exclusion reason, as an index into ``reasons`` (-1: a recipient).

    Adds ``timezone_used``, ``send_at`` (after quiet-hour deferral) and ``_when_key``
    (one code per distinct (zone, send time)) to ``df``. Returns the codes, the expanded
    opt-out table and the mask of candidates whose later consent overrides an opt-out.
    """
    code = np.full(len(df), -1, dtype=np.int8)

    def exclude(mask: pd.Series | np.ndarray, label: str) -> None:
        code[(code < 0) & _flag(mask)] = reasons.index(label)

    exclude(df["_merge"] == "left_only", reasons[0])
    exclude(df["phone"].isna() & df["phone_e164"].isna(), reasons[1])
    exclude(df["phone_e164"].isna() | (df["phone_type"] == "invalid"), reasons[2])
    exclude(~df["phone_type"].isin(SMS_TYPES), reasons[3])
    consent = df["sms_consent"]
    exclude(
        ~(consent.to_numpy() if consent.dtype == bool else _flag(consent.astype(object).eq(True))),
        reasons[4],
    )
    optouts = expand_optouts(getattr(crm, "optouts", None), cust)
    open_ = code < 0  # opt-outs are only looked up for those still in the running
    opted, reconsented = match_optouts(df.loc[open_], optouts, reconsent, labels=optout_labels)
    opted_all = np.full(len(df), None, dtype=object)
    opted_all[open_] = opted.to_numpy(dtype=object)
    for label in optout_labels.values():
        exclude(opted_all == label, label)
    reconsented_all = np.zeros(len(df), dtype=bool)
    reconsented_all[open_] = reconsented.to_numpy(dtype=bool)
    if capped:
        exclude(df["customer_id"].isin(capped), "frequency cap")
    open_ = code < 0
    zone, _ = resolve_timezones(df.loc[open_])
    df["timezone_used"] = zone.reindex(df.index)
    exclude(df["timezone_used"].isna(), "time zone unknown")

    open_ = code < 0
    keys = df.loc[open_].reindex(columns=["timezone_used", "country", "region"])
    groups, first = group_codes([keys[c] for c in keys.columns])
    distinct = keys.iloc[first].astype(object)
    distinct = distinct.where(distinct.notna(), None)
    table = quiet_hours_table(quiet_hours)
    times = pd.Series(
        [
            next_allowed(when, zone, table, country, region)
            for zone, country, region in distinct.itertuples(index=False, name=None)
        ],
        dtype="datetime64[ns, UTC]",
    )
    df["send_at"] = times.take(groups).set_axis(keys.index)
    when_key = np.full(len(df), -1, dtype=np.int64)
    when_key[open_] = groups
    df["_when_key"] = when_key
    exclude(df["send_at"].isna(), "no allowed send time")

    open_ = code < 0
    phones = df["phone_e164"].where(open_)
    shared = open_ & _flag(phones.duplicated(keep=False) & phones.notna())
    if shared.any():  # only numbers held by several candidates need the value order
        order = df.loc[shared].sort_values(["_value", "customer_id"], ascending=[False, True])
        exclude(df.index.isin(order.index[order["phone_e164"].duplicated()]), "duplicate phone")
    return code, optouts, reconsented_all
