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

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rfvkit.columns import MAX_BINS, MIN_BINS, SCORE_COLUMNS
from rfvkit.errors import (
    BadParameterError,
)

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

AXES = ("r", "f", "v")
_SCORES = tuple(SCORE_COLUMNS.values())  # r_score, f_score, v_score
FALLBACK_TEXT = ("Customers whose scores match no rule.", "Review coverage(rules); add a rule.")


class RuleError(BadParameterError):
    """A bad rule or rule set, with the field it is about, so a reader can point at it.

    ``str(error)`` reads on its own ("rule 'Top': r = [5, 4] has lo > hi ..."); the YAML
    reader (:mod:`rfvkit.rules_yaml`) renders the same message with the file and line of
    ``field`` in front, and may replace the ``{who}`` / ``{where}`` parts with what it
    knows better (``rule #2``, ``lines 4 and 8``).
    """

    def __init__(
        self,
        template: str,
        *,
        field: str,
        rule: int | None = None,
        file_template: str | None = None,
        **values: Any,
    ):
        self.template, self.field, self.rule, self.values = template, field, rule, values
        self.file_template = file_template or template
        super().__init__(self.render())

    def render(self, *, in_file: bool = False, **overrides: Any) -> str:
        """The message; ``in_file`` uses the wording for a YAML file (fields, not objects)."""
        template = self.file_template if in_file else self.template
        return template.format(**{**self.values, **overrides})


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _as_range(value: object, axis: str, who: str, rule: int | None) -> tuple[int, int]:
    if _is_int(value):
        lo = hi = int(value)
    elif isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_int, value)):
        lo, hi = int(value[0]), int(value[1])
    else:
        raise RuleError(
            "{who}: {axis} must be a range [lo, hi] of two whole numbers (or one number); "
            "got {value!r}. Write e.g. {axis}: [4, 5].",
            field=axis,
            rule=rule,
            who=who,
            axis=axis,
            value=value,
        )
    if lo > hi:
        raise RuleError(
            "{who}: {axis} = [{lo}, {hi}] has lo > hi; write {axis}: [{hi}, {lo}].",
            field=axis,
            rule=rule,
            who=who,
            axis=axis,
            lo=lo,
            hi=hi,
        )
    return lo, hi


def _share_range(value: object, who: str, rule: int | None) -> tuple[float, float] | None:
    """``p_alive: [lo, hi]``: two shares with 0 <= lo <= hi <= 1 (inclusive), or None."""
    if value is None:
        return None
    pair = list(value) if isinstance(value, list | tuple) else []
    numbers = len(pair) == 2 and all(
        isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)
        for x in pair
    )
    if not numbers or not 0 <= pair[0] <= pair[1] <= 1:
        raise RuleError(
            "{who}: p_alive must be a range [lo, hi] of two shares with 0 <= lo <= hi <= 1; "
            'got {value!r}. Write e.g. p_alive: [0, 0.2] ("still active with probability '
            'at most 20%").',
            field="p_alive",
            rule=rule,
            who=who,
            value=value,
        )
    return float(pair[0]), float(pair[1])


