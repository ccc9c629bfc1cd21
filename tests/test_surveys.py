"""Survey and poll files: keys, latest answer wins, unknown customers, the ledger, params."""

from __future__ import annotations

import pandas as pd
import pytest

from rfvkit.config import load_config
from rfvkit.errors import BadParameterError, MissingColumnsError
from rfvkit.io import load_crm, read_customers
from rfvkit.personas import build_personas
from rfvkit.surveys import answer_kinds, read_survey

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d"],
        "phone": ["+1 201 555 0101", "+1 201 555 0102", "+1 201 555 0103", None],
        "country": ["US"] * 4,
    }
)


def _customers():
    return read_customers(CUSTOMERS).frame


def test_latest_answer_wins_and_unknowns_are_dropped():
    raw = pd.DataFrame(
        {
            "Member": ["a", "a", "b", "zz", None],
            "When": ["2025-03-01", "2025-01-01", "2025-02-01", "2025-02-01", "2025-02-02"],
            "contact": ["SMS", "Email", "Post", "SMS", "SMS"],
        }
    )
    out, q = read_survey(
        raw, name="spring poll", customers=_customers(),
        columns={"Member": "customer_id", "When": "answered_at"},
    )  # fmt: skip
    assert out.set_index("customer_id")["contact"].to_dict() == {"a": "SMS", "b": "Post"}
    assert q.rows("older answer (latest kept)") == 1
    assert q.rows("unknown customer") == 1
    assert q.rows("no customer_id and no matching phone") == 1
    counts = q.tables.loc["survey spring poll"]
    assert counts["input"] == counts["kept"] + counts["dropped"] == 5
    assert list(out.columns) == ["customer_id", "contact"]


def test_keyed_by_phone_through_e164():
    raw = pd.DataFrame(
        {"phone": ["(201) 555-0102", "+12015550103", "+12015550199"], "likes": ["x", "y", "z"]}
    )
    out, q = read_survey(raw, customers=_customers(), default_region="US")
    assert out.set_index("customer_id")["likes"].to_dict() == {"b": "x", "c": "y"}
    assert q.rows("customer matched by phone") == 2
    assert "phone" not in out and "phone_e164" not in out


def test_no_key_column_is_a_one_line_error():
    with pytest.raises(MissingColumnsError, match="customer_id.*phone"):
        read_survey(pd.DataFrame({"email": ["x"], "likes": ["SMS"]}), name="poll")


def test_free_text_is_only_counted():
    n = 80
    answers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "comment": [f"I said thing number {i}" for i in range(n)],
            "contact": ["SMS", "Email"] * (n // 2),
            "score": range(n),
        }
    )
    assert answer_kinds(answers) == {
        "comment": "free_text", "contact": "categorical", "score": "numeric",
    }  # fmt: skip
    segmented = pd.DataFrame(
        {"segment": ["A"] * 40 + ["B"] * 40, "monetary": 1.0}, index=answers["customer_id"]
    )
    p = build_personas(segmented, surveys={"poll": answers}, vip=False)
    assert "poll: comment" not in set(p.index["attribute"])
    assert p.free_text.to_dict("records") == [
        {"survey": "poll", "question": "comment", "responses": 80}
    ]
    assert set(p.index["attribute"]) == {"poll: contact"}
    assert set(p.numeric["attribute"]) == {"poll: score"}
    cov = p.coverage.set_index(["segment", "attribute"])["coverage"]
    assert cov[("A", "poll: contact")] == 1.0


def test_params_and_load_crm(tmp_path):
    pd.DataFrame(
        {"customer_id": ["a", "b"], "order_date": ["2025-01-02"] * 2, "amount": [5, 6]}
    ).to_csv(tmp_path / "tx.csv", index=False)
    CUSTOMERS.to_csv(tmp_path / "customers.csv", index=False)
    pd.DataFrame(
        {"id": ["a", "b", "b", "x"], "answered_at": ["2025-01-01", "2025-01-01", "2025-02-01",
                                                      "2025-01-01"],
         "contact": ["SMS", "SMS", "Email", "Post"]}
    ).to_csv(tmp_path / "poll.csv", index=False)  # fmt: skip
    params = {
        "data": {
            "transactions": str(tmp_path / "tx.csv"),
            "customers": str(tmp_path / "customers.csv"),
            "surveys": [
                {"path": str(tmp_path / "poll.csv"), "columns": {"id": "customer_id"},
                 "name": "spring poll"}
            ],
        },
        "min_group": 5,
        "vip": {"top_share": 0.2},
    }  # fmt: skip
    cfg = load_config(params)
    assert cfg.min_group == 5 and cfg.vip == {"top_share": 0.2, "name": "VIP"}
    assert [s.options["name"] for s in cfg.surveys] == ["spring poll"]
    assert load_config(cfg.to_mapping()).surveys == cfg.surveys  # round trip
    crm = load_crm(cfg)
    assert crm.surveys["spring poll"].set_index("customer_id")["contact"].to_dict() == {
        "a": "SMS", "b": "Email",
    }  # fmt: skip
    assert crm.quality.rows("older answer (latest kept)") == 1
    assert crm.quality.rows("unknown customer") == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"surveys": {"path": "x.csv"}}, "data.surveys: got"),
        ({"surveys": [{"path": "x.csv", "sheet": 1}]}, "unknown key 'sheet'"),
        ({"surveys": [{"path": "a.csv", "name": "p"}, {"path": "b.csv", "name": "p"}]},
         "a different name"),
    ],
)  # fmt: skip
def test_bad_survey_params(params, message):
    with pytest.raises(BadParameterError, match=message):
        load_config({"data": {"transactions": "/tx.csv", **params}})


@pytest.mark.parametrize(
    ("vip", "message"),
    [
        ({"segments": "Champions"}, "vip.segments"),
        ({"top_share": 1.5}, "vip.top_share"),
        ({"segments": ["A"], "top_share": 0.1}, "exactly one"),
        ({"favourite": 1}, "unknown key 'favourite'"),
    ],
)
def test_bad_vip_and_min_group_params(vip, message):
    with pytest.raises(BadParameterError, match=message):
        load_config({"data": {"transactions": "/tx.csv"}, "vip": vip})
    with pytest.raises(BadParameterError, match="min_group"):
        load_config({"data": {"transactions": "/tx.csv"}, "min_group": 0})
