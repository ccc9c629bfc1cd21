"""Naming customers with a rule set: segment(), the segment order and the segment summary.

``segment`` looks every customer's (r, f, v) scores up in the rule set's cell table
(first matching rule wins; rules with a ``p_alive`` range are tried in their place); ``segment_summary`` gives one row per segment in rule
order, in the shape every rfvkit summary has: ``segment``, ``customers``, shares and
``median_<metric>`` columns.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from rfvkit._rule_checks import _is_int
from rfvkit._rule_model import _SCORES
from rfvkit.errors import BadParameterError, BadValuesError, examples, require_columns
from rfvkit.rules import DEFAULT, FALLBACK_TEXT, RuleSet, _load

__all__ = ["segment", "segment_order", "segment_summary"]


def segment_order(rules: RuleSet | str | Path = DEFAULT) -> list[str]:
    """Segment names in rule order, then the fallback if the rule set leaves cells unnamed.

    Examples
    --------
    >>> from rfvkit.rules import R_RFM
    >>> segment_order(R_RFM)[-2:]
    ['Lost', 'Others']
    """
    rules = _load(rules, None, stacklevel=2)
    return [*rules.names, *([rules.fallback] if (rules._lookup < 0).any() else [])]


# --- applying rules ------------------------------------------------------------------------


def _score_positions(scored: pd.DataFrame, column: str, rules: RuleSet) -> np.ndarray:
    values = pd.to_numeric(scored[column], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 1)
    if bad.any():
        raise BadValuesError(
            f"{column} must hold whole-number scores 1..{rules.bins}; {int(bad.sum())} row(s) do not, "
            f"e.g. {examples(scored[column][bad])} (customers {examples(scored.index[bad])}). "
            "Score every customer with rfvkit.scoring.score() before segmenting."
        )
    positions = values.astype(np.int64) - 1
    top = int(positions.max()) + 1 if positions.size else 0
    if top > rules.bins:
        raise BadParameterError(
            f"{column} goes up to {top}, but rule set {rules.name!r} is written for bins={rules.bins}. "
            f"Score with bins={rules.bins}, or use rules for bins={top}: "
            f"load_rules({rules.name!r}, bins={top}) (for the default set: default_rules({top}))."
        )
    return positions


def _with_p_alive(
    scored: pd.DataFrame, rules: RuleSet, codes: np.ndarray, positions: tuple[np.ndarray, ...]
) -> np.ndarray:
    """Rule codes once the rules with a ``p_alive`` range have had their turn.

    ``codes`` come from the cell table, which holds only the rules without a condition.
    A conditional rule ``i`` takes a customer inside its ranges whose ``p_alive`` lies in
    ``[lo, hi]`` when no earlier rule took them; a missing ``p_alive`` meets no condition.
    """
    conditional = [rule.name for rule in rules.rules if rule.p_alive is not None]
    require_columns(
        scored,
        ["p_alive"],
        table="scored",
        hint=f"Rule(s) {', '.join(map(repr, conditional))} of rule set {rules.name!r} ask "
        "for p_alive: set predict: true in the params, or add it with "
        "rk.add_predictions(scored, transactions, as_of=...) before segmenting.",
    )
    alive = pd.to_numeric(scored["p_alive"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    first = np.where(codes < 0, len(rules.rules), codes)
    for i, rule in enumerate(rules.rules):
        if rule.p_alive is None:
            continue
        inside = (alive >= rule.p_alive[0]) & (alive <= rule.p_alive[1]) & (first > i)
        for axis, (lo, hi) in zip(positions, (rule.r, rule.f, rule.v), strict=True):
            inside &= (axis >= lo - 1) & (axis <= hi - 1)
        first[inside] = i
    return np.where(first == len(rules.rules), -1, first).astype(codes.dtype)


def segment(scored: pd.DataFrame, *, rules: RuleSet | str | Path = DEFAULT) -> pd.DataFrame:
    """Add a ``segment`` column: the first rule matching each customer's r/f/v scores.

    Vectorised: one lookup in the rule set's ``bins**3`` cell table, then one pass per
    rule with a ``p_alive`` range (those need a ``p_alive`` column). Warns when
    customers fall to the fallback name and when no score reaches the rule set's
    top score (scores made with fewer bins than the rules expect).

    Parameters
    ----------
    scored : DataFrame
        Output of ``rfvkit.scoring.score``: needs ``r_score``, ``f_score``, ``v_score``.
    rules : RuleSet, str or Path, default ``DEFAULT``
        A RuleSet, built-in name (``"default"``, ``"r_rfm"``) or YAML path.

    Returns
    -------
    DataFrame
        A copy of ``scored`` (same rows and index) with ``segment`` (str), replacing
        any ``segment`` column it had.

    Examples
    --------
    >>> scored = pd.DataFrame({"r_score": [5, 1], "f_score": [5, 1], "v_score": [5, 1]},
    ...                       index=pd.Index(["a", "b"], name="customer_id"))
    >>> segment(scored)["segment"].tolist()
    ['Champions', 'Lost']
    """
    rules = _load(rules, None, stacklevel=2)
    require_columns(
        scored,
        _SCORES,
        table="scored",
        hint="Add the scores with rfvkit.scoring.score(rfv) before segmenting.",
    )
    declared = scored.attrs.get("bins")
    if _is_int(declared) and declared != rules.bins:
        raise BadParameterError(
            f"scored was made with bins={declared}, but rule set {rules.name!r} is written for "
            f"bins={rules.bins}. Use load_rules({rules.name!r}, bins={declared}) "
            f"(for the default set: default_rules({declared}))."
        )
    r, f, v = (_score_positions(scored, column, rules) for column in _SCORES)
    codes = rules._lookup[r, f, v]
    if rules.uses_p_alive:
        codes = _with_p_alive(scored, rules, codes, (r, f, v))
    out = scored.copy()
    out["segment"] = pd.Series(rules._labels()[codes], index=scored.index, dtype="str")
    out.attrs["rule_set"] = rules.name
    out.attrs["segment_names"] = list(segment_order(rules))  # also those nobody is in
    n = len(out)
    if n >= rules.bins and max(r.max(), f.max(), v.max()) + 1 < rules.bins:
        warnings.warn(
            f"No r/f/v score reaches {rules.bins}, the top score of rule set {rules.name!r}. "
            f"If the scores use fewer bins, segment with load_rules({rules.name!r}, bins=<their bins>).",
            UserWarning,
            stacklevel=2,
        )
    unmatched = int((codes < 0).sum())
    if unmatched:
        warnings.warn(
            f"{unmatched} of {n} customers ({unmatched / n:.1%}) match no rule of rule set {rules.name!r} and "
            f"are labelled {rules.fallback!r}; coverage(rules) lists the unnamed cells.",
            UserWarning,
            stacklevel=2,
        )
    return out


def segment_summary(
    segmented: pd.DataFrame, *, rules: RuleSet | str | Path = DEFAULT
) -> pd.DataFrame:
    """Customers, revenue and medians per segment, in rule order, with description and action.

    Segments without customers are listed with 0 customers; the fallback row
    appears when some customers matched no rule.

    Parameters
    ----------
    segmented : DataFrame
        Output of ``segment``: needs ``segment``, ``recency_days``, ``frequency``, ``monetary``.
    rules : RuleSet, str or Path, default ``DEFAULT``
        The rule set used by ``segment``.

    Returns
    -------
    DataFrame
        Columns ``segment``, ``customers``, ``share``, ``revenue`` (sum of monetary),
        ``revenue_share``, ``median_recency_days``, ``median_frequency``, ``median_monetary``,
        ``description``, ``action``.

    Examples
    --------
    >>> seg = pd.DataFrame({"segment": ["Lost", "Champions"], "recency_days": [300, 5],
    ...                     "frequency": [1, 9], "monetary": [20.0, 980.0]})
    >>> float(segment_summary(seg).set_index("segment").loc["Champions", "revenue_share"])
    0.98
    """
    rules = _load(rules, None, stacklevel=2)
    require_columns(
        segmented,
        ["segment", "recency_days", "frequency", "monetary"],
        table="segmented",
        hint="Summarise the output of segment(scored); it keeps the rfv_table() columns.",
    )
    labels = segmented["segment"]
    unknown = labels[labels.isna() | ~labels.isin([*rules.names, rules.fallback])]
    if len(unknown):
        raise BadValuesError(
            f"segment holds {len(unknown)} value(s) that rule set {rules.name!r} does not define, "
            f"e.g. {examples(unknown)}. Pass the rules you segmented with, e.g. rules=R_RFM."
        )
    grouped = segmented.groupby("segment", sort=False).agg(
        customers=("segment", "size"),
        revenue=("monetary", "sum"),
        median_recency_days=("recency_days", "median"),
        median_frequency=("frequency", "median"),
        median_monetary=("monetary", "median"),
    )
    rows = [*rules.names, *([rules.fallback] if rules.fallback in grouped.index else [])]
    table = grouped.reindex(rows)
    table["customers"] = table["customers"].fillna(0).astype("int64")
    table["revenue"] = table["revenue"].fillna(0.0).astype("float64")
    total_customers, total_revenue = len(segmented), table["revenue"].sum()
    table.insert(1, "share", table["customers"] / total_customers if total_customers else np.nan)
    table.insert(3, "revenue_share", table["revenue"] / total_revenue if total_revenue else np.nan)
    texts = {rule.name: (rule.description, rule.action) for rule in rules.rules}
    texts[rules.fallback] = FALLBACK_TEXT
    table["description"] = [texts[name][0] for name in rows]
    table["action"] = [texts[name][1] for name in rows]
    table.index.name = "segment"
    return table.reset_index()
