"""Rule sets to and from YAML: round trips, and every error names its file and line."""

from __future__ import annotations

import textwrap
import warnings

import pytest
from conftest import segments_of
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.errors import BadParameterError
from rfvkit.rules import (
    DEFAULT,
    R_RFM,
    Rule,
    RuleSet,
    coverage,
    load_rules,
    rule_overview,
)

# --- YAML --------------------------------------------------------------------------------------


def test_yaml_round_trip_then_edit(tmp_path):
    path = tmp_path / "my_rules.yaml"
    text = DEFAULT.to_yaml(path)
    assert path.read_text(encoding="utf-8") == text
    assert load_rules(path) == DEFAULT
    assert load_rules(str(path)) == DEFAULT
    # an analyst renames Champions and keeps them to the very top cell only
    edited = text.replace(
        'name: "Champions"\n    r: [4, 5]\n    f: [4, 5]\n    v: [4, 5]',
        'name: "VIP"\n    r: [5, 5]\n    f: [5, 5]\n    v: [5, 5]',
    )
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    rules = load_rules(path)
    assert rules.names[0] == "VIP" and rules.rules[0].action == DEFAULT.rules[0].action
    assert segments_of([(5, 5, 5), (4, 4, 4), (4, 5, 5)], rules) == ["VIP", "Loyal", "Loyal"]
    assert coverage(rules).empty


def test_shipped_files_round_trip():
    for rules in (DEFAULT, R_RFM):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert load_rules(rules.name) == rules


@st.composite
def rule_sets(draw):
    bins = draw(st.integers(2, 10))
    bound = st.integers(1, bins)
    ranges = st.tuples(bound, bound).map(sorted).map(tuple)
    names = draw(
        st.lists(st.text(min_size=1).filter(str.strip), min_size=1, max_size=5, unique=True)
    )
    fallback = draw(st.text(min_size=1).filter(lambda t: t.strip() and t not in names))
    share = st.floats(0, 1, allow_nan=False)
    p_alive = st.none() | st.tuples(share, share).map(sorted).map(tuple)
    rules = [
        Rule(
            name,
            draw(ranges),
            draw(ranges),
            draw(ranges),
            draw(st.text()),
            draw(st.text()),
            p_alive=draw(p_alive),
        )
        for name in names
    ]
    return RuleSet(
        tuple(rules), bins=bins, fallback=fallback, name=draw(st.text(min_size=1).filter(str.strip))
    )


