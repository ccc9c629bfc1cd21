"""The fast loading paths give exactly what the careful ones give: frames, ledgers, errors."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfvkit._csvread import _pandas_or_arrow as _read_csv
from rfvkit._csvread import _quoted_after_header
from rfvkit.io import load_crm, read_customers, read_optouts, read_transactions
from rfvkit.parsing import careful_parsing, normalise_ids, parse_dates, parse_numbers

ROOT = Path(__file__).resolve().parents[1]


def _run(fn, *args, **kwargs):
    try:
        return "ok", fn(*args, **kwargs)
    except Exception as err:  # the careful path's errors must come back unchanged
        return "error", type(err), str(err)


def fast_and_careful(fn, *args, **kwargs):
    fast = _run(fn, *args, **kwargs)
    with careful_parsing():
        careful = _run(fn, *args, **kwargs)
    return fast, careful


def assert_same(fast, careful):
    assert fast[0] == careful[0], (fast, careful)
    if fast[0] == "error":
        assert fast[1:] == careful[1:]
        return
    a, b = fast[1], careful[1]
    if hasattr(a, "quality"):  # Loaded or CRM
        for name in ("frame", "transactions", "customers", "optouts", "campaigns"):
            if hasattr(a, name) and getattr(a, name) is not None:
                pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        pd.testing.assert_frame_equal(a.quality.frame, b.quality.frame)
        pd.testing.assert_frame_equal(a.quality.tables, b.quality.tables)
        return
    for x, y in zip(
        a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,), strict=True
    ):
        if isinstance(x, pd.Series):
            pd.testing.assert_series_equal(x, y)
        elif isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        else:
            assert x == y


def check(fn, *args, **kwargs):
    fast, careful = fast_and_careful(fn, *args, **kwargs)
    assert_same(fast, careful)
    return fast


# ----------------------------------------------------------------------------- real files


@pytest.mark.parametrize("params", ["params/sample.yaml", "params/ci.yaml"])
def test_sample_and_ci_load_the_same(params):
    result = check(load_crm, ROOT / params)
    assert result[0] == "ok"


@pytest.mark.parametrize(
    "path",
    sorted(
        str(p.relative_to(ROOT))
        for d in ("data/sample", "data/ci", "tests/data")
        for p in (ROOT / d).glob("*.csv")
    ),
)
def test_csv_reader_matches_pandas(path):
    check(_read_csv, ROOT / path, {})


def test_sample_transactions_file_loads_the_same():
    assert check(read_transactions, ROOT / "data/sample/transactions.csv")[0] == "ok"


@pytest.mark.parametrize(
    "name, columns",
    [
        ("lifetimes_example_transactions.csv", {"date": "order_date", "id": "customer_id"}),
        ("rfm_data_orders.csv", {"revenue": "amount"}),
    ],
)
def test_fixture_transaction_files_load_the_same(name, columns):
    source = ROOT / "tests/data" / name
    if "amount" not in columns.values():  # the lifetimes file has no amounts: give each line 1
        frame = pd.read_csv(source, dtype="str").assign(amount="1")
        for tx in (frame, frame.astype(pd.StringDtype("pyarrow", na_value=np.nan))):
            assert check(read_transactions, tx, columns=columns)[0] == "ok"
        return
    assert check(read_transactions, source, columns=columns)[0] == "ok"


def test_fixture_orders_file_loads_the_same():
    columns = {"revenue": "amount"}
    assert (
        check(read_transactions, ROOT / "tests/data/rfm_data_orders.csv", columns=columns)[0]
        == "ok"
    )


# ----------------------------------------------------------------------------- odd CSV files

ODD_CSV = {
    "quotes_and_markers": 'a,b,c\n"x, y",NA,""\n"say ""hi""",None,<NA>\nnull,n/a,-nan\n',
    "blank_lines_crlf": "a,b\r\n1,2\r\n\r\n3,\r\n",
    "bom": "\ufeffcustomer_id,amount\nC1,2\n",
    "newline_in_quotes": 'a,b\n"two\nlines",1\n',
    "duplicate_header": "a,a\n1,2\n",
    "empty_header_name": "a,\n1,2\n",
    "ragged_long": "a,b\n1,2,3\n",
    "ragged_short": "a,b,c\n1,2\n",
    "header_only": "a,b\n",
    "empty": "",
    "spaces": "a,b\n  ,x\n y , NA \n",
    "quote_inside": 'a,b\nab"c,1\n',
    "tab_in_csv": "a\tb\n1\t2\n",
    "quote_then_text": 'a,b\n"ab"c,1\nx,2\n',
    "space_before_quote": 'a,b\n "a",1\n',
    "quoted_header_only": '"a","b"\n1,2\n3,4\n',
    "no_final_newline": "a,b\n1,2",
    "cr_only": "a,b\r1,2\r3,4\r",
}


