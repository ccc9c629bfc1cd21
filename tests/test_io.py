"""Tests for rfvkit.io (readers, load_crm) and rfvkit.quality (report, parsers)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfvkit.errors import (
    BadParameterError,
    BadValuesError,
    EmptyDataError,
    MissingColumnsError,
    RfvkitError,
)
from rfvkit.io import (
    CRM,
    load_crm,
    read_campaigns,
    read_customers,
    read_optouts,
    read_transactions,
)
from rfvkit.parsing import normalise_ids, parse_consent, parse_dates, parse_numbers
from rfvkit.privacy import mask_phone
from rfvkit.quality import QualityReport

RETAIL_COLUMNS = {
    "InvoiceNo": "order_id",
    "CustomerID": "customer_id",
    "InvoiceDate": "order_date",
    "Quantity": "quantity",
    "UnitPrice": "unit_price",
    "StockCode": "product",
    "Description": "description",
    "Country": "country",
}
GB_MOBILE, GB_MOBILE_E164 = "07400 123456", "+447400123456"
GB_LANDLINE, GB_LANDLINE_E164 = "0121 234 5678", "+441212345678"


def tx_frame(**overrides: list) -> pd.DataFrame:
    data = {
        "customer_id": ["a", "b", "c"],
        "order_date": ["2024-01-02", "2024-01-03", "2024-01-04"],
        "amount": [10.0, 20.0, 30.0],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def assert_balanced(q: QualityReport) -> None:
    counts = q.tables
    assert (counts["input"] == counts["kept"] + counts["dropped"]).all()
    frame = q.frame
    for table, row in counts.iterrows():
        dropped = frame[(frame["table"] == table) & (frame["action"] == "dropped")]["rows"].sum()
        assert row["dropped"] == dropped


# ----------------------------------------------------------------------------- sources


def test_csv_parquet_excel_and_frame_give_the_same_rows(tmp_path):
    raw = pd.DataFrame(
        {
            "Customer": [12347.0, 12348.0, 12347.0],
            "Date": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-05"]),
            "Total": [10.5, 20.0, -5.0],
        }
    )
    cols = {"Customer": "customer_id", "Date": "order_date", "Total": "amount"}
    raw.to_csv(tmp_path / "tx.csv", index=False)
    raw.to_parquet(tmp_path / "tx.parquet")
    raw.to_excel(tmp_path / "tx.xlsx", index=False)
    results = [
        read_transactions(src, columns=cols).frame
        for src in (raw, tmp_path / "tx.csv", str(tmp_path / "tx.parquet"), tmp_path / "tx.xlsx")
    ]
    for frame in results:
        assert frame["customer_id"].tolist() == ["12347", "12348", "12347"]
        assert frame["amount"].tolist() == [10.5, 20.0, -5.0]
        assert frame["order_date"].dt.day.tolist() == [2, 3, 5]
        assert str(frame["order_date"].dtype) == "datetime64[ns]"
        assert frame["amount"].dtype == "float64"
        assert pd.api.types.is_string_dtype(frame["customer_id"])


def test_polars_frame_is_accepted():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-02"], "amount": [3.0]})
    tx, _ = read_transactions(frame)
    assert tx["amount"].tolist() == [3.0]


def test_csv_keeps_leading_zeros_in_ids(tmp_path):
    (tmp_path / "tx.csv").write_text("customer_id,order_date,amount\n00123,2024-01-02,5\n")
    assert read_transactions(tmp_path / "tx.csv").frame["customer_id"].tolist() == ["00123"]


def test_callers_frame_is_not_modified():
    raw = tx_frame(customer_id=[" a ", None, "c"])
    before = raw.copy()
    read_transactions(raw, as_of="2024-01-03")
    pd.testing.assert_frame_equal(raw, before)


def test_file_not_found_names_the_path(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(RfvkitError, match="nope.csv") as err:
        read_transactions(missing)
    assert str(missing) in str(err.value)


@pytest.mark.parametrize(("name", "hint"), [("tx.json", "unsupported"), ("tx.xls", "xlsx")])
def test_unsupported_extension(tmp_path, name, hint):
    (tmp_path / name).write_text("{}")
    with pytest.raises(RfvkitError, match=hint):
        read_transactions(tmp_path / name)


def test_unsupported_source_type():
    with pytest.raises(BadParameterError, match="list"):
        read_transactions([1, 2, 3])


def test_empty_file_and_header_only_raise(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("customer_id,order_date,amount\n")
    for path in ("empty.csv", "header.csv"):
        with pytest.raises(EmptyDataError):
            read_transactions(tmp_path / path)
    with pytest.raises(EmptyDataError):
        read_transactions(tx_frame().iloc[:0])


def test_missing_required_columns_name_available_and_hint():
    raw = pd.DataFrame({"CustomerID": ["a"], "order_date": ["2024-01-02"], "amount": [1.0]})
    with pytest.raises(MissingColumnsError) as err:
        read_transactions(raw)
    message = str(err.value)
    assert "'customer_id'" in message and "'CustomerID'" in message
    assert "Did you mean 'CustomerID'" in message
    assert err.value.missing == ["customer_id"]


def test_missing_amount_hint_mentions_quantity_and_unit_price():
    with pytest.raises(MissingColumnsError, match="quantity"):
        read_transactions(tx_frame().drop(columns="amount"))


def test_mapping_a_column_that_does_not_exist():
    with pytest.raises(MissingColumnsError, match="Did you mean 'customer_id'"):
        read_transactions(tx_frame(), columns={"customer_Id": "customer_id"})


def test_mapping_two_columns_to_one_name():
    with pytest.raises(BadParameterError, match="twice"):
        read_transactions(tx_frame(other=[1, 2, 3]), columns={"other": "amount"})


# ----------------------------------------------------------------------------- transactions


def test_amount_derived_from_quantity_and_unit_price():
    raw = tx_frame(quantity=[2, 3, -1], unit_price=[1.5, 2.0, 4.0]).drop(columns="amount")
    tx, q = read_transactions(raw)
    assert tx["amount"].tolist() == [3.0, 6.0, -4.0]
    rec = q.frame.set_index("rule").loc["amount derived from quantity x unit_price"]
    assert (rec["rows"], rec["action"]) == (3, "changed")
    assert tx["quantity"].dtype == "int64"


def test_customer_ids_normalised_and_missing_dropped():
    raw = tx_frame(
        customer_id=["12347.0", " 12347 ", None, "", "  ", 12348.0],
        order_date=["2024-01-02"] * 6,
        amount=[1.0] * 6,
    )
    tx, q = read_transactions(raw)
    assert tx["customer_id"].tolist() == ["12347", "12347", "12348"]
    assert q.rows("missing customer_id") == 3
    assert q.counts()["transactions"] == {"input": 6, "kept": 3, "dropped": 3}


def test_unparsable_and_missing_dates_dropped_with_examples():
    raw = tx_frame(order_date=["2024-01-02", "not a date", None])
    tx, q = read_transactions(raw)
    assert len(tx) == 1
    frame = q.frame.set_index("rule")
    assert frame.loc["unparsable order_date", "rows"] == 1
    assert "not a date" in frame.loc["unparsable order_date", "examples"]
    assert frame.loc["missing order_date", "rows"] == 1
    assert_balanced(q)


def test_ambiguous_day_month_raises_with_fix():
    raw = tx_frame(order_date=["03/04/2011", "05/06/2011", "01/02/2011"])
    with pytest.raises(BadValuesError) as err:
        read_transactions(raw)
    message = str(err.value)
    assert "order_date" in message and "03/04/2011" in message and "dayfirst=True" in message


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"dayfirst": True}, "2011-04-03"),
        ({"dayfirst": False}, "2011-03-04"),
        ({"date_format": "%d/%m/%Y"}, "2011-04-03"),
    ],
)
def test_day_month_order_given(options, expected):
    tx, _ = read_transactions(tx_frame(order_date=["03/04/2011"] * 3), **options)
    assert tx["order_date"].dt.strftime("%Y-%m-%d").tolist() == [expected] * 3


def test_day_month_order_inferred_from_the_data_and_reported():
    tx, q = read_transactions(tx_frame(order_date=["13/04/2011", "03/04/2011 10:15", "5/6/11"]))
    assert tx["order_date"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2011-04-13 00:00",
        "2011-04-03 10:15",
        "2011-06-05 00:00",
    ]
    info = q.frame[q.frame["action"] == "info"]
    assert len(info) == 1 and "day first" in info["rule"].iloc[0]
    tx, _ = read_transactions(tx_frame(order_date=["04/13/2011", "03/04/2011", "12/12/2011"]))
    assert tx["order_date"].dt.strftime("%m-%d").tolist() == ["04-13", "03-04", "12-12"]


def test_conflicting_day_month_orders_raise():
    with pytest.raises(BadValuesError, match="mix"):
        read_transactions(tx_frame(order_date=["13/04/2011", "04/13/2011", "01/01/2011"]))


def test_given_order_is_not_swapped_silently():
    tx, q = read_transactions(
        tx_frame(order_date=["13/04/2011", "03/04/2011", "03/04/2011"]), dayfirst=False
    )
    assert len(tx) == 2 and q.rows("unparsable order_date") == 1


def test_iso_dates_are_never_ambiguous():
    tx, q = read_transactions(tx_frame(order_date=["2011-03-04", "2011-04-03", "2011-01-02"]))
    assert tx["order_date"].dt.month.tolist() == [3, 4, 1]
    assert (q.frame["action"] != "info").all()


def test_returns_zero_and_missing_amounts():
    tx, q = read_transactions(tx_frame(amount=[-5.0, 0.0, np.nan]))
    assert tx["amount"].tolist() == [-5.0, 0.0]
    frame = q.frame.set_index("rule")
    assert tuple(frame.loc["negative amount (return)", ["rows", "action"]]) == (1, "kept as return")
    assert tuple(frame.loc["zero amount", ["rows", "action"]]) == (1, "kept")
    assert tuple(frame.loc["missing amount", ["rows", "action"]]) == (1, "dropped")


@pytest.mark.parametrize(
    ("decimal", "text", "expected"),
    [
        (".", ["$10", "1,234.50", " 3 ", "£ 2.5", "(5.00)"], [10.0, 1234.5, 3.0, 2.5, -5.0]),
        (",", ["12,50", "1.234,50", "€ 3", "-7", "EUR 1,5"], [12.5, 1234.5, 3.0, -7.0, 1.5]),
    ],
)
def test_amount_text_parsed_when_unambiguous(decimal, text, expected):
    n = len(text)
    raw = tx_frame(customer_id=["a"] * n, order_date=["2024-01-02"] * n, amount=text)
    tx, q = read_transactions(raw, decimal=decimal)
    assert tx["amount"].tolist() == expected
    assert q.rows("amount parsed from text") >= 3


@pytest.mark.parametrize(
    ("decimal", "value", "fix"),
    [
        (".", "12,50", "decimal=','"),
        (".", "1.234,50", "decimal=','"),
        (",", "12.50", "decimal='.'"),
        (".", "abc", "clean"),
        (".", "ABC10", "clean"),
    ],
)
def test_amount_text_that_is_ambiguous_raises(decimal, value, fix):
    raw = tx_frame(amount=["1", value, "2"])
    with pytest.raises(BadValuesError) as err:
        read_transactions(raw, decimal=decimal)
    assert "amount" in str(err.value) and value in str(err.value) and fix in str(err.value)


def test_as_of_drops_later_lines_keeps_the_day_itself():
    raw = tx_frame(order_date=["2024-01-02", "2024-01-03 23:59", "2024-01-04 00:00"])
    tx, q = read_transactions(raw, as_of="2024-01-03")
    assert tx["customer_id"].tolist() == ["a", "b"]
    rec = q.frame.set_index("rule").loc["after as_of 2024-01-03"]
    assert (rec["rows"], rec["action"]) == (1, "dropped")
    assert "2024-01-04" in rec["examples"]


def test_bad_as_of():
    with pytest.raises(BadParameterError, match="as_of"):
        read_transactions(tx_frame(), as_of="next tuesday")


def test_exact_duplicates_kept_and_reported():
    raw = tx_frame(customer_id=["a", "a", "b"], order_date=["2024-01-02"] * 3, amount=[5.0] * 3)
    tx, q = read_transactions(raw)
    assert len(tx) == 3
    assert q.rows("exact duplicate line") == 1
    assert q.frame.set_index("rule").loc["exact duplicate line", "action"] == "kept"


def test_duplicates_dropped_only_when_line_id_repeats():
    raw = tx_frame(
        customer_id=["a", "a", "a"],
        order_date=["2024-01-02"] * 3,
        amount=[5.0] * 3,
        line_id=[1, 1, 2],
    )
    tx, q = read_transactions(raw)
    assert tx["line_id"].tolist() == [1, 2]
    assert q.rows("duplicate line_id") == 1
    assert q.rows("exact duplicate line") == 0


def test_return_prefix_counts_cancellations():
    raw = tx_frame(order_id=["C1", "2", "C3"], amount=[-5.0, 7.0, 4.0])
    tx, q = read_transactions(raw, return_prefix="C")
    assert len(tx) == 3 and tx["amount"].tolist() == [-5.0, 7.0, 4.0]
    assert q.rows("cancellation (order_id starts with 'C')") == 2
    rec = q.frame.set_index("rule").loc["cancellation with positive amount"]
    assert (rec["rows"], rec["action"]) == (1, "flagged") and "C3" in rec["examples"]
    with pytest.raises(BadParameterError, match="order_id"):
        read_transactions(tx_frame(), return_prefix="C")


def test_all_rows_dropped_warns_and_returns_empty():
    with pytest.warns(UserWarning, match="no rows left"):
        tx, q = read_transactions(tx_frame(customer_id=[None, None, None]))
    assert len(tx) == 0 and q.counts()["transactions"] == {"input": 3, "kept": 0, "dropped": 3}


messy_ids = st.one_of(
    st.none(),
    st.just(""),
    st.just("  "),
    st.integers(1, 5),
    st.floats(1, 5),
    st.sampled_from(["a", " b ", "3.0", "x1"]),
)
messy_dates = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(["2024-01-02", "2024-02-30", "junk", "2024-03-01 10:00"]),
    st.datetimes(min_value=pd.Timestamp("2023-12-01"), max_value=pd.Timestamp("2024-03-01")).map(
        str
    ),
)
messy_amounts = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["10", "$5", "-3.5", "1,234.5", " 0 ", ""]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(messy_ids, messy_dates, messy_amounts), min_size=1, max_size=25),
    as_of=st.sampled_from([None, "2024-01-15"]),
    with_line_id=st.booleans(),
)
def test_property_input_equals_kept_plus_dropped(rows, as_of, with_line_id):
    raw = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"], dtype=object)
    if with_line_id:
        raw["line_id"] = [i % 4 for i in range(len(raw))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tx, q = read_transactions(raw, as_of=as_of)
    assert_balanced(q)
    assert q.counts()["transactions"]["input"] == len(raw)
    assert q.counts()["transactions"]["kept"] == len(tx)
    assert tx["customer_id"].notna().all() and tx["order_date"].notna().all()
    assert np.isfinite(tx["amount"]).all()
    assert (q.frame["rows"] >= 0).all()


def test_online_retail_published_totals(root):
    path = root / "data" / "online_retail" / "online_retail_uci352.parquet"
    raw = pd.read_parquet(path)
    assert len(raw) == 541_909
    assert raw["InvoiceNo"].nunique() == 25_900
    assert raw["CustomerID"].nunique() == 4_372
    assert abs((raw["Quantity"] * raw["UnitPrice"]).sum() - 9_747_747.934) < 1e-3

    tx, q = read_transactions(path, columns=RETAIL_COLUMNS, return_prefix="C", as_of="2011-12-10")
    assert q.rows("missing customer_id") == 135_080
    assert q.counts()["transactions"] == {"input": 541_909, "kept": 406_829, "dropped": 135_080}
    assert tx["customer_id"].nunique() == 4_372
    assert tx["customer_id"].str.fullmatch(r"\d{5}").all()  # 17850.0 -> "17850"
    known = raw[raw["CustomerID"].notna()]
    assert abs(tx["amount"].sum() - (known["Quantity"] * known["UnitPrice"]).sum()) < 1e-3
    assert q.rows("cancellation (order_id starts with 'C')") == int(
        known["InvoiceNo"].str.startswith("C").sum()
    )


# ----------------------------------------------------------------------------- customers


def customers_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1.0, 2.0, 3.0, 4.0, 1.0, 5.0],
            "phone": [GB_MOBILE, GB_LANDLINE, "12345", "+44 7400 123456", "0999", None],
            "country": ["gb", "GB", "GB", "FR", "GB", "GB"],
            "sms_consent": ["Yes", "no", "maybe", "1", "y", None],
            "consent_at": ["2023-05-01", "garbage", None, "2023-06-01", "2023-01-01", None],
        }
    )


def test_customers_known_answer():
    cust, q = read_customers(customers_frame())
    assert cust["customer_id"].tolist() == ["1", "2", "3", "4", "5"]
    assert cust["sms_consent"].tolist() == [True, False, False, True, False]
    assert cust["sms_consent"].dtype == bool
    assert cust["phone_e164"].tolist()[:2] == [GB_MOBILE_E164, GB_LANDLINE_E164]
    assert cust["phone_e164"].iloc[3] == GB_MOBILE_E164  # written with +44: region ignored
    assert cust["phone_type"].tolist()[:4] == ["mobile", "fixed_line", "invalid", "mobile"]
    assert pd.isna(cust["phone_type"].iloc[4])
    assert list(cust.columns[:4]) == ["customer_id", "phone", "phone_e164", "phone_type"]
    assert str(cust["consent_at"].dtype) == "datetime64[ns]"
    assert cust["consent_at"].isna().tolist() == [False, True, True, False, True]
    rules = q.frame.set_index("rule")
    expected = {
        "duplicate customer_id": (1, "dropped"),
        "sms_consent not recognised (set to False)": (1, "changed"),
        "sms_consent missing (set to False)": (1, "changed"),
        "unparsable consent_at (set to NaT)": (1, "changed"),
        "invalid phone": (1, "flagged"),
        "phone not mobile": (1, "flagged"),
        "phone shared by several customers": (2, "flagged"),
        "missing phone": (1, "kept"),
    }
    for rule, (rows, action) in expected.items():
        assert (rules.loc[rule, "rows"], rules.loc[rule, "action"]) == (rows, action), rule
    assert q.counts()["customers"] == {"input": 6, "kept": 5, "dropped": 1}


def test_default_region_used_when_country_missing():
    raw = pd.DataFrame({"customer_id": ["a", "b"], "phone": [GB_MOBILE, "(201) 555-0123"]})
    cust, _ = read_customers(raw, default_region="GB")
    assert cust["phone_e164"].tolist() == [GB_MOBILE_E164, "+442015550123"]  # read as London
    cust, _ = read_customers(raw)  # no region: only numbers written with + can be read
    assert cust["phone_type"].tolist() == ["invalid", "invalid"]
    cust, q = read_customers(raw.iloc[1:], default_region="US")
    assert cust["phone_e164"].tolist() == ["+12015550123"]
    assert cust["phone_type"].tolist() == ["fixed_line_or_mobile"]
    assert q.rows("phone not mobile") == 0


def test_report_never_shows_full_phone_numbers():
    _, q = read_customers(customers_frame())
    text = json.dumps(q.to_dict()) + q._repr_html_() + repr(q)
    for digits in ("7400123456", "1212345678", "400 123456", "74001"):
        assert digits not in text
    assert "+44 **** **3456" in text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            messy_ids,
            st.one_of(
                st.none(),
                st.sampled_from(
                    [GB_MOBILE, GB_LANDLINE, "+1 201 555 0123", "123", "", "abc", "+447400123456"]
                ),
            ),
            st.one_of(st.none(), st.sampled_from(["yes", "NO", "1", 0, "maybe", True])),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_property_customers_balance_and_mask(rows):
    raw = pd.DataFrame(rows, columns=["customer_id", "phone", "sms_consent"], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cust, q = read_customers(raw, default_region="GB")
    assert_balanced(q)
    assert q.counts()["customers"]["kept"] == len(cust)
    assert cust["customer_id"].is_unique and cust["sms_consent"].dtype == bool
    assert "7400123456" not in json.dumps(q.to_dict())


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+447400123456", "+44 **** **3456"),
        ("07400123456", "**** **3456"),
        ("123", "**** ******"),  # too short to show any digit
        (None, ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_customers_require_customer_id():
    with pytest.raises(MissingColumnsError, match="customer_id"):
        read_customers(pd.DataFrame({"phone": [GB_MOBILE]}))


# ----------------------------------------------------------------------------- opt-outs, campaigns


def test_optouts():
    raw = pd.DataFrame(
        {
            "Mobile": [GB_MOBILE, None, "bad", "+447400123456", None],
            "customer_id": [None, "7", None, None, None],
            "opted_out_at": ["2024-01-01", "2024-01-02", "x", None, None],
        }
    )
    out, q = read_optouts(raw, columns={"Mobile": "phone"}, default_region="GB")
    assert out["phone_e164"].tolist()[:1] == [GB_MOBILE_E164]
    assert out["customer_id"].iloc[1] == "7"
    assert out["phone"].iloc[2] == "bad"  # invalid kept, raw phone stays
    assert q.rows("no phone and no customer_id") == 1
    assert q.rows("invalid phone") == 1
    assert q.rows("unparsable opted_out_at (set to NaT)") == 1
    assert q.counts()["optouts"] == {"input": 5, "kept": 4, "dropped": 1}


def test_optouts_need_phone_or_customer_id():
    with pytest.raises(MissingColumnsError, match="phone"):
        read_optouts(pd.DataFrame({"when": ["2024-01-01"]}))


def test_campaigns():
    raw = pd.DataFrame(
        {
            "campaign_id": ["c1", "c1", "c1", "c1", None, "c2"],
            "customer_id": ["a", "b", "b", "d", "e", 1.0],
            "group": ["Treatment", "control", "holdout", "vip", "holdout", " HOLDOUT "],
            "sent_at": ["2024-01-01"] * 6,
        }
    )
    log, q = read_campaigns(raw)
    assert log[["campaign_id", "customer_id", "group"]].values.tolist() == [
        ["c1", "a", "treatment"],
        ["c1", "b", "holdout"],
        ["c2", "1", "holdout"],
    ]
    assert q.rows("group renamed to treatment/holdout") == 1
    assert q.rows("group not treatment/holdout") == 1
    assert q.rows("duplicate campaign_id + customer_id") == 1
    assert q.rows("missing campaign_id") == 1
    assert_balanced(q)
    with pytest.raises(MissingColumnsError, match="group"):
        read_campaigns(raw.drop(columns="group"))


# ----------------------------------------------------------------------------- quality report


def test_quality_report_combines_and_serialises():
    _, q1 = read_transactions(tx_frame(customer_id=["a", None, "b"]))
    _, q2 = read_customers(pd.DataFrame({"customer_id": ["a", "a"]}))
    both = QualityReport.combine([q1, None, q2])
    assert list(both.counts()) == ["transactions", "customers"]
    assert list(both.frame.columns) == ["table", "rule", "rows", "action", "examples"]
    assert (q1 + q2).to_dict() == both.to_dict()
    manifest = json.loads(json.dumps(both.to_dict()))
    assert manifest["tables"]["customers"] == {"input": 2, "kept": 1, "dropped": 1}
    html = both._repr_html_()
    assert "<table" in html and "transactions" in html and "duplicate customer_id" in html
    assert_balanced(both)
    frame = both.frame
    frame.loc[0, "rows"] = 999  # a copy: the report does not change
    assert both.frame.loc[0, "rows"] != 999


def test_quality_report_refuses_counts_that_do_not_add_up():
    counts = pd.DataFrame({"input": [3], "kept": [1], "dropped": [1]}, index=["t"])
    with pytest.raises(ValueError, match="do not add up"):
        QualityReport(None, counts)


# ----------------------------------------------------------------------------- parsers


def test_normalise_ids():
    out = normalise_ids(pd.Series([12347.0, np.nan, 1.5]))
    assert out.iloc[[0, 2]].tolist() == ["12347", "1.5"] and pd.isna(out.iloc[1])
    out = normalise_ids(pd.Series([" x ", "7.00", "", 3], dtype=object))
    assert out.iloc[[0, 1, 3]].tolist() == ["x", "7", "3"] and pd.isna(out.iloc[2])


def test_parse_dates_numeric_yyyymmdd_and_tz():
    dates, _ = parse_dates(pd.Series([19970101, 19970102]), "date")
    assert dates.dt.strftime("%Y-%m-%d").tolist() == ["1997-01-01", "1997-01-02"]
    dates, _ = parse_dates(pd.Series(["2024-01-01T10:00:00+01:00"]), "date")
    assert dates.iloc[0] == pd.Timestamp("2024-01-01 09:00")


def test_parse_numbers_numeric_and_inf():
    nums, changed = parse_numbers(pd.Series([1, np.inf, 2]), "x")
    assert nums.iloc[[0, 2]].tolist() == [1.0, 2.0] and np.isnan(nums.iloc[1])
    assert not changed.any()
    with pytest.raises(BadValuesError, match="decimal"):
        parse_numbers(pd.Series(["1"]), "x", decimal=";")


def test_parse_consent():
    consent, missing, unknown = parse_consent(
        pd.Series([True, "FALSE", "Y", "no", 0, 1.0, "oui", None], dtype=object)
    )
    assert consent.tolist() == [True, False, True, False, False, True, False, False]
    assert missing.tolist() == [False] * 7 + [True]
    assert unknown.tolist() == [False] * 6 + [True, False]


# ----------------------------------------------------------------------------- load_crm


def test_load_crm_reads_every_table(tmp_path):
    folder = tmp_path / "crm"
    folder.mkdir()
    tx_frame(order_date=["2024-01-02", "2024-01-03", "2024-02-01"]).rename(
        columns={"customer_id": "Client"}
    ).to_csv(folder / "tx.csv", index=False)
    pd.DataFrame({"customer_id": ["a", "b"], "phone": [GB_MOBILE, None]}).to_csv(
        folder / "customers.csv", index=False
    )
    pd.DataFrame({"phone": [GB_MOBILE]}).to_csv(folder / "optouts.csv", index=False)
    pd.DataFrame({"campaign_id": ["c"], "customer_id": ["a"], "group": ["holdout"]}).to_csv(
        folder / "campaigns.csv", index=False
    )
    params = tmp_path / "params.yaml"
    params.write_text(
        "data:\n"
        "  transactions: {path: crm/tx.csv, columns: {Client: customer_id}}\n"
        "  customers: {path: crm/customers.csv, default_region: GB}\n"
        "  optouts: {path: crm/optouts.csv, default_region: GB}\n"
        "  campaigns: crm/campaigns.csv\n"
        "as_of: 2024-01-31\n"
    )
    crm = load_crm(params)
    assert isinstance(crm, CRM)
    assert crm.transactions["customer_id"].tolist() == ["a", "b"]  # 2024-02-01 after as_of
    assert crm.customers["phone_e164"].iloc[0] == GB_MOBILE_E164
    assert crm.optouts["phone_e164"].tolist() == [GB_MOBILE_E164]
    assert crm.campaigns["group"].tolist() == ["holdout"]
    assert list(crm.quality.counts()) == ["transactions", "customers", "optouts", "campaigns"]
    assert crm.quality.rows("after as_of 2024-01-31") == 1
    assert crm.config.source == params.resolve()
    later = load_crm(params, as_of="2024-03-01")
    assert len(later.transactions) == 3 and later.customers is not None


def test_load_crm_without_optional_tables(root):
    crm = load_crm(root / "params" / "online_retail.yaml")
    assert crm.customers is None and crm.optouts is None and crm.campaigns is None
    assert crm.transactions["customer_id"].nunique() == 4_372
    assert crm.config.as_of == pd.Timestamp("2011-12-10")


# ----------------------------------------------------------------------------- cross-table checks


def _crm_files(tmp_path, tx: pd.DataFrame, customers=None, optouts=None, **params):
    tx.to_csv(tmp_path / "tx.csv", index=False)
    data = {"transactions": str(tmp_path / "tx.csv")}
    if customers is not None:
        customers.to_csv(tmp_path / "customers.csv", index=False)
        data["customers"] = {"path": str(tmp_path / "customers.csv"), "default_region": "GB"}
    if optouts is not None:
        optouts.to_csv(tmp_path / "optouts.csv", index=False)
        data["optouts"] = {"path": str(tmp_path / "optouts.csv"), "default_region": "GB"}
    return {"data": data, "as_of": "2024-12-31", **params}


def test_padded_ids_warn_with_the_likely_cause(tmp_path):
    tx = tx_frame(customer_id=["205", "206", "7"])
    customers = pd.DataFrame({"customer_id": ["000205", "000206", "7", "8"]})
    with pytest.warns(
        UserWarning, match=r"only 33% .*stripping leading zeros \(e.g. '205' ~ '000205'\)"
    ):
        crm = load_crm(_crm_files(tmp_path, tx, customers))
    q = crm.quality
    assert q.rows("transaction customer not in customers", "transactions") == 2
    assert q.rows("customer with no transactions", "customers") == 3
    loose = "customer_id matches a customer only after stripping leading zeros or case"
    assert q.rows(loose) == 2
    share = q.frame[q.frame["rule"].str.startswith("transaction customers found")]
    assert share["rule"].tolist() == ["transaction customers found in customers: 33.3% (1 of 3)"]
    assert share["action"].tolist() == ["flagged"]
    assert_balanced(q)
    assert q.counts()["transactions"] == {"input": 3, "kept": 3, "dropped": 0}


def test_case_only_id_differences(tmp_path):
    tx = tx_frame(customer_id=["ab", "AB", "cd"])
    customers = pd.DataFrame({"customer_id": ["AB", "Cd"]})
    with pytest.warns(UserWarning, match="ignoring case"):
        crm = load_crm(_crm_files(tmp_path, tx, customers))
    q = crm.quality
    rule = "customer_id differing from another only by case or leading zeros"
    assert q.rows(rule, "transactions") == 2
    assert "'ab' / 'AB'" in q.frame.set_index("rule").loc[rule, "examples"]


def test_match_threshold_is_a_parameter(tmp_path):
    tx = tx_frame(customer_id=["a", "b", "c"])
    customers = pd.DataFrame({"customer_id": ["a", "b"]})
    with pytest.warns(UserWarning, match="67%"):
        load_crm(_crm_files(tmp_path, tx, customers))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        crm = load_crm(_crm_files(tmp_path, tx, customers, min_customer_match=0.5))
    assert crm.quality.rows("transaction customer not in customers") == 1
    with pytest.raises(BadParameterError, match="min_customer_match"):
        load_crm(_crm_files(tmp_path, tx, customers, min_customer_match=2))


def test_optouts_matching_no_customer(tmp_path):
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "phone": [GB_MOBILE, "", ""]})
    optouts = pd.DataFrame(
        {"customer_id": ["b", None, "zz"], "phone": [None, GB_MOBILE, "07400 999999"]}
    )
    crm = load_crm(_crm_files(tmp_path, tx_frame(), customers, optouts))
    assert crm.quality.rows("opt-out matching no customer", "optouts") == 1
    rec = crm.quality.frame.set_index("rule").loc["opt-out matching no customer"]
    assert rec["examples"] == "'customer_id=zz'"


def test_all_lines_dropped_names_the_reasons(tmp_path):
    tx = tx_frame(order_date=["2025-06-01", "2025-07-01", "not a date"])
    with pytest.raises(EmptyDataError) as err:
        load_crm(_crm_files(tmp_path, tx))
    message = str(err.value)
    assert "all 3 lines were dropped" in message
    assert "2 after as_of 2024-12-31" in message and "1 unparsable order_date" in message
    assert err.value.exit_code == 2


# ----------------------------------------------------------------------------- suspicious values


def test_outlying_future_date_is_flagged_without_as_of():
    days = pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d").tolist()
    raw = pd.DataFrame(
        {
            "customer_id": [f"c{i % 7}" for i in range(61)],
            "order_date": [*days, "2099-01-01"],
            "amount": [10.0] * 61,
        }
    )
    with pytest.warns(UserWarning, match="set as_of: 2024-03-01"):
        tx, q = read_transactions(raw)
    assert len(tx) == 61  # flagged, not dropped
    rule = q.frame[q.frame["rule"].str.startswith("order_date far after the rest")]
    assert rule["rows"].tolist() == [1]
    assert "as_of would become 2099-01-02" in rule["rule"].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, q = read_transactions(raw, as_of="2024-03-01")
    assert q.rows("after as_of 2024-03-01") == 1


def test_thousands_separator_lookalikes_are_flagged():
    tx, q = read_transactions(tx_frame(amount=["7,990", "7.99", "12.50"]))
    assert tx["amount"].tolist() == [7990.0, 7.99, 12.5]
    rule = q.frame[q.frame["rule"].str.startswith("amount like '7,990'")]
    assert rule["rows"].tolist() == [1] and rule["action"].tolist() == ["flagged"]
    assert "'7,990' read as 7990" in rule["examples"].iloc[0]
    _, q = read_transactions(tx_frame(amount=["7,990", "7,99", "12,50"]), decimal=",")
    assert "'7,990' read as 7.99" in q.frame.set_index("action").loc["flagged", "examples"]


def test_declared_dayfirst_contradicted_by_the_data():
    tx, q = read_transactions(
        tx_frame(order_date=["13/04/2011", "03/04/2011", "03/04/2011"]), dayfirst=False
    )
    assert len(tx) == 2 and q.rows("unparsable order_date") == 1
    rule = "order_date contradicts dayfirst=False (reads only with dayfirst=True)"
    assert q.rows(rule) == 1
    assert q.frame.set_index("rule").loc[rule, "action"] == "flagged"


@pytest.mark.parametrize(
    ("policy", "kept", "action"), [("keep", 3, "kept"), ("drop", 2, "dropped")]
)
def test_duplicate_policy_is_explicit_and_counted(policy, kept, action):
    raw = tx_frame(customer_id=["a", "a", "b"], order_date=["2024-01-02"] * 3, amount=[5.0] * 3)
    tx, q = read_transactions(raw, duplicates=policy)
    assert len(tx) == kept
    assert q.frame.set_index("rule").loc["exact duplicate line", ["rows", "action"]].tolist() == [
        1,
        action,
    ]
    assert_balanced(q)
    with pytest.raises(BadParameterError, match="keep | drop"):
        read_transactions(raw, duplicates="first")


def test_duplicates_policy_in_params(tmp_path):
    raw = tx_frame(customer_id=["a", "a", "b"], order_date=["2024-01-02"] * 3, amount=[5.0] * 3)
    params = _crm_files(tmp_path, raw)
    params["data"]["transactions"] = {"path": params["data"]["transactions"], "duplicates": "drop"}
    assert len(load_crm(params).transactions) == 2
    params["data"]["transactions"]["duplicates"] = "maybe"
    with pytest.raises(BadParameterError, match="duplicates"):
        load_crm(params)


def test_mixed_offsets_flagged_and_same_day_as_a_tz_aware_frame():
    from rfvkit.rfv import rfv_table

    text = ["2024-03-30 23:30:00+01:00", "2024-04-01 00:30:00+02:00", "2024-04-02 12:00:00+02:00"]
    tx, q = read_transactions(tx_frame(customer_id=["7", "7", "12"], order_date=text))
    rule = "order_date with mixed time-zone offsets (local time kept, offsets dropped)"
    assert q.rows(rule) == 3
    assert q.frame.set_index("rule").loc[rule, "examples"] == "'+01:00', '+02:00'"
    assert tx["order_date"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-03-30 23:30",
        "2024-04-01 00:30",
        "2024-04-02 12:00",
    ]
    aware = tx_frame(
        customer_id=["7", "7", "12"],
        order_date=pd.to_datetime(
            ["2024-03-30 23:30", "2024-04-01 00:30", "2024-04-02 12:00"]
        ).tz_localize("Europe/Paris"),
    )
    direct = rfv_table(aware, as_of="2024-04-10")
    loaded = rfv_table(read_transactions(aware).frame, as_of="2024-04-10")
    via_text = rfv_table(tx, as_of="2024-04-10")
    pd.testing.assert_frame_equal(direct, loaded)
    pd.testing.assert_frame_equal(direct, via_text)


def test_net_negative_customers_flagged_like_suggest_segments():
    from rfvkit.clustering import suggest_segments
    from rfvkit.rfv import rfv_table

    raw = tx_frame(
        customer_id=["a", "a", "b", "c", "d", "e"],
        order_date=["2024-01-02"] * 6,
        amount=[10.0, -25.0, 30.0, 40.0, 50.0, -5.0],
    )
    tx, q = read_transactions(raw)
    rule = "customer net negative (returns exceed purchases; 'Net returners' in clustering)"
    assert q.rows(rule) == 2 and "customer_id=a" in q.frame.set_index("rule").loc[rule, "examples"]
    with pytest.warns(UserWarning):
        rfv = rfv_table(tx, as_of="2024-02-01")
        sug = suggest_segments(rfv, k=1, n_bootstrap=0)
    assert sug.labels.index[sug.labels["cluster"] == -1].tolist() == ["a"]