@given(rule_sets())
@settings(max_examples=60, deadline=None)
def test_any_rule_set_survives_yaml(tmp_path_factory, rules):
    path = tmp_path_factory.mktemp("yaml") / "rules.yaml"
    rules.to_yaml(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random rule sets often shadow rules
        assert load_rules(path) == rules


BASE = """\
name: test
bins: 5
rules:
  - name: Top
    r: [4, 5]
    f: [4, 5]
    v: [4, 5]
  - name: Rest
    r: [1, 5]
    f: [1, 5]
    v: [1, 5]
"""


def load_text(tmp_path, text: str):
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_rules(path)


def test_base_yaml_loads(tmp_path):
    rules = load_text(tmp_path, BASE)
    assert rules.names == ("Top", "Rest") and rules.name == "test" and rules.fallback == "Others"
    assert segments_of([(5, 4, 4), (3, 5, 5)], rules) == ["Top", "Rest"]


BAD_YAML = [
    # (old, new, expected pieces of the message)
    ("    r: [4, 5]\n", "    r: [4, 5\n", ["is not valid YAML (line 6", "expected ',' or ']'"]),
    ("rules:\n", "rules:\n- : : :\n", ["is not valid YAML (line"]),
    (
        "    v: [4, 5]\n",
        "    v: [4, 5]\n    acton: x\n",
        ["line 8: unknown field 'acton' in rule 'Top'", "Did you mean 'action'?"],
    ),
    (
        "    v: [4, 5]\n",
        "    m: [4, 5]\n",
        ["line 7: unknown field 'm' in rule 'Top'", "Did you mean 'v'?"],
    ),
    (
        "bins: 5\n",
        "bins: 5\nfallbak: Rest of base\n",
        ["line 3: unknown field 'fallbak' in the rule set", "Did you mean 'fallback'?"],
    ),
    ("    v: [4, 5]\n", "", ["line 4: rule 'Top' is missing field(s) 'v'"]),
    ("  - name: Top\n", "  - description: top\n", ["line 4: rule #1 is missing field(s) 'name'"]),
    (
        "    r: [4, 5]\n",
        "    r: [5, 4]\n",
        ["line 5: rule 'Top': r = [5, 4] has lo > hi", "r: [4, 5]"],
    ),
    ("    f: [4, 5]\n", "    f: [4, 6]\n", ["line 6: rule 'Top': f = [4, 6] is outside 1..5"]),
    ("    r: [1, 5]\n", "    r: [0, 5]\n", ["line 9: rule 'Rest': r = [0, 5] is outside 1..5"]),
    ("bins: 5\n", "bins: 3\n", ["line 5: rule 'Top': r = [4, 5] is outside 1..3"]),
    (
        "  - name: Rest\n",
        "  - name: Top\n",
        ["line 8: rule name 'Top' is used twice (lines 4 and 8)"],
    ),
    (
        "bins: 5\n",
        "bins: 5\nfallback: Rest\n",
        ["rule name 'Rest' is used twice (it is also the fallback)"],
    ),
    ("    v: [4, 5]\n", "    v: [4, high]\n", ["line 7: rule 'Top': v must be a range [lo, hi]"]),
    ("    v: [4, 5]\n", "    v: 4-5\n", ["line 7: rule 'Top': v must be a range", "'4-5'"]),
    (
        "    v: [4, 5]\n",
        "    v: [4, 5]\n    r: [1, 5]\n",
        ["line 8: field 'r' appears twice in rule 'Top' (lines 5 and 8)"],
    ),
    ("  - name: Top\n", "  - name: yes\n", ["line 4: rule #1 needs a text name; got True"]),
    (
        "  - name: Rest\n",
        "  - name: Rest\n    action: 20\n",
        ["line 9: rule 'Rest': action must be text"],
    ),
    (
        "    v: [4, 5]\n",
        "    v: [4, 5]\n    p_alive: [0.5, 0.2]\n",
        ["line 8: rule 'Top': p_alive must be a range [lo, hi] of two shares", "[0.5, 0.2]"],
    ),
    (
        "    v: [4, 5]\n",
        "    v: [4, 5]\n    p_alive: 20%\n",
        ["line 8: rule 'Top': p_alive must be a range", "'20%'", "p_alive: [0, 0.2]"],
    ),
    ("    v: [4, 5]\n", "    v: [4, 5]\n    palive: [0, 1]\n", ["Did you mean 'p_alive'?"]),
    ("bins: 5\n", "bins: 1\n", ["line 2: bins must be a whole number from 2 to"]),
    ("bins: 5\n", "bins: five\n", ["line 2: bins must be a whole number", "'five'"]),
    ("name: test\n", "name: [a]\n", ["line 1: name must be text"]),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD_YAML)
def test_bad_yaml(tmp_path, old, new, expected):
    assert old in BASE
    with pytest.raises(BadParameterError) as info:
        load_text(tmp_path, BASE.replace(old, new, 1))
    message = str(info.value)
    assert message.startswith(str(tmp_path / "rules.yaml"))
    for piece in expected:
        assert piece in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- name: Top\n", "a rule set file is a mapping"),
        ("", "a rule set file is a mapping"),
        ("name: test\nbins: 5\n", "missing field 'rules'"),
        ("rules: []\n", "line 1: rules must be a non-empty list"),
        ("rules:\n  - Top\n", "line 2: rule #1 must be a mapping"),
    ],
)
def test_bad_yaml_structure(tmp_path, text, expected):
    with pytest.raises(BadParameterError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        load_text(tmp_path, text)


def test_unreachable_rule_in_own_file_warns_with_line(tmp_path):
    text = BASE + "  - name: Never\n    r: 5\n    f: 5\n    v: 5\n"
    with pytest.warns(UserWarning, match=r"rule 'Never' \(line 12\) can never match: earlier rule"):
        rules = load_text(tmp_path, text)
    assert rule_overview(rules).loc["Never", "shadowed_by"] == "Top"


def test_p_alive_rule_in_a_file(tmp_path):
    """A conditional rule is read, named in the overview and judged by the cells it can take."""
    text = BASE.replace(
        "  - name: Rest\n",
        "  - name: Gone\n    r: [1, 2]\n    f: [1, 5]\n"
        "    v: [1, 5]\n    p_alive: [0, 0.2]\n  - name: Rest\n",
    )
    rules = load_text(tmp_path, text)
    gone = rules.rules[1]
    assert gone.p_alive == (0.0, 0.2) and rules.uses_p_alive
    overview = rule_overview(rules)
    assert overview.loc["Gone", ["p_alive", "cells", "named"]].tolist() == ["0-0.2", 50, 50]
    assert overview.loc["Rest", "named"] == 125 - 8  # Gone's cells still go to Rest when alive
    assert load_rules(rules.to_yaml(tmp_path / "copy.yaml") and tmp_path / "copy.yaml") == rules
    assert rules.rescale(3).rules[1].p_alive == (0.0, 0.2)
    shadowed = BASE + "  - name: Never\n    r: 5\n    f: 5\n    v: 5\n    p_alive: [0, 1]\n"
    with pytest.warns(UserWarning, match=r"rule 'Never' \(line 12\) can never match"):
        load_text(tmp_path, shadowed)


def test_unknown_rule_set_name_or_missing_file(tmp_path):
    with pytest.raises(BadParameterError, match="Did you mean 'default'"):
        load_rules("defualt")
    with pytest.raises(BadParameterError, match="no file at"):
        load_rules(tmp_path / "nope.yaml")
    with pytest.raises(BadParameterError, match="rules must be a RuleSet"):
        load_rules(5)  # type: ignore[arg-type]
