"""Tests for rfvkit.rules: rule sets, YAML files, coverage, segment() and segment_summary()."""

from __future__ import annotations

import math
import warnings

import pytest
from conftest import DEFAULT_NAMES, segments_of
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.errors import BadParameterError
from rfvkit.rules import (
    DEFAULT,
    R_RFM,
    Rule,
    RuleSet,
    coverage,
    default_rules,
    load_rules,
    rule_overview,
)
from rfvkit.segments import segment_order

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
    gone = Rule("Gone", r=1, f=1, v=1, p_alive=[0, 0.25])
    assert gone.p_alive == (0.0, 0.25) and gone.label() == "R1-1 F1-1 V1-1 p_alive 0-0.25"


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
        (lambda: Rule("X", 1, 1, 1, p_alive=(0.3, 0.2)), "rule 'X': p_alive must be a range"),
        (lambda: Rule("X", 1, 1, 1, p_alive=(0, 1.5)), "0 <= lo <= hi <= 1; got (0, 1.5)"),
        (lambda: Rule("X", 1, 1, 1, p_alive=0.2), "got 0.2. Write e.g. p_alive: [0, 0.2]"),
        (lambda: Rule("X", 1, 1, 1, p_alive=(False, True)), "p_alive must be a range"),
    ],
)
def test_bad_rules_in_python(build, expected):
    with pytest.raises(BadParameterError) as info:
        build()
    assert expected in str(info.value)


def test_rule_set_is_frozen():
    with pytest.raises(AttributeError):
        DEFAULT.bins = 3  # type: ignore[misc]