def _text(value: object, key: str, who: str, rule: int | None, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RuleError(
            "{who}{key} must be text; got {value!r}.",
            field=key,
            rule=rule,
            who=who,
            key=key,
            value=value,
        )
    return value


@dataclass(frozen=True)
class Rule:
    """One segment: inclusive score ranges for r, f and v, plus what to do with it.

    Examples
    --------
    >>> Rule("Champions", r=(4, 5), f=(4, 5), v=(4, 5)).label()
    'R4-5 F4-5 V4-5'
    >>> Rule("Lost", r=(1, 2), f=(1, 2), v=(1, 5), p_alive=(0, 0.2)).label()
    'R1-2 F1-2 V1-5 p_alive 0-0.2'
    """

    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    v: tuple[int, int]
    description: str = ""
    action: str = ""
    p_alive: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        self._validate(None)

    def _validate(self, index: int | None) -> None:
        """Check the fields; ``index`` (the rule's position in its set) goes into the errors."""
        if not isinstance(self.name, str) or not self.name.strip():
            raise RuleError(
                "A rule needs a non-empty text name; got {name!r}.",
                field="name",
                rule=index,
                file_template="rule #{number} needs a text name; got {name!r} (quote names "
                "such as 'yes', 'no' or numbers).",
                number=None if index is None else index + 1,
                name=self.name,
            )
        who = f"rule {self.name!r}"
        for axis in AXES:
            object.__setattr__(self, axis, _as_range(getattr(self, axis), axis, who, index))
        object.__setattr__(self, "p_alive", _share_range(self.p_alive, who, index))
        for key in ("description", "action"):
            value = _text(getattr(self, key), key, f"{who}: ", index, required=False)
            object.__setattr__(self, key, value)

    @property
    def cells(self) -> int:
        """Number of (r, f, v) cells inside the rule's ranges."""
        return int(np.prod([hi - lo + 1 for lo, hi in (self.r, self.f, self.v)]))

    def label(self) -> str:
        """Short text of the ranges, e.g. ``'R4-5 F4-5 V4-5'``."""
        text = " ".join(
            f"{a.upper()}{lo}-{hi}"
            for a, (lo, hi) in zip(AXES, (self.r, self.f, self.v), strict=True)
        )
        return text if self.p_alive is None else f"{text} p_alive {self.p_alive_text()}"

    def p_alive_text(self) -> str:
        """``'0-0.2'`` for ``p_alive=(0, 0.2)``; empty without a condition."""
        return "" if self.p_alive is None else "{:g}-{:g}".format(*self.p_alive)


@dataclass(frozen=True)
class RuleSet:
    """An ordered list of rules (first match wins), a fallback name and the bins it fits.

    Examples
    --------
    >>> rs = RuleSet((Rule("High", r=(2, 2), f=(1, 2), v=(1, 2)),), bins=2, fallback="Low")
    >>> rs.cell_map()["segment"].tolist()
    ['Low', 'Low', 'Low', 'Low', 'High', 'High', 'High', 'High']
    """

    rules: tuple[Rule, ...]
    bins: int = 5
    fallback: str = "Others"
    name: str = "custom"
    description: str = ""

    def __post_init__(self) -> None:
        rules = tuple(self.rules)
        object.__setattr__(self, "rules", rules)
        who = "rule set: " if not isinstance(self.name, str) else f"rule set {self.name!r}: "
        if not isinstance(self.name, str) or not self.name.strip():
            raise RuleError(
                "A rule set needs a non-empty text name; got {value!r}.",
                field="name",
                file_template="name must be text; got {value!r}.",
                value=self.name,
            )
        _text(self.description, "description", who, None, required=False)
        if not _is_int(self.bins) or not MIN_BINS <= self.bins <= MAX_BINS:
            raise RuleError(
                "{who}bins must be a whole number from {lo} to {hi}; got {bins!r}.",
                field="bins",
                who=who,
                lo=MIN_BINS,
                hi=MAX_BINS,
                bins=self.bins,
            )
        object.__setattr__(self, "bins", int(self.bins))
        _text(self.fallback, "fallback", who, None, required=True)
        if not rules or not all(isinstance(rule, Rule) for rule in rules):
            raise BadParameterError(f"{who}rules must be a non-empty sequence of Rule objects.")
        first: dict[str, int] = {}
        for i, rule in enumerate(rules):
            if rule.name in first or rule.name == self.fallback:
                where = (
                    f"rules #{first[rule.name] + 1} and #{i + 1}"
                    if rule.name in first
                    else "it is also the fallback"
                )
                raise RuleError(
                    "rule name {name!r} is used twice ({where}); segment names must be "
                    "unique: rename one or merge the rules.",
                    field="name",
                    rule=i,
                    name=rule.name,
                    where=where,
                    first=first.get(rule.name),
                )
            first[rule.name] = i
            for axis in AXES:
                lo, hi = getattr(rule, axis)
                if lo < 1 or hi > self.bins:
                    raise RuleError(
                        "{who}: {axis} = [{lo}, {hi}] is outside 1..{bins} (the rule set is "
                        "written for bins: {bins}). Use bounds from 1 to {bins}, or change bins.",
                        field=axis,
                        rule=i,
                        who=f"rule {rule.name!r}",
                        axis=axis,
                        lo=lo,
                        hi=hi,
                        bins=self.bins,
                    )

    @property
    def names(self) -> tuple[str, ...]:
        """Rule names in order."""
        return tuple(rule.name for rule in self.rules)

    @property
    def uses_p_alive(self) -> bool:
        """True when some rule asks for a range of ``p_alive``."""
        return any(rule.p_alive is not None for rule in self.rules)

    @cached_property
    def _lookup(self) -> np.ndarray:
        """Array ``[r-1, f-1, v-1] -> index of the first matching rule`` (-1: fallback).

        Rules with a ``p_alive`` condition are left out: the table is what customers
        get when no condition catches them (:func:`rfvkit.segments.segment`).
        """
        b = self.bins
        table = np.full((b, b, b), -1, dtype=np.int16)
        for i in range(len(self.rules) - 1, -1, -1):  # earlier rules overwrite later ones
            if self.rules[i].p_alive is not None:
                continue
            (r0, r1), (f0, f1), (v0, v1) = self.rules[i].r, self.rules[i].f, self.rules[i].v
            table[r0 - 1 : r1, f0 - 1 : f1, v0 - 1 : v1] = i
        table.flags.writeable = False
        return table

    def _cells(self, i: int) -> np.ndarray:
        """The part of the cell table inside rule ``i``'s ranges."""
        (r0, r1), (f0, f1), (v0, v1) = self.rules[i].r, self.rules[i].f, self.rules[i].v
        return self._lookup[r0 - 1 : r1, f0 - 1 : f1, v0 - 1 : v1]

    def _named(self) -> np.ndarray:
        """Cells each rule can take: those no earlier rule without a condition holds."""
        named = np.bincount(self._lookup[self._lookup >= 0], minlength=len(self.rules))
        for i, rule in enumerate(self.rules):
            if rule.p_alive is not None:
                cells = self._cells(i)
                named[i] = int(((cells < 0) | (cells > i)).sum())
        return named

    def _labels(self) -> np.ndarray:
        return np.array([*self.names, self.fallback], dtype=object)  # index -1 = fallback

    def cell_map(self) -> pd.DataFrame:
        """Every (r, f, v) cell of the grid with the segment it gets.

        With ``p_alive`` rules: the segment of the customers no condition catches.

        Examples
        --------
        >>> DEFAULT.cell_map().query("r == 5 and f == 5 and v == 5")["segment"].item()
        'Champions'
        """
        cells = np.indices((self.bins,) * 3).reshape(3, -1).astype(np.int64) + 1
        segments = self._labels()[self._lookup.ravel()]
        return pd.DataFrame({"r": cells[0], "f": cells[1], "v": cells[2], "segment": segments})

    def rescale(self, bins: int) -> RuleSet:
        """The same segments on a grid of ``bins`` scores (see the module notes).

        Examples
        --------
        >>> DEFAULT.rescale(10).rules[0].label()
        'R7-10 F7-10 V7-10'
        """
        if not _is_int(bins) or not MIN_BINS <= bins <= MAX_BINS:
            raise BadParameterError(
                f"bins must be a whole number from {MIN_BINS} to {MAX_BINS}; got {bins!r}."
            )
        if bins == self.bins:
            return self
        scores = np.arange(1, bins + 1)
        source = (2 * scores - 1) * self.bins // (2 * bins) + 1  # source score holding band centre
        kept = []
        for rule in self.rules:
            ranges = {}
            for axis in AXES:
                lo, hi = getattr(rule, axis)
                hit = scores[(source >= lo) & (source <= hi)]
                if hit.size:
                    ranges[axis] = (int(hit[0]), int(hit[-1]))
            if len(ranges) == 3:
                kept.append(replace(rule, **ranges))
        if not kept:
            raise BadParameterError(f"rule set {self.name!r} names no cell at bins={bins}.")
        moved = replace(self, rules=tuple(kept), bins=int(bins))
        named = moved._named()
        return replace(moved, rules=tuple(r for r, n in zip(kept, named, strict=True) if n))

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Write the rule set as YAML that ``load_rules`` reads back; return the text.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "my_rules.yaml"
        >>> _ = DEFAULT.to_yaml(path)
        >>> load_rules(path) == DEFAULT
        True
        """
        from rfvkit.rules_yaml import dump_rules

        out = dump_rules(self)
        if path is not None:
            Path(path).write_text(out, encoding="utf-8")
        return out


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
