"""Tests for rfvkit.rules: rule sets, YAML files, coverage, segment() and segment_summary()."""

from __future__ import annotations

import itertools
import math
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.errors import BadParameterError, BadValuesError, MissingColumnsError
from rfvkit.rules import (
    DEFAULT,
    R_RFM,
    Rule,
    RuleSet,
    coverage,
    default_rules,
    load_rules,
    rule_overview,
    segment,
    segment_order,
    segment_summary,
)

DEFAULT_NAMES = [
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "Can't Lose Them",
    "At Risk",
    "Hibernating",
    "Lost",
]


def scored_frame(cells: list[tuple[int, int, int]], bins: int = 5) -> pd.DataFrame:
    """A scored frame as rfvkit.scoring.score would return it, built by hand."""
    r, f, v = (np.array([cell[i] for cell in cells], dtype=np.int64) for i in range(3))
    sep = "-" if bins >= 10 else ""
    return pd.DataFrame(
        {
            "recency_days": (bins - r + 1) * 30,
            "frequency": f,
            "monetary": 100.0 * v,
            "r_score": r,
            "f_score": f,
            "v_score": v,
            "rfv_code": [sep.join(map(str, cell)) for cell in cells],
            "rfv_score": r + f + v,
        },
        index=pd.Index([f"c{i}" for i in range(len(cells))], name="customer_id"),
    )


def segments_of(cells: list[tuple[int, int, int]], rules: RuleSet = DEFAULT) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return segment(scored_frame(cells, rules.bins), rules=rules)["segment"].tolist()


# --- the shipped rule sets --------------------------------------------------------------------

DEFAULT_KNOWN = {
    (5, 5, 5): "Champions",
    (4, 4, 4): "Champions",
    (5, 5, 3): "Loyal",
    (3, 4, 1): "Loyal",
    (3, 5, 5): "Loyal",
    (5, 3, 1): "Potential Loyalist",
    (4, 2, 5): "Potential Loyalist",
    (5, 1, 5): "New",
    (5, 1, 1): "New",
    (4, 1, 1): "Promising",
    (3, 3, 3): "Need Attention",
    (3, 2, 5): "Need Attention",
    (3, 2, 2): "About to Sleep",
    (3, 1, 5): "About to Sleep",
    (2, 5, 4): "Can't Lose Them",
    (1, 4, 5): "Can't Lose Them",
    (1, 4, 3): "At Risk",
    (2, 3, 5): "At Risk",
    (1, 2, 3): "Hibernating",
    (2, 1, 5): "Hibernating",
    (2, 2, 2): "Lost",
    (1, 1, 1): "Lost",
}

# rfm 0.3.0's documented set, worked out cell by cell (first match wins).
R_RFM_KNOWN = {
    (5, 5, 5): "Champions",  # the only Champions cell
    (5, 5, 4): "Potential Loyalist",  # r 3-5, f 3-5, v 2-5
    (3, 3, 2): "Potential Loyalist",
    (2, 4, 3): "Loyal Customers",  # r 2-4, f 2-4, v 2-4 (r 2 is too low for the rule above)
    (3, 1, 3): "Promising",  # r 3-4, f 1-3, v 3-5
    (5, 1, 1): "New Customers",  # r 4-5, f 1-3, v 1-5
    (1, 3, 5): "Can't Lose Them",  # r 1-2, f 3-4, v 4-5
    (1, 5, 5): "At Risk",  # f 5 is above Can't Lose Them's 3-4
    (1, 4, 3): "Need Attention",  # r 1-3, f 3-5, v 3-5
    (2, 1, 1): "About To Sleep",  # r 2-3, f 1-3, v 1-4
    (1, 2, 3): "Lost",  # r 1, anything else
    (5, 5, 1): "Others",
}

# Unnamed cells, worked out by hand: with v = 1 and f 4-5, only Lost (r 1) and New
# Customers (f <= 3) could apply, so r 2-5 x f 4-5 x v 1 are open (8 cells); at r 2,
# (2, 5, 2) escapes Loyal (f <= 4) and At Risk/Can't Lose Them (v >= 4), and (2, 1, 5)
# escapes About To Sleep (v <= 4) and Lost (r = 1).
R_RFM_UNNAMED = [
    *[(r, f, 1) for r in (2, 3, 4, 5) for f in (4, 5)],
    (2, 5, 2),
    (2, 1, 5),
]


