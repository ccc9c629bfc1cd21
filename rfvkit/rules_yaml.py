"""Rule sets to and from YAML, with every error pointing at its file and line.

The reader checks only what is about YAML (valid syntax, a mapping, known and
non-repeated fields, the fields a rule needs); the values are checked by
:class:`~rfvkit.rules.Rule` and :class:`~rfvkit.rules.RuleSet` themselves, whose
:class:`~rfvkit.rules.RuleError` says which field is wrong, so the message gets the
line of that field in front. Rules that can never match (earlier rules take all
their cells) are reported as warnings with their line.

Examples
--------
>>> from rfvkit.rules import DEFAULT
>>> parse_rules(dump_rules(DEFAULT), "copy.yaml")[0] == DEFAULT
True
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rfvkit._rule_model import AXES
from rfvkit.columns import RULE_SETS
from rfvkit.errors import BadParameterError

if TYPE_CHECKING:
    from rfvkit.rules import RuleSet

__all__ = ["dump_rules", "parse_rules", "read_rules", "read_builtin"]

RULE_FIELDS = ("name", "r", "f", "v", "p_alive", "description", "action")
SET_FIELDS = ("name", "description", "bins", "fallback", "rules")
ALIASES = {"m": "v", "monetary": "v", "value": "v", "recency": "r", "frequency": "f"}
HEADER = """\
# rfvkit rule set. Rules are tried top to bottom; the first whose ranges hold a
# customer's scores names the segment. r, f, v: inclusive score ranges [lo, hi]
# on 1..bins, higher is better (r = recency, f = frequency, v = value/monetary).
# Optional p_alive: [lo, hi] also asks for that range of the BG/NBD probability of
# still being active (needs predict: true); other customers go on to the next rules.
"""
_YAML_RAW_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _quote(text: str) -> str:
    """A double-quoted YAML scalar: JSON's escapes, plus the characters YAML cannot hold raw."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _yaml_float(value: float) -> str:
    """``repr`` of a float in the form YAML 1.1 reads back as a float (``5e-324`` -> ``5.0e-324``)."""
    text = repr(float(value))
    mantissa, _, exponent = text.partition("e")
    return text if not exponent or "." in mantissa else f"{mantissa}.0e{exponent}"


def dump_rules(rules: RuleSet) -> str:
    """The YAML text of a rule set, which :func:`parse_rules` reads back unchanged."""
    lines = [HEADER.rstrip("\n"), f"name: {_quote(rules.name)}"]
    if rules.description:
        lines.append(f"description: {_quote(rules.description)}")
    lines += [f"bins: {rules.bins}", f"fallback: {_quote(rules.fallback)}", "rules:"]
    for rule in rules.rules:
        lines.append(f"  - name: {_quote(rule.name)}")
        lines += [
            f"    {a}: [{lo}, {hi}]"
            for a, (lo, hi) in zip(AXES, (rule.r, rule.f, rule.v), strict=True)
        ]
        if rule.p_alive is not None:
            lines.append(f"    p_alive: [{', '.join(map(_yaml_float, rule.p_alive))}]")
        for key in ("description", "action"):
            if getattr(rule, key):
                lines.append(f"    {key}: {_quote(getattr(rule, key))}")
    return "\n".join(lines) + "\n"


def _fields(node: yaml.Node, source: str, what: str, allowed: tuple[str, ...]) -> dict:
    """Each key of a YAML mapping node -> its line; unknown or repeated keys are errors."""
    found: dict[str, int] = {}
    for key_node, _value in node.value:
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
                f"(lines {found[key]} and {line}); keep one."
            )
        found[key] = line
    return found


def _document(text: str, source: str) -> tuple[yaml.Node, Any]:
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
    return root, data


