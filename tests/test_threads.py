"""The loaders' threads change nothing: frames, ledgers and errors as the sequential run."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fastpath import BAD_TX, CHECKED_TX, _props, _run, assert_same

from rfvkit import _threads
from rfvkit._ahead import Ahead
from rfvkit._cleaning import _maybe_repeated, duplicated_lines
from rfvkit._fastpaths import _text_bytes, factorize_ids, no_digit_groups
from rfvkit._threads import map_all, pool, sequential
from rfvkit.checks import buyers_from_codes, cross_table_checks, net_negative
from rfvkit.errors import BadValuesError
from rfvkit.io import load_crm, read_transactions
from rfvkit.parsing import careful_parsing

ROOT = Path(__file__).resolve().parents[1]
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def same_in_threads(fn, *args, **kwargs):
    """``fn`` in threads equals ``fn`` run sequentially, with the fast paths on and off;
    returns the threaded fast run's ``("ok", result)`` or ``("error", type, message)``."""
    runs = []
    for careful in (False, True):
        with careful_parsing(careful), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the same warnings either way
            runs.append(_run(fn, *args, **kwargs))
            with sequential():
                alone = _run(fn, *args, **kwargs)
        assert_same(runs[-1], alone)
    return runs[0]


def chunked(values, size):
    """A str Series held by Arrow in chunks of ``size`` values (the CSV reader's layout)."""
    parts = [pa.array(values[i : i + size], pa.large_string()) for i in range(0, len(values), size)]
    return pd.Series(pd.array(pa.chunked_array(parts, pa.large_string()), dtype=TEXT))


@pytest.mark.parametrize("params", ["params/sample.yaml", "params/ci.yaml"])
def test_sample_crm_loads_the_same_in_threads(params):
    assert same_in_threads(load_crm, ROOT / params)[0] == "ok"


@pytest.mark.parametrize("fixture", [BAD_TX, CHECKED_TX])
@pytest.mark.parametrize("as_file", [False, True])
def test_bad_and_checked_transactions_load_the_same_in_threads(tmp_path, fixture, as_file):
    source = pd.DataFrame(fixture, dtype="str")
    if as_file:
        source.to_csv(tmp_path / "tx.csv", index=False)
        source = tmp_path / "tx.csv"
    for duplicates in ("keep", "drop"):
        assert same_in_threads(read_transactions, source, duplicates=duplicates)[0] == "ok"