def test_default_names_order_and_texts():
    assert list(DEFAULT.names) == DEFAULT_NAMES
    assert DEFAULT.bins == 5 and DEFAULT.fallback == "Others" and DEFAULT.name == "default"
    for rule in DEFAULT.rules:
        assert rule.description.endswith(".") and rule.description.count(". ") == 0, rule.name
        assert len(rule.action) > 20, rule.name
    assert DEFAULT.rules[-1].action.startswith("Do not SMS")


def test_default_rules_table():
    assert [(r.name, r.r, r.f, r.v) for r in DEFAULT.rules] == [
        ("Champions", (4, 5), (4, 5), (4, 5)),
        ("Loyal", (3, 5), (4, 5), (1, 5)),
        ("Potential Loyalist", (4, 5), (2, 3), (1, 5)),
        ("New", (5, 5), (1, 1), (1, 5)),
        ("Promising", (4, 4), (1, 1), (1, 5)),
        ("Need Attention", (3, 3), (2, 3), (3, 5)),
        ("About to Sleep", (3, 3), (1, 3), (1, 5)),
        ("Can't Lose Them", (1, 2), (4, 5), (4, 5)),
        ("At Risk", (1, 2), (3, 5), (1, 5)),
        ("Hibernating", (1, 2), (1, 2), (3, 5)),
        ("Lost", (1, 2), (1, 2), (1, 2)),
    ]


def test_default_known_answers():
    cells = list(DEFAULT_KNOWN)
    assert segments_of(cells) == [DEFAULT_KNOWN[c] for c in cells]


def test_default_names_every_cell_and_every_rule_names_some():
    assert coverage(DEFAULT).empty
    overview = rule_overview(DEFAULT)
    # cells named per rule, counted by hand from the ranges above (sum 125)
    assert overview["named"].to_dict() == {
        "Champions": 8,
        "Loyal": 22,  # 3*2*5 minus Champions' 8
        "Potential Loyalist": 20,
        "New": 5,
        "Promising": 5,
        "Need Attention": 6,
        "About to Sleep": 9,  # 15 minus Need Attention's 6
        "Can't Lose Them": 8,
        "At Risk": 22,  # 30 minus Can't Lose Them's 8
        "Hibernating": 12,
        "Lost": 8,
    }
    assert segment_order(DEFAULT) == DEFAULT_NAMES


def test_r_rfm_bounds_follow_r_package():
    assert list(R_RFM.names) == [
        "Champions",
        "Potential Loyalist",
        "Loyal Customers",
        "Promising",
        "New Customers",
        "Can't Lose Them",
        "At Risk",
        "Need Attention",
        "About To Sleep",
        "Lost",
    ]
    # rfm 0.3.0 documentation of rfm_segment(): the lower and upper vectors of its example
    lows = {
        "r": [5, 3, 2, 3, 4, 1, 1, 1, 2, 1],
        "f": [5, 3, 2, 1, 1, 3, 2, 3, 1, 1],
        "v": [5, 2, 2, 3, 1, 4, 4, 3, 1, 1],
    }
    highs = {
        "r": [5, 5, 4, 4, 5, 2, 2, 3, 3, 1],
        "f": [5, 5, 4, 3, 3, 4, 5, 5, 3, 5],
        "v": [5, 5, 4, 5, 5, 5, 5, 5, 4, 5],
    }
    for axis in "rfv":
        assert [getattr(rule, axis) for rule in R_RFM.rules] == list(
            zip(lows[axis], highs[axis], strict=True)
        )
    assert R_RFM.fallback == "Others"


def test_r_rfm_known_answers_first_match_wins():
    cells = list(R_RFM_KNOWN)
    assert segments_of(cells, R_RFM) == [R_RFM_KNOWN[c] for c in cells]


def test_r_rfm_leaves_10_cells_unnamed():
    unnamed = coverage(R_RFM)
    assert list(unnamed.columns) == ["r", "f", "v"]
    assert len(R_RFM_UNNAMED) == 10
    assert sorted(map(tuple, unnamed.to_numpy().tolist())) == sorted(R_RFM_UNNAMED)
    assert len(coverage("r_rfm")) == 10
    assert segment_order(R_RFM)[-1] == "Others"


