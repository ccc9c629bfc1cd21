"""Rule-based RFV segments: ordered rule sets, first match wins.

A rule names the customers whose scores fall in three inclusive ranges: ``r``
(recency), ``f`` (frequency) and ``v`` (value, i.e. monetary) on a ``1..bins``
scale where higher is better. Rules are tried in order and the first that
matches wins; customers no rule matches get the rule set's ``fallback`` name.

A rule may also ask for a range of ``p_alive`` (the BG/NBD probability that the
customer is still active, :mod:`rfvkit.bgnbd`), e.g. "Lost" only while
``p_alive`` is at most 0.2: ``Rule("Lost", r=(1, 2), f=(1, 2), v=(1, 5), p_alive=(0, 0.2))``.
Customers of its cells outside that range (or without a prediction) go on to the
next rules, exactly as if the rule's cells did not hold them. Segmenting with such
a rule set needs a ``p_alive`` column (``predict: true`` in the params, or
:func:`rfvkit.predict.add_predictions`). The cell table (``cell_map``, ``coverage``)
then describes the customers no ``p_alive`` condition catches.
Rule sets are data: they load from and save to YAML, so an analyst can copy
``default.yaml``, edit names or thresholds and point the report at the copy.

Two rule sets ship with rfvkit:

``DEFAULT``
    rfvkit's eleven segments. They name all 125 cells of the 5-bin grid (no
    customer ends up in "Others") and every rule names at least one cell.
``R_RFM``
    The ten segments of the R package rfm 0.3.0 with its documented bounds, for
    comparisons with R (the set its rfm_segment() documentation defines). They leave
    10 of the 125 cells unnamed ("Others"), e.g. recent frequent buyers of low value.

Other numbers of bins: a rule set is written for one number of bins, and
``RuleSet.rescale(bins)`` (``default_rules(bins)``, ``load_rules(..., bins=)``)
translates it. A score ``s`` out of ``bins`` stands for the population band
``((s - 1) / bins, s / bins]`` and is read as the source score whose band holds
that band's centre. Each range becomes the scores that translate into it, so
every cell is named as the source set names its translation, full coverage is
kept, and rules that name no cell on the new grid are left out (two bins cannot
tell New from Promising).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rfvkit._rule_checks import RuleError  # noqa: F401  (RuleError is caught from here)
from rfvkit._rule_model import AXES, Rule, RuleSet

__all__ = [
    "Rule",
    "RuleSet",
    "DEFAULT",
    "R_RFM",
    "load_rules",
    "default_rules",
    "coverage",
    "rule_overview",
]

FALLBACK_TEXT = ("Customers whose scores match no rule.", "Review coverage(rules); add a rule.")


def _owners(rules: RuleSet, i: int) -> list[str]:
    """Names of the earlier rules that take cells inside rule ``i``'s ranges."""
    owners = np.unique(rules._cells(i))
    return [rules.names[j] for j in owners if 0 <= j < i]


def _load(source: Any, bins: int | None, stacklevel: int) -> RuleSet:
    """A RuleSet from itself, a built-in name or a YAML path, translated to ``bins``."""
    from rfvkit.rules_yaml import read_rules

    rules = source if isinstance(source, RuleSet) else read_rules(source, stacklevel + 1)
    return rules if bins is None else rules.rescale(bins)


def _builtin(name: str) -> RuleSet:
    from rfvkit.rules_yaml import read_builtin

    return read_builtin(name)


DEFAULT: RuleSet = _builtin("default")
R_RFM: RuleSet = _builtin("r_rfm")


def load_rules(source: str | Path | RuleSet = "default", *, bins: int | None = None) -> RuleSet:
    """Load a rule set: ``"default"``, ``"r_rfm"`` or the path of a YAML file.

    Warns about rules that can never match because earlier rules take all their cells.

    Parameters
    ----------
    source : str, Path or RuleSet
        Built-in name, YAML path (as written by ``RuleSet.to_yaml``), or a RuleSet.
    bins : int, optional
        Translate the rule set to this many bins (``RuleSet.rescale``).

    Returns
    -------
    RuleSet

    Examples
    --------
    >>> load_rules("default", bins=3).bins
    3
    """
    return _load(source, bins, stacklevel=2)


def default_rules(bins: int = 5) -> RuleSet:
    """rfvkit's default segments for scores on ``1..bins``; every cell is named.

    Examples
    --------
    >>> default_rules(2).names
    ('Champions', 'Loyal', 'Potential Loyalist', "Can't Lose Them", 'At Risk', 'Hibernating', 'Lost')
    """
    return DEFAULT.rescale(bins)


def coverage(rules: RuleSet | str | Path, *, bins: int | None = None) -> pd.DataFrame:
    """Cells (r, f, v) that no rule names; empty when the rule set is complete.

    A cell named only by rules with a ``p_alive`` condition is listed: its customers
    outside the conditions get the fallback name.

    Examples
    --------
    >>> len(coverage(DEFAULT)), len(coverage(R_RFM))
    (0, 10)
    """
    rules = _load(rules, bins, stacklevel=2)
    unnamed = rules._lookup.ravel() < 0
    return rules.cell_map().loc[unnamed, ["r", "f", "v"]].reset_index(drop=True)


def rule_overview(rules: RuleSet | str | Path = DEFAULT) -> pd.DataFrame:
    """One row per rule: ranges, p_alive condition, cells in range, cells it names, rules shadowing it.

    Examples
    --------
    >>> rule_overview(R_RFM).loc["Can't Lose Them", "shadowed_by"]
    'Loyal Customers'
    """
    rules = _load(rules, None, stacklevel=2)
    table = rules._lookup
    named = rules._named()
    rows = []
    for i, rule in enumerate(rules.rules):
        rows.append(
            {
                "segment": rule.name,
                **{
                    a: f"{lo}-{hi}"
                    for a, (lo, hi) in zip(AXES, (rule.r, rule.f, rule.v), strict=True)
                },
                "p_alive": rule.p_alive_text(),
                "cells": rule.cells,
                "named": int(named[i]),
                "shadowed_by": ", ".join(_owners(rules, i)),
                "description": rule.description,
                "action": rule.action,
            }
        )
    unnamed = int((table < 0).sum())
    if unnamed:
        rows.append(
            {
                "segment": rules.fallback,
                "r": "",
                "f": "",
                "v": "",
                "p_alive": "",
                "cells": unnamed,
                "named": unnamed,
                "shadowed_by": "",
                "description": FALLBACK_TEXT[0],
                "action": FALLBACK_TEXT[1],
            }
        )
    return pd.DataFrame(rows).set_index("segment")


def __getattr__(name: str):
    """``segment``, ``segment_summary`` and ``segment_order`` live in :mod:`rfvkit.segments`."""
    if name in {"segment", "segment_summary", "segment_order"}:
        from rfvkit import segments

        return getattr(segments, name)
    raise AttributeError(f"module 'rfvkit.rules' has no attribute {name!r}")