def test_load_crm_hands_its_codes_over_only_when_no_line_was_dropped(tmp_path):
    clean = pd.DataFrame({"customer_id": ["b", "a", "b", "c"], "amount": ["5", "-9", "2", "1"]})
    clean["order_date"] = "2024-01-02"
    dropped = clean.assign(customer_id=["b", "a", None, "c"])  # a line without a customer
    for name, frame in (("clean", clean), ("dropped", dropped)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        pd.DataFrame({"customer_id": ["a", "B"]}).to_csv(tmp_path / "cust.csv", index=False)
        params = {"data": {"transactions": str(tmp_path / f"{name}.csv")}}
        params["data"]["customers"] = str(tmp_path / "cust.csv")
        crm = same_in_threads(load_crm, params)[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            again = cross_table_checks(crm.transactions, crm.customers)  # factorized here
        rules = crm.quality.frame.set_index(["table", "rule"])
        for rule in again.frame.itertuples():
            assert rules.loc[(rule.table, rule.rule), "rows"] == rule.rows
            assert rules.loc[(rule.table, rule.rule), "examples"] == rule.examples


def test_a_bad_amount_on_a_dropped_line_raises_nothing_in_threads():
    raw = pd.DataFrame(
        {"customer_id": ["a", None], "order_date": ["2024-01-02"] * 2, "amount": ["5", "1;2"]},
        dtype="str",
    )
    tx, quality = same_in_threads(read_transactions, raw)[1]
    assert tx["amount"].tolist() == [5.0] and quality.rows("missing customer_id") == 1
    kept = raw.assign(customer_id="a")
    result = same_in_threads(read_transactions, kept)  # now the line stays: both raise
    assert result[0] == "error" and result[1] is BadValuesError


ids = st.sampled_from(["a", "b", "C7", "7", "07", "B"])
amounts = st.sampled_from([0.0, -0.0, 1.5, -1.5, 2.0, 3.25])


@_props
@given(st.lists(st.tuples(ids, st.integers(0, 3), amounts), min_size=1, max_size=40))
def test_property_duplicates_codes_and_net_negative(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    frame = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype(TEXT),
            "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["day"], unit="D"),
            "amount": frame["amount"],
        }
    )
    found = duplicated_lines(frame)
    pd.testing.assert_series_equal(found, frame.duplicated())
    codes, uniques = pd.factorize(frame["customer_id"])
    pd.testing.assert_series_equal(net_negative(frame, codes), net_negative(frame))
    got = buyers_from_codes(frame["customer_id"], codes, uniques)
    mine = cross_table_checks(frame, None, buyers=got).frame
    pd.testing.assert_frame_equal(mine, cross_table_checks(frame, None).frame)


def test_repeated_pairs_found_across_slices_and_table_collisions():
    n = 200_003  # several slices of keys, the last one short
    rng = np.random.default_rng(3)
    a = rng.integers(0, 10**12, n)
    b = rng.integers(0, 10**6, n) / 100
    a[-1], b[-1] = a[0], b[0]  # a pair in the first and the last slice
    a[70_000], b[70_000] = a[5], -0.0 if b[5] == 0 else b[5]
    a[1], b[1], a[2], b[2] = 9, 0.0, 9, -0.0  # -0.0 repeats 0.0
    want = pd.DataFrame({"a": a, "b": b + 0.0}).duplicated(keep=False).to_numpy()
    np.testing.assert_array_equal(_maybe_repeated(a, b), want)
    assert want[[0, -1, 1, 2, 5, 70_000]].all()


def test_byte_checks_over_many_chunks_in_threads():
    values = ["12.50", "7", None, " x", "", "1,250", "é", "3.1"] * 40
    for size in (1, 7, 64, 320):
        column = chunked(values, size)
        arrow = column.array.__arrow_array__()
        with sequential():
            alone = _text_bytes(arrow), no_digit_groups(arrow)
        assert (_text_bytes(arrow), no_digit_groups(arrow)) == alone == ((True, True, True), False)
        clean = chunked([v for v in values if v in ("12.50", "7", "3.1", None)], size)
        assert no_digit_groups(clean.array.__arrow_array__())


def test_ahead_cuts_its_results_to_the_kept_rows():
    frame = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "amount": ["1,250", "2", "x"]}, dtype="str"
    )
    with Ahead(frame, ".") as ahead:
        kept = frame.iloc[[0, 1]]
        amount, rewritten, like = ahead.amounts(kept)  # "x" fails on the whole column
        assert amount.tolist() == [1250.0, 2.0] and rewritten.tolist() == [True, False]
        assert like is not None and like.tolist() == [True, False]
        assert ahead.codes(frame) is None  # not asked for
        ahead.start_codes()
        assert ahead.codes(frame).tolist() == [0, 1, 2] and ahead.codes(kept) is None


def test_pool_results_keep_their_order_and_errors():
    assert map_all(lambda x: x * 2, range(50)) == list(range(0, 100, 2))
    with pytest.raises(ZeroDivisionError):
        map_all(lambda x: 1 / (x - 3), range(6))
    with sequential():
        future = pool().submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        future.result()


@_props
@given(
    st.lists(st.text(alphabet="ab0\x00é ", min_size=1, max_size=9), min_size=1, max_size=30),
    st.integers(1, 8),
    st.booleans(),
    st.sampled_from([pa.string(), pa.large_string()]),
)
def test_property_factorize_ids_is_pandas_factorize(values, size, sliced, kind):
    parts = [pa.array(values[i : i + size], kind) for i in range(0, len(values), size)]
    ids = pd.Series(pd.array(pa.chunked_array(parts, kind), dtype=TEXT))
    if sliced:  # an Arrow slice (offset > 0)
        ids = ids.iloc[1:].reset_index(drop=True)
    for column in (ids, ids.str.slice(0, 3), ids.str.pad(8, fillchar="x").str.slice(0, 8)):
        codes, uniques = factorize_ids(column)  # equal widths packed, else pandas' own
        want_codes, want_uniques = pd.factorize(column)
        np.testing.assert_array_equal(codes, want_codes)
        pd.testing.assert_index_equal(uniques, want_uniques)