def test_r_rfm_cells_per_rule():
    overview = rule_overview(R_RFM)
    assert overview["named"].to_dict() == {
        "Champions": 1,
        "Potential Loyalist": 35,  # 3*3*4 = 36 minus Champions' (5,5,5)
        "Loyal Customers": 15,
        "Promising": 8,
        "New Customers": 15,
        "Can't Lose Them": 6,
        "At Risk": 7,
        "Need Attention": 4,
        "About To Sleep": 10,
        "Lost": 14,  # r = 1 minus the 11 cells earlier rules took
        "Others": 10,
    }
    assert overview["named"].sum() == 125


def test_loading_r_rfm_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every rule of the documented set can match
        assert load_rules("r_rfm") == R_RFM


# The segment table of an older rfm vignette, in that order: with first match wins,
# three of its rules can never match. R users hit exactly this, silently.
OLD_VIGNETTE = [
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("New Customers", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Need Attention", (2, 3), (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (1, 2), (1, 2)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    ("Lost", (1, 2), (1, 2), (1, 2)),
]


def test_rules_emptied_by_earlier_rules_are_named_with_their_line(tmp_path):
    text = "bins: 5\nrules:\n" + "".join(
        f'  - name: "{n}"\n    r: [{r[0]}, {r[1]}]\n    f: [{f[0]}, {f[1]}]\n    v: [{v[0]}, {v[1]}]\n'
        for n, r, f, v in OLD_VIGNETTE
    )
    path = tmp_path / "old_vignette.yaml"
    path.write_text(text)
    with pytest.warns(UserWarning) as record:
        rules = load_rules(path)
    messages = [str(w.message) for w in record]
    assert len(messages) == 3
    assert "rule 'New Customers' (line 15) can never match" in messages[0]
    assert "'Potential Loyalist' take all its cells" in messages[0]
    assert "rule 'Promising' (line 19)" in messages[1]
    assert 'rule "Can\'t Lose Them" (line 35)' in messages[2] and "'At Risk'" in messages[2]
    assert all(w.filename == __file__ for w in record)  # stacklevel points at the caller
    assert len(coverage(rules)) == 36


def test_loading_default_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_rules() == DEFAULT
        assert load_rules("default") is not DEFAULT  # read again from the file
        assert load_rules(DEFAULT) is DEFAULT


# --- other numbers of bins ---------------------------------------------------------------------


def centre_score(s: int, bins: int) -> int:
    """The 5-bin score whose band holds the centre of band s out of bins."""
    return math.floor((s - 0.5) / bins * 5) + 1


def test_default_rules_known_answers_for_other_bins():
    assert default_rules(5) is DEFAULT
    # bins=10: score s is read as the fifth holding (s - 0.5) / 10, i.e. 1,1,2,2,3,3,4,4,5,5
    cells = [(10, 10, 10), (1, 1, 1), (6, 2, 2), (10, 1, 1), (8, 8, 3), (7, 7, 7), (6, 6, 6)]
    assert segments_of(cells, default_rules(10)) == [
        "Champions",  # (5, 5, 5)
        "Lost",  # (1, 1, 1)
        "About to Sleep",  # (3, 1, 1)
        "New",  # (5, 1, 1)
        "Loyal",  # (4, 4, 2)
        "Champions",  # (4, 4, 4)
        "Need Attention",  # (3, 3, 3)
    ]
    assert default_rules(10).rules[0].label() == "R7-10 F7-10 V7-10"
    # bins=3: scores 1, 2, 3 read as 1, 3, 5 of five
    assert segments_of([(2, 2, 2), (3, 1, 1), (1, 3, 3), (2, 3, 1)], default_rules(3)) == [
        "Need Attention",
        "New",
        "Can't Lose Them",
        "Loyal",
    ]
    assert default_rules(2).names == (
        "Champions",
        "Loyal",
        "Potential Loyalist",
        "Can't Lose Them",
        "At Risk",
        "Hibernating",
        "Lost",
    )
    assert load_rules("default", bins=7) == default_rules(7)


FIVE = DEFAULT.cell_map().set_index(["r", "f", "v"])["segment"]


@given(bins=st.integers(2, 10))
@settings(max_examples=20, deadline=None)
def test_default_names_every_cell_at_any_bins(bins):
    rules = default_rules(bins)
    assert rules.bins == bins
    assert coverage(rules).empty
    assert coverage(DEFAULT, bins=bins).empty
    cells = rules.cell_map()
    assert len(cells) == bins**3 and cells["segment"].isin(rules.names).all()
    # every kept rule names some cell; all eleven survive from 5 bins up
    assert set(cells["segment"]) == set(rules.names)
    if bins >= 5:
        assert list(rules.names) == DEFAULT_NAMES
    # same segment as the 5-bin cell holding the centre of each band
    centres = [
        tuple(centre_score(s, bins) for s in cell)
        for cell in cells[["r", "f", "v"]].itertuples(index=False)
    ]
    assert cells["segment"].tolist() == FIVE.loc[centres].tolist()
    # sensible order: Champions have the highest scores, Lost the lowest
    mean_score = (cells["r"] + cells["f"] + cells["v"]).groupby(cells["segment"]).mean()
    assert mean_score.idxmax() == "Champions" and mean_score.idxmin() == "Lost"
    top, bottom = (bins, bins, bins), (1, 1, 1)
    assert segments_of([top, bottom], rules) == ["Champions", "Lost"]


# --- building rule sets in Python -------------------------------------------------------------


def test_first_match_wins():
    wide = Rule("Everyone", r=(1, 5), f=(1, 5), v=(1, 5))
    narrow = Rule("Best", r=5, f=5, v=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert segments_of([(5, 5, 5), (1, 1, 1)], RuleSet((wide, narrow))) == ["Everyone"] * 2
        assert segments_of([(5, 5, 5), (1, 1, 1)], RuleSet((narrow, wide))) == ["Best", "Everyone"]
    assert rule_overview(RuleSet((wide, narrow))).loc["Best", "named"] == 0


def test_rule_accepts_single_numbers_and_lists():
    rule = Rule("X", r=5, f=[1, 2], v=(3, 4))
    assert (rule.r, rule.f, rule.v) == ((5, 5), (1, 2), (3, 4))
    assert rule.cells == 4 and rule.label() == "R5-5 F1-2 V3-4"
    assert RuleSet([rule], bins=5).rules == (rule,)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: Rule("X", r=(5, 4), f=1, v=1), "rule 'X': r = [5, 4] has lo > hi"),
        (lambda: Rule("X", r=1, f=(1, "2"), v=1), "f must be a range [lo, hi]"),
        (lambda: Rule("", r=1, f=1, v=1), "non-empty text name"),
        (lambda: Rule("X", r=1, f=1, v=1, action=3), "action must be text"),
        (lambda: RuleSet((Rule("X", 1, 1, (1, 6)),)), "rule 'X': v = [1, 6] is outside 1..5"),
        (lambda: RuleSet((Rule("X", 1, 1, 1), Rule("X", 2, 2, 2))), "'X' is used twice"),
        (lambda: RuleSet((Rule("Others", 1, 1, 1),)), "'Others' is used twice"),
        (lambda: RuleSet((Rule("X", 1, 1, 1),), bins=1), "bins must be a whole number from 2"),
        (lambda: RuleSet(()), "non-empty sequence of Rule"),
        (lambda: RuleSet((Rule("X", 1, 1, 1),), name=" "), "rule set needs a non-empty text name"),
        (lambda: DEFAULT.rescale(0), "bins must be a whole number from 2"),
    ],
)
def test_bad_rules_in_python(build, expected):
    with pytest.raises(BadParameterError) as info:
        build()
    assert expected in str(info.value)