@pytest.mark.parametrize("name", sorted(ODD_CSV))
def test_odd_csv_files_read_like_pandas(tmp_path, name):
    path = tmp_path / f"{name}.csv"
    path.write_text(ODD_CSV[name], encoding="utf-8", newline="")
    check(_read_csv, path, {})


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(st.sampled_from([b"a", b",", b'"', b"\n", b"\r"]), max_size=40).map(b"".join),
    block_size=st.integers(1, 9),
)
def test_the_quote_scan_in_blocks_finds_what_one_search_of_the_file_finds(
    tmp_path, data, block_size
):
    # A quote after the first "\n", or anywhere in a file without one: whatever block
    # the line end or the quote falls in.
    path = tmp_path / "scan.csv"
    path.write_bytes(data)
    expected = data.find(b'"', data.find(b"\n") + 1) >= 0
    assert _quoted_after_header(path, block_size=block_size) is expected
    assert _quoted_after_header(path) is expected


def test_latin1_file_reads_like_pandas(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("customer_id,amount\nJosé,2\n".encode("latin-1"))
    check(_read_csv, path, {})
    check(_read_csv, path, {"encoding": "latin-1"})


def test_tsv_reads_like_pandas(tmp_path):
    path = tmp_path / "tx.tsv"
    path.write_text("customer_id\torder_date\tamount\nC1\t2024-01-02\t5\n")
    check(read_transactions, path)


# ----------------------------------------------------------------------------- bad inputs

BAD_TX = {
    "customer_id": [
        "12347.0",
        " C1 ",
        "",
        None,
        "C2",
        "12347",
        "+5.00",
        "C3",
        "7.5",
        "C4",
        "C5",
        "C6",
        "C7",
    ],
    "order_date": [
        "2024-01-02 10:11:12",
        "2024-01-02",
        "2024-01-02T10:11:12Z",
        "not a date",
        "",
        " 2024-01-03",
        "2024-01-02 10:11:12.5",
        "2024-02-30",
        "2024-01-01 24:00:00",
        "2024-1-5 3:04:05",
        "20240105",
        "Jan 5 2024",
        None,
    ],
    "amount": [
        "$10",
        "1,234.50",
        "(12)",
        "-0",
        "0",
        "-0.0",
        "5",
        "1e3",
        " 7 ",
        "-2.5",
        "€ 3",
        "USD 4",
        None,
    ],
}


# Each value below trips one of the issue 8 checks (offsets, thousands, net negative ...).
CHECKED_TX = {
    "customer_id": ["a", "a", "b", "b", "b", "c", "c", "d", "d", "e", "e", "e"],
    "order_date": [
        "2024-01-05 7:03+01:00",  # one-digit hour with an offset
        "2024-01-05 07:03:00-05:00",
        "2024-01-06T10:00Z",
        "2024-01-06 10:00:00",
        "2024-01-06 10:00:00",
        "2024-01-07",
        "2099-01-01",  # far after the rest
        "2024-01-08 9:15",
        "2024-01-08 09:15:00",
        "2024-01-09",
        "2024-01-09",
        "2024-01-10",
    ],
    "amount": [
        "7,990",  # thousands separator?
        "1.250",
        "0.1",
        "0.2",
        "0.2",
        "-0.3",
        "5",
        "3",
        "-3",  # net zero: flagged
        "0.1",
        "0.2",
        "-0.3",  # float sum 5.6e-17, exactly 0 in decimals: flagged (net rounded)
    ],
}


@pytest.mark.parametrize("as_file", [False, True])
@pytest.mark.parametrize("offsets", [True, False])
def test_checked_transactions_load_the_same(tmp_path, as_file, offsets):
    raw = pd.DataFrame(CHECKED_TX, dtype="str")
    if not offsets:  # strict ISO dates: the typed date path
        raw["order_date"] = "2024-01-0" + pd.Series(range(1, 10)).astype(str).reindex(
            range(len(raw)), fill_value="9"
        )
    source = raw
    if as_file:
        raw.to_csv(tmp_path / "tx.csv", index=False)
        source = tmp_path / "tx.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the 2099 line warns (both paths)
        result = check(read_transactions, source)
    assert result[0] == "ok"
    rules = result[1].quality.frame.set_index("rule")["rows"]
    assert rules[rules.index.str.startswith("customer net negative")].sum() == 5  # d, e
    assert rules[rules.index.str.startswith("amount like '7,990'")].sum() == 2


@pytest.mark.parametrize(
    "dates, typed",
    [
        (["2024-01-02 10:11:12", "2024-01-03", "NA", '"2024-01-04T05"'], True),
        (["2024-01-02 10:11:12"] * 3 + ["2024-01-05 7:03+01:00"], False),  # last line: again
        (["2024-01-02", "3000-01-01", "2024-01-03"], False),  # beyond datetime64[ns]
        (["2024-01-02", "2262-04-11 10:00:00", "1677-09-21 01:00:00", ""], True),  # its edges
        (["2024-01-02", " 2024-01-03", "2024-01-04", "20240105"], False),
    ],
)
def test_dates_read_while_reading_the_file_load_the_same(tmp_path, dates, typed):
    from rfvkit._fastpaths import reading_timestamps
    from rfvkit.readers import read_file

    lines = [f"c{i},{d},{i + 1}.5" for i, d in enumerate(dates)]
    path = tmp_path / "tx.csv"
    path.write_text("id,when,amount\n" + "\n".join(lines) + "\n")
    check(read_transactions, path, columns={"id": "customer_id", "when": "order_date"})
    with reading_timestamps("when"):
        frame, _ = read_file(path, "transactions")
    assert pd.api.types.is_datetime64_dtype(frame["when"]) == typed


@pytest.mark.parametrize("as_file", [False, True])
def test_bad_transactions_load_the_same(tmp_path, as_file):
    raw = pd.DataFrame(BAD_TX, dtype="str")
    source = raw
    if as_file:
        raw.to_csv(tmp_path / "tx.csv", index=False)
        source = tmp_path / "tx.csv"
    result = check(read_transactions, source)
    assert result[0] == "ok"
    assert result[1].quality.rows("unparsable order_date") > 0


def test_decimal_commas_and_day_first_load_the_same(tmp_path):
    text = (
        "id;order_id;date;qty;price\n"
        "12347.0;O1;13/04/2011 10:00;2;12,50\n"
        "12348;O2;03/04/2011;1;€ 1.234,50\n"
        " 12349 ;C3;2011-04-05;-1;3\n"
        "12347;O4;garbage;1;0,0\n"
        ";O5;;1;1\n"
    )
    (tmp_path / "tx.csv").write_text(text)
    columns = {"id": "customer_id", "date": "order_date", "qty": "quantity", "price": "unit_price"}
    kwargs = {"columns": columns, "decimal": ",", "read_options": {"sep": ";"}}
    result = check(read_transactions, tmp_path / "tx.csv", return_prefix="C", **kwargs)
    assert result[0] == "ok"
    assert "day first" in " ".join(result[1].quality.frame["rule"])


@pytest.mark.parametrize(
    "dates, options",
    [
        (["03/04/2011", "05/06/2011", "2011-01-01"], {}),  # ambiguous: raises
        (["13/04/2011", "04/13/2011"], {}),  # both orders: raises
        (["03/04/2011", "2011-01-01 10:00:00", "x"], {"dayfirst": True}),
        (["3000-01-01", "2024-01-01"], {}),  # out of bounds: careful raises, so must fast
        (["0000-01-01", "2024-01-01"], {}),  # year 0: Arrow reads it, datetime cannot
        ([None, None], {}),
        (
            ["2024-01-02 10:11:12", "02/01/2024 10:11:12", " 2024-01-02"],
            {"date_format": "%Y-%m-%d %H:%M:%S"},
        ),
        (["02.01.2024", "x", "", None], {"date_format": "%d.%m.%Y"}),
    ],
)
def test_dates_fast_equals_careful(dates, options):
    check(parse_dates, pd.Series(dates, dtype="str"), "order_date", **options)


@pytest.mark.parametrize(
    "values, decimal",
    [
        (["inf", "1"], "."),
        (["1", "nan", "-inf"], "."),
        (["12,50", "1"], "."),
        (["12,50", "1.234,5", "-0"], ","),
        (["0x10", "5"], "."),
        (["1e999", "-0.0", "-0", "+.5"], "."),
    ],
)
def test_numbers_fast_equals_careful(values, decimal):
    check(parse_numbers, pd.Series(values, dtype="str"), "amount", decimal=decimal)


def test_customers_and_optouts_load_the_same(tmp_path):
    raw = pd.DataFrame(
        {
            "customer_id": ["1.0", "2", "2", " 3", None],
            "phone": ["07400 123456", "+1 201 555 0123", None, "bad", "020 7946 0018"],
            "sms_consent": ["yes", "N", "1.0", "maybe", None],
            "consent_at": ["2024-01-02", "not a date", "", None, "2024-01-02 10:00:00"],
            "country": ["gb", "US", None, "GB", "GB"],
        },
        dtype="str",
    )
    assert check(read_customers, raw, default_region="GB")[0] == "ok"
    assert check(read_optouts, raw.drop(columns=["sms_consent", "consent_at"]))[0] == "ok"


def test_exact_duplicates_found_the_same():
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "a", "c", "c"],
            "order_date": ["2024-01-02"] * 4 + ["2024-01-03"] * 2,
            "amount": ["5", "5", "5", "5.0", "-0", "0"],
            "product": ["x", "x", "x", "y", None, None],
        },
        dtype="str",
    )
    fast = check(read_transactions, raw)
    assert fast[1].quality.rows("exact duplicate line") == 2


