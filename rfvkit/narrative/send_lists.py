"""Computed text and tables of chapter 04 (send lists). Only masked numbers and counts."""

from __future__ import annotations

import pandas as pd

from rfvkit.narrative._format import markdown, pct
from rfvkit.privacy import mask_id, mask_phone

__all__ = [
    "send_list_text",
    "exclusions_table",
    "send_summary_table",
    "message_previews",
    "masked_sample",
    "key_numbers",
]

_NONE = "No customer table in the params, so there is no send list to build."


def _join(names) -> str:
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def send_list_text(plan, *, currency: str = "$"):
    """What the plan does, in a few sentences computed from it."""
    if plan is None:
        return markdown(_NONE)
    total = plan.summary.set_index("segment").loc["All"]
    n, treat, hold = int(total["customers"]), int(total["treatment"]), int(total["holdout"])
    ledger = plan.exclusions[plan.exclusions["customers"] > 0].sort_values(
        "customers", ascending=False, kind="stable"
    )
    segments = _join(plan.settings.get("segments", []))
    text = [
        f"Of **{n:,}** customers in {segments}, **{treat:,}** get the message and **{hold:,}** "
        f"are held out to measure it ({pct(plan.settings.get('holdout', 0))} of each segment's "
        f"reachable customers); **{n - treat - hold:,}** ({pct((n - treat - hold) / max(n, 1))}) "
        "are excluded, each for one reason."
    ]
    if len(ledger):
        top = ledger.iloc[0]
        text.append(
            f"The largest reason is *{top['reason']}* ({int(top['customers']):,} customers, "
            f"{pct(top['share'])})."
        )
    deferred = int(total["deferred"])
    if deferred:
        text.append(
            f"{deferred:,} message(s) fall in the recipient's local quiet hours at "
            f"{plan.send_at:%Y-%m-%d %H:%M} UTC and are deferred to the next allowed local time."
        )
    text.append(
        f"Sending takes {int(total['sms_parts']):,} SMS parts, about "
        f"{currency}{float(total['cost']):,.2f}."
    )
    lift = total["min_detectable_lift"]
    if pd.notna(lift):
        text.append(
            f"With these group sizes the holdout can detect a lift of about {100 * lift:.1f} "
            "percentage points on a 5% conversion rate (two-sided test, 5% level, 80% power); "
            "smaller effects will not be distinguishable from chance."
        )
    return markdown(" ".join(text))


def exclusions_table(plan):
    """The ledger: every reason in checking order, with counts, shares and masked examples."""
    if plan is None:
        return markdown(_NONE)
    return plan.exclusions.style.hide(axis="index").format({"share": "{:.1%}", "customers": "{:,}"})


def send_summary_table(plan, *, currency: str = "$"):
    """Per segment: candidates, excluded, treatment, holdout, deferred, parts, cost, lift."""
    if plan is None:
        return markdown(_NONE)
    cols = [
        "segment",
        "customers",
        "excluded",
        "treatment",
        "holdout",
        "reach_share",
        "deferred",
        "sms_parts",
        "cost",
        "min_detectable_lift",
    ]
    return (
        plan.summary[cols]
        .style.hide(axis="index")
        .format(
            {
                "reach_share": "{:.1%}",
                "cost": currency + "{:,.2f}",
                "min_detectable_lift": "{:.1%}",
                "customers": "{:,}",
                "treatment": "{:,}",
            },
            na_rep="n/a",
        )
    )


def message_previews(plan, *, currency: str = "$"):
    """Each segment's template with placeholder values, encoding, parts and total cost."""
    if plan is None:
        return markdown(_NONE)
    return plan.previews.style.hide(axis="index").format(
        {"ucs2_share": "{:.1%}", "cost": currency + "{:,.2f}"}
    )


def masked_sample(plan, n: int = 5) -> pd.DataFrame | object:
    """A few treatment rows with masked id and phone (no names, no message text)."""
    if plan is None:
        return markdown(_NONE)
    rows = plan.recipients.head(n)
    return pd.DataFrame(
        {
            "customer": [mask_id(c) for c in rows["customer_id"]],
            "phone": [mask_phone(p) for p in rows["phone"]],
            "segment": rows["segment"],
            "group": rows["group"],
            "local_send_at": rows["local_send_at"],
            "encoding": rows["encoding"],
            "sms_parts": rows["sms_parts"],
        }
    )


def key_numbers(plan) -> str:
    """One line of counts for the pinned notebook output."""
    if plan is None:
        return _NONE
    total = plan.summary.set_index("segment").loc["All"]
    return (
        f"candidates {int(total['customers'])}, treatment {int(total['treatment'])}, "
        f"holdout {int(total['holdout'])}, excluded {int(total['excluded'])}, "
        f"deferred {int(total['deferred'])}, parts {int(total['sms_parts'])}"
    )
