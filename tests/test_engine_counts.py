"""The engine ledger's counting passes (rfvkit.engine_counts) against the pandas loader."""

from __future__ import annotations

import warnings

import duckdb
import narwhals as nw
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit import engine_counts, engines
from rfvkit.io import read_transactions
from rfvkit.rfv import rfv_table


def _ledger(quality) -> pd.DataFrame:
    rules = quality.frame
    rules = rules[(rules["table"] == "transactions") & ~rules["rule"].str.startswith("read as")]
    return rules[["rule", "rows", "action"]].reset_index(drop=True)


def _lines(**columns) -> pd.DataFrame:
    n = len(columns["customer_id"])
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(columns["customer_id"], dtype="string"),
            "order_id": pd.Series(
                columns.get("order_id", [f"O{i}" for i in range(n)]), dtype="string"
            ),
            "order_date": pd.to_datetime(
                columns.get("order_date", ["2024-03-01"] * n), format="ISO8601"
            ),
            "amount": columns.get("amount", [10.0] * n),
        }
    )
    return frame.astype({"order_date": "datetime64[us]"})


def test_duplicate_lines_known_answer_with_missing_values():
    """Two copies of a line without order_id, three of another: 1 + 2 duplicates."""
    frame = _lines(
        customer_id=["a", "a", "b", "b", "b", "c", "c"],
        order_id=[None, None, "O1", "O1", "O1", "O2", "O2"],
        amount=[5.0, 5.0, 1.0, 1.0, 1.0, 2.0, 3.0],  # c's two lines differ by amount
    )
    want = int(frame.duplicated().sum())
    assert want == 3
    assert engine_counts.duplicate_lines(nw.from_native(duckdb.from_df(frame))) == want
    assert engine_counts.duplicate_lines(nw.from_native(pl.from_pandas(frame).lazy())) == want


_line = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(["O1", "O2", None]),
    st.sampled_from(["2024-01-01", "2024-01-01 10:00", "2024-02-01"]),
    st.sampled_from([-1.5, 0.0, 2.25, 1e-9]),
)