# ----------------------------------------------------------------------------- properties

_iso = st.datetimes(
    min_value=pd.Timestamp("1700-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2200-01-01").to_pydatetime(),
)
_date_text = st.one_of(
    _iso.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    _iso.map(lambda d: d.strftime("%Y-%m-%d")),
    _iso.map(lambda d: d.isoformat()),
    _iso.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    _iso.map(lambda d: d.strftime("%d/%m/%Y %H:%M")),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?\Z"),
    st.sampled_from(["", " ", "x", "2024-13-01", "NaT", "1/2/3"]),
    st.text(max_size=12),
)
_number_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:.2f}"),
    st.integers(-(10**25), 10**25).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.from_regex(r"\A[+-]?[0-9]{0,20}\.?[0-9]{0,20}([eE][+-]?[0-9]{1,3})?\Z"),
    st.sampled_from(["", " 5", "$5", "1,000", "(3)", "-0", "inf", "nan", "٣", "5 USD"]),
)
_id_text = st.one_of(
    st.from_regex(r"\A\s?[+-]?[0-9A-Za-z]{0,6}(\.0{0,3})?\s?\Z"),
    st.sampled_from(["", " ", "12347.0", "12.50", "-3.00", "\u00a0a\u00a0"]),
    st.text(max_size=8),
)
_props = settings(
    max_examples=int(os.environ.get("RFVKIT_FASTPATH_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _column(values, missing):
    return pd.Series([None if m else v for v, m in zip(values, missing, strict=True)], dtype="str")


@_props
@given(st.lists(st.tuples(_date_text, st.booleans()), min_size=1, max_size=30))
def test_property_dates(rows):
    values = _column([v for v, _ in rows], [m and i % 3 == 0 for i, (_, m) in enumerate(rows)])
    check(parse_dates, values, "order_date")


@_props
@given(
    st.lists(st.tuples(_number_text, st.booleans()), min_size=1, max_size=30),
    st.sampled_from([".", ","]),
)
def test_property_numbers(rows, decimal):
    values = _column([v for v, _ in rows], [m and i % 3 == 0 for i, (_, m) in enumerate(rows)])
    check(parse_numbers, values, "amount", decimal=decimal)


@_props
@given(st.lists(st.tuples(_id_text, st.booleans()), min_size=1, max_size=30))
def test_property_ids(rows):
    values = _column([v for v, _ in rows], [m and i % 3 == 0 for i, (_, m) in enumerate(rows)])
    check(normalise_ids, values)
    check(normalise_ids, values.iloc[len(values) // 2 :])  # an Arrow slice (offset > 0)
    pieces = pa.chunked_array([pa.array(values.iloc[:2], pa.large_string()), pa.array(values)])
    check(normalise_ids, pd.Series(pd.array(pieces, dtype=values.dtype)))  # several chunks


@_props
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "12.0", "", None]),
            st.one_of(_date_text, st.sampled_from(["2024-01-02", "2024-01-02 10:00:00"])),
            st.sampled_from(["5", "5.0", "-1", "0", "", "x", None, "1e2"]),
        ),
        min_size=1,
        max_size=25,
    )
)
@pytest.mark.filterwarnings("ignore:transactions. no rows left")
def test_property_transactions(rows):
    raw = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"], dtype="str")
    check(read_transactions, raw)


