"""Two segmentations side by side: rule segments vs suggested clusters (or any two labelings).

``compare_segments`` gives the crosstab, the agreement scores (adjusted Rand index and
adjusted mutual information, scikit-learn), where each segment mostly lands, the customers
the two views disagree on most (masked), and a plain-language summary.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

from rfvkit.columns import RFV_METRICS as RFV
from rfvkit.errors import (
    BadParameterError,
    BadValuesError,
    examples,
    require_columns,
)
from rfvkit.privacy import mask_id

__all__ = ["SegmentComparison", "compare_segments"]


@dataclass(frozen=True, repr=False)
class SegmentComparison:
    """Result of :func:`compare_segments`; see that function for each attribute."""

    rule: pd.Series
    cluster: pd.Series
    crosstab: pd.DataFrame
    row_shares: pd.DataFrame
    adjusted_rand: float
    adjusted_mutual_info: float
    dominant: pd.DataFrame

    def __repr__(self) -> str:
        return (
            f"SegmentComparison(customers={len(self.rule)}, adjusted_rand={self.adjusted_rand:.3f}, "
            f"adjusted_mutual_info={self.adjusted_mutual_info:.3f})"
        )

    def disagreements(
        self, segmented: pd.DataFrame, clusters: pd.DataFrame | pd.Series, n: int = 20
    ) -> pd.DataFrame:
        """Customers on whom the two views disagree most, ids masked (``rfvkit.privacy``).

        Each customer gets standardised scores (value: signed log of ``monetary``,
        recency: minus log of ``recency_days``; z-scores). The gap of a customer is the
        distance between the mean scores of their rule segment and of their cluster;
        ties go to the customer farthest from their segment's mean, then by id.

        Parameters
        ----------
        segmented : DataFrame
            ``segment`` plus ``recency_days``, ``frequency``, ``monetary`` per customer.
        clusters : DataFrame or Series
            ``SuggestedSegments.labels`` (its ``cluster_name`` is used) or a Series.
        n : int
            Rows to return.

        Returns
        -------
        DataFrame
            customer (masked), segment, cluster, recency_days, frequency, monetary,
            value_gap and recency_gap (segment mean minus cluster mean, in sd), gap.
        """
        require_columns(segmented, ["segment", *RFV], table="segmented")
        if isinstance(clusters, pd.DataFrame):
            col = "cluster_name" if "cluster_name" in clusters else "cluster"
            clusters = clusters[col]
        seg, cl = _aligned(segmented["segment"], clusters)
        data = segmented.loc[seg.index]
        m = data["monetary"].astype("float64")
        z = pd.DataFrame(
            {
                "value": _z(np.sign(m) * np.log1p(m.abs())),
                "recency": -_z(np.log1p(data["recency_days"].astype("float64").clip(lower=0))),
            },
            index=seg.index,
        )
        seg_mean = z.groupby(seg.to_numpy()).transform("mean")
        cl_mean = z.groupby(cl.to_numpy()).transform("mean")
        gaps = seg_mean - cl_mean
        own = np.hypot(*(z - seg_mean).to_numpy().T)
        table = pd.DataFrame(
            {
                "customer": [mask_id(c) for c in seg.index],
                "segment": seg.to_numpy(),
                "cluster": cl.to_numpy(),
                "recency_days": data["recency_days"].to_numpy(),
                "frequency": data["frequency"].to_numpy(),
                "monetary": m.to_numpy(),
                "value_gap": gaps["value"].to_numpy(),
                "recency_gap": gaps["recency"].to_numpy(),
                "gap": np.hypot(gaps["value"], gaps["recency"]).to_numpy(),
                "_own": own,
                "_id": seg.index.astype(str),
            }
        )
        table = table.sort_values(
            ["gap", "_own", "_id"], ascending=[False, False, True], kind="stable"
        )
        return (
            table.head(n)
            .drop(columns=["_own", "_id"])
            .round({"value_gap": 2, "recency_gap": 2, "gap": 2})
            .reset_index(drop=True)
        )

    def summary_text(self, together: float = 0.7) -> str:
        """Plain-language paragraph on where the rule segments and clusters agree.

        Agreement words follow the adjusted Rand index: >= 0.8 "closely", >= 0.5
        "moderately", >= 0.2 "loosely", else "hardly at all". A segment counts as
        kept together when at least ``together`` of its customers share one cluster.
        """
        ari, ami = self.adjusted_rand, self.adjusted_mutual_info
        words = ((0.8, "closely"), (0.5, "moderately"), (0.2, "loosely"), (-1.0, "hardly at all"))
        level = next(word for limit, word in words if ari >= limit)
        dom = self.dominant
        parts = [
            f"The rule segments and the k-means clusters agree {level} "
            f"(adjusted Rand {ari:.2f}, adjusted mutual information {ami:.2f}; 1 means the same "
            f"grouping, 0 no better than chance)."
        ]
        kept = dom[dom["dominant_share"] >= together].sort_values("customers", ascending=False)
        if len(kept):
            top = kept.index[0]
            parts.append(
                f"{len(kept)} of {len(dom)} rule segments keep at least {together:.0%} of their customers "
                f"in one cluster, the largest being {top!r} ({kept.loc[top, 'dominant_share']:.0%} in "
                f"{kept.loc[top, 'dominant_cluster']!r})."
            )
        else:
            parts.append(f"No rule segment keeps {together:.0%} of its customers in one cluster.")
        split = dom[dom["runner_up"].notna()].sort_values(
            ["dominant_share", "customers"], ascending=[True, False]
        )
        if len(split):
            s = split.index[0]
            row = split.loc[s]
            parts.append(
                f"The most divided is {s!r}: {row['dominant_share']:.0%} in {row['dominant_cluster']!r} "
                f"and {row['runner_up_share']:.0%} in {row['runner_up']!r}."
            )
        merged = {c: list(s) for c, s in dom.groupby("dominant_cluster", sort=False).groups.items()}
        widest = max(merged, key=lambda c: len(merged[c]))
        if len(merged[widest]) >= 2:
            segs = ", ".join(map(repr, merged[widest]))
            parts.append(f"Cluster {widest!r} is where most customers of {segs} end up.")
        return " ".join(parts)


def compare_segments(
    rule_labels: pd.Series, cluster_labels: pd.Series | pd.DataFrame
) -> SegmentComparison:
    """Compare rule-based segments with k-means clusters for the same customers.

    Parameters
    ----------
    rule_labels : Series
        Segment per customer (e.g. ``segmented["segment"]``).
    cluster_labels : Series or DataFrame
        Cluster per customer, aligned on the same index (``sug.labels`` uses its
        ``cluster_name``).

    Returns
    -------
    SegmentComparison
        ``crosstab`` (counts, segments x clusters), ``row_shares``, ``adjusted_rand``,
        ``adjusted_mutual_info``, ``dominant`` (per segment: customers, dominant_cluster,
        dominant_share, runner_up, runner_up_share), ``disagreements()``,
        ``summary_text()``.

    Examples
    --------
    >>> rule = pd.Series(["A", "A", "B", "B"], index=list("wxyz"))
    >>> cmp = compare_segments(rule, pd.Series([0, 0, 1, 1], index=list("wxyz")))
    >>> cmp.adjusted_rand
    1.0
    """
    if isinstance(cluster_labels, pd.DataFrame):
        cluster_labels = cluster_labels[
            "cluster_name" if "cluster_name" in cluster_labels else "cluster"
        ]
    rule, cluster = _aligned(rule_labels, cluster_labels)
    crosstab = pd.crosstab(rule.to_numpy(), cluster.to_numpy())
    crosstab = crosstab.loc[_order(rule), _order(cluster)].rename_axis(
        index="segment", columns="cluster"
    )
    shares = crosstab.div(crosstab.sum(axis=1), axis=0)
    rows = []
    for seg, row in shares.iterrows():
        ranked = row.sort_values(ascending=False, kind="stable")
        second = len(ranked) > 1 and ranked.iloc[1] > 0
        rows.append(
            {
                "segment": seg,
                "customers": int(crosstab.loc[seg].sum()),
                "dominant_cluster": _plain(ranked.index[0]),
                "dominant_share": float(ranked.iloc[0]),
                "runner_up": _plain(ranked.index[1]) if second else None,
                "runner_up_share": float(ranked.iloc[1]) if second else 0.0,
            }
        )
    dominant = pd.DataFrame(rows, dtype=object).set_index("segment")
    dominant = dominant.astype(
        {"customers": "int64", "dominant_share": "float64", "runner_up_share": "float64"}
    )
    return SegmentComparison(
        rule,
        cluster,
        crosstab,
        shares,
        float(adjusted_rand_score(rule, cluster)),
        float(adjusted_mutual_info_score(rule, cluster)),
        dominant,
    )


def _aligned(a: pd.Series, b: pd.Series) -> tuple[pd.Series, pd.Series]:
    for name, s in (("rule_labels", a), ("cluster_labels", b)):
        if not isinstance(s, pd.Series):
            raise BadParameterError(f"{name} must be a pandas Series; got {type(s).__name__}.")
        if s.isna().any():
            raise BadValuesError(
                f"{name} has {int(s.isna().sum())} missing label(s), e.g. customers "
                f"{examples(s.index[s.isna()])}; label every customer or drop them first."
            )
    common = a.index.intersection(b.index, sort=False)
    if common.empty:
        raise BadValuesError(
            "rule_labels and cluster_labels share no customer ids; they must be indexed by customer_id."
        )
    if len(common) < max(len(a), len(b)):
        warnings.warn(
            f"comparing the {len(common)} customers present in both label sets "
            f"({len(a) - len(common)} rule-only, {len(b) - len(common)} cluster-only left out).",
            stacklevel=3,
        )
    return a.loc[common], b.loc[common]


def _plain(value: object) -> object:
    """A numpy scalar as the Python value (so texts read ``1``, not ``np.int64(1)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _order(labels: pd.Series) -> list:
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return [c for c in labels.cat.categories if c in set(labels)]
    if pd.api.types.is_numeric_dtype(labels):
        return sorted(labels.unique())
    counts = labels.value_counts()
    return sorted(counts.index, key=lambda v: (-counts[v], str(v)))


def _z(values: pd.Series) -> pd.Series:
    sd = values.std(ddof=0)
    return (values - values.mean()) / (sd if sd > 0 and math.isfinite(sd) else 1.0)
