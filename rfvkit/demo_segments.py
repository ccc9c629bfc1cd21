"""Segments of the finished demo history: two scored snapshots, and persona differences with a poll.

:func:`snapshots` scores the clean lines with rfvkit's default rules at two earlier dates
(:data:`rfvkit.demo_world.SNAPSHOT_AT`), as earlier report runs would have kept them, plants a
few customers as gone from the later one (drawn from the generator's main stream, after the
transaction lines) and tallies the migration between them.
:func:`plant_personas` makes Champions older and more often in Scotland and New customers younger
and ordering on the app, and writes a poll with partial coverage, repeated answers and unknown
customers; it draws from a second seeded stream, so the purchases are those of the generator
without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rfvkit.demo_campaigns import segment_at
from rfvkit.demo_generator import pick
from rfvkit.demo_world import DAY, GONE_SHARE, SNAPSHOT_AT

if TYPE_CHECKING:
    from rfvkit.demo_generator import _Generator

__all__ = ["plant_personas", "snapshots"]


def snapshots(tx: pd.DataFrame, t0: pd.Timestamp, span: int, rng) -> tuple[dict, dict]:
    """Two scored tables as rfvkit's default rules saw the clean lines at two earlier dates,
    with ``GONE_SHARE`` of the first one's customers planted as missing from the second; and
    their migration counts, tallied here customer by customer."""
    import warnings

    from rfvkit.rfv import rfv_table
    from rfvkit.rules import load_rules
    from rfvkit.scoring import score
    from rfvkit.segments import segment

    clean = tx[tx["customer_id"].notna() & (tx["amount"] != 0)].drop_duplicates()
    tables = {}
    for frac in SNAPSHOT_AT:
        as_of = (t0 + pd.Timedelta(seconds=int(frac * span) // DAY * DAY)).normalize()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rfv = rfv_table(clean[clean["order_date"] < as_of], as_of=as_of)
            table = segment(score(rfv, bins=5), rules=load_rules("default", bins=5))
        tables[f"{as_of:%Y-%m-%d}"] = table
    (first, a), (second, b) = tables.items()
    stay = np.intersect1d(a.index.to_numpy(dtype=object), b.index.to_numpy(dtype=object))
    gone = np.sort(rng.choice(stay, round(GONE_SHARE * len(a)), replace=False))
    tables[second] = b = b.drop(index=gone)
    before = dict(zip(a.index, a["segment"], strict=True))
    after = dict(zip(b.index, b["segment"], strict=True))
    counts: dict[str, dict[str, int]] = {}
    for cid in before.keys() | after.keys():
        row = counts.setdefault(before.get(cid, "new"), {})
        to = after.get(cid, "gone")
        row[to] = row.get(to, 0) + 1
    truth = {
        "as_of": [first, second],
        "customers": [len(a), len(b)],
        "gone_planted": gone.tolist(),
        "matrix": {k: dict(sorted(v.items())) for k, v in sorted(counts.items())},
    }
    return tables, truth


def plant_personas(g: _Generator, tx: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, dict]:
    """Plant persona differences by end-of-period segment and write a poll.

    Draws come from ``default_rng([seed, 10])``, not the main stream, so every earlier
    table (and the purchase history) is unchanged. ``tx`` (its ``channel``) and
    ``g.cust`` (``age``, ``region``) are modified in place.
    """
    rng, n, c = np.random.default_rng([seed, 10]), g.n, g.cust
    frequency = np.bincount(g.order_c, minlength=n)
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, g.order_c, g.order_t)
    label = segment_at(np.where(frequency > 0, (g.span - last) // DAY, 10**6), frequency)
    label[frequency == 0] = "Never bought"
    champ, new = label == "Champions", label == "New Customers"
    age = c["age"].copy()
    age[champ] = np.clip(age[champ] + rng.integers(8, 16, champ.sum()), 18, 85)
    age[new] = np.clip(np.round(rng.normal(27, 6, new.sum())), 18, 85)
    region = c["region"].copy()
    region[champ & (c["country"] == "GB") & (rng.random(n) < 0.5)] = "Scotland"
    c["age"], c["region"] = age, region  # Scotland keeps the Europe/London time zone
    orders = tx.loc[tx["customer_id"].isin(g.ids[new]), "order_id"].str[1:]
    unique = orders.unique()
    app = pd.Series(rng.random(unique.size) < 0.7, index=unique)
    tx.loc[orders.index[app.reindex(orders).to_numpy()], "channel"] = "app"

    answers = np.flatnonzero(rng.random(n) < np.where(champ, 0.6, 0.35))
    interests = np.array(["Early access", "Discounts", "Free shipping", "Loyalty rewards"])
    contacts = np.array(["SMS", "Email", "WhatsApp", "App push"])
    base_i, champ_i = [0.15, 0.40, 0.30, 0.15], [0.45, 0.10, 0.20, 0.25]
    base_c, new_c = [0.35, 0.35, 0.15, 0.15], [0.25, 0.20, 0.15, 0.40]

    def draw(who: np.ndarray, start: int) -> pd.DataFrame:
        pi = np.where(champ[who][:, None], champ_i, base_i)
        pc = np.where(new[who][:, None], new_c, base_c)
        words = ["Fast delivery", "Love the app", "Prices went up", "More sizes please"]
        note = rng.random(who.size) < 0.15
        comment = [f"{words[k % 4]}, order {k}" if w else None
                   for k, w in zip(rng.integers(0, 10**6, who.size), note, strict=True)]  # fmt: skip
        return pd.DataFrame(
            {
                "customer_id": g.ids[who],
                "answered_at": g.stamps(start + rng.integers(0, 30 * DAY, who.size)),
                "contact": contacts[pick(rng, pc)],
                "interest": interests[pick(rng, pi)],
                "comment": comment,
            }
        )

    late = g.span - 30 * DAY
    first = draw(answers, late)
    again = rng.permutation(answers)[: max(2, answers.size // 30)]
    earlier = draw(again, late - 60 * DAY)  # an older answer: the later one wins
    strangers = draw(np.zeros(max(2, n // 500), dtype=np.int64), late)
    strangers["customer_id"] = [f"C{n + 1 + k:06d}" for k in range(len(strangers))]
    survey = pd.concat([first, earlier, strangers], ignore_index=True)
    survey = survey.sort_values("answered_at", kind="stable", ignore_index=True)
    segments, counts = np.unique(label, return_counts=True)
    planted = [
        {"segment": "Champions", "attribute": "age", "statistic": "median", "sign": "+"},
        {"segment": "Champions", "attribute": "region", "value": "Scotland", "sign": "+"},
        {"segment": "New", "attribute": "age", "statistic": "median", "sign": "-"},
        {"segment": "New", "attribute": "channel", "value": "app", "sign": "+"},
        {"segment": "Champions", "attribute": "poll: interest", "value": "Early access",
         "sign": "+"},
        {"segment": "New", "attribute": "poll: contact", "value": "App push", "sign": "+"},
    ]  # fmt: skip
    return survey, {
        "planted": planted,
        "generator_segments": dict(zip(segments.tolist(), counts.tolist(), strict=True)),
        "survey": {
            "name": "poll",
            "rows": len(survey),
            "respondents": int(answers.size),
            "older_answers": int(again.size),
            "unknown_customers": len(strangers),
            "coverage": round(answers.size / n, 4),
        },
    }
