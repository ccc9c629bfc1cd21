"""Rule-based RFV segments: ordered rule sets, first match wins.

A rule names the customers whose scores fall in three inclusive ranges: ``r``
(recency), ``f`` (frequency) and ``v`` (value, i.e. monetary) on a ``1..bins``
scale where higher is better. Rules are tried in order and the first that
matches wins; customers no rule matches get the rule set's ``fallback`` name.
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

import difflib
import json
import re
import warnings
from dataclasses import dataclass, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from rfvkit.columns import MAX_BINS, MIN_BINS, RULE_SETS, SCORE_COLUMNS
from rfvkit.errors import (
    BadParameterError,
    BadValuesError,
    examples,
    require_columns,
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
    "segment",
    "segment_order",
    "segment_summary",
]

AXES = ("r", "f", "v")
_SCORES = tuple(SCORE_COLUMNS.values())  # r_score, f_score, v_score
RULE_FIELDS = ("name", "r", "f", "v", "description", "action")
SET_FIELDS = ("name", "description", "bins", "fallback", "rules")
ALIASES = {"m": "v", "monetary": "v", "value": "v", "recency": "r", "frequency": "f"}
HEADER = """\
# rfvkit rule set. Rules are tried top to bottom; the first whose ranges hold a
# customer's scores names the segment. r, f, v: inclusive score ranges [lo, hi]
# on 1..bins, higher is better (r = recency, f = frequency, v = value/monetary).
"""
_YAML_RAW_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
FALLBACK_TEXT = ("Customers whose scores match no rule.", "Review coverage(rules); add a rule.")


def _quote(text: str) -> str:
    """A double-quoted YAML scalar: JSON's escapes, plus the characters YAML cannot hold raw."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _error(where: str, message: str) -> BadParameterError:
    return BadParameterError(f"{where}: {message}" if where else message)


def _as_range(value: object, axis: str, where: str) -> tuple[int, int]:
    if _is_int(value):
        lo = hi = int(value)
    elif isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_int, value)):
        lo, hi = int(value[0]), int(value[1])
    else:
        raise _error(
            where,
            f"{axis} must be a range [lo, hi] of two whole numbers (or one number); "
            f"got {value!r}. Write e.g. {axis}: [4, 5].",
        )
    if lo > hi:
        raise _error(where, f"{axis} = [{lo}, {hi}] has lo > hi; write {axis}: [{hi}, {lo}].")
    return lo, hi


def _check_bounds(axis: str, bounds: tuple[int, int], bins: int, where: str) -> None:
    lo, hi = bounds
    if lo < 1 or hi > bins:
        raise _error(
            where,
            f"{axis} = [{lo}, {hi}] is outside 1..{bins} (the rule set is written for "
            f"bins: {bins}). Use bounds from 1 to {bins}, or change bins.",
        )


