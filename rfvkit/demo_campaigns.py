"""SMS campaigns in the demo CRM: who is sent to, holdout and treatment, conversions, STOP replies.

Each campaign goes to every customer reachable at the send (consent by then, a valid mobile, no
opt-out, a purchase before): :func:`run_campaign` labels them with a rule-style segment
(:func:`segment_at`), keeps a share as holdout, replaces their orders in the window by one campaign
order with the probability of their segment and group (:data:`rfvkit.demo_world.SEGMENT_EFFECTS`)
and lets treatment customers reply STOP. It draws from the generator's main stream and changes its
orders and opt-outs. :func:`campaign_log` then builds the campaign table and the truth of each
campaign, the conversions observed in the final orders (:func:`conversions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rfvkit.demo_phones import type_number
from rfvkit.demo_world import DAY

if TYPE_CHECKING:
    from rfvkit.demo_generator import _Generator

__all__ = ["campaign_log", "conversions", "run_campaign", "segment_at"]


def segment_at(recency: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    """Rule-style label from recency (days) and orders before a send; first match wins."""
    rules = {
        "Champions": (frequency >= 4) & (recency <= 60),
        "Loyal Customers": (frequency >= 2) & (recency <= 120),
        "New Customers": (frequency == 1) & (recency <= 60),
        "At Risk": (frequency >= 2) & (recency <= 365),
        "Needs Attention": recency <= 365,
    }
    return np.select(list(rules.values()), list(rules), "Hibernating").astype(object)


def run_campaign(
    g: _Generator, sent: int, window: int, holdout_share: float, effects: dict
) -> dict:
    """Send to every reachable customer who bought before ``sent``; replace their orders in
    the window by one campaign order with the probability of their segment and group, and
    let treatment customers reply STOP (an opt-out by phone) at their segment's rate."""
    rng, n, c = g.rng, g.n, g.cust
    before = g.order_t < sent
    frequency = np.bincount(g.order_c[before], minlength=n)
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, g.order_c[before], g.order_t[before])
    reach = (frequency > 0) & c["consent"] & (np.nan_to_num(c["consent_at"], nan=np.inf) <= sent)
    reach &= (g.opt["out_at"] > sent) & (g.phones["kind"] == "mobile")
    audience = np.flatnonzero(reach)
    segment = segment_at((sent - last[audience]) // DAY, frequency[audience])
    rates = np.array([effects[s] for s in segment], dtype=float).reshape(-1, 3)
    holdout = np.zeros(audience.size, dtype=bool)
    holdout[rng.permutation(audience.size)[: round(holdout_share * audience.size)]] = True
    buys = rng.random(audience.size) < np.where(holdout, rates[:, 0], rates[:, 1])
    scale = 3 * DAY  # truncated exponential: most campaign orders come in the first days
    u = rng.random(int(buys.sum()))
    offset = (-scale * np.log1p(-u * (1 - np.exp(-window / scale)))).astype(np.int64)
    keep = ~((g.order_t >= sent) & (g.order_t < sent + window) & reach[g.order_c])
    g.order_c = np.concatenate([g.order_c[keep], audience[buys]])
    g.order_t = np.concatenate([g.order_t[keep], sent + np.minimum(offset, window - 1)])
    stop = np.zeros(audience.size, dtype=bool)
    if rates[:, 2].any():  # STOP replies, typed E.164 as an SMS gateway reports them
        stop = ~holdout & (rng.random(audience.size) < rates[:, 2])
        who = audience[stop]
        at = sent + rng.integers(0, window, who.size)
        o = g.opt
        o["phone"] = np.concatenate(
            [o["phone"], [type_number(g.phones["number"][i], "e164") for i in who]]
        )
        o["customer_id"] = np.concatenate([o["customer_id"], np.full(who.size, None)])
        o["at"] = np.concatenate([o["at"], at])
        o["out_at"][who] = np.minimum(o["out_at"][who], at)
        o["by_phone"] = np.concatenate([o["by_phone"], who])
        o["counts"]["stop_replies"] = o["counts"].get("stop_replies", 0) + int(who.size)
    return {
        "cust": audience,
        "group": np.where(holdout, "holdout", "treatment").astype(object),
        "segment": segment,
        "stop": stop,
    }


def conversions(g: _Generator, log: dict, sent: int, window: int, effects: dict) -> dict:
    """Observed conversion per group and per segment: a purchase in [sent, sent + window)."""
    inside = (g.order_t >= sent) & (g.order_t < sent + window)
    converted = np.isin(log["cust"], g.order_c[inside])
    out: dict = {"audience": int(log["cust"].size)}
    for group in ("treatment", "holdout"):
        mask = log["group"] == group
        out[group] = int(mask.sum())
        out[f"converted_{group}"] = int(converted[mask].sum())
        out[f"conversion_{group}"] = round(float(converted[mask].mean()) if mask.any() else 0, 4)
    out["observed_lift"] = round(out["conversion_treatment"] - out["conversion_holdout"], 4)
    labels, counts = np.unique(log["segment"].astype(str), return_counts=True)
    out["segments"] = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    out["effects"] = {}
    for name in labels.tolist():
        seg = log["segment"] == name
        hold, treat = seg & (log["group"] == "holdout"), seg & (log["group"] == "treatment")
        p_hold, p_treat, p_stop = effects[name]
        out["effects"][name] = {
            "true_conversion_holdout": p_hold,
            "true_conversion_treatment": p_treat,
            "true_lift": round(p_treat - p_hold, 10),
            "true_stop_rate_treatment": p_stop,
            "treatment": int(treat.sum()),
            "holdout": int(hold.sum()),
            "converted_treatment": int(converted[treat].sum()),
            "converted_holdout": int(converted[hold].sum()),
            "stop_replies": int(log["stop"][treat].sum()),
        }
    return out


def campaign_log(
    g: _Generator, sends: list[tuple[int, dict]], window_days: int, effects: dict
) -> tuple[pd.DataFrame, list[dict]]:
    """The campaign table (one row per send) and each campaign's truth, from the ``(sent,
    log)`` pairs of :func:`run_campaign`; conversions are counted in ``g``'s final orders."""
    logs, campaign_truth = [], []
    for sent, log in sends:
        cid = f"SMS-{g.t0 + pd.Timedelta(seconds=sent):%Y%m%d}"
        logs.append(
            pd.DataFrame(
                {
                    "campaign_id": cid,
                    "customer_id": g.ids[log["cust"]],
                    "segment": log["segment"],
                    "group": log["group"],
                    "sent_at": g.stamps(np.full(log["cust"].size, sent)),
                }
            )
        )
        campaign_truth.append(
            {
                "campaign_id": cid,
                "sent_at": str(g.t0 + pd.Timedelta(seconds=sent)),
                "window_days": window_days,
                **conversions(g, log, sent, window_days * DAY, effects),
            }
        )
    return pd.concat(logs, ignore_index=True), campaign_truth
