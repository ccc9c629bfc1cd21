"""Sentences and display tables for campaign results, regroup advice and segment history."""

from __future__ import annotations

import pandas as pd

from rfvkit.narrative._format import pct

__all__ = [
    "campaign_text",
    "results_table",
    "lift_numbers",
    "costs_table",
    "regroup_table",
    "regroup_text",
    "migration_text",
    "migration_table",
    "history_text",
]


def _rate(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.1f}%"


def _pts(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:+.1f} pts"


def _names(frame: pd.DataFrame) -> str:
    return ", ".join(f"**{s}**" for s in frame["segment"])


def _money(x: float, currency: str) -> str:
    if pd.isna(x):
        return "n/a"
    sign = "-" if x < 0 else ""
    return f"{sign}{currency}{abs(x):,.0f}"


def campaign_text(res) -> str:
    """Markdown: the overall result, where the lift is real and where not, opt-out costs.

    Examples
    --------
    >>> campaign_text(res)  # doctest: +SKIP
    'Campaign **SMS-20250927** (sent 2025-09-27, 14-day window): ...'
    """
    if res is None:
        return "No campaign send log in the parameters: add `data.campaigns` to measure one."
    seg = res.by_segment
    all_ = seg.iloc[-1]
    cur = res.currency
    head = (
        f"Campaign **{res.campaign_id}** (sent {res.sent_at:%Y-%m-%d}, {res.window_days}-day "
        f"window): {int(all_['treatment']):,} recipients converted at "
        f"{pct(all_['conversion_treatment'])}"
    )
    if not res.has_holdout:
        return (
            head + ". There is no holdout, so the lift cannot be estimated: nothing says how many "
            "of them would have bought anyway. Keep a holdout in the next send."
        )
    lines = [
        head + f" against {pct(all_['conversion_holdout'])} in the holdout of "
        f"{int(all_['holdout']):,}: lift {_pts(all_['lift'])} (95% CI {_pts(all_['lift_low'])} "
        f"to {_pts(all_['lift_high'])}, p = {all_['p_value']:.2g}), verdict: "
        f"*{all_['verdict']}*."
    ]
    if all_["verdict"] == "too small to tell" and all_["lift_low"] > 0:
        lines[0] += (
            f" The interval excludes zero, but the holdout reliably detects only lifts from "
            f"{_pts(all_['min_detectable_lift'])}: the lift is likely positive, its size uncertain."
        )
    parts = seg.iloc[:-1]
    groups = {v: parts[parts["verdict"] == v] for v in parts["verdict"].unique()}
    if "works" in groups:
        detail = "; ".join(
            f"**{r.segment}** {_pts(r.lift)} ({_pts(r.lift_low)} to {_pts(r.lift_high)})"
            for r in groups["works"].itertuples()
        )
        lines.append(f"- The lift is real in {detail}.")
    if "hurts" in groups:
        lines.append(f"- Recipients bought *less* than the holdout in {_names(groups['hurts'])}.")
    if "no effect" in groups:
        lines.append(
            f"- No effect in {_names(groups['no effect'])}: the holdout was large enough to see "
            "a lift worth having, and saw none."
        )
    if "too small to tell" in groups:
        small = groups["too small to tell"]
        lines.append(
            f"- Too small to tell in {_names(small)}: their holdouts detect only lifts of "
            f"{_pts(small['min_detectable_lift'].min())} to "
            f"{_pts(small['min_detectable_lift'].max())} or more. Neither a success nor a failure."
        )
    limit = res.options.get("optout_limit", 0.03)
    shed = parts[parts["sheds"]]
    if len(shed):
        detail = "; ".join(
            f"**{r.segment}** {_rate(r.optout_rate_treatment)} of recipients opted out "
            f"(holdout {_rate(r.optout_rate_holdout)}, one-sided p = {r.optout_p_value:.2g})"
            for r in shed.itertuples()
        )
        lines.append(f"- Opt-outs cost subscribers in {detail}.")
    else:
        lines.append(
            f"- No segment lost clearly more than {pct(limit)} of its recipients to opt-outs "
            f"(overall {_rate(all_['optout_rate_treatment'])}, holdout "
            f"{_rate(all_['optout_rate_holdout'])})."
        )
    money = (
        f"- Revenue per recipient {_money(all_['revenue_per_recipient_treatment'], cur)} vs "
        f"{_money(all_['revenue_per_recipient_holdout'], cur)} in the holdout: about "
        f"{_money(all_['incremental_revenue'], cur)} of extra revenue (95% CI "
        f"{_money(all_['revenue_diff_low'] * all_['treatment'], cur)} to "
        f"{_money(all_['revenue_diff_high'] * all_['treatment'], cur)})"
    )
    if pd.notna(all_["sms_cost"]):
        money += f" for {_money(all_['sms_cost'], cur)} of messages"
        if pd.notna(all_["roi"]):
            money += f", ROI {100 * all_['roi']:.0f}%"
    lines.append(money + ".")
    if res.overlaps:
        lines.append(
            f"- Overlaps {', '.join(res.overlaps)}: purchases in both windows count for both."
        )
    return "\n".join(lines)


def lift_numbers(res) -> str:
    """Plain text of the key numbers (campaign, groups, lift and interval, verdict) for a
    regression check; one line when there is no campaign."""
    if res is None:
        return "no campaign send log"
    cols = ["segment", "treatment", "holdout", "lift", "lift_low", "lift_high", "verdict"]
    table = res.by_segment[cols].round(3).to_string(index=False)
    return f"{res.campaign_id} {res.sent_at}\n{table}"