@dataclass(frozen=True)
class Rule:
    """One segment: inclusive score ranges for r, f and v, plus what to do with it.

    Examples
    --------
    >>> Rule("Champions", r=(4, 5), f=(4, 5), v=(4, 5)).label()
    'R4-5 F4-5 V4-5'
    """

    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    v: tuple[int, int]
    description: str = ""
    action: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise BadParameterError(f"A rule needs a non-empty text name; got {self.name!r}.")
        where = f"rule {self.name!r}"
        for axis in AXES:
            object.__setattr__(self, axis, _as_range(getattr(self, axis), axis, where))
        for key in ("description", "action"):
            value = getattr(self, key)
            if value is None:
                object.__setattr__(self, key, "")
            elif not isinstance(value, str):
                raise _error(where, f"{key} must be text; got {value!r}.")

    @property
    def cells(self) -> int:
        """Number of (r, f, v) cells inside the rule's ranges."""
        return int(np.prod([hi - lo + 1 for lo, hi in (self.r, self.f, self.v)]))

    def label(self) -> str:
        """Short text of the ranges, e.g. ``'R4-5 F4-5 V4-5'``."""
        return " ".join(
            f"{a.upper()}{lo}-{hi}"
            for a, (lo, hi) in zip(AXES, (self.r, self.f, self.v), strict=True)
        )


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
        if not isinstance(self.name, str) or not self.name.strip():
            raise BadParameterError(f"A rule set needs a non-empty text name; got {self.name!r}.")
        where = f"rule set {self.name!r}"
        if not _is_int(self.bins) or not MIN_BINS <= self.bins <= MAX_BINS:
            raise _error(
                where,
                f"bins must be a whole number from {MIN_BINS} to {MAX_BINS}; got {self.bins!r}.",
            )
        object.__setattr__(self, "bins", int(self.bins))
        if not isinstance(self.fallback, str) or not self.fallback.strip():
            raise _error(where, f"fallback must be a non-empty name; got {self.fallback!r}.")
        if not rules or not all(isinstance(rule, Rule) for rule in rules):
            raise _error(where, "rules must be a non-empty sequence of Rule objects.")
        seen: set[str] = set()
        for rule in rules:
            if rule.name in seen or rule.name == self.fallback:
                raise _error(
                    where,
                    f"the name {rule.name!r} is used twice (as a rule or as the fallback); "
                    "segment names must be unique.",
                )
            seen.add(rule.name)
            for axis in AXES:
                _check_bounds(axis, getattr(rule, axis), self.bins, f"{where}, rule {rule.name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        """Rule names in order."""
        return tuple(rule.name for rule in self.rules)

    @cached_property
    def _lookup(self) -> np.ndarray:
        """Array ``[r-1, f-1, v-1] -> index of the first matching rule`` (-1: fallback)."""
        b = self.bins
        table = np.full((b, b, b), -1, dtype=np.int16)
        for i in range(len(self.rules) - 1, -1, -1):  # earlier rules overwrite later ones
            (r0, r1), (f0, f1), (v0, v1) = self.rules[i].r, self.rules[i].f, self.rules[i].v
            table[r0 - 1 : r1, f0 - 1 : f1, v0 - 1 : v1] = i
        table.flags.writeable = False
        return table

    def _labels(self) -> np.ndarray:
        return np.array([*self.names, self.fallback], dtype=object)  # index -1 = fallback

    def cell_map(self) -> pd.DataFrame:
        """Every (r, f, v) cell of the grid with the segment it gets.

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
        named = np.bincount(moved._lookup[moved._lookup >= 0], minlength=len(kept))
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
        lines = [HEADER.rstrip("\n"), f"name: {_quote(self.name)}"]
        if self.description:
            lines.append(f"description: {_quote(self.description)}")
        lines += [
            f"bins: {self.bins}",
            f"fallback: {_quote(self.fallback)}",
            "rules:",
        ]
        for rule in self.rules:
            lines.append(f"  - name: {_quote(rule.name)}")
            lines += [
                f"    {a}: [{lo}, {hi}]"
                for a, (lo, hi) in zip(AXES, (rule.r, rule.f, rule.v), strict=True)
            ]
            for key in ("description", "action"):
                if getattr(rule, key):
                    lines.append(f"    {key}: {_quote(getattr(rule, key))}")
        out = "\n".join(lines) + "\n"
        if path is not None:
            Path(path).write_text(out, encoding="utf-8")
        return out


# --- reading YAML with line numbers -------------------------------------------------------


def _fields(node: yaml.Node, source: str, what: str, allowed: tuple[str, ...]) -> dict:
    """Map each key of a YAML mapping node to (line, value node); reject unknown/duplicate keys."""
    found: dict[str, tuple[int, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key, line = key_node.value, key_node.start_mark.line + 1
        if key not in allowed:
            close = ALIASES.get(str(key)) or next(
                iter(difflib.get_close_matches(str(key), allowed, 1, 0.6)), None
            )
            hint = f" Did you mean {close!r}?" if close else ""
            raise BadParameterError(
                f"{source}, line {line}: unknown field {key!r} in {what}.{hint} "
                f"Allowed fields: {', '.join(allowed)}."
            )
        if key in found:
            raise BadParameterError(
                f"{source}, line {line}: field {key!r} appears twice in {what} "
                f"(lines {found[key][0]} and {line}); keep one."
            )
        found[key] = (line, value_node)
    return found


def _parse(text: str, source: str) -> tuple[RuleSet, dict[str, int]]:
    """Build a RuleSet from YAML text; return it with the line of each rule."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise BadParameterError(
            f"{source} is not valid YAML{at}: {getattr(exc, 'problem', None) or exc}. "
            "Check the indentation and quote names that contain ':' or '#'."
        ) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise BadParameterError(
            f"{source}: a rule set file is a mapping with fields {', '.join(SET_FIELDS)}; "
            f"got {type(data).__name__}. Start from a copy: load_rules('default').to_yaml(path)."
        )
    top = _fields(root, source, "the rule set", SET_FIELDS)
    if "rules" not in top:
        raise BadParameterError(f"{source}: missing field 'rules' (the ordered list of rules).")
    bins = data.get("bins", 5)
    if not _is_int(bins) or not MIN_BINS <= bins <= MAX_BINS:
        raise BadParameterError(
            f"{source}, line {top['bins'][0]}: bins must be a whole number from {MIN_BINS} to {MAX_BINS}; got {bins!r}."
        )
    for key in ("name", "description", "fallback"):
        if key in top and (
            not isinstance(data[key], str) or (key != "description" and not data[key].strip())
        ):
            raise BadParameterError(
                f"{source}, line {top[key][0]}: {key} must be text; got {data[key]!r}."
            )
    line, rules_node = top["rules"]
    if not isinstance(data["rules"], list) or not data["rules"]:
        raise BadParameterError(
            f"{source}, line {line}: rules must be a non-empty list of rules "
            "(each '- name: ...' with r, f, v ranges)."
        )
    rules: list[Rule] = []
    lines: dict[str, int] = {}
    for number, (node, item) in enumerate(zip(rules_node.value, data["rules"], strict=True), 1):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            raise BadParameterError(
                f"{source}, line {line}: rule #{number} must be a mapping with fields "
                f"{', '.join(RULE_FIELDS)}; got {item!r}."
            )
        name = item.get("name")
        what = f"rule {name!r}" if isinstance(name, str) else f"rule #{number}"
        fields = _fields(node, source, what, RULE_FIELDS)
        missing = [key for key in ("name", *AXES) if key not in item]
        if missing:
            raise BadParameterError(
                f"{source}, line {line}: {what} is missing field(s) {', '.join(map(repr, missing))}. "
                "Every rule needs name, r, f and v (inclusive score ranges such as [4, 5])."
            )
        if not isinstance(name, str) or not name.strip():
            raise BadParameterError(
                f"{source}, line {fields['name'][0]}: rule #{number} needs a text name; got {name!r} "
                "(quote names such as 'yes', 'no' or numbers)."
            )
        for axis in AXES:
            where = f"{source}, line {fields[axis][0]}: rule {name!r}"
            _check_bounds(axis, _as_range(item[axis], axis, where), bins, where)
        for key in ("description", "action"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise BadParameterError(
                    f"{source}, line {fields[key][0]}: rule {name!r}: {key} must be text; got {item[key]!r}."
                )
        if name in lines or name == data.get("fallback", "Others"):
            other = (
                f"lines {lines[name]} and {line}" if name in lines else "it is also the fallback"
            )
            raise BadParameterError(
                f"{source}, line {line}: rule name {name!r} is used twice ({other}); "
                "segment names must be unique: rename one or merge the rules."
            )
        lines[name] = line
        rules.append(Rule(**{key: item.get(key) for key in RULE_FIELDS}))
    rule_set = RuleSet(
        tuple(rules),
        bins=int(bins),
        fallback=data.get("fallback", "Others"),
        name=data.get("name", Path(source).stem),
        description=data.get("description") or "",
    )
    return rule_set, lines


def _builtin_text(name: str) -> str:
    return (resources.files("rfvkit") / "rulesets" / f"{name}.yaml").read_text(encoding="utf-8")


def _builtin(name: str) -> RuleSet:
    return _parse(_builtin_text(name), f"{name}.yaml")[0]


DEFAULT: RuleSet = _builtin("default")
R_RFM: RuleSet = _builtin("r_rfm")


def _owners(rules: RuleSet, i: int) -> list[str]:
    """Names of the earlier rules that take cells inside rule ``i``'s ranges."""
    (r0, r1), (f0, f1), (v0, v1) = rules.rules[i].r, rules.rules[i].f, rules.rules[i].v
    owners = np.unique(rules._lookup[r0 - 1 : r1, f0 - 1 : f1, v0 - 1 : v1])
    return [rules.names[j] for j in owners if j != i]


def _unreachable_messages(rules: RuleSet, source: str, lines: dict[str, int]) -> list[str]:
    named = np.bincount(rules._lookup[rules._lookup >= 0], minlength=len(rules.rules))
    out = []
    for i, rule in enumerate(rules.rules):
        if named[i] == 0:
            at = f" (line {lines[rule.name]})" if rule.name in lines else ""
            out.append(
                f"{source}: rule {rule.name!r}{at} can never match: earlier rule(s) "
                f"{', '.join(map(repr, _owners(rules, i)))} take all its cells. "
                "Move it above them or narrow them."
            )
    return out


def _load(source: Any, bins: int | None, stacklevel: int) -> RuleSet:
    if isinstance(source, RuleSet):
        return source if bins is None else source.rescale(bins)
    if not isinstance(source, str | Path):
        raise BadParameterError(
            f"rules must be a RuleSet, a built-in name ({', '.join(RULE_SETS)}) or a YAML path; got {source!r}."
        )
    if isinstance(source, str) and source in RULE_SETS:
        label, text = f"{source}.yaml", _builtin_text(source)
    else:
        path = Path(source)
        if not path.is_file():
            close = difflib.get_close_matches(str(source), RULE_SETS, 1, 0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise BadParameterError(
                f"No rule set {str(source)!r}: not a built-in ({', '.join(RULE_SETS)}) and no file at "
                f"{path.resolve()}.{hint} Give a built-in name or the path of a rules YAML file."
            )
        label, text = str(path), path.read_text(encoding="utf-8")
    rules, lines = _parse(text, label)
    for message in _unreachable_messages(rules, label, lines):
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)
    return rules if bins is None else rules.rescale(bins)


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

    Examples
    --------
    >>> len(coverage(DEFAULT)), len(coverage(R_RFM))
    (0, 10)
    """
    rules = _load(rules, bins, stacklevel=2)
    unnamed = rules._lookup.ravel() < 0
    return rules.cell_map().loc[unnamed, ["r", "f", "v"]].reset_index(drop=True)


def rule_overview(rules: RuleSet | str | Path = DEFAULT) -> pd.DataFrame:
    """One row per rule: ranges, cells in range, cells it names, rules shadowing it.

    Examples
    --------
    >>> rule_overview(R_RFM).loc["Can't Lose Them", "shadowed_by"]
    'Loyal Customers'
    """
    rules = _load(rules, None, stacklevel=2)
    table = rules._lookup
    named = np.bincount(table[table >= 0], minlength=len(rules.rules))
    rows = []
    for i, rule in enumerate(rules.rules):
        rows.append(
            {
                "segment": rule.name,
                **{
                    a: f"{lo}-{hi}"
                    for a, (lo, hi) in zip(AXES, (rule.r, rule.f, rule.v), strict=True)
                },
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
                "cells": unnamed,
                "named": unnamed,
                "shadowed_by": "",
                "description": FALLBACK_TEXT[0],
                "action": FALLBACK_TEXT[1],
            }
        )
    return pd.DataFrame(rows).set_index("segment")


def segment_order(rules: RuleSet | str | Path = DEFAULT) -> list[str]:
    """Segment names in rule order, then the fallback if the rule set leaves cells unnamed.

    Examples
    --------
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


def segment(scored: pd.DataFrame, *, rules: RuleSet | str | Path = DEFAULT) -> pd.DataFrame:
    """Add a ``segment`` column: the first rule matching each customer's r/f/v scores.

    Vectorised: one lookup in the rule set's ``bins**3`` cell table. Warns when
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
    out = scored.copy()
    out["segment"] = pd.Series(rules._labels()[codes], index=scored.index, dtype="str")
    out.attrs["rule_set"] = rules.name
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
