"""Purchase-history attributes and spend shares: a hand-built case and a property test
against a plain pandas reference (one group-by per question, no integer codes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportions_ztest

from rfvkit.attributes import customer_attributes
from rfvkit.personas import build_personas, p_values

PURCHASE = ["top_category", "channel", "order_daypart", "order_day", "discount_share"]
DAYPARTS = ["night (0-5h)", "morning (6-11h)", "afternoon (12-17h)", "evening (18-23h)"]


def _hand_case():
    """a: Home 30 + Home 10 (app, Mon 08h, 09h), Pantry 40 (web, Sat 20h); b: one return
    only; c: Pantry 5 then a Home line of 5 (tie: Home first); d: no lines; z: unknown."""
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "c", "z"],
            "order_date": pd.to_datetime(
                [
                    "2025-01-06 08:00",
                    "2025-01-06 09:30",
                    "2025-01-11 20:00",
                    "2025-01-07 03:00",
                    "2025-01-12 13:00",
                    "2025-01-12 14:00",
                    "2025-01-08 12:00",
                ]
            ),
            "amount": [30.0, 10.0, 40.0, -15.0, 5.0, 5.0, 99.0],
            "category": ["Home", "Home", "Pantry", "Home", "Pantry", "Home", "Toys"],
            "product": ["lamp", "rug", "tea", "lamp", "tea", "lamp", "kite"],
            "channel": ["app", "app", "web", "web", None, "store", "app"],
            "discount": [0.0, 2.0, 0.0, 0.0, 1.0, 1.0, 0.0],
        }
    )
    return tx, pd.Index(["a", "b", "c", "d"], name="customer_id")


def test_purchase_attributes_known_answer():
    tx, index = _hand_case()
    frame, kinds = customer_attributes(None, tx, index=index)
    got = frame.astype(object).where(frame.notna(), None)
    # a: Home 30 + 10 ties with Pantry 40 -> the first in sorted order; b: a return only;
    # c: Pantry 5 and Home 5 tie -> Home; d: no lines
    assert got["top_category"].tolist() == ["Home", None, "Home", None]
    assert got["channel"].tolist() == ["app", "web", "store", None]  # c: one known channel
    assert got["order_daypart"].tolist() == ["morning (6-11h)", "night (0-5h)",
                                             "afternoon (12-17h)", None]  # fmt: skip
    assert got["order_day"].tolist() == ["weekday", "weekday", "weekend", None]
    assert frame["discount_share"].tolist()[:3] == [pytest.approx(1 / 3), 0.0, 1.0]
    assert np.isnan(frame["discount_share"].iloc[3])
    assert kinds["discount_share"] == "numeric" and kinds["top_category"] == "categorical"


def test_spend_shares_known_answer():
    tx, index = _hand_case()
    segmented = pd.DataFrame({"segment": ["S", "S", "T", "T"], "monetary": 1.0}, index=index)
    p = build_personas(segmented, transactions=tx, min_group=1, vip=False)
    spend = p.spend.set_index(["segment", "attribute", "value"])
    # S: a's 80 of purchases (b's return is no spend): Home 40, Pantry 40; everyone (a, c):
    # Home 45 of 90, Pantry 45 of 90 (z is no customer here)
    assert spend.loc[("S", "category", "Home"), "spend_share"] == 0.5
    assert spend.loc[("S", "category", "Home"), "spend_share_population"] == 0.5
    assert spend.loc[("T", "product", "lamp"), "spend_share"] == 0.5
    assert spend.loc[("S", "product", "lamp"), "buyers"] == 1  # b returned a lamp: no buyer
    assert spend.loc[("S", "product", "lamp"), "index"] == pytest.approx(100 * 0.375 / (35 / 90))


# ------------------------------------------------------------------ the plain pandas reference


def _reference_attributes(tx: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Per customer: the value with the most spend (category) or lines (the others)."""
    t = tx[tx["customer_id"].isin(index)].copy()
    t["spend"] = t["amount"].clip(lower=0)
    t["order_daypart"] = np.asarray(DAYPARTS, dtype=object)[t["order_date"].dt.hour // 6]
    t["order_day"] = np.where(t["order_date"].dt.day_of_week >= 5, "weekend", "weekday")
    t["line"] = 1.0

    def mode(column, weight):
        """Ties go to the earliest daypart, else to the first value in sorted order."""
        sums = t.dropna(subset=[column]).groupby(["customer_id", column])[weight].sum()
        sums = sums[sums > 0].reset_index()
        sums["rank"] = sums[column].map({d: f"{i}" for i, d in enumerate(DAYPARTS)})
        sums["rank"] = sums["rank"].fillna(sums[column])
        sums = sums.sort_values(["customer_id", weight, "rank"], ascending=[True, False, True])
        return sums.drop_duplicates("customer_id").set_index("customer_id")[column]

    out = pd.DataFrame(index=index)
    out["top_category"] = mode("category", "spend")
    for column in ("channel", "order_daypart", "order_day"):
        out[column] = mode(column, "line")
    out["discount_share"] = (t["discount"] > 0).groupby(t["customer_id"]).mean()
    return out


def _reference_spend(tx, segmented, min_group, vip) -> pd.DataFrame:
    """Spend shares per segment (>= min_group customers) and VIP group, small cells folded."""
    sizes = segmented["segment"].value_counts()
    big = segmented[segmented["segment"].map(sizes) >= min_group]
    t = tx[tx["customer_id"].isin(segmented.index)].copy()
    t["spend"] = t["amount"].clip(lower=0)
    t = t[t["spend"] > 0]
    groups = {seg: big.index[big["segment"] == seg] for seg in big["segment"].unique()}
    members = big.index[big["segment"].isin(vip)]
    if vip and len(members) >= min_group:
        groups["VIP"] = members
    rows = []
    for column in ("category", "product"):
        lines = t.dropna(subset=[column])
        population = lines.groupby(column)["spend"].sum()
        population = population / population.sum()
        for name, ids in groups.items():
            mine = lines[lines["customer_id"].isin(ids)]
            cells = mine.groupby(column).agg(
                buyers=("customer_id", "nunique"), spend=("spend", "sum")
            )
            if cells.empty:
                continue
            cells["spend_share"] = cells["spend"] / cells["spend"].sum()
            cells = cells.sort_values("spend", ascending=False)
            hide = (cells["buyers"] < min_group).to_numpy().copy()
            if hide.sum() == 1 and (~hide).any():  # a lone hidden cell takes the next one along
                hide[np.flatnonzero(~hide)[-1]] = True
            for value, cell in cells[~hide].iterrows():
                rows.append((name, column, value, cell["buyers"], cell["spend_share"],
                             population[value]))  # fmt: skip
            if hide.any():
                rows.append((name, column, "Other", np.nan, cells["spend_share"][hide].sum(),
                             np.nan))  # fmt: skip
    out = pd.DataFrame(rows, columns=["segment", "attribute", "value", "buyers", "spend_share",
                                      "spend_share_population"])  # fmt: skip
    out["index"] = 100 * out["spend_share"] / out["spend_share_population"]
    return out


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["segment", "attribute", "value"]
    return frame.sort_values(keys).reset_index(drop=True).astype({"buyers": "float64"})


@st.composite
def _orders(draw):
    n_customers = draw(st.integers(1, 14))
    ids = [f"c{i:02d}" for i in range(n_customers)]
    n_lines = draw(st.integers(0, 60))
    maybe = lambda values: st.one_of(st.none(), st.sampled_from(values))  # noqa: E731

    def column(elements):
        return draw(st.lists(elements, min_size=n_lines, max_size=n_lines))

    hours = pd.to_timedelta(column(st.integers(0, 14 * 24 - 1)), unit="h")
    tx = pd.DataFrame(
        {
            "customer_id": column(st.sampled_from([*ids, "zz"])),  # zz: not a customer
            "order_date": pd.Timestamp("2025-01-01") + hours,
            "amount": np.array(column(st.integers(-5, 20)), dtype=float),
            "category": column(maybe(["Home", "Pantry", "Toys"])),
            "product": column(maybe(["p1", "p2", "p3", "p4", "p5"])),
            "channel": column(maybe(["app", "web"])),
            "discount": column(st.sampled_from([0.0, 0.0, 1.5])),
        }
    )
    segment = draw(st.lists(st.sampled_from(["Champions", "Loyal", "Lost"]),
                            min_size=n_customers, max_size=n_customers))  # fmt: skip
    segmented = pd.DataFrame({"segment": segment, "monetary": 1.0},
                             index=pd.Index(ids, name="customer_id"))  # fmt: skip
    segmented.attrs["segment_names"] = ["Champions", "Loyal", "Lost"]  # the rule set's names
    return tx, segmented


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_orders(), st.integers(1, 4))
def test_purchase_attributes_match_a_pandas_reference(case, min_group):
    tx, segmented = case
    frame, _ = customer_attributes(None, tx, index=segmented.index)
    expected = _reference_attributes(tx, segmented.index)
    if not len(tx):
        assert frame.empty
        return
    got = frame[PURCHASE].astype(object).where(frame[PURCHASE].notna(), None)
    want = expected[PURCHASE].astype(object).where(expected[PURCHASE].notna(), None)
    pd.testing.assert_frame_equal(got, want, check_names=False)

    p = build_personas(segmented, transactions=tx, min_group=min_group,
                       vip={"segments": ["Champions", "Loyal"]})  # fmt: skip
    want = _reference_spend(tx, segmented, min_group, ["Champions", "Loyal"])
    if want.empty:
        assert p.spend.empty
    else:
        pd.testing.assert_frame_equal(_sorted(p.spend), _sorted(want), check_dtype=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(1, 60), st.integers(0, 200), st.integers(1, 200))
def test_p_values_are_statsmodels_to_the_bit(count, nobs, pop_count, pop_nobs):
    count, pop_count = min(count, nobs), max(pop_count, count)
    pop_nobs = max(pop_nobs, nobs, pop_count)
    got = p_values([count], [nobs], [pop_count], pop_nobs)[0]
    rest_n, rest_c = pop_nobs - nobs, pop_count - count
    if rest_n <= 0 or (count + rest_c) in (0, pop_nobs):
        assert np.isnan(got)
    else:
        assert got == float(proportions_ztest([count, rest_c], [nobs, rest_n])[1])
