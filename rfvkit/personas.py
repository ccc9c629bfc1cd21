"""Buyer personas: who each segment's customers are, against everyone, with privacy kept.

:func:`build_personas` describes every segment (and the VIP group) by its customers'
attributes (:mod:`rfvkit.attributes`, purchase history in :mod:`rfvkit.purchases`) and
survey answers (:mod:`rfvkit.surveys`):

- ``index``: for each categorical value, its share in the segment and in the whole base and
  the audience index ``100 x share_in_segment / share_in_population`` (the convention of
  Kantar TGI and Google Ads audience composition: ~120+ over-, ~80- under-represented);
  ``p_value`` of the two-proportion z-test of segment against the rest of the base
  (statsmodels' ``proportions_ztest``, all cells at once in :func:`p_values`); ``notable``
  is True when the cell has at least ``min_group`` customers, an index outside ``band`` and
  ``p_value < alpha``.
- ``numeric``: median and IQR of numeric attributes; ``spend``: spend share by category;
- ``coverage``: share of each segment's customers with a known value of each attribute;
- ``cards``: one row per segment with a computed portrait.

Privacy: shares are computed only over cells of at least ``min_group`` customers (the UK
ICO anonymisation code calls cells of 1-5 risky). Smaller cells are folded into ``Other``
(``folded`` counts the values inside), with secondary suppression (:func:`suppress`) so no
hidden cell can be recovered from a total and the other cells. Segments smaller than
``min_group`` get a card with their size only and are left out of the population shares
(and of the VIP group's cells), so their counts cannot be recovered by subtraction. No id,
name or phone is carried into any table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from rfvkit.attributes import customer_attributes
from rfvkit.errors import BadParameterError, require_columns
from rfvkit.purchases import OTHER, OrderLines, pandas_lines, segment_spend
from rfvkit.surveys import survey_attributes

__all__ = ["Personas", "build_personas", "vip_group", "suppress", "p_values"]

INDEX_COLUMNS = [
    "segment", "attribute", "value", "customers", "share_in_segment", "share_in_population",
    "index", "p_value", "notable", "folded",
]  # fmt: skip


@dataclass(frozen=True, repr=False)
class Personas:
    """What :func:`build_personas` found: ``cards``, ``index``, ``coverage``, ``numeric``,
    ``spend``, ``free_text`` (survey columns only counted) and the options used."""

    cards: pd.DataFrame
    index: pd.DataFrame
    coverage: pd.DataFrame
    numeric: pd.DataFrame
    spend: pd.DataFrame
    free_text: pd.DataFrame
    options: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Personas({len(self.cards)} cards, {len(self.index)} index rows, "
            f"{int(self.index['notable'].sum())} notable, min_group={self.options['min_group']})"
        )

    def card(self, segment: str) -> pd.Series:
        """The card of one segment (a row of ``cards``)."""
        rows = self.cards[self.cards["segment"] == segment]
        if rows.empty:
            raise BadParameterError(
                f"segment {segment!r} has no card; cards: {', '.join(self.cards['segment'])}."
            )
        return rows.iloc[0]


def build_personas(
    segmented: pd.DataFrame,
    crm=None,
    *,
    customers: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    surveys: dict[str, pd.DataFrame] | None = None,
    attributes: list[str] | None = None,
    min_group: int | None = None,
    band: tuple[float, float] = (80.0, 120.0),
    alpha: float = 0.05,
    vip: dict | bool | None = None,
    rules=None,
    as_of: pd.Timestamp | None = None,
) -> Personas:
    """Describe each segment (and the VIP group) by its customers' attributes and answers.

    Parameters
    ----------
    segmented : DataFrame
        One row per customer (index ``customer_id``) with ``segment`` and, for the cards,
        ``recency_days``, ``frequency``, ``monetary`` (``analysis.segmented``).
    crm : CRM, optional
        Source of ``customers``, ``transactions``, ``surveys`` and the config (``min_group``,
        ``vip``, ``rules``); the keyword arguments override it. Order lines on another
        engine (``engine: duckdb`` ...) are not read: a warning says so and the personas
        use the customer table, surveys and scores.
    attributes : list of str, optional
        Attributes to describe; default every non-personal customer column, the purchase
        attributes and every survey answer (named ``"<survey>: <column>"``).
    min_group : int, optional
        Smallest number of customers a shown cell may describe (default ``cfg.min_group``
        or 10). Segments smaller than this get a card with their size only.
    band : (low, high)
        Indices inside the band are not called out in portraits.
    alpha : float
        Significance level of the two-proportion test for ``notable``.
    vip : dict, False or None
        VIP definition (see :func:`vip_group`); None = the config's (default Champions +
        Loyal, skipped when those segments do not exist); False = no VIP card.
    rules : RuleSet, optional
        For each card's suggested message angle (the rule's ``action``).

    Returns
    -------
    Personas

    Examples
    --------
    >>> seg = pd.DataFrame({"segment": ["A"] * 30 + ["B"] * 30, "monetary": 1.0},
    ...                    index=[f"c{i}" for i in range(60)])
    >>> cust = pd.DataFrame({"customer_id": seg.index,
    ...                      "region": ["N"] * 20 + ["S"] * 10 + ["N"] * 10 + ["S"] * 20})
    >>> p = build_personas(seg, customers=cust, vip=False)
    >>> p.index[["segment", "value", "customers", "index"]].round(1).values.tolist()
    [['A', 'N', 20, 133.3], ['A', 'S', 10, 66.7], ['B', 'N', 10, 66.7], ['B', 'S', 20, 133.3]]
    """
    require_columns(segmented, ["segment"], table="segmented")
    cfg = getattr(crm, "config", None)
    if min_group is None:
        min_group = getattr(cfg, "min_group", 10)
    if isinstance(min_group, bool) or not isinstance(min_group, int | np.integer) or min_group < 1:
        raise BadParameterError(
            f"min_group: got {min_group!r}; allowed: an integer >= 1 (10 is a safe default)."
        )
    if customers is None and crm is not None:
        customers = crm.customers
    if transactions is None and crm is not None:
        transactions = crm.transactions
    transactions = pandas_lines(transactions, stacklevel=2)  # lazy engine lines: skipped
    if surveys is None:
        surveys = dict(getattr(crm, "surveys", None) or {})
    as_of = as_of if as_of is not None else getattr(cfg, "as_of", None)
    if rules is None and cfg is not None:
        from rfvkit.rules import load_rules

        rules = load_rules(cfg.rules, bins=cfg.bins)
    labels = segmented["segment"].astype("object")
    present = list(labels.value_counts().index)
    first = [n for n in getattr(rules, "names", ()) if n in present]
    if isinstance(segmented["segment"].dtype, pd.CategoricalDtype) and not first:
        first = [c for c in segmented["segment"].cat.categories if c in present]
    order = first + [n for n in present if n not in first]
    lines = None
    if transactions is not None and len(transactions):  # ids looked up while surveys are read
        lines = OrderLines(transactions, segmented.index, background=True)
    answers, kinds, free = survey_attributes(surveys, segmented.index)
    wanted = None if attributes is None else [a for a in attributes if a not in answers]
    if attributes is not None:
        unknown = [a for a in wanted if a not in _available(customers, transactions)]
        if unknown:
            raise BadParameterError(
                f"attributes: {unknown} not found; available: "
                f"{', '.join([*_available(customers, transactions), *answers.columns])}. "
                "Map the column or drop it from the list."
            )
    frame, base_kinds = customer_attributes(
        customers, transactions, index=segmented.index, as_of=as_of, attributes=wanted,
        lines=lines,
    )  # fmt: skip
    kinds = {**base_kinds, **kinds}
    frame = pd.concat([frame, answers], axis=1) if len(answers.columns) else frame
    if attributes is not None:
        frame, kinds = frame[list(attributes)], {a: kinds[a] for a in attributes}
    sizes = labels.value_counts().reindex(order)
    big = [seg for seg in order if sizes[seg] >= min_group]
    seg_codes = pd.Index(big, dtype="object").get_indexer(labels).astype(np.int64)  # -1: tiny
    label_codes, label_names = pd.factorize(labels)
    at = dict(zip(label_names, range(len(label_names)), strict=True))
    groups = {seg: np.flatnonzero(label_codes == at[seg]) for seg in order}
    extra = _vip_extra(segmented, cfg, vip)
    groups.update({name: pos for name, (pos, _) in extra.items()})
    index = [
        _index_rows(seg_codes, big, frame[a], a, min_group, extra)
        for a, kind in kinds.items()
        if kind == "categorical"
    ]
    index = pd.concat(index, ignore_index=True) if index else pd.DataFrame(columns=INDEX_COLUMNS)
    lo, hi = band
    index["notable"] = (
        (index["value"] != OTHER)
        & (index["customers"] >= min_group)
        & ((index["index"] >= hi) | (index["index"] <= lo))
        & (index["p_value"] < alpha)
    )
    index = index[INDEX_COLUMNS].reset_index(drop=True)
    coverage = _coverage(frame, kinds, groups, min_group)
    numeric = _numeric(frame, kinds, groups, min_group)
    spend = segment_spend(lines, seg_codes, big, extra, min_group)
    options = {"min_group": min_group, "band": band, "alpha": alpha, "vip": list(extra)}
    from rfvkit.narrative.personas import persona_cards

    cards = persona_cards(
        segmented, groups, index=index, coverage=coverage, numeric=numeric, spend=spend,
        rules=rules, min_group=min_group, vip={n: segs for n, (_, segs) in extra.items()},
    )  # fmt: skip
    return Personas(cards, index, coverage, numeric, spend, free, options)


def _available(customers, transactions) -> list[str]:
    cols, _ = customer_attributes(
        customers, None if transactions is None else transactions.head(1),
        index=pd.Index([], dtype="object"),
    )  # fmt: skip
    return list(cols.columns)


def _vip_extra(segmented: pd.DataFrame, cfg, vip) -> dict[str, tuple[np.ndarray, list | None]]:
    """VIP name -> (row positions of its members, the segments it is made of or None)."""
    if vip is False:
        return {}
    explicit = vip is not None
    spec = dict(vip) if explicit else dict(getattr(cfg, "vip", None) or {})
    spec = spec or {"segments": ["Champions", "Loyal"]}
    try:
        member = _vip_mask(segmented, spec)
    except BadParameterError:
        if explicit or (cfg is not None and spec != {"segments": ["Champions", "Loyal"]}):
            raise
        return {}
    return {spec.get("name", "VIP"): (np.flatnonzero(member), spec.get("segments"))}


def _coverage(frame, kinds, groups, min_group) -> pd.DataFrame:
    """Per group and attribute: customers, customers with a known value, coverage share."""
    rows = []
    attrs = list(kinds)
    known = frame[attrs].notna().to_numpy()
    for seg, pos in groups.items():
        counts = known[pos].sum(axis=0)
        for attr, n_known in zip(attrs, counts.tolist(), strict=True):
            small = len(pos) < min_group or 0 < n_known < min_group
            source = "survey" if ": " in attr else "customers / transactions"
            rows.append((seg, attr, source, len(pos), np.nan if small else n_known,
                         np.nan if small else n_known / max(len(pos), 1)))  # fmt: skip
    return pd.DataFrame(
        rows, columns=["segment", "attribute", "source", "customers", "known", "coverage"]
    )


def _numeric(frame, kinds, groups, min_group) -> pd.DataFrame:
    """Median and quartiles of each numeric attribute per group (groups >= min_group)."""
    rows = []
    everyone = np.arange(len(frame))
    for attr in (a for a, k in kinds.items() if k == "numeric"):
        values = pd.to_numeric(frame[attr], errors="coerce").to_numpy(dtype="float64")
        for seg, pos in {**groups, "All customers": everyone}.items():
            x = values[pos]
            x = x[~np.isnan(x)]
            if len(x) >= min_group:
                q1, med, q3 = np.percentile(x, [25, 50, 75])
                rows.append((seg, attr, len(x), med, q1, q3))
    order = {seg: i for i, seg in enumerate([*groups, "All customers"])}
    out = pd.DataFrame(rows, columns=["segment", "attribute", "customers", "median", "q1", "q3"])
    return out.sort_values("segment", key=lambda s: s.map(order), kind="stable", ignore_index=True)


def vip_group(segmented: pd.DataFrame, config=None, *, vip: dict | None = None) -> pd.DataFrame:
    """The VIP members: rows of ``segmented`` with ``segment`` set to the VIP name.

    The definition comes from ``vip`` or ``config.vip`` (params ``vip:``): a segment list
    (default Champions + Loyal), ``top_share`` (the top share of customers by ``monetary``)
    or ``rule`` (an expression on the table's columns, e.g. ``"r_score >= 4 and
    f_score >= 4"``). The original segment stays in ``source_segment``; the result can be
    passed to ``build_send_list`` as a segmented table.

    Examples
    --------
    >>> seg = pd.DataFrame({"segment": ["Champions", "Lost", "Loyal"],
    ...                     "monetary": [900.0, 10.0, 300.0]}, index=["a", "b", "c"])
    >>> vip_group(seg).index.tolist(), vip_group(seg, vip={"top_share": 0.3}).index.tolist()
    (['a', 'c'], ['a'])
    """
    spec = dict(vip or getattr(config, "vip", None) or {"segments": ["Champions", "Loyal"]})
    member = _vip_mask(segmented, spec)
    out = segmented.loc[member].copy()
    out.insert(0, "source_segment", segmented["segment"].to_numpy()[member])
    out["segment"] = spec.get("name", "VIP")
    return out


def _vip_mask(segmented: pd.DataFrame, spec: dict) -> np.ndarray:
    """Boolean array: which rows of ``segmented`` belong to the VIP group ``spec``."""
    require_columns(segmented, ["segment"], table="segmented")
    labels = segmented["segment"].astype("object")
    if "segments" in spec:
        known = set(labels.dropna()) | set(segmented.attrs.get("segment_names", ()))
        unknown = [s for s in spec["segments"] if s not in known]
        if unknown:
            raise BadParameterError(
                f"vip.segments: {unknown} not found; segments here: {', '.join(sorted(known))}. "
                "Fix the names under vip: in the params file."
            )
        return labels.isin(spec["segments"]).to_numpy()
    if "top_share" in spec:
        require_columns(segmented, ["monetary"], table="segmented")
        n = int(np.ceil(spec["top_share"] * len(segmented)))
        order = segmented["monetary"].rank(method="first", ascending=False)
        return (order <= n).to_numpy()
    try:
        member = segmented.eval(spec["rule"])
    except Exception as exc:  # pandas raises many kinds for a bad expression
        raise BadParameterError(
            f"vip.rule: {spec['rule']!r} cannot be evaluated ({exc}); use columns "
            f"{', '.join(map(str, segmented.columns))}, e.g. 'r_score >= 4'."
        ) from None
    return pd.Series(member, index=segmented.index).fillna(False).astype(bool).to_numpy()


def suppress(counts: pd.DataFrame, min_group: int, *, tiny: pd.Index | None = None):
    """Which cells of a segment x value count table to hide (primary + secondary).

    1. Values with fewer than ``min_group`` customers in the whole base join the ``Other``
       column (with the next smallest until ``Other`` reaches ``min_group``).
    2. Primary: cells of 1 to ``min_group - 1`` customers, and every cell of a ``tiny``
       segment, are hidden. ``Other`` is always folded.
    3. Secondary, repeated until nothing changes: in each row the fold (hidden cells +
       Other) must be empty or hold at least ``min_group`` customers and never a single
       real cell alone; in each value column, never exactly one hidden non-empty cell. The
       smallest shown non-empty cell is hidden next. A row whose known total is below
       ``min_group`` ends fully hidden.

    Returns ``(counts, hidden, folded_values)``: counts with the ``Other`` column, a boolean
    frame of hidden cells, and per row the number of real values folded into ``Other``.

    Examples
    --------
    >>> c = pd.DataFrame({"x": [50, 3], "y": [40, 30], "z": [45, 25]}, index=["A", "B"])
    >>> _, hidden, _ = suppress(c, 10)
    >>> hidden.loc["B"].tolist(), hidden.loc["A"].tolist()
    ([True, False, True, True], [True, False, True, True])
    """
    pop = counts.sum(axis=0)
    rare = list(pop[(pop > 0) & (pop < min_group)].sort_values().index)
    other_cols = [c for c in counts.columns if c == OTHER]
    if rare or other_cols:
        rest = pop.drop(rare + other_cols).sort_values()
        while pop[rare + other_cols].sum() < min_group and len(rest):
            rare.append(rest.index[0])
            rest = rest.iloc[1:]
    real = [c for c in counts.columns if c not in rare and c != OTHER]
    c = counts[real].copy()
    c[OTHER] = counts[rare + other_cols].sum(axis=1) if (rare or other_cols) else 0
    v = c.to_numpy(dtype="int64").copy()
    hidden = (v > 0) & (v < min_group)
    hidden[:, -1] = True
    if tiny is not None:
        hidden[c.index.isin(tiny), :] = True
    for _ in range(4 * v.size + 4):
        changed = False
        for i in range(v.shape[0]):
            fold = hidden[i] & (v[i] > 0)
            reals = int(fold[:-1].sum())
            total = int(v[i][fold].sum())
            if (reals == 1 and v[i, -1] == 0) or 0 < total < min_group:
                shown = np.flatnonzero(~hidden[i] & (v[i] > 0))
                if shown.size:
                    hidden[i, shown[np.argmin(v[i, shown])]] = True
                    changed = True
        for j in range(v.shape[1] - 1):
            col = hidden[:, j] & (v[:, j] > 0)
            if col.sum() == 1:
                shown = np.flatnonzero(~hidden[:, j] & (v[:, j] > 0))
                if shown.size:
                    hidden[shown[np.argmin(v[shown, j])], j] = True
                    changed = True
        if not changed:
            break
    folded = pd.Series((hidden[:, :-1] & (v[:, :-1] > 0)).sum(axis=1), index=c.index)
    folded += (counts[rare].to_numpy() > 0).sum(axis=1) if rare else 0
    return c, pd.DataFrame(hidden, index=c.index, columns=c.columns), folded


def _index_rows(
    seg_codes: np.ndarray, names: list[str], values: pd.Series, attribute: str, min_group: int,
    extra: dict[str, tuple[np.ndarray, list | None]] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Long index rows of one categorical attribute: segments (``seg_codes`` index
    ``names``; -1 = a tiny segment, left out of every count, the population included), then
    ``extra`` groups (name -> (member positions, the segments it is made of or None))."""
    vcodes, uniques = pd.factorize(values, sort=True)
    k = len(uniques)
    ok = (vcodes >= 0) & (seg_codes >= 0)
    if not k or not ok.any():
        return pd.DataFrame(columns=[*INDEX_COLUMNS, "known", "pop_count"])
    counts = np.bincount(seg_codes[ok] * k + vcodes[ok], minlength=len(names) * k)
    columns = pd.Index(np.asarray(uniques, dtype=object))
    counts = pd.DataFrame(counts.reshape(len(names), k), index=names, columns=columns)
    c, hidden, folded = suppress(counts, min_group)
    pop = c.sum(axis=0)
    base = int(pop.sum())
    groups = [(seg, c.loc[seg], hidden.loc[seg], folded[seg]) for seg in c.index]
    for name, (pos, segments) in (extra or {}).items():
        mine = vcodes[pos][(vcodes[pos] >= 0) & (seg_codes[pos] >= 0)]
        row = pd.Series(np.bincount(mine, minlength=k), index=columns)
        row = row.reindex(c.columns[:-1], fill_value=0)
        row[OTHER] = len(mine) - row.sum()
        hide = ((row > 0) & (row < min_group)).to_numpy().copy()
        hide[-1] = True
        if len(mine) < min_group:
            hide[:] = True
        if segments:  # a union of segments hides what any of them hides: no differencing
            hide |= hidden.loc[hidden.index.intersection(segments)].any(axis=0).to_numpy()
        v = row.to_numpy().copy()
        while 0 < v[hide].sum() < min_group or (
            (hide[:-1] & (v[:-1] > 0)).sum() == 1 and v[-1] == 0
        ):
            shown = np.flatnonzero(~hide & (v > 0))
            if not shown.size:
                break
            hide[shown[np.argmin(v[shown])]] = True
        hide = pd.Series(hide, index=row.index)
        groups.append((name, row, hide, int((hide.iloc[:-1] & (row.iloc[:-1] > 0)).sum())))
    rows = []
    for seg, row, hide, nfold in groups:
        n_known, fold_total = int(row.sum()), int(row[hide].sum())
        if n_known < min_group or 0 < fold_total < min_group:
            continue  # the whole row is hidden
        for value in row.index[~hide.to_numpy() & (row.to_numpy() > 0)]:
            rows.append((seg, attribute, value, int(row[value]), row[value] / n_known,
                         pop[value] / base, int(pop[value]), n_known, 0))  # fmt: skip
        if fold_total:
            rows.append((seg, attribute, OTHER, fold_total, fold_total / n_known, np.nan,
                         0, n_known, int(nfold)))  # fmt: skip
    out = pd.DataFrame(rows, columns=["segment", "attribute", "value", "customers",
                                      "share_in_segment", "share_in_population", "pop_count",
                                      "known", "folded"])  # fmt: skip
    out["index"] = 100 * out["share_in_segment"] / out["share_in_population"]
    p_value = p_values(out["customers"], out["known"], out["pop_count"], base)
    out["p_value"] = np.where(out["value"] != OTHER, p_value, np.nan)
    return out


def p_values(count, nobs, pop_count, pop_nobs: int) -> np.ndarray:
    """Two-proportion z-test of each cell, segment vs the rest of the base, on arrays.

    The pooled-variance test of statsmodels' ``proportions_ztest`` (Agresti 2013,
    *Categorical Data Analysis* §3.1), written on arrays with its operations in its order so
    the p-values are the same to the last bit; the normal tail is scipy's ``norm.sf``. NaN
    where the test is undefined (no rest of the base, or every/no customer has the value).

    Examples
    --------
    >>> from statsmodels.stats.proportion import proportions_ztest
    >>> expected = proportions_ztest([40, 10], [60, 40])[1]
    >>> bool(p_values([40], [60], [50], 100)[0] == expected)
    True
    """
    count, nobs = np.asarray(count, dtype=np.int64), np.asarray(nobs, dtype=np.int64)
    rest_c, rest_n = np.asarray(pop_count, dtype=np.int64) - count, pop_nobs - nobs
    pooled = count + rest_c
    defined = (rest_n > 0) & (nobs > 0) & (pooled != 0) & (pooled != nobs + rest_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = count * 1.0 / nobs - rest_c * 1.0 / rest_n
        p_pooled = pooled * 1.0 / (nobs + rest_n)
        std = np.sqrt(p_pooled * (1 - p_pooled) * (1.0 / nobs + 1.0 / rest_n))
        p = norm.sf(np.abs(diff / std)) * 2
    return np.where(defined, p, np.nan)