def parse_rules(text: str, source: str) -> tuple[RuleSet, dict[str, int]]:
    """Build a RuleSet from YAML text; return it with the line of each rule's name.

    Every error names ``source`` and the line of the field at fault.
    """
    from rfvkit.rules import Rule, RuleError, RuleSet

    root, data = _document(text, source)
    top = _fields(root, source, "the rule set", SET_FIELDS)
    if "rules" not in top:
        raise BadParameterError(f"{source}: missing field 'rules' (the ordered list of rules).")
    rules_node = next(value for key, value in root.value if key.value == "rules")
    if not isinstance(data["rules"], list) or not data["rules"]:
        raise BadParameterError(
            f"{source}, line {top['rules']}: rules must be a non-empty list of rules "
            "(each '- name: ...' with r, f, v ranges)."
        )
    rules: list[Rule] = []
    starts: list[int] = []  # line where each rule starts
    fields: list[dict[str, int]] = []  # line of each field of each rule
    for number, (node, item) in enumerate(zip(rules_node.value, data["rules"], strict=True), 1):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            raise BadParameterError(
                f"{source}, line {line}: rule #{number} must be a mapping with fields "
                f"{', '.join(RULE_FIELDS)}; got {item!r}."
            )
        name = item.get("name")
        what = f"rule {name!r}" if isinstance(name, str) else f"rule #{number}"
        at = _fields(node, source, what, RULE_FIELDS)
        missing = [key for key in ("name", *AXES) if key not in item]
        if missing:
            raise BadParameterError(
                f"{source}, line {line}: {what} is missing field(s) "
                f"{', '.join(map(repr, missing))}. Every rule needs name, r, f and v "
                "(inclusive score ranges such as [4, 5])."
            )
        starts.append(line)
        fields.append(at)
        try:
            rule = Rule.__new__(Rule)
            for key in RULE_FIELDS:
                object.__setattr__(rule, key, item.get(key))
            rule._validate(number - 1)
        except RuleError as exc:
            raise BadParameterError(
                f"{source}, line {at[exc.field]}: {exc.render(in_file=True)}"
            ) from None
        rules.append(rule)
    try:
        rule_set = RuleSet(
            tuple(rules),
            bins=data.get("bins", 5),
            fallback=data.get("fallback", "Others"),
            name=data.get("name", Path(source).stem),
            description=data.get("description") or "",
        )
    except RuleError as exc:
        if exc.rule is None:  # a field of the set itself
            raise BadParameterError(
                f"{source}, line {top[exc.field]}: {exc.render(in_file=True, who='')}"
            ) from None
        line = fields[exc.rule].get(exc.field, starts[exc.rule])
        if exc.values.get("first") is not None:  # a repeated name: both lines
            where = f"lines {starts[exc.values['first']]} and {starts[exc.rule]}"
            raise BadParameterError(f"{source}, line {line}: {exc.render(where=where)}") from None
        raise BadParameterError(f"{source}, line {line}: {exc}") from None
    return rule_set, {rule.name: start for rule, start in zip(rules, starts, strict=True)}


def _builtin_text(name: str) -> str:
    return (resources.files("rfvkit") / "rulesets" / f"{name}.yaml").read_text(encoding="utf-8")


def read_builtin(name: str) -> RuleSet:
    """One of the rule sets shipped in ``rfvkit/rulesets`` (``default``, ``r_rfm``)."""
    return parse_rules(_builtin_text(name), f"{name}.yaml")[0]


def read_rules(source: str | Path, stacklevel: int = 2) -> RuleSet:
    """A rule set from a built-in name or a YAML path; warns about rules that never match."""
    if not isinstance(source, str | Path):
        raise BadParameterError(
            f"rules must be a RuleSet, a built-in name ({', '.join(RULE_SETS)}) or a YAML "
            f"path; got {source!r}."
        )
    if isinstance(source, str) and source in RULE_SETS:
        label, text = f"{source}.yaml", _builtin_text(source)
    else:
        path = Path(source)
        if not path.is_file():
            close = difflib.get_close_matches(str(source), RULE_SETS, 1, 0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise BadParameterError(
                f"No rule set {str(source)!r}: not a built-in ({', '.join(RULE_SETS)}) and no "
                f"file at {path.resolve()}.{hint} Give a built-in name or the path of a rules "
                "YAML file."
            )
        label, text = str(path), path.read_text(encoding="utf-8")
    rules, lines = parse_rules(text, label)
    for message in _unreachable_messages(rules, label, lines):
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)
    return rules


def _unreachable_messages(rules: RuleSet, source: str, lines: dict[str, int]) -> list[str]:
    from rfvkit.rules import _owners

    named = rules._named()
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