@given(st.lists(_line, min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_property_duplicate_lines_on_duckdb_as_pandas(rows):
    """Whatever repeats (NULL order ids included), DuckDB's hash-and-check count is exact."""
    customer, order, date, amount = map(list, zip(*rows, strict=True))
    frame = _lines(customer_id=customer, order_id=order, order_date=date, amount=amount)
    got = engine_counts.duplicate_lines(nw.from_native(duckdb.from_df(frame)))
    assert got == int(frame.duplicated().sum())


def test_hash_collision_is_not_a_duplicate(monkeypatch):
    """Different lines that share a hash are compared by value, not counted."""
    frame = _lines(customer_id=["a", "b", "b"], amount=[1.0, 2.0, 2.0], order_id=["O1", "O2", "O2"])
    monkeypatch.setattr(engine_counts, "_line_hash", lambda quoted: "42::UBIGINT")
    assert engine_counts._duckdb_duplicates(duckdb.from_df(frame)) == 1


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_typed_files_counted_in_one_pass(engine, tmp_path, monkeypatch):
    """Parquet with typed dates and amounts: the ledger is one aggregation pass (the
    duplicate-line count, one more pass, is not a ``one_row`` aggregation)."""
    frame = _lines(customer_id=["a", "b", None, "c"], amount=[5.0, -2.0, 1.0, 0.0])
    frame.to_parquet(tmp_path / "tx.parquet", index=False)
    passes = []
    counted = engine_counts.one_row

    def spy(lazy):
        passes.append(1)
        return counted(lazy)

    monkeypatch.setattr(engine_counts, "one_row", spy)
    _, quality = engines.load_transactions(str(tmp_path / "*.parquet"), engine=engine)
    assert len(passes) == 1
    assert quality.counts()["transactions"] == {"input": 4, "kept": 3, "dropped": 1}


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_untidy_ids_in_typed_files_trimmed_and_counted_as_pandas(engine, tmp_path):
    """Blank and space-padded ids found in the counting pass: trimmed, counted again."""
    frame = _lines(
        customer_id=[" a", "a ", "", "b", "\tb", "c"],
        order_id=["O1", " O1", "O2", "O3 ", "O3", ""],
        amount=[5.0, 5.0, 1.0, 2.0, 2.0, -1.0],
    )
    frame.to_parquet(tmp_path / "tx.parquet", index=False)
    want_tx, want_q = read_transactions(frame)
    got_tx, got_q = engines.load_transactions(str(tmp_path / "*.parquet"), engine=engine)
    assert got_q.counts() == want_q.counts()
    pd.testing.assert_frame_equal(_ledger(got_q), _ledger(want_q))
    assert _ledger(got_q).set_index("rule").loc["exact duplicate line", "rows"] == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, want = rfv_table(got_tx), rfv_table(want_tx)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize(
    ("column", "untidy"),
    [
        ("customer_id", " a"),  # leading only: the column's minimum finds it
        ("customer_id", "b "),  # trailing only: the minimum of the last characters
        ("customer_id", "b\r"),
        ("customer_id", ""),
        ("order_id", "\tO1"),
        ("order_id", "O2 "),
        ("customer_id", None),  # every id tidy: no trimmed recount
    ],
)
def test_each_kind_of_untidy_id_is_found_alone(engine, column, untidy, tmp_path, monkeypatch):
    """One untidy id among tidy ones, at either end of either column, triggers the trim."""
    ids = {"customer_id": ["a", "b", "b", "c"], "order_id": ["O1", "O2", "O3", "O4"]}
    if untidy is not None:
        ids[column][1] = untidy
    frame = _lines(**ids, amount=[5.0, 2.0, 3.0, 4.0])
    frame.to_parquet(tmp_path / "tx.parquet", index=False)
    passes = []
    count = engine_counts.count_lines
    monkeypatch.setattr(engines, "count_lines", lambda *a, **k: passes.append(1) or count(*a, **k))
    want_tx, want_q = read_transactions(frame)
    got_tx, got_q = engines.load_transactions(str(tmp_path / "*.parquet"), engine=engine)
    assert len(passes) == (1 if untidy is None else 2)
    assert got_q.counts() == want_q.counts()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, want = rfv_table(got_tx), rfv_table(want_tx)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_rfv_table_skips_its_check_on_loaded_lines(engine, tmp_path, monkeypatch):
    """The loader's counts stand in for rfv_table's check pass, with the same table."""
    from rfvkit import rfv

    frame = _lines(
        customer_id=["a", "a", "b", None],
        order_date=["2024-01-05", "2024-02-01 10:00", "2024-03-03", "2024-03-09"],
        amount=[5.0, 7.5, -1.0, 3.0],
    )
    frame.to_parquet(tmp_path / "tx.parquet", index=False)
    tx, _ = engines.load_transactions(str(tmp_path / "*.parquet"), engine=engine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = rfv_table(read_transactions(frame).frame)
    checks = []
    inspect = rfv._inspect
    monkeypatch.setattr(rfv, "_inspect", lambda *a: checks.append(1) or inspect(*a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = rfv_table(tx)
        assert not checks
        # the day after the last kept line (b's return), not after the dropped 03-09 line
        assert got.attrs["as_of"] == pd.Timestamp("2024-03-04")
        pd.testing.assert_frame_equal(got, want)
        rfv_table(tx, as_of="2024-01-31")  # a line after as_of: checked and counted again
    assert checks == [1]


def test_facts_forgotten_with_the_frame(tmp_path):
    from rfvkit import rfv

    _lines(customer_id=["a"]).to_parquet(tmp_path / "tx.parquet", index=False)
    tx, _ = engines.load_transactions(str(tmp_path / "*.parquet"), engine="duckdb")
    key = id(tx)
    assert key in rfv._CHECKED
    del tx
    assert key not in rfv._CHECKED


def test_hash_collision_is_not_a_duplicate_on_polars(monkeypatch):
    frame = _lines(customer_id=["a", "b", "b"], amount=[1.0, 2.0, 2.0], order_id=["O1", "O2", "O2"])
    monkeypatch.setattr(
        engine_counts, "_polars_hash", lambda columns: pl.struct(columns).hash() * 0
    )
    assert engine_counts._polars_duplicates(pl.from_pandas(frame).lazy()) == 1


@given(st.lists(_line, min_size=1, max_size=40))
@settings(max_examples=40, deadline=None)
def test_property_duplicate_lines_on_polars_as_pandas(rows):
    customer, order, date, amount = map(list, zip(*rows, strict=True))
    frame = _lines(customer_id=customer, order_id=order, order_date=date, amount=amount)
    got = engine_counts.duplicate_lines(nw.from_native(pl.from_pandas(frame).lazy()))
    assert got == int(frame.duplicated().sum())


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("collide", [False, True])
def test_duplicates_counted_in_the_ledgers_pass(engine, collide, tmp_path, monkeypatch):
    """Flags and hashes in one pass: drops, the as_of cut and repeats as pandas counts them.

    Repeated lines that a drop rule or the as_of cut takes are not duplicates of the kept
    lines; with every hash forced equal, only lines equal by value still count.
    """
    frame = _lines(
        customer_id=["a", "a", "a", None, None, "b", "b", "c", "c", "d"],
        order_id=["O1", "O1", "O1", "O9", "O9", "O2", "O2", "O3", "O4", "O5"],
        order_date=["2024-03-01"] * 5 + ["2024-05-01", "2024-05-01"] + ["2024-03-02"] * 3,
        amount=[5.0, 5.0, 5.0, 1.0, 1.0, 2.0, 2.0, -3.0, 0.0, float("nan")],
    )
    frame.to_parquet(tmp_path / "tx.parquet", index=False)
    if collide:
        monkeypatch.setattr(engine_counts, "_line_hash", lambda quoted: "42::UBIGINT")
        monkeypatch.setattr(engine_counts, "_polars_hash", lambda c: pl.struct(c).hash() * 0)
    monkeypatch.setattr(engines, "duplicate_lines", lambda *a: pytest.fail("a separate pass"))
    want_tx, want_q = read_transactions(frame, as_of="2024-04-01")
    got_tx, got_q = engines.load_transactions(
        str(tmp_path / "*.parquet"), engine=engine, as_of="2024-04-01"
    )
    counts = got_q.counts()["transactions"]
    assert counts == want_q.counts()["transactions"]
    assert (counts["input"], counts["kept"]) == (10, 5)  # 2 no customer, 2 late, 1 NaN
    assert _ledger(got_q).set_index("rule").loc["exact duplicate line", "rows"] == 2
    pd.testing.assert_frame_equal(_ledger(got_q), _ledger(want_q))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, want = rfv_table(got_tx), rfv_table(want_tx)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("narrow_keys", [1 << 28, 3])
def test_duplicates_with_32_or_64_bit_keys(engine, narrow_keys, tmp_path, monkeypatch):
    """Past NARROW_KEYS lines the ledger's pass gives way to the whole 64-bit hashes (one
    more pass over the lines); both keys count the same duplicates, in the ledger's pass
    and in duplicate_lines()."""
    frame = _lines(
        customer_id=["a", "a", "a", "b", "b", "c", None, None],
        order_id=["O1", "O1", "O1", "O2", "O2", "O3", "O9", "O9"],
        amount=[5.0, 5.0, 5.0, 2.0, 2.5, 1.0, 1.0, 1.0],
    )
    frame.to_parquet(tmp_path / "tx.parquet", index=False)
    monkeypatch.setattr(engine_counts, "NARROW_KEYS", narrow_keys)
    widths = []
    keys = engine_counts._keys
    monkeypatch.setattr(
        engine_counts,
        "_keys",
        lambda *a, **k: widths.append(k.get("narrow", a[-1])) or keys(*a, **k),
    )
    _, quality = engines.load_transactions(str(tmp_path / "*.parquet"), engine=engine)
    assert _ledger(quality).set_index("rule").loc["exact duplicate line", "rows"] == 2
    assert widths == ([] if narrow_keys > 8 else [False])  # the refetch, whole hashes
    kept = frame.dropna(subset=["customer_id"])
    native = duckdb.from_df(kept) if engine == "duckdb" else pl.from_pandas(kept).lazy()
    assert engine_counts.duplicate_lines(nw.from_native(native), len(kept)) == 2
    assert widths[-1] is (len(kept) <= narrow_keys)


def test_duckdb_untidy_sql_is_the_narwhals_check():
    """The ledger pass writes engines._untidy in DuckDB SQL: same answer on every kind of id
    (multi-byte last characters, control characters, empty, missing)."""
    ids = ["a", " a", "a ", "a\t", "\ta", "", "é", "aé", "é ", "a\x00", "\x01a", "a b", "~", None]
    frame = pd.DataFrame({"customer_id": pd.array(ids, dtype="string")})
    rel = duckdb.from_df(frame)
    sql = engine_counts._duckdb_untidy("customer_id")
    got = [row[0] or False for row in rel.project(sql).fetchall()]
    want = nw.from_native(rel).select(engines._untidy("customer_id")).to_native().fetchall()
    assert got == [row[0] for row in want]
    assert got == [bool(i is not None and (i[:1] < "!" or i[-1:] < "!")) for i in ids]
