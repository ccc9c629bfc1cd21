"""The tables a :class:`~rfvkit.sendlist.SendPlan` reports: ledger, per-segment summary,
quiet-hour deferrals, message previews, and the holdout's minimum detectable lift."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rfvkit.privacy import mask_id
from rfvkit.sms import render_messages, sms_encoding, sms_length, sms_parts, template_fields

__all__ = ["ledger", "segment_summary", "deferral_table", "previews", "minimum_detectable_lift"]


def ledger(decisions: pd.DataFrame, reasons: Sequence[str]) -> pd.DataFrame:
    """``reason, customers, share, examples``: every exclusion reason, in checking order.

    ``share`` is of all candidates; examples are masked customer ids.
    """
    total = max(len(decisions), 1)
    codes, statuses = pd.factorize(decisions["status"])
    position = {status: k for k, status in enumerate(statuses)}
    rows = []
    for reason in reasons:
        found = np.flatnonzero(codes == position.get(reason, -2))
        rows.append(
            {
                "reason": reason,
                "customers": len(found),
                "share": len(found) / total,
                "examples": ", ".join(mask_id(i) for i in decisions["customer_id"].iloc[found[:3]]),
            }
        )
    return pd.DataFrame(rows, columns=["reason", "customers", "share", "examples"])


def minimum_detectable_lift(
    n_treatment: int,
    n_holdout: int,
    *,
    baseline: float = 0.05,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest absolute lift in a conversion rate the holdout can detect.

    Solves the two-sample power equation for Cohen's effect size h with statsmodels'
    ``NormalIndPower`` (two-sided z-test, Cohen 1988, ch. 6), then turns h into rates:
    h = 2 asin(sqrt(p2)) - 2 asin(sqrt(p1)), so p2 = sin(asin(sqrt(p1)) + h / 2)^2.

    Examples
    --------
    >>> round(minimum_detectable_lift(9000, 1000, baseline=0.05), 4)
    0.0223
    """
    if n_treatment < 2 or n_holdout < 2:
        return float("nan")
    from statsmodels.stats.power import NormalIndPower

    h = NormalIndPower().solve_power(
        effect_size=None,
        nobs1=n_treatment,
        alpha=alpha,
        power=power,
        ratio=n_holdout / n_treatment,
        alternative="two-sided",
    )
    angle = math.asin(math.sqrt(baseline)) + float(h) / 2
    return min(math.sin(angle) ** 2, 1.0) - baseline


def segment_summary(
    decisions: pd.DataFrame,
    recipients: pd.DataFrame,
    reasons: Sequence[str],
    *,
    baseline_rate: float = 0.05,
) -> pd.DataFrame:
    """Per segment (and ``All``): candidates, exclusions, groups, parts, cost, lift.

    Columns: ``segment, customers, excluded, <each reason>, treatment, holdout,
    reach_share, deferred, sms_parts, cost, min_detectable_lift``.
    """
    counts = _crosstab(decisions["segment"], decisions["status"])
    counts.loc["All"] = counts.sum()
    counts = counts.reindex(columns=[*reasons, "recipient"], fill_value=0)
    treat = _treatment(recipients, ["segment", "deferred", "sms_parts", "cost"])
    sent = pd.DataFrame(
        {
            "treatment": treat.groupby("segment").size(),
            "holdout": recipients[recipients["group"] == "holdout"].groupby("segment").size(),
            "deferred": treat.groupby("segment")["deferred"].sum(),
            "sms_parts": treat.groupby("segment")["sms_parts"].sum(),
            "cost": treat.groupby("segment")["cost"].sum(),
        }
    )
    sent = sent.reindex(counts.index[:-1]).fillna(0)
    sent.loc["All"] = sent.sum()
    rows = []
    for name in counts.index:
        n = int(counts.loc[name].sum())
        n_t, n_h = int(sent.at[name, "treatment"]), int(sent.at[name, "holdout"])
        row = {"segment": name, "customers": n, "excluded": n - int(counts.at[name, "recipient"])}
        row.update({r: int(counts.at[name, r]) for r in reasons})
        row.update(
            treatment=n_t,
            holdout=n_h,
            reach_share=(n_t + n_h) / max(n, 1),
            deferred=int(sent.at[name, "deferred"]),
            sms_parts=int(sent.at[name, "sms_parts"]),
            cost=float(sent.at[name, "cost"]),
            min_detectable_lift=minimum_detectable_lift(n_t, n_h, baseline=baseline_rate),
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _crosstab(rows: pd.Series, columns: pd.Series) -> pd.DataFrame:
    """``pd.crosstab(rows, columns)`` (counts, sorted labels, missing left out) by bincount."""
    row, row_labels = pd.factorize(rows, sort=True)
    col, col_labels = pd.factorize(columns, sort=True)
    keep = (row >= 0) & (col >= 0)
    flat = np.bincount(
        row[keep] * len(col_labels) + col[keep], minlength=len(row_labels) * len(col_labels)
    )
    return pd.DataFrame(
        flat.reshape(len(row_labels), len(col_labels)).astype(np.int64),
        index=pd.Index(row_labels, name=rows.name),
        columns=pd.Index(col_labels, name=columns.name),
    )


def _treatment(recipients: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return recipients.loc[(recipients["group"] == "treatment").to_numpy(), columns]


def deferral_table(recipients: pd.DataFrame, send_at: pd.Timestamp) -> pd.DataFrame:
    """Treatment recipients by local hour at ``send_at``: ``local_hour, customers, deferred``."""
    treat = _treatment(recipients, ["timezone", "deferred"])
    codes, zones = pd.factorize(treat["timezone"])
    hour = np.array([send_at.tz_convert(zone).hour for zone in zones] + [np.nan], dtype=float)
    hours = pd.Series(hour[codes], index=treat.index)  # code -1 (no zone) -> NaN
    table = (
        pd.DataFrame({"local_hour": hours, "deferred": treat["deferred"]})
        .dropna(subset=["local_hour"])
        .groupby("local_hour")
        .agg(customers=("deferred", "size"), deferred=("deferred", "sum"))
        .reset_index()
    )
    return table.astype({"local_hour": int, "deferred": int})


def previews(
    templates: Mapping[str, str], recipients: pd.DataFrame, *, fallbacks: Mapping[str, str]
) -> pd.DataFrame:
    """Per segment: the template filled with placeholders, its encoding/parts, and the
    real spread (UCS-2 share, most parts, total cost) over the rendered messages.

    No customer's data shows: fields take ``fallbacks`` or ``<field>``.
    """
    treat = _treatment(recipients, ["segment", "encoding", "sms_parts", "cost"])
    rows = []
    for name, template in templates.items():
        fields = {f: [fallbacks.get(f, f"<{f}>")] for f in template_fields(template)}
        sample = render_messages(template, pd.DataFrame(fields or {"_": [0]}))[0]
        sent = treat[(treat["segment"] == name).to_numpy()]
        rows.append(
            {
                "segment": name,
                "preview": sample,
                "encoding": sms_encoding(sample),
                "length": sms_length(sample),
                "sms_parts": sms_parts(sample),
                "customers": len(sent),
                "ucs2_share": float((sent["encoding"] == "UCS-2").mean()) if len(sent) else 0.0,
                "max_parts": int(sent["sms_parts"].max()) if len(sent) else 0,
                "cost": float(sent["cost"].sum()),
            }
        )
    return pd.DataFrame(rows)