def test_careful_parsing_restores_the_switch():
    from rfvkit.parsing import fast_paths_enabled

    with careful_parsing():
        assert not fast_paths_enabled()
    assert fast_paths_enabled()
    np.testing.assert_equal(normalise_ids(pd.Series(["1.0"], dtype="str")).tolist(), ["1"])


def test_duplicates_among_many_lines_found_the_same():
    rng = np.random.default_rng(1)
    n = 5_000
    raw = pd.DataFrame(
        {
            "customer_id": rng.choice(["a", "b", "c"], n),
            "order_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 50, n), unit="D"),
            "amount": rng.choice([0.0, -0.0, 1.5, 2.0, -1.0], n),
        }
    )
    fast = check(read_transactions, raw)
    assert fast[1].quality.rows("exact duplicate line") > 0


@_props
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["Yes", " y", "1.0", "0", "F", "maybe", ""]),
            st.text(max_size=5),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_property_consent(values):
    from rfvkit.parsing import parse_consent

    check(parse_consent, pd.Series(values, dtype="str"))


def test_dates_and_numbers_over_many_chunks():
    from rfvkit._fastpaths import _cast

    dates = ["2024-01-02 10:11:12", "2024-02-03", None, "x", "2024-13-01", "03/04/2024"] * 3
    chunked = pa.chunked_array(
        [pa.array(dates[i : i + 3], pa.large_string()) for i in range(0, 18, 3)]
    )
    values = pd.Series(pd.array(chunked, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    check(parse_dates, values, "order_date", dayfirst=True)
    amounts = pa.chunked_array([pa.array(["1.5", "2", None, "-0", "3e2"], pa.large_string())] * 6)
    check(parse_numbers, pd.Series(pd.array(amounts, dtype=values.dtype)), "amount")
    good = pa.chunked_array([pa.array(["2024-01-02"], pa.large_string())] * 6)
    assert _cast(good, pa.timestamp("s")).num_chunks == 6
    with pytest.raises(pa.ArrowInvalid):
        _cast(pa.chunked_array([pa.array(["x"], pa.large_string())] * 6), pa.timestamp("s"))


@_props
@given(
    st.lists(st.integers(0, 40), min_size=2, max_size=300),
    st.sampled_from([0.99, 0.5, 0.9, 0.999]),
    st.integers(0, 10**6),
)
def test_property_high_quantile_is_pandas_quantile(days, q, seconds):
    from rfvkit._fastpaths import high_quantile

    dates = pd.Series(
        pd.Timestamp("2024-01-01") + pd.to_timedelta(np.array(days) * 86_400 + seconds, unit="s")
    )
    got, want = high_quantile(dates, q), dates.quantile(q)
    assert got == want and type(got) is type(want) and got.unit == want.unit


def test_high_quantile_over_many_slices_and_a_missed_sample():
    from rfvkit._fastpaths import high_quantile

    rng = np.random.default_rng(4)
    n = 2_500_000  # several slices of values
    for values in (
        rng.integers(0, 10**17, n),
        np.sort(rng.integers(0, 10**6, n)) * 10**9,
        np.r_[np.zeros(n - 5, dtype=np.int64), 10**17 + np.arange(5)],  # ties below the top
        np.where(np.arange(n) % (n // 4096) == 0, 10**15, np.arange(n)),  # the sample misses
    ):
        dates = pd.Series(values.astype("datetime64[ns]"))
        assert high_quantile(dates, 0.99) == dates.quantile(0.99)
    with careful_parsing():
        assert high_quantile(dates, 0.99) == dates.quantile(0.99)