def test_rule_set_is_frozen():
    with pytest.raises(AttributeError):
        DEFAULT.bins = 3  # type: ignore[misc]


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
    rules = [
        Rule(name, draw(ranges), draw(ranges), draw(ranges), draw(st.text()), draw(st.text()))
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


def test_unknown_rule_set_name_or_missing_file(tmp_path):
    with pytest.raises(BadParameterError, match="Did you mean 'default'"):
        load_rules("defualt")
    with pytest.raises(BadParameterError, match="no file at"):
        load_rules(tmp_path / "nope.yaml")
    with pytest.raises(BadParameterError, match="rules must be a RuleSet"):
        load_rules(5)  # type: ignore[arg-type]


# --- segment() ---------------------------------------------------------------------------------


def test_segment_returns_copy_with_str_column():
    scored = scored_frame([(5, 5, 5), (1, 1, 1), (3, 3, 3)])
    before = scored.copy()
    out = segment(scored)
    pd.testing.assert_frame_equal(scored, before)
    assert "segment" not in scored.columns
    assert out.index.equals(scored.index) and out.index.name == "customer_id"
    assert list(out.columns) == [*scored.columns, "segment"]
    assert out["segment"].dtype == "str"
    assert out["segment"].tolist() == ["Champions", "Lost", "Need Attention"]
    pd.testing.assert_frame_equal(out.drop(columns="segment"), scored)


def test_segment_accepts_names_paths_and_float_scores(tmp_path):
    scored = scored_frame([(5, 5, 1), (5, 5, 5)])
    with pytest.warns(
        UserWarning, match=r"1 of 2 customers \(50.0%\) match no rule of rule set 'r_rfm'"
    ):
        assert segment(scored, rules=R_RFM)["segment"].tolist() == ["Others", "Champions"]
    path = tmp_path / "r.yaml"
    DEFAULT.to_yaml(path)
    as_float = scored.astype({"r_score": "float64", "f_score": "Int64"})
    assert segment(as_float, rules=path)["segment"].tolist() == ["Loyal", "Champions"]
    assert segment(scored, rules="default")["segment"].tolist() == ["Loyal", "Champions"]


def test_segment_missing_score_column():
    scored = scored_frame([(5, 5, 5)]).drop(columns="v_score")
    with pytest.raises(MissingColumnsError) as info:
        segment(scored)
    message = str(info.value)
    assert "missing required column(s) 'v_score'" in message
    assert "'r_score'" in message and "rfvkit.scoring.score" in message


def test_segment_scores_beyond_rule_set_bins():
    scored = scored_frame([(7, 1, 1), (1, 1, 1)], bins=7)
    with pytest.raises(BadParameterError) as info:
        segment(scored)
    message = str(info.value)
    assert "r_score goes up to 7, but rule set 'default' is written for bins=5" in message
    assert "default_rules(7)" in message and "load_rules('default', bins=7)" in message
    assert segment(scored, rules=default_rules(7))["segment"].tolist() == ["New", "Lost"]


def test_segment_declared_bins_mismatch():
    scored = scored_frame([(3, 3, 3)], bins=3)
    scored.attrs["bins"] = 3
    with pytest.raises(BadParameterError, match=r"scored was made with bins=3.*default_rules\(3\)"):
        segment(scored)
    assert segment(scored, rules=default_rules(3))["segment"].tolist() == ["Champions"]


def test_segment_warns_when_no_score_reaches_top():
    scored = scored_frame([(1, 1, 1), (2, 2, 2), (3, 3, 3), (3, 1, 2), (1, 3, 3)], bins=3)
    with pytest.warns(UserWarning, match="No r/f/v score reaches 5"):
        segment(scored)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(np.nan, "nan"), (2.5, "2.5"), (0, "0"), ("high", "'high'")],
)
def test_segment_bad_score_values(value, expected):
    scored = scored_frame([(5, 5, 5), (1, 1, 1)]).astype({"f_score": object})
    scored.loc["c1", "f_score"] = value
    with pytest.raises(BadValuesError) as info:
        segment(scored)
    message = str(info.value)
    assert "f_score must hold whole-number scores 1..5; 1 row(s) do not" in message
    assert expected in message and "'c1'" in message


