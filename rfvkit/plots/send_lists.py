"""Figures of chapter 04 (send lists): the funnel, groups per segment, quiet-hour deferrals.

Each takes a :class:`~rfvkit.sendlist.SendPlan` (or None when there is no customer
table) and returns a figure; only counts are drawn, never a number or a name.
"""

from __future__ import annotations

import plotly.graph_objects as go

from rfvkit.plots._style import PALETTE, _base, _no_data

__all__ = ["send_funnel", "send_groups", "quiet_hour_deferrals", "FUNNEL_STAGES"]

#: Funnel stage -> the exclusion reasons that remove customers before it.
FUNNEL_STAGES = (
    ("With a phone", ("not in the customer table", "no phone")),
    ("Valid number", ("invalid phone",)),
    ("Can receive SMS", ("phone cannot receive SMS",)),
    ("Consented", ("no recorded consent",)),
    (
        "Not opted out",
        ("opted out", "opted out by keyword reply", "opted out by a reply containing a keyword"),
    ),
    ("Not capped", ("frequency cap",)),
    ("Recipients", ("time zone unknown", "no allowed send time", "duplicate phone")),
)


def send_funnel(plan) -> go.Figure:
    """Customers in the chosen segments -> with a phone -> ... -> recipients (funnel)."""
    fig = _base("Who can be messaged: from the chosen segments to the recipients")
    if plan is None:
        return _no_data(fig, "No customer table: no send list.")
    counts = plan.exclusions.set_index("reason")["customers"]
    n = int(len(plan.decisions))
    stages, values = ["In the chosen segments"], [n]
    for stage, reasons in FUNNEL_STAGES:
        n -= int(sum(counts.get(r, 0) for r in reasons))
        stages.append(stage)
        values.append(n)
    fig.add_trace(
        go.Funnel(
            y=stages,
            x=values,
            textinfo="value+percent initial",
            marker={"color": PALETTE[0]},
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    )
    fig.update_layout(height=460)
    return fig


def send_groups(plan) -> go.Figure:
    """Treatment and holdout customers per segment (stacked bars)."""
    fig = _base("Treatment (messaged) and holdout (kept out to measure) per segment")
    if plan is None:
        return _no_data(fig, "No customer table: no send list.")
    summary = plan.summary[plan.summary["segment"] != "All"]
    for i, group in enumerate(("treatment", "holdout")):
        fig.add_trace(
            go.Bar(
                x=summary["segment"],
                y=summary[group],
                name=group,
                marker_color=PALETTE[i],
                hovertemplate="%{x}: %{y:,} " + group + "<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", yaxis_title="Customers", xaxis_title="Segment")
    return fig


def quiet_hour_deferrals(plan) -> go.Figure:
    """Treatment recipients by their local hour at ``send_at``: on time vs deferred."""
    fig = _base("Local hour at the planned send time: sent then, or deferred for quiet hours")
    if plan is None:
        return _no_data(fig, "No customer table: no send list.")
    table = plan.deferrals
    if not len(table):
        return _no_data(fig, "Nobody to message.")
    on_time = table["customers"] - table["deferred"]
    fig.add_trace(
        go.Bar(
            x=table["local_hour"],
            y=on_time,
            name="sent at the planned time",
            marker_color=PALETTE[0],
        )
    )
    fig.add_trace(
        go.Bar(
            x=table["local_hour"],
            y=table["deferred"],
            name="deferred to the next allowed local time",
            marker_color=PALETTE[1],
        )
    )
    fig.update_layout(
        barmode="stack",
        yaxis_title="Customers",
        xaxis={
            "title": "Recipient's local hour at the planned send time",
            "dtick": 1,
            "range": [-0.5, 23.5],
        },
    )
    return fig
