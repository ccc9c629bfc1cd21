"""Rule and RuleSet: score ranges per segment, in order, first match wins.

A :class:`Rule` holds a segment's inclusive ``r``, ``f`` and ``v`` ranges (and an
optional ``p_alive`` range); a :class:`RuleSet` orders rules, names the fallback and
the number of bins, and answers for every (r, f, v) cell. The notes of
:mod:`rfvkit.rules` explain the ranges, the ``p_alive`` conditions and rescaling; import
both classes from there, with the loading, coverage and overview of rule sets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from rfvkit._rule_checks import RuleError, _as_range, _is_int, _share_range, _text
from rfvkit.columns import MAX_BINS, MIN_BINS, SCORE_COLUMNS
from rfvkit.errors import BadParameterError

AXES = ("r", "f", "v")
_SCORES = tuple(SCORE_COLUMNS.values())  # r_score, f_score, v_score


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
        >>> from rfvkit.rules import DEFAULT
        >>> DEFAULT.cell_map().query("r == 5 and f == 5 and v == 5")["segment"].item()
        'Champions'
        """
        cells = np.indices((self.bins,) * 3).reshape(3, -1).astype(np.int64) + 1
        segments = self._labels()[self._lookup.ravel()]
        return pd.DataFrame({"r": cells[0], "f": cells[1], "v": cells[2], "segment": segments})

    def rescale(self, bins: int) -> RuleSet:
        """The same segments on a grid of ``bins`` scores (see the notes of :mod:`rfvkit.rules`).

        Examples
        --------
        >>> from rfvkit.rules import DEFAULT
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
        >>> from rfvkit.rules import DEFAULT, load_rules
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


# Where users import Rule and RuleSet from: reprs, tracebacks and pickles name that module.
Rule.__module__ = "rfvkit.rules"
RuleSet.__module__ = "rfvkit.rules"