@pytest.mark.parametrize("missing_amount", [False, True])
def test_duplicates_found_ahead_on_typed_dates_with_dropped_lines(missing_amount):
    rng = np.random.default_rng(5)
    n = 3_000
    raw = pd.DataFrame(
        {
            "customer_id": rng.choice(["a", "b", None], n).astype(object),
            "order_id": rng.choice(["o1", "o2"], n),
            "order_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 40, n), unit="D"),
            "amount": rng.choice(["1.5", "-0", "0", "2"], n),
        }
    )
    if missing_amount:
        raw.loc[7, "amount"] = None
    tx = same_in_threads(read_transactions, raw)[1]
    with careful_parsing():
        careful = read_transactions(raw)
    pd.testing.assert_frame_equal(tx.frame, careful.frame)
    pd.testing.assert_frame_equal(tx.quality.frame, careful.quality.frame)
    assert (
        tx.quality.rows("exact duplicate line") > 0 and tx.quality.rows("missing customer_id") > 0
    )


@pytest.mark.parametrize("size", [1, 3, 64, 1000])
def test_duplicates_over_many_chunks_taken_chunk_by_chunk(size):
    from rfvkit._fastpaths import take_rows

    rng = np.random.default_rng(11)
    n = 600
    frame = pd.DataFrame(
        {
            "customer_id": chunked(list(rng.choice(["a", "b", None], n)), size),
            "order_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 30, n), unit="D"),
            "amount": rng.choice([0.0, -0.0, 1.5, 2.0], n),
            "order_id": chunked(list(rng.choice(["o1", "o2", "o3"], n)), size),
        }
    )
    pd.testing.assert_series_equal(duplicated_lines(frame), frame.duplicated())
    for rows in (np.arange(0), np.array([0]), np.array([2, 3, n - 1]), np.arange(0, n, 7)):
        taken = take_rows(frame, rows)
        pd.testing.assert_frame_equal(taken, frame.iloc[rows].reset_index(drop=True))


@_props
@given(
    st.lists(st.text(alphabet="ab0é ", min_size=0, max_size=4), min_size=1, max_size=30),
    st.integers(1, 8),
)
def test_property_id_counts_are_factorize_and_bincount(values, size):
    from rfvkit._fastpaths import id_counts

    ids = chunked(values, size)
    codes, uniques = pd.factorize(ids)
    found, lines = id_counts(ids)
    pd.testing.assert_index_equal(found, uniques)
    np.testing.assert_array_equal(lines, np.bincount(codes))
    assert id_counts(chunked([*values, None], size)) is None