def test_segment_rejects_non_frame():
    with pytest.raises(BadParameterError, match="pandas DataFrame"):
        segment([[5, 5, 5]])  # type: ignore[arg-type]


def test_segment_empty_frame():
    out = segment(scored_frame([]))
    assert out.empty and "segment" in out.columns


@st.composite
def scored_frames(draw):
    bins = draw(st.integers(2, 10))
    n = draw(st.integers(1, 60))
    cells = draw(st.lists(st.tuples(*[st.integers(1, bins)] * 3), min_size=n, max_size=n))
    frame = scored_frame(cells, bins)
    ids = draw(
        st.lists(st.text("abcxyz0123", min_size=1, max_size=6), min_size=n, max_size=n, unique=True)
    )
    frame.index = pd.Index(ids, name="customer_id")
    frame["monetary"] = draw(
        st.lists(st.floats(0.01, 1e6, allow_nan=False), min_size=n, max_size=n)
    )
    return bins, frame


@given(scored_frames())
@settings(max_examples=40, deadline=None)
def test_segment_keeps_rows_and_summary_shares_sum_to_one(case):
    bins, scored = case
    rules = default_rules(bins)
    before = scored.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny samples may not reach the top score
        out = segment(scored, rules=rules)
    pd.testing.assert_frame_equal(scored, before)
    assert out.index.equals(scored.index) and len(out) == len(scored)
    assert out["segment"].isin(segment_order(rules)).all()
    # the same answer as looking each customer up in the cell map
    lookup = rules.cell_map().set_index(["r", "f", "v"])["segment"]
    keys = list(zip(scored["r_score"], scored["f_score"], scored["v_score"], strict=True))
    assert out["segment"].tolist() == lookup.loc[keys].tolist()
    summary = segment_summary(out, rules=rules)
    assert list(summary["segment"]) == list(rules.names)
    assert summary["customers"].sum() == len(scored)
    assert summary["share"].sum() == pytest.approx(1.0)
    assert summary["revenue_share"].sum() == pytest.approx(1.0)
    assert summary["revenue"].sum() == pytest.approx(scored["monetary"].sum())


