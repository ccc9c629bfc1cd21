"""Computed text of chapter 03 (personas): the persona cards and each one's portrait.

Every clause of a portrait is built from the persona tables; a clause whose numbers are
missing or suppressed is left out, so the text never says more than the data show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rfvkit.narrative._format import pct

__all__ = ["persona_cards", "portrait", "persona_grid"]

CARD_COLUMNS = [
    "segment", "customers", "share", "revenue_share", "median_recency_days", "median_frequency",
    "median_monetary", "median_age", "age_bands", "gender", "top_regions", "top_countries",
    "top_categories", "preferred_channel", "survey", "survey_coverage", "portrait", "action",
]  # fmt: skip
_NAMES = {
    "age_band": "age",
    "top_category": "main category",
    "order_daypart": "order time",
    "order_day": "order day",
    "preferred_channel": "preferred contact",
}


def _split(index: pd.DataFrame, segment: str) -> dict[str, pd.DataFrame]:
    """Shown (non-Other) rows of one segment by attribute, largest share first."""
    rows = index[(index["segment"] == segment) & (index["value"] != "Other")]
    rows = rows.sort_values("share_in_segment", ascending=False)
    return dict(tuple(rows.groupby("attribute", sort=False)))


def _mix(rows: pd.DataFrame, n: int = 3, *, with_index: bool = False, by_value=False) -> str:
    rows = rows.sort_values("value") if by_value else rows.head(n)
    return ", ".join(
        f"{r.value} {pct(r.share_in_segment)}" + (f" (index {r.index:.0f})" if with_index else "")
        for r in rows.itertuples()
    )


def portrait(
    segment: str,
    *,
    customers: int,
    revenue_share: float | None,
    index: pd.DataFrame,
    spend: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    median_age: float | None = None,
    action: str | None = None,
    min_group: int = 10,
) -> str:
    """One paragraph describing ``segment`` from its persona tables.

    Clauses, each only when its numbers exist: the most common age band (and the median
    age), up to two notable over-represented values and one under-represented one (by
    index), the category with the largest share of spend, the main order channel, and the
    top answer of each survey with the share who answered; then the message angle.

    Examples
    --------
    >>> idx = pd.DataFrame({"segment": "Champions", "attribute": ["region", "channel"],
    ...     "value": ["Scotland", "app"], "customers": [40, 70], "share_in_segment": [0.4, 0.7],
    ...     "share_in_population": [0.2, 0.3], "index": [200.0, 233.3], "notable": [True, False]})
    >>> portrait("Champions", customers=100, revenue_share=0.45, index=idx)
    'Champions (100 customers, 45% of revenue): Scotland over-represented (region, index 200); 70% order mostly via app.'
    """
    if customers < min_group:
        return (
            f"{segment}: {customers} customers, fewer than {min_group}: too few to describe "
            "without pointing at individuals."
        )
    rev = (
        ""
        if revenue_share is None or pd.isna(revenue_share)
        else f", {pct(revenue_share)} of revenue"
    )
    head = f"{segment} ({customers:,} customers{rev})"
    mine = index[index["segment"] == segment]
    split, none = _split(index, segment), index.iloc[:0]
    clauses = []
    ages = split.get("age_band", none)
    if len(ages):
        top = ages.iloc[0]
        age = "" if median_age is None or pd.isna(median_age) else f", median age {median_age:.0f}"
        clauses.append(f"most often {top.value} ({pct(top.share_in_segment)}){age}")
    notable = mine[mine["notable"] & ~mine["attribute"].str.contains(": ", regex=False)]
    for r in notable.sort_values("index", ascending=False).head(2).itertuples():
        if r.index > 100:
            clauses.append(
                f"{r.value} over-represented ({_NAMES.get(r.attribute, r.attribute)}, index {r.index:.0f})"
            )
    low = notable[notable["index"] < 100].sort_values("index").head(1)
    for r in low.itertuples():
        clauses.append(
            f"few {r.value} ({_NAMES.get(r.attribute, r.attribute)}, index {r.index:.0f})"
        )
    if spend is not None and len(spend):
        cats = spend[(spend["segment"] == segment) & (spend["attribute"] == "category")]
        cats = cats[cats["value"] != "Other"].sort_values("spend_share", ascending=False)
        if len(cats):
            clauses.append(
                f"buy {cats.iloc[0].value} most ({pct(cats.iloc[0].spend_share)} of spend)"
            )
    channel = split.get("channel", none)
    if len(channel):
        clauses.append(
            f"{pct(channel.iloc[0].share_in_segment)} order mostly via {channel.iloc[0].value}"
        )
    for attribute in sorted(a for a in mine["attribute"].unique() if ": " in a):
        answers = split.get(attribute, none)
        cov = None
        if coverage is not None and len(coverage):
            hit = coverage[(coverage["segment"] == segment) & (coverage["attribute"] == attribute)]
            cov = hit["coverage"].iloc[0] if len(hit) else None
        if len(answers) and cov is not None and not pd.isna(cov):
            survey, question = attribute.split(": ", 1)
            top = answers.iloc[0]
            clauses.append(
                f"of the {pct(cov)} who answered {survey}, {pct(top.share_in_segment)} said "
                f"{top.value} ({question})"
            )
    text = head + (": " + "; ".join(clauses) if clauses else "") + "."
    if action:
        text += f" Message angle: {action}"
    return text


def persona_cards(
    segmented: pd.DataFrame,
    groups: dict[str, np.ndarray],
    *,
    index: pd.DataFrame,
    coverage: pd.DataFrame,
    numeric: pd.DataFrame,
    spend: pd.DataFrame,
    rules=None,
    min_group: int = 10,
    vip: dict[str, list | None] | None = None,
) -> pd.DataFrame:
    """One card per group (segments in order, then the VIP group): sizes, medians, mixes,
    the portrait and the rule's action. Groups smaller than ``min_group`` keep only their
    size and a one-line portrait. ``groups`` maps each name to its row positions; ``vip``
    maps the VIP group's name to the segments it is made of (their first rule's action is
    its message angle), or None."""
    total = len(segmented)
    money = segmented["monetary"].to_numpy(dtype="float64") if "monetary" in segmented else None
    rfv = {
        col: segmented[col].to_numpy(dtype="float64")
        for col in ("recency_days", "frequency", "monetary")
        if col in segmented
    }
    actions = {r.name: r.action for r in getattr(rules, "rules", [])}
    for name, segments in (vip or {}).items():  # a VIP group made of segments: their angle
        found = [actions[seg] for seg in segments or [] if actions.get(seg)]
        if found:
            actions.setdefault(name, found[0])
    cards = []
    by_segment = dict(tuple(index.groupby("segment", sort=False)))
    spend_by = dict(tuple(spend.groupby("segment", sort=False))) if len(spend) else {}
    for seg, pos in groups.items():
        index = by_segment.get(seg, index.iloc[:0])
        split = _split(index, seg)
        none = index.iloc[:0]
        spend_seg = spend_by.get(seg, spend.iloc[:0]) if len(spend) else spend
        n = len(pos)
        card: dict = {"segment": seg, "customers": n}
        if n >= min_group:
            card["share"] = n / max(total, 1)
            if money is not None:
                card["revenue_share"] = money[pos].sum() / money.sum() if money.sum() else np.nan
            for col, values in rfv.items():
                card[f"median_{col}"] = float(np.nanmedian(values[pos]))
            age = numeric[(numeric["segment"] == seg) & (numeric["attribute"] == "age")]
            card["median_age"] = float(age["median"].iloc[0]) if len(age) else np.nan
            card["age_bands"] = _mix(split.get("age_band", none), by_value=True)
            card["gender"] = _mix(split.get("gender", none))
            card["top_regions"] = _mix(split.get("region", none), with_index=True)
            card["top_countries"] = _mix(split.get("country", none), with_index=True)
            if len(spend_seg):
                cats = spend_seg[spend_seg["attribute"] == "category"]
                cats = cats[cats["value"] != "Other"].sort_values("spend_share", ascending=False)
                card["top_categories"] = ", ".join(
                    f"{r.value} {pct(r.spend_share)}" for r in cats.head(3).itertuples()
                )
            card["preferred_channel"] = _mix(split.get("channel", none), 1)
            surveys = coverage[(coverage["segment"] == seg) & (coverage["source"] == "survey")]
            texts = []
            for attr in surveys["attribute"]:
                top = split.get(attr, none).head(1)
                cov = surveys.loc[surveys["attribute"] == attr, "coverage"].iloc[0]
                if len(top) and not pd.isna(cov):
                    texts.append(
                        f"{attr} {top.iloc[0].value} {pct(top.iloc[0].share_in_segment)} "
                        f"(of the {pct(cov)} who answered)"
                    )
            card["survey"] = "; ".join(texts)
            card["survey_coverage"] = surveys["coverage"].max() if len(surveys) else np.nan
        card["action"] = actions.get(seg)
        card["portrait"] = portrait(
            seg, customers=n, revenue_share=card.get("revenue_share"), index=index,
            spend=spend_seg, coverage=coverage, median_age=card.get("median_age"),
            action=card["action"] if n >= min_group else None, min_group=min_group,
        )  # fmt: skip
        cards.append(card)
    return pd.DataFrame(cards).reindex(columns=CARD_COLUMNS)


def persona_grid(cards: pd.DataFrame, *, currency: str = "$", columns: int = 3):
    """The cards as a readable HTML grid (one box per segment) for notebooks and reports."""
    from html import escape

    from IPython.display import HTML

    boxes = []
    for c in cards.itertuples():
        facts = []
        if not pd.isna(c.share):
            facts.append(
                f"{c.customers:,} customers ({pct(c.share)}), {pct(c.revenue_share)} of revenue"
            )
            facts.append(
                f"median {c.median_recency_days:.0f} days since last order, "
                f"{c.median_frequency:.0f} orders, {currency}{c.median_monetary:,.0f}"
            )
            for label, value in [("Age", c.age_bands), ("Gender", c.gender), ("Regions", c.top_regions),
                                 ("Buys", c.top_categories), ("Channel", c.preferred_channel),
                                 ("Survey", c.survey)]:  # fmt: skip
                if isinstance(value, str) and value:
                    facts.append(f"<b>{label}</b>: {escape(value)}")
        else:
            facts.append(f"{c.customers:,} customers")
        boxes.append(
            f"<div style='border:1px solid #ccc;border-radius:6px;padding:8px'>"
            f"<h4 style='margin:0 0 4px 0'>{escape(str(c.segment))}</h4>"
            + "<br>".join(facts)
            + f"<p style='font-size:90%;color:#333'><i>{escape(str(c.portrait))}</i></p></div>"
        )
    style = f"display:grid;grid-template-columns:repeat({columns},1fr);gap:8px"
    return HTML(f"<div style='{style}'>{''.join(boxes)}</div>")