def results_table(res) -> pd.DataFrame:
    """The per-segment results with readable columns (rates as %, lifts in points)."""
    if res is None:
        return pd.DataFrame({"note": ["no campaign send log"]})
    seg = res.by_segment.merge(res.regroup, on="segment")
    out = pd.DataFrame(
        {
            "segment": seg["segment"],
            "treatment": seg["treatment"],
            "holdout": seg["holdout"],
            "conv. treatment": seg["conversion_treatment"].map(_rate),
            "conv. holdout": seg["conversion_holdout"].map(_rate),
            "lift": seg["lift"].map(_pts),
            "95% CI": [
                f"{_pts(a)} to {_pts(b)}"
                for a, b in zip(seg["lift_low"], seg["lift_high"], strict=True)
            ],
            "p": seg["p_value"].map(lambda p: "n/a" if pd.isna(p) else f"{p:.2g}"),
            "detectable from": seg["min_detectable_lift"].map(_pts),
            "verdict": seg["verdict"],
            "recommendation": seg["recommendation"],
        }
    )
    return out.set_index("segment")  # displayed: the segment names stand in for row numbers


def costs_table(res) -> pd.DataFrame:
    """Opt-outs (treatment and holdout), revenue per recipient, incremental revenue, cost, ROI."""
    if res is None:
        return pd.DataFrame({"note": ["no campaign send log"]})
    seg, cur = res.by_segment, res.currency

    def money(column: str) -> pd.Series:
        return seg[column].map(lambda x: _money(x, cur))

    return pd.DataFrame(
        {
            "segment": seg["segment"],
            "opt-outs treatment": [
                f"{int(n)} ({_rate(r)})"
                for n, r in zip(seg["optouts_treatment"], seg["optout_rate_treatment"], strict=True)
            ],
            "opt-outs holdout": [
                f"{int(n)} ({_rate(r)})"
                for n, r in zip(seg["optouts_holdout"], seg["optout_rate_holdout"], strict=True)
            ],
            "revenue/recipient treatment": money("revenue_per_recipient_treatment"),
            "revenue/recipient holdout": money("revenue_per_recipient_holdout"),
            "incremental revenue": money("incremental_revenue"),
            "AOV treatment": money("aov_treatment"),
            "AOV holdout": money("aov_holdout"),
            "SMS cost": money("sms_cost"),
            "ROI": seg["roi"].map(lambda x: "n/a" if pd.isna(x) else f"{100 * x:.0f}%"),
        }
    ).set_index("segment")


def regroup_text(res) -> str:
    """Markdown list: each segment's recommendation and the numbers behind it."""
    if res is None:
        return "No campaign measured, so no advice."
    return "\n".join(
        f"- **{r.segment}**: *{r.recommendation}*. {r.reason[0].upper()}{r.reason[1:]}."
        for r in res.regroup.itertuples()
    )


def regroup_table(res) -> pd.DataFrame:
    """The regroup advice: segment, recommendation and the numbers behind it."""
    if res is None:
        return pd.DataFrame({"note": ["no campaign send log"]})
    return res.regroup


def migration_table(mig) -> pd.DataFrame:
    """The migration matrix (customers), or a one-line note when there is nothing to compare."""
    if mig is None:
        return pd.DataFrame({"note": ["no earlier snapshot"]})
    return mig.matrix


def migration_text(mig, *, before: str = "the previous snapshot") -> str:
    """Markdown: how many kept their segment, the biggest moves, new and gone customers."""
    if mig is None:
        return (
            "No earlier snapshot to compare with: this run's scored table is kept, and the next "
            "run will show how segments moved since today."
        )
    m = mig.matrix
    new = int(m.loc["new"].sum()) if "new" in m.index else 0
    gone = int(m["gone"].sum()) if "gone" in m.columns else 0
    moves = mig.flows[
        (mig.flows["from_segment"] != mig.flows["to_segment"])
        & (mig.flows["from_segment"] != "new")
        & (mig.flows["to_segment"] != "gone")
    ].nlargest(3, "customers")
    when = ""
    if mig.before_as_of is not None and mig.after_as_of is not None:
        when = f" ({mig.before_as_of:%Y-%m-%d} to {mig.after_as_of:%Y-%m-%d})"
    lines = [
        f"Since {before}{when}, {pct(mig.stayed)} of the customers in both tables kept their "
        f"segment; {new:,} are new and {gone:,} are gone."
    ]
    if len(moves):
        detail = "; ".join(
            f"{r.customers:,} from **{r.from_segment}** to **{r.to_segment}** ({pct(r.share)})"
            for r in moves.itertuples()
        )
        lines.append(f"The biggest moves: {detail}.")
    return " ".join(lines)


def history_text(snapshots, as_of) -> str:
    """Markdown: which snapshots there are, and which one this run is compared with."""
    n = len(snapshots) if snapshots is not None else 0
    if n == 0:
        return "No earlier snapshots of the scored table: this is the first run with history."
    dates = ", ".join(f"{d:%Y-%m-%d}" for d in snapshots.index["as_of"])
    earlier = snapshots.index[snapshots.index["as_of"] < pd.Timestamp(as_of)]
    if earlier.empty:
        return f"{n} snapshot(s) ({dates}), none before this run's date {as_of:%Y-%m-%d}."
    return (
        f"{n} earlier snapshot(s) of the scored table ({dates}); this run ({as_of:%Y-%m-%d}) is "
        f"compared with the latest before it, {earlier['as_of'].iloc[-1]:%Y-%m-%d}."
    )