@pytest.mark.parametrize(
    "amounts", [["5", "9", "2", "1"], ["5", "-9", "2", "1"], ["5", "x", "2", "1"]]
)
def test_load_crm_counts_lines_without_codes_when_every_amount_is_positive(tmp_path, amounts):
    ids = ["b", "a", "b", "c"]
    frame = pd.DataFrame({"customer_id": ids, "amount": amounts, "order_date": "2024-01-02"})
    frame.to_csv(tmp_path / "tx.csv", index=False)
    pd.DataFrame({"customer_id": ["a", "B"]}).to_csv(tmp_path / "cust.csv", index=False)
    params = {"data": {"transactions": str(tmp_path / "tx.csv")}}
    params["data"]["customers"] = str(tmp_path / "cust.csv")
    fast = same_in_threads(load_crm, params)
    with careful_parsing(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        careful = _run(load_crm, params)
    assert_same(fast, careful)
    if fast[0] == "ok":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            again = cross_table_checks(fast[1].transactions, fast[1].customers)
        rules = fast[1].quality.frame.set_index(["table", "rule"])
        for rule in again.frame.itertuples():
            assert rules.loc[(rule.table, rule.rule), "rows"] == rule.rows
            assert rules.loc[(rule.table, rule.rule), "examples"] == rule.examples
    from rfvkit._ahead import handing_over_buyers

    read = pd.DataFrame({"customer_id": ids, "amount": amounts}, dtype="str")
    into = []
    with handing_over_buyers(into), Ahead(read, ".") as ahead:
        found, lines, _ = ahead.buyers(read)
        assert (ahead.codes(read) is None) == (amounts[1] == "9")  # no codes when all > 0
    assert found.tolist() == ["b", "a", "c"] and lines.tolist() == [2, 1, 1]


@pytest.mark.parametrize("narrow", [True, False])
def test_repeated_pairs_with_32_and_64_bit_keys(monkeypatch, narrow):
    import rfvkit._cleaning as cleaning

    if not narrow:
        monkeypatch.setattr(cleaning, "_NARROW_ROWS", 0)
    rng = np.random.default_rng(8)
    n = 300_001
    a = rng.integers(0, 10**12, n) * 10**6
    b = rng.integers(0, 10**5, n) / 100
    a[::997], b[::997] = a[5], b[5]  # one pair on many rows, across slices
    a[1], b[1], a[2], b[2] = 9, 0.0, 9, -0.0
    want = pd.DataFrame({"a": a, "b": b + 0.0}).duplicated(keep=False).to_numpy()
    np.testing.assert_array_equal(_maybe_repeated(a, b), want)
    np.testing.assert_array_equal(_maybe_repeated(a[:0], b[:0]), want[:0])


@pytest.mark.parametrize("where", ["head", "tail", "none"])
def test_quotes_looked_for_beside_the_read_give_the_same_frame(tmp_path, where):
    from rfvkit._csvread import _pandas_or_arrow, _read_csv_arrow

    lines = [f"c{i % 50},o{i},2024-01-{1 + i % 28:02d},{i % 7}.5" for i in range(6000)]
    if where != "none":  # a newline inside a quoted value, in the first 64 KB or far after
        lines[3 if where == "head" else -3] = 'c1,"o\nx",2024-01-02,1.5'
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,order_id,order_date,amount\n" + "\n".join(lines) + "\n")
    assert path.stat().st_size > 2 * 65536
    fast = same_in_threads(read_transactions, path)
    with careful_parsing(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert_same(fast, _run(read_transactions, path))
    for alone in (False, True):
        with sequential(alone):
            frame = _read_csv_arrow(path, {"sep": ","})
        pd.testing.assert_frame_equal(frame, pd.read_csv(path, dtype=str), check_dtype=False)
        assert frame.equals(_pandas_or_arrow(path, {"sep": ","}))


@_props
@given(
    values=st.lists(st.integers(0, 2**32 - 1), max_size=300),
    dtype=st.sampled_from([np.uint32, np.uint64, np.int64]),
    repeat=st.integers(1, 9),
    workers=st.sampled_from([2, 3, 4]),
)
def test_property_sort_in_parts_is_one_sort(values, dtype, repeat, workers):
    """Partitioned among threads and sorted part by part, the array ends as one sort leaves it
    (repeated values straddling the cuts included)."""
    array = np.array(values * repeat, dtype=dtype)
    want = np.sort(array)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_threads, "SORT_IN_PARTS", 2)
        patch.setattr(_threads, "WORKERS", workers)
        _threads.sort(array)
    np.testing.assert_array_equal(array, want)


def test_sort_in_parts_on_a_large_array_and_sequentially():
    rng = np.random.default_rng(7)
    array = rng.integers(0, 1000, _threads.SORT_IN_PARTS + 5, dtype=np.int64)  # many repeats
    want = np.sort(array)
    _threads.sort(array)
    np.testing.assert_array_equal(array, want)
    array = rng.integers(0, 2**32, _threads.SORT_IN_PARTS, dtype=np.uint32)
    with sequential():
        _threads.sort(array)
    assert (array[1:] >= array[:-1]).all()