# --- segment_summary() ------------------------------------------------------------------------


def test_segment_summary_known_answer():
    segmented = pd.DataFrame(
        {
            "segment": ["Champions", "Champions", "Lost", "Loyal"],
            "recency_days": [3, 9, 400, 20],
            "frequency": [10, 6, 1, 4],
            "monetary": [500.0, 300.0, 20.0, 180.0],
        },
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    )
    flat = segment_summary(segmented)
    assert list(flat["segment"]) == DEFAULT_NAMES and isinstance(flat.index, pd.RangeIndex)
    summary = flat.set_index("segment")
    assert list(flat.columns) == [
        "segment",
        "customers",
        "share",
        "revenue",
        "revenue_share",
        "median_recency_days",
        "median_frequency",
        "median_monetary",
        "description",
        "action",
    ]
    champions = summary.loc["Champions"]
    assert champions["customers"] == 2 and champions["share"] == 0.5
    assert champions["revenue"] == 800.0 and champions["revenue_share"] == 0.8  # 800 / 1000
    assert champions["median_recency_days"] == 6.0 and champions["median_frequency"] == 8.0
    assert champions["median_monetary"] == 400.0
    assert summary.loc["Lost", "revenue_share"] == pytest.approx(0.02)
    assert summary.loc["Loyal", "median_recency_days"] == 20.0
    # segments without customers are listed with zeros
    assert summary.loc["New", "customers"] == 0 and summary.loc["New", "revenue"] == 0.0
    assert np.isnan(summary.loc["New", "median_monetary"])
    assert summary["customers"].dtype == "int64"
    assert summary.loc["Lost", "action"] == DEFAULT.rules[-1].action
    assert summary.loc["Champions", "description"] == DEFAULT.rules[0].description


def test_segment_summary_fallback_row_only_when_used():
    scored = scored_frame([(5, 5, 1), (5, 5, 5), (1, 1, 1)])
    with pytest.warns(UserWarning, match="match no rule"):
        segmented = segment(scored, rules=R_RFM)
    summary = segment_summary(segmented, rules=R_RFM).set_index("segment")
    assert list(summary.index) == [*R_RFM.names, "Others"]
    assert summary.loc["Others", "customers"] == 1
    assert summary.loc["Others", "revenue"] == 100.0
    assert "match no rule" in summary.loc["Others", "description"]
    only_named = segment_summary(segmented[segmented["segment"] != "Others"], rules=R_RFM)
    assert "Others" not in set(only_named["segment"])
    assert only_named["share"].sum() == pytest.approx(1.0)


def test_segment_summary_errors():
    segmented = segment(scored_frame([(5, 5, 5)]))
    with pytest.raises(MissingColumnsError, match="'monetary'"):
        segment_summary(segmented.drop(columns="monetary"))
    renamed = segmented.assign(segment="Loyal Customers")
    with pytest.raises(BadValuesError, match="'Loyal Customers'.*rules=R_RFM"):
        segment_summary(renamed)


def test_segment_replaces_existing_segment_and_summary_rejects_non_frame():
    again = segment(segment(scored_frame([(1, 1, 1)])), rules=R_RFM)
    assert again["segment"].tolist() == ["Lost"] and list(again.columns).count("segment") == 1
    with pytest.raises(BadParameterError, match="pandas DataFrame"):
        segment_summary({"segment": ["Lost"]})  # type: ignore[arg-type]


def test_segment_summary_empty_input_gives_zero_counts():
    summary = segment_summary(segment(scored_frame([])))
    assert (summary["customers"] == 0).all() and summary["share"].isna().all()


def test_all_cells_enumerated_in_cell_map():
    cells = DEFAULT.cell_map()
    assert list(cells.columns) == ["r", "f", "v", "segment"]
    assert list(map(tuple, cells[["r", "f", "v"]].to_numpy().tolist())) == list(
        itertools.product(range(1, 6), repeat=3)
    )
    assert cells["r"].dtype == "int64"
