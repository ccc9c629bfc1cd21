"""Names for suggested clusters, from where each centre sits among all customers.

A cluster's name comes from the percentile rank of its centre: recency (below 1/3
"Recent", above 2/3 "Lapsed", between "At-risk", or "Fading" for one-timers), value
(above 2/3 "high-value", below 1/3 "low-value") and frequency (a centre under 1.5
orders: "one-timers", or "newcomers" when recent; above the median of repeat customers:
"regulars"; else "occasionals"), e.g. "Recent high-value regulars". Equal names get a
deterministic suffix; a single cluster is "All customers"; net returners (cluster -1)
are "Net returners".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rfvkit.columns import RFV_METRICS as RFV

__all__ = ["RETURNERS", "name_clusters"]

RETURNERS = "Net returners"
_MORE = {"monetary": "higher value", "recency_days": "less recent", "frequency": "more frequent"}
_BY = {"monetary": "value", "recency_days": "days since last order", "frequency": "orders"}
_LESS = {"monetary": "lower value", "recency_days": "more recent", "frequency": "less frequent"}


def name_clusters(centroids, profiles, fit, centers) -> tuple[dict[int, str], dict[int, str]]:
    """Name and describe each cluster from its centre's percentile ranks (module docstring)."""
    names, descriptions = {}, {}
    if -1 in profiles.index:
        names[-1] = RETURNERS
        descriptions[-1] = (
            "Returned as much as they bought or more (net spend <= 0); left out of the clustering."
        )
    if len(centroids) == 1:
        names[0] = "All customers"
        descriptions[0] = (
            f"All {int(profiles.loc[0, 'customers']):,} customers form one group; nothing splits them."
        )
        return names, descriptions
    population = {col: np.sort(fit[col].to_numpy()) for col in RFV}
    repeaters = population["frequency"][population["frequency"] >= 1.5]
    for c in centroids.index:
        pos = {
            col: centroids.loc[c, col] if col in centroids else profiles.loc[c, f"median_{col}"]
            for col in RFV
        }
        pct = {col: _pct(population[col], pos[col]) for col in RFV}
        regular = pos["frequency"] >= 1.5 and _pct(repeaters, pos["frequency"]) > 0.5
        names[c] = _name(pct["recency_days"], pct["monetary"], pos["frequency"], regular)
        descriptions[c] = (
            f"Centre: {pos['recency_days']:.0f} days since the last order, {pos['frequency']:.1f} orders, "
            f"{pos['monetary']:,.0f} spent; more recent than {1 - pct['recency_days']:.0%} of customers, "
            f"more orders than {pct['frequency']:.0%}, more spent than {pct['monetary']:.0%}."
        )
    return _disambiguate(names, pd.DataFrame(centers, columns=centroids.columns)), descriptions


def _pct(sorted_pop: np.ndarray, value: float) -> float:
    """Mid-rank percentile of ``value`` in a sorted population (ties count half)."""
    tol = 1e-9 * max(1.0, abs(value))
    low = np.searchsorted(sorted_pop, value - tol, side="left")
    high = np.searchsorted(sorted_pop, value + tol, side="right")
    return float(low + high) / (2 * len(sorted_pop))


def _name(recency_pct: float, value_pct: float, frequency: float, regular: bool) -> str:
    noun = "regulars" if regular else "occasionals"
    if frequency < 1.5:
        noun = "newcomers" if recency_pct < 1 / 3 else "one-timers"
    if recency_pct < 1 / 3:
        when = "Recent"
    elif recency_pct > 2 / 3:
        when = "Lapsed"
    else:
        when = "Fading" if noun == "one-timers" else "At-risk"
    value = "high-value" if value_pct > 2 / 3 else "low-value" if value_pct < 1 / 3 else ""
    return " ".join(w for w in (when, value, noun) if w)


def _disambiguate(names: dict[int, str], centers: pd.DataFrame) -> dict[int, str]:
    """Make equal names unique, by the feature that separates the clusters most."""
    out = dict(names)
    for name in sorted(set(names.values())):
        group = sorted(c for c, n in names.items() if n == name and c >= 0)
        if len(group) < 2:
            continue
        sub = centers.loc[group]
        col = (sub.max() - sub.min()).idxmax()
        ranked = sub[col].sort_values(ascending=False, kind="stable").index
        if len(group) == 2:
            out[ranked[0]] = f"{name} ({_MORE.get(col, f'higher {col}')})"
            out[ranked[1]] = f"{name} ({_LESS.get(col, f'lower {col}')})"
        else:
            for rank, c in enumerate(ranked, start=1):
                out[c] = f"{name} ({rank} of {len(group)} by {_BY.get(col, col)})"
    seen: set[str] = set()
    for c in sorted(out):  # a suffixed name that meets another name: add the number
        out[c] = f"{out[c]} #{c}" if out[c] in seen else out[c]
        seen.add(out[c])
    return out
