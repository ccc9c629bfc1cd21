"""build_personas, suppress, vip_group, attributes and the portrait on hand-built cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportions_ztest

from rfvkit.attributes import age_band, customer_attributes
from rfvkit.errors import BadParameterError
from rfvkit.narrative.personas import portrait
from rfvkit.personas import OTHER, build_personas, suppress, vip_group


def _case():
    """60 Champions (40 North, 20 South; older), 40 Lost (10 North, 30 South), 5 New."""
    seg = ["Champions"] * 60 + ["Lost"] * 40 + ["New"] * 5
    ids = [f"C{i:04d}" for i in range(len(seg))]
    segmented = pd.DataFrame(
        {
            "segment": seg,
            "recency_days": [5] * 60 + [300] * 40 + [10] * 5,
            "frequency": [8] * 60 + [1] * 40 + [1] * 5,
            "monetary": [100.0] * 60 + [10.0] * 40 + [20.0] * 5,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "first_name": ["Ann"] * len(ids),
            "phone": ["+447700900123"] * len(ids),
            "region": ["North"] * 40
            + ["South"] * 20
            + ["North"] * 10
            + ["South"] * 30
            + ["North"] * 5,
            "age": [50] * 60 + [30] * 40 + [20] * 5,
        }
    )
    tx = pd.DataFrame(
        {
            "customer_id": ids,
            "order_date": pd.Timestamp("2025-01-06 10:00"),
            "amount": segmented["monetary"].to_numpy(),
            "category": ["Home"] * 45 + ["Pantry"] * 15 + ["Pantry"] * 45,
            "channel": ["app"] * 60 + ["web"] * 45,
        }
    )
    return segmented, customers, tx


def _index(p, segment, attribute):
    rows = p.index[(p.index["segment"] == segment) & (p.index["attribute"] == attribute)]
    return rows.set_index("value")


def test_index_known_answer():
    segmented, customers, tx = _case()
    p = build_personas(segmented, customers=customers, transactions=tx, vip=False)
    north = _index(p, "Champions", "region").loc["North"]
    # North: 40 of 60 Champions, 50 of the 100 customers of segments >= min_group
    # (the 5 New customers are too few to be in any count, the population included)
    assert north["customers"] == 40
    assert north["share_in_segment"] == pytest.approx(40 / 60)
    assert north["share_in_population"] == pytest.approx(50 / 100)
    assert north["index"] == pytest.approx(100 * (40 / 60) / (50 / 100))
    expected_p = proportions_ztest([40, 10], [60, 40])[1]  # Champions vs everyone else
    assert north["p_value"] == pytest.approx(expected_p)
    lost_south = _index(p, "Lost", "region").loc["South"]
    assert lost_south["index"] == pytest.approx(100 * 0.75 / (50 / 100))
    assert bool(lost_south["notable"])  # index 158, 30 customers, p < 0.05


def test_columns_and_no_personal_data():
    segmented, customers, tx = _case()
    p = build_personas(segmented, customers=customers, transactions=tx)
    assert list(p.index.columns[:7]) == [
        "segment", "attribute", "value", "customers", "share_in_segment",
        "share_in_population", "index",
    ]  # fmt: skip
    assert set(p.index["attribute"]) >= {"region", "age_band", "top_category", "channel"}
    assert not {"first_name", "phone", "customer_id"} & set(p.index["attribute"])
    text = " ".join(map(str, [*p.cards.to_numpy().ravel(), *p.index.to_numpy().ravel()]))
    for secret in ("Ann", "+447700900123", "C0001", "7700"):
        assert secret not in text
    assert p.cards["segment"].tolist() == ["Champions", "Lost", "New"]  # no Loyal: no VIP


def test_tiny_segment_gets_size_only():
    segmented, customers, tx = _case()
    p = build_personas(segmented, customers=customers, transactions=tx, vip=False)
    new = p.card("New")
    assert new["customers"] == 5 and pd.isna(new["share"]) and pd.isna(new["age_bands"])
    assert new["portrait"].startswith("New: 5 customers, fewer than 10")
    assert "New" not in set(p.index["segment"]) and "New" not in set(p.numeric["segment"])
    assert p.coverage.loc[p.coverage["segment"] == "New", "coverage"].isna().all()


def test_shown_cells_never_below_min_group():
    segmented, customers, tx = _case()
    p = build_personas(segmented, customers=customers, transactions=tx, min_group=25)
    shown = p.index
    assert (shown["customers"] >= 25).all()
    assert set(shown.loc[shown["customers"] < 25, "value"]) <= {OTHER}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), min_size=4, max_size=4), min_size=2, max_size=6),
    st.integers(1, 15),
)
def test_suppression_properties(matrix, min_group):
    counts = pd.DataFrame(matrix, index=[f"s{i}" for i in range(len(matrix))], columns=list("abcd"))
    c, hidden, _ = suppress(counts, min_group)
    v, h = c.to_numpy(), hidden.to_numpy()
    assert h[:, -1].all()  # Other is always folded
    assert ((v >= min_group) | h | (v == 0)).all()  # primary
    real = h[:, :-1] & (v[:, :-1] > 0)
    shown = ~h[:, :-1] & (v[:, :-1] > 0)
    # no value with a single hidden cell, unless the value is never shown at all (then
    # neither is its population count, and there is nothing to subtract from)
    assert ((real.sum(axis=0) != 1) | ~shown.any(axis=0)).all()
    for i in range(len(v)):
        fold = v[i][h[i] & (v[i] > 0)].sum()
        if (~h[i] & (v[i] > 0)).any():  # some cell shown: the fold is safe
            assert fold == 0 or fold >= min_group
            assert real[i].sum() != 1 or v[i, -1] > 0
    assert v.sum() == counts.to_numpy().sum()


def test_rare_values_fold_into_other():
    counts = pd.DataFrame({"a": [30, 30], "b": [20, 25], "rare": [2, 1]}, index=["x", "y"])
    c, hidden, folded = suppress(counts, 10)
    assert list(c.columns) == ["a", OTHER]  # b joins rare so that Other reaches 10
    assert c[OTHER].tolist() == [22, 26] and folded.tolist() == [2, 2]


def test_vip_hides_what_its_segments_hide():
    segmented, customers, tx = _case()
    customers.loc[60:62, "region"] = "East"  # 3 Lost customers in East: hidden in Lost
    customers.loc[0:11, "region"] = "East"  # 12 Champions in East: shown alone...
    p = build_personas(
        segmented, customers=customers, transactions=tx, vip={"segments": ["Champions", "Lost"]}
    )
    vip_values = set(_index(p, "VIP", "region").index)
    assert "East" not in vip_values  # ... but VIP = Champions + Lost would reveal Lost's 3
    assert "East" not in set(_index(p, "Lost", "region").index)


def test_vip_group_variants():
    segmented, _, _ = _case()
    both = vip_group(segmented, vip={"segments": ["Champions", "New"], "name": "Top"})
    assert len(both) == 65 and set(both["segment"]) == {"Top"}
    assert set(both["source_segment"]) == {"Champions", "New"}
    top = vip_group(segmented, vip={"top_share": 0.5})
    assert len(top) == 53 and (top["monetary"] >= 20).all()
    rule = vip_group(segmented, vip={"rule": "frequency >= 8"})
    assert len(rule) == 60
    assert len(segmented) == 105 and "source_segment" not in segmented  # caller untouched


def test_bad_input_errors():
    segmented, customers, tx = _case()
    with pytest.raises(BadParameterError, match="min_group: got 0"):
        build_personas(segmented, customers=customers, min_group=0)
    with pytest.raises(
        BadParameterError, match=r"attributes: \['income'\] not found; available: .*region"
    ):
        build_personas(segmented, customers=customers, attributes=["income"])
    with pytest.raises(
        BadParameterError, match=r"vip.segments: \['Loyal'\] not found; segments here"
    ):
        vip_group(segmented, vip={"segments": ["Champions", "Loyal"]})
    with pytest.raises(BadParameterError, match="vip.segments"):
        build_personas(segmented, customers=customers, vip={"segments": ["Gold"]})
    with pytest.raises(BadParameterError, match="vip.rule"):
        vip_group(segmented, vip={"rule": "no_such_column > 1"})


def test_attribute_list_and_coverage():
    segmented, customers, tx = _case()
    customers.loc[:29, "region"] = None  # half the Champions have no region
    p = build_personas(segmented, customers=customers, attributes=["region"], vip=False)
    assert set(p.index["attribute"]) == {"region"}
    cov = p.coverage.set_index(["segment", "attribute"])
    assert cov.loc[("Champions", "region"), "coverage"] == pytest.approx(0.5)
    assert cov.loc[("Lost", "region"), "known"] == 40


def test_numeric_summary_and_age_bands():
    segmented, customers, tx = _case()
    p = build_personas(segmented, customers=customers, transactions=tx, vip=False)
    age = p.numeric.set_index(["segment", "attribute"])
    assert age.loc[("Champions", "age"), "median"] == 50
    assert age.loc[("All customers", "age"), "median"] == 50
    assert _index(p, "Champions", "age_band").loc["45-54", "share_in_segment"] == 1.0
    assert age_band(pd.Series([24, 25, 64.9, 65])).tolist() == ["18-24", "25-34", "55-64", "65+"]


def test_caller_frames_untouched():
    segmented, customers, tx = _case()
    before = (segmented.copy(), customers.copy(), tx.copy())
    build_personas(segmented, customers=customers, transactions=tx)
    for a, b in zip(before, (segmented, customers, tx), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_purchase_attributes_from_transactions():
    _, _, tx = _case()
    tx = pd.concat([tx, tx.iloc[:1].assign(category="Pantry", amount=5.0)], ignore_index=True)
    frame, kinds = customer_attributes(None, tx, index=pd.Index(["C0000", "C0070"]))
    assert frame.loc["C0000", "top_category"] == "Home"  # 100 on Home beats 5 on Pantry
    assert frame.loc["C0070", "channel"] == "web"
    assert frame.loc["C0000", "order_day"] == "weekday"
    assert frame.loc["C0000", "order_daypart"].startswith("morning")
    assert kinds["top_category"] == "categorical"


def test_spend_table_and_card():
    segmented, customers, tx = _case()
    p = build_personas(segmented, customers=customers, transactions=tx, vip=False)
    home = p.spend[(p.spend["segment"] == "Champions") & (p.spend["value"] == "Home")].iloc[0]
    assert home["spend_share"] == pytest.approx(45 / 60)
    card = p.card("Champions")
    assert card["top_categories"] == "Home 75%, Pantry 25%"
    assert card["preferred_channel"] == "app 100%"
    assert card["revenue_share"] == pytest.approx(6000 / (6000 + 400 + 100))
    assert card["median_age"] == 50


def test_portrait_known_answer():
    segmented, customers, tx = _case()
    p = build_personas(segmented, customers=customers, transactions=tx, vip=False)
    assert p.card("Champions")["portrait"] == (
        "Champions (60 customers, 92% of revenue): most often 45-54 (100%), median age 50; "
        "app over-represented (channel, index 167); 45-54 over-represented (age, index 167); "
        "few Pantry (main category, index 45); buy Home most (75% of spend); "
        "100% order mostly via app."
    )


def test_portrait_survey_clause_needs_coverage():
    idx = pd.DataFrame(
        {
            "segment": "A",
            "attribute": ["poll: contact", "poll: contact"],
            "value": ["SMS", "Email"],
            "customers": [32, 18],
            "share_in_segment": [0.64, 0.36],
            "share_in_population": [0.5, 0.5],
            "index": [128.0, 72.0],
            "notable": [False, False],
        }
    )
    cov = pd.DataFrame({"segment": ["A"], "attribute": ["poll: contact"], "coverage": [0.4]})
    text = portrait(
        "A", customers=125, revenue_share=None, index=idx, coverage=cov, action="Say hi."
    )
    assert text == (
        "A (125 customers): of the 40% who answered poll, 64% said SMS (contact). "
        "Message angle: Say hi."
    )
    assert "SMS" not in portrait("A", customers=125, revenue_share=None, index=idx)


# ---------------------------------------------------------------- planted effects of the demo


@pytest.fixture(scope="module")
def sample_personas():
    import warnings

    from rfvkit.pipeline import analyse

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = analyse(root / "params" / "sample.yaml")
    return analysis, build_personas(analysis.segmented, analysis.crm)


def test_build_personas_finds_every_planted_effect(sample_personas):
    analysis, p = sample_personas
    truth = __import__("json").loads(
        (analysis.crm.config.data["customers"].path.parent / "truth.json").read_text()
    )
    planted = truth["personas"]["planted"]
    assert len(planted) == 6
    for effect in planted:
        if effect.get("statistic") == "median":
            num = p.numeric.set_index(["segment", "attribute"])["median"]
            diff = num[(effect["segment"], effect["attribute"])] - num[("All customers", "age")]
            assert np.sign(diff) == (1 if effect["sign"] == "+" else -1), effect
        else:
            row = _index(p, effect["segment"], effect["attribute"]).loc[effect["value"]]
            assert (row["index"] > 100) == (effect["sign"] == "+"), effect
            assert bool(row["notable"]), effect


def test_sample_poll_is_loaded_with_its_faults(sample_personas):
    analysis, p = sample_personas
    truth = __import__("json").loads(
        (analysis.crm.config.data["customers"].path.parent / "truth.json").read_text()
    )["personas"]["survey"]
    q = analysis.crm.quality
    assert q.rows("older answer (latest kept)") == truth["older_answers"]
    assert q.rows("unknown customer") == truth["unknown_customers"]
    assert len(analysis.crm.surveys["poll"]) == truth["respondents"]
    assert p.free_text["question"].tolist() == ["comment"]
    champions = p.card("Champions")
    assert "who answered" in champions["survey"] and champions["survey_coverage"] > 0.4


# ---------------------------------------------------------------- figures


def test_figures_from_the_persona_tables():
    from rfvkit import plots

    segmented, customers, tx = _case()
    p = build_personas(segmented, customers=customers, transactions=tx, vip=False)
    heat = plots.persona_index_heatmap(p.index, attribute="region")
    assert heat.data[0].zmid == 100.0 and heat.data[0].colorscale is not None
    assert list(heat.data[0].y) == ["Champions", "Lost"]  # rule order kept, tiny New absent
    assert list(heat.data[0].x) == ["North", "South"]
    missing = plots.persona_index_heatmap(p.index, attribute="income")  # e.g. no poll this run
    assert not missing.data and "available: region" in missing.layout.annotations[0].text
    bars = plots.age_band_bars(p.index)
    assert [t.name for t in bars.data] == ["25-34", "45-54"]
    assert [t.name for t in plots.top_categories(p.spend).data] == ["Home", "Pantry"]
    empty = plots.survey_coverage(p.coverage)  # no survey: a figure that says so
    assert not empty.data and "no survey" in empty.layout.annotations[0].text


def test_positions_join_agrees_with_pandas():
    from rfvkit.attributes import positions as _positions

    index = pd.Index(["a", "b", "c"])
    for keys in (
        pd.Series(["c", "x", "a", None], dtype="object"),
        pd.Series(pd.array(["c", "x", "a", None], dtype="str")),
    ):
        assert _positions(index, keys).tolist() == [2, -1, 0, -1]
    assert _positions(pd.Index([1, 2, 3]), pd.Series([3, 5, 1])).tolist() == [2, -1, 0]


def test_birth_year_gives_age_and_bands():
    cust = pd.DataFrame({"customer_id": ["a", "b"], "birth_year": [1990, 1960]})
    frame, kinds = customer_attributes(
        cust, None, index=pd.Index(["a", "b"]), as_of=pd.Timestamp("2026-01-01")
    )
    assert frame["age"].tolist() == [36, 66] and frame["age_band"].tolist() == ["35-44", "65+"]
    assert "birth_year" not in frame  # a birth date is personal data; the age band is enough


def test_vip_card_takes_the_angle_of_its_first_segment():
    from rfvkit.rules import load_rules

    segmented, customers, tx = _case()
    p = build_personas(
        segmented, customers=customers, transactions=tx, rules=load_rules("default"),
        vip={"segments": ["Champions", "Lost"]},
    )  # fmt: skip
    assert p.card("VIP")["action"] == load_rules("default").rules[0].action  # Champions
    assert p.card("VIP")["customers"] == 100


def test_lazy_engine_lines_skip_purchase_attributes_with_one_warning():
    duckdb = pytest.importorskip("duckdb")
    segmented, customers, tx = _case()
    relation = duckdb.from_df(tx)  # lazy order lines, as load_crm gives with engine: duckdb
    with pytest.warns(UserWarning, match="engine 'duckdb'.*purchase-history") as caught:
        p = build_personas(segmented, customers=customers, transactions=relation, vip=False)
    assert len(caught) == 1 and caught[0].filename == __file__
    want = build_personas(segmented, customers=customers, vip=False)
    for table in ("cards", "index", "coverage", "numeric"):
        pd.testing.assert_frame_equal(getattr(p, table), getattr(want, table))
    assert p.spend.empty and "top_category" not in set(p.index["attribute"])


def test_duckdb_crm_gives_personas_from_customers_and_surveys():
    pytest.importorskip("duckdb")
    import warnings

    import yaml

    from rfvkit.pipeline import analyse

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    params = yaml.safe_load((root / "params" / "sample.yaml").read_text())
    for source in params["data"].values():
        for item in source if isinstance(source, list) else [source]:
            item["path"] = str((root / "params" / item["path"]).resolve())
    params.update(engine="duckdb", predict=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = analyse(params)
    assert not isinstance(analysis.crm.transactions, pd.DataFrame)
    with pytest.warns(UserWarning, match="engine 'duckdb'"):
        p = build_personas(analysis.segmented, analysis.crm)
    assert {"region", "age_band", "poll: contact"} <= set(p.index["attribute"])
    assert "channel" not in set(p.index["attribute"]) and len(p.cards) == 12
