"""Engines: the same ledger and RFV table on polars, DuckDB, Dask (LocalCluster) and Spark.

The Dask tests start a real ``distributed.LocalCluster`` (2 workers, loopback) and the
Spark tests a local ``SparkSession`` (``local[2]``); both are marked slow and stopped in
teardown. Spark is skipped, with the reason printed, only when Java is missing.
"""

from __future__ import annotations

import socket
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from engine_fixtures import LOCAL, cluster_for
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit import engines
from rfvkit.config import load_config
from rfvkit.errors import BadParameterError, RfvkitError
from rfvkit.io import load_crm, read_transactions
from rfvkit.rfv import rfv_table

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / "params" / "ci.yaml"
AS_OF = "2025-06-30"


# ----------------------------------------------------------------------------- fixtures


# dask_cluster, spark_cluster and cluster_for come from tests/engine_fixtures.py.


ENGINE_PARAMS = [
    "polars",
    "duckdb",
    pytest.param("dask", marks=pytest.mark.slow),
    pytest.param("spark", marks=pytest.mark.slow),
]


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """~1M generated lines with dirty rows, as 4 parquet parts, and the same lines in pandas."""
    rng = np.random.default_rng(7)
    n, n_customers = 1_000_000, 60_000
    n_orders = 400_000
    order = np.sort(rng.integers(0, n_orders, n))
    order_customer = rng.integers(0, n_customers, n_orders)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    order_time = start + rng.integers(0, 900 * 86400, n_orders).astype("timedelta64[s]")
    amount = np.round(rng.lognormal(3, 1, n), 2)
    kind = rng.random(n)
    amount[kind < 0.03] *= -1
    amount[(kind >= 0.03) & (kind < 0.035)] = 0.0
    customer = np.array([f"C{i:06d}" for i in range(n_customers)], dtype=object)[
        order_customer[order]
    ]
    frame = pd.DataFrame(
        {
            "customer_id": customer,
            "order_id": np.array([f"O{i:07d}" for i in range(n_orders)], dtype=object)[order],
            "order_date": order_time[order].astype("datetime64[us]"),
            "amount": amount,
        }
    )
    frame.loc[rng.choice(n, 500, replace=False), "customer_id"] = None
    frame.loc[rng.choice(n, 300, replace=False), "order_date"] = pd.NaT
    frame.loc[rng.choice(n, 200, replace=False), "amount"] = np.nan
    frame = pd.concat([frame, frame.iloc[:1000]], ignore_index=True)  # exact duplicates
    frame = frame.astype({"customer_id": "string", "order_id": "string"})
    folder = tmp_path_factory.mktemp("big")
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 4)):
        frame.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder, frame


#: Rules the engine loader (engines.load_transactions) leaves to load_crm's cross-table pass
#: (net-negative customers, customers found) or does not write (how a CSV file was read).
PANDAS_ONLY = (
    "read as ",
    "customer net negative",
    "transaction customers found in customers",
    "transaction customer not in customers",
    "customer_id matches a customer only after",
    "cross-table checks not run on engine",
)


def _ledger(quality) -> pd.DataFrame:
    rules = quality.frame
    rules = rules[(rules["table"] == "transactions") & ~rules["rule"].str.startswith(PANDAS_ONLY)]
    return rules[["rule", "rows", "action"]].reset_index(drop=True)


def _same_rfv(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert got.attrs["as_of"] == want.attrs["as_of"]
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)


# ----------------------------------------------------------------------------- equality


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_ci_data_same_ledger_and_rfv_as_pandas(request, engine):
    cluster = cluster_for(request, engine)
    want = load_crm(CI)
    got = load_crm(CI, engine=engine, cluster=cluster)
    assert got.quality.counts() == want.quality.counts()
    pd.testing.assert_frame_equal(_ledger(got.quality), _ledger(want.quality))
    assert not isinstance(got.transactions, pd.DataFrame)  # never order lines in pandas
    _same_rfv(
        rfv_table(got.transactions, as_of=got.config.as_of),
        rfv_table(want.transactions, as_of=want.config.as_of),
    )


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_load_crm_cross_table_checks_on_the_engine_as_pandas(request, engine):
    """load_crm on an engine: the whole ledger (cross-table checks and net-negative customers
    included) has the rules and counts of the pandas load; only one row per customer came
    back for them."""
    cluster = cluster_for(request, engine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = load_crm(CI).quality.frame
        got = load_crm(CI, engine=engine, cluster=cluster).quality.frame
    want = want[~((want["table"] == "transactions") & want["rule"].str.startswith("read as "))]
    key = ["table", "rule"]
    pairs = want.merge(got, on=key, how="outer", suffixes=("_pandas", "_engine"), indicator=True)
    assert (pairs["_merge"] == "both").all(), pairs.loc[pairs["_merge"] != "both", key]
    assert pairs["rows_pandas"].tolist() == pairs["rows_engine"].tolist()
    cross = pairs[pairs["table"].isin(["customers", "optouts"])]
    assert len(cross) and (cross["examples_pandas"] == cross["examples_engine"]).all()
    assert "customer with no transactions" in set(got["rule"])


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_cross_table_checks_on_engine_lines_by_hand(engine):
    from rfvkit.checks import NET_NEGATIVE, cross_table_checks

    tx = pd.DataFrame(
        {
            "customer_id": ["007", "007", "A1", "b", "b", "zz"],
            "order_date": pd.to_datetime(["2024-01-02"] * 6),
            "amount": [10.5, -10.5, 3.0, 4.0, -5.0, 1.0],
        }
    )
    customers = pd.DataFrame({"customer_id": ["7", "a1", "b", "c"]})
    with pytest.warns(UserWarning, match="only 25%"):
        want = cross_table_checks(tx, customers).frame
    with pytest.warns(UserWarning, match="only 25%"):
        got = cross_table_checks(LOCAL[engine](tx), customers).frame
    rows = got.set_index("rule")["rows"]
    assert rows["transaction customer not in customers"] == 4  # 007 x2, A1, zz
    assert rows["customer_id matches a customer only after stripping leading zeros or case"] == 3
    assert rows["customer with no transactions"] == 3  # 7, a1, c
    assert rows[NET_NEGATIVE] == 4  # 007 (net 0) and b (net -1); zz and A1 positive
    assert NET_NEGATIVE not in set(want["rule"])  # the pandas loader writes it while reading
    shared = want.merge(got, on=["table", "rule"], suffixes=("", "_engine"))
    assert len(shared) == len(want) and (shared["rows"] == shared["rows_engine"]).all()


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_generated_million_lines_same_as_pandas(request, engine, big):
    folder, frame = big
    cluster = cluster_for(request, engine)
    want_tx, want_q = read_transactions(frame, as_of=AS_OF)
    got_tx, got_q = engines.load_transactions(
        str(folder / "*.parquet"), engine=engine, cluster=cluster, as_of=AS_OF
    )
    assert got_q.counts() == want_q.counts()
    pd.testing.assert_frame_equal(_ledger(got_q), _ledger(want_q))
    _same_rfv(rfv_table(got_tx, as_of=AS_OF), rfv_table(want_tx, as_of=AS_OF))


# ----------------------------------------------------------------------------- dask-expr pitfalls


@pytest.mark.slow
def test_dask_distinct_count_without_nunique(dask_cluster):
    """Pitfall 1: dask's groupby.agg has no nunique; distinct_per_customer is two group-bys."""
    import dask.dataframe as dd

    engines.connect("dask", dask_cluster)
    rng = np.random.default_rng(3)
    lines = pd.DataFrame(
        {
            "customer_id": rng.choice([f"c{i}" for i in range(300)], 20_000),
            "day": rng.integers(0, 50, 20_000),
        }
    )
    lazy = dd.from_pandas(lines, npartitions=7)  # a customer's days span partitions
    with pytest.raises((ValueError, TypeError, NotImplementedError, AttributeError)):
        lazy.groupby("customer_id").agg({"day": "nunique"}).compute()
    got = engines.collect_all(engines.distinct_per_customer(lazy, "day"))[0]
    want = lines.groupby("customer_id")["day"].nunique()
    got = got.set_index("customer_id")["n_day"].sort_index()
    assert got.to_dict() == want.to_dict()


@pytest.mark.slow
def test_dask_two_shuffled_groupbys_joined_small(dask_cluster):
    """Pitfall 2: join two shuffled group-by results in pandas after one dask.compute."""
    import dask.dataframe as dd

    engines.connect("dask", dask_cluster)
    rng = np.random.default_rng(4)
    lines = pd.DataFrame(
        {
            "customer_id": rng.choice([f"c{i}" for i in range(500)], 30_000),
            "order_id": rng.integers(0, 5_000, 30_000).astype(str),
            "amount": rng.random(30_000),
        }
    )
    lazy = dd.from_pandas(lines, npartitions=6)
    spent = lazy.groupby("customer_id").agg({"amount": "sum"}, split_out=2).reset_index()
    orders = engines.distinct_per_customer(lazy, "order_id")
    spent_pd, orders_pd = engines.collect_all(spent, orders)
    joined = spent_pd.merge(orders_pd, on="customer_id").set_index("customer_id").sort_index()
    want = lines.groupby("customer_id").agg(
        amount=("amount", "sum"), n_order_id=("order_id", "nunique")
    )
    pd.testing.assert_frame_equal(
        joined, want, check_exact=False, check_dtype=False, check_index_type=False
    )


@pytest.mark.slow
def test_rfv_table_on_dask_orders_spanning_partitions(dask_cluster):
    """rfv_table counts distinct orders by a two-level group-by, never nunique."""
    import dask.dataframe as dd

    engines.connect("dask", dask_cluster)
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "a"],
            "order_id": ["o1", "o1", "o2", "o3", "o3", "o1"],
            "order_date": pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-02"] * 3),
            "amount": [1.0, 2.0, 3.0, 4.0, -1.0, 5.0],
        }
    )
    got = rfv_table(dd.from_pandas(tx, npartitions=3), as_of="2024-01-10")
    _same_rfv(got, rfv_table(tx, as_of="2024-01-10"))
    assert got["frequency"].to_dict() == {"a": 2, "b": 1}


# ----------------------------------------------------------------------------- bad input


def test_engine_not_installed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(BadParameterError, match=r'pip install "rfvkit\[dask\]"'):
        engines.check_engine("dask")


def test_unknown_engine_in_params():
    with pytest.raises(BadParameterError, match="engine"):
        load_config(CI, engine="dusk")
    with pytest.raises(BadParameterError, match="cluster"):
        load_config(CI, engine="dask", cluster={"adress": "tcp://x:1"})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cluster_address_refusing_fails_fast():
    pytest.importorskip("distributed")
    start = time.perf_counter()
    with pytest.raises(engines.ClusterUnreachableError, match="did not answer within 1 s"):
        engines.connect("dask", {"address": f"tcp://127.0.0.1:{_free_port()}", "timeout": 1})
    assert time.perf_counter() - start < 5


def test_cluster_address_silent_fails_within_timeout():
    """A port that accepts connections but never speaks: an error after ~timeout, no hang."""
    pytest.importorskip("distributed")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever answers
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        start = time.perf_counter()
        with pytest.raises(engines.ClusterUnreachableError, match="did not answer within 2 s"):
            engines.connect("dask", {"address": address, "timeout": 2})
        assert time.perf_counter() - start < 15


def test_glob_matching_no_file(tmp_path):
    with pytest.raises(RfvkitError, match="no file matches"):
        engines.load_transactions(str(tmp_path / "*.parquet"), engine="duckdb")


def test_csv_text_amounts_need_the_pandas_loader(tmp_path):
    pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-02"], "amount": ["£1.50"]}).to_csv(
        tmp_path / "tx.csv", index=False
    )
    with pytest.raises(RfvkitError, match="plain numbers"):
        engines.load_transactions(str(tmp_path / "*.csv"), engine="polars")


def test_engine_and_cluster_params_round_trip():
    cfg = load_config(CI, engine="dask", cluster={"address": "tcp://s:8786", "timeout": 5})
    assert (cfg.engine, cfg.cluster) == ("dask", {"address": "tcp://s:8786", "timeout": 5})
    assert load_config(cfg.to_mapping()).cluster == cfg.cluster
    assert load_config(CI).engine == "pandas"


def test_dayfirst_needs_the_pandas_loader(tmp_path):
    pd.DataFrame({"customer_id": ["a"], "order_date": ["02/01/2024"], "amount": [1.0]}).to_csv(
        tmp_path / "tx.csv", index=False
    )
    with pytest.raises(BadParameterError, match="date_format"):
        engines.load_transactions(str(tmp_path / "*.csv"), engine="duckdb", dayfirst=True)
    tx, q = engines.load_transactions(
        str(tmp_path / "*.csv"), engine="duckdb", date_format="%d/%m/%Y"
    )
    assert rfv_table(tx, as_of="2024-01-10")["recency_days"].tolist() == [8]


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_analyse_on_an_engine_gives_the_same_segments(engine):
    from rfvkit.pipeline import analyse

    got = analyse(load_config(CI, engine=engine, predict=False))
    want = analyse(CI, predict=False)  # CLV reads pandas order lines: compared in test_clv
    pd.testing.assert_frame_equal(got.summary, want.summary)
    assert got.segmented["segment"].equals(want.segmented["segment"])


def test_spark_master_that_does_not_answer_fails_fast():
    pytest.importorskip("pyspark")
    start = time.perf_counter()
    with pytest.raises(engines.ClusterUnreachableError, match="did not answer within 1 s"):
        engines.connect("spark", {"master": f"spark://127.0.0.1:{_free_port()}", "timeout": 1})
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_cancellations_and_line_ids_same_ledger_as_pandas(engine, tmp_path):
    raw = pd.DataFrame(
        {
            "Invoice": ["1", "C2", "C3", "4", "4", "5", " "],
            "Customer": ["a", "a", "b", "b", "b", None, "c"],
            "When": [
                "2024-01-02",
                "2024-01-03",
                "2024-01-04 10:00",
                "2024-01-05",
                "2024-01-05",
                "2024-01-06",
                "2024-01-07T08:30:00",
            ],
            "Qty": ["2", "-1", "1", "3", "3", "1", "1"],
            "Price": ["1.5", "1.5", "2", "1", "1", "1", "0"],
            "line_id": ["l1", "l2", "l3", "l4", "l4", "l6", "l7"],
        }
    )
    raw.to_csv(tmp_path / "tx.csv", index=False)
    columns = {
        "Invoice": "order_id",
        "Customer": "customer_id",
        "When": "order_date",
        "Qty": "quantity",
        "Price": "unit_price",
    }
    want_tx, want_q = read_transactions(
        tmp_path / "tx.csv", columns=columns, return_prefix="C", as_of="2024-01-06"
    )
    got_tx, got_q = engines.load_transactions(
        str(tmp_path / "*.csv"),
        engine=engine,
        columns=columns,
        return_prefix="C",
        as_of="2024-01-06",
    )
    assert got_q.counts() == want_q.counts()
    pd.testing.assert_frame_equal(_ledger(got_q), _ledger(want_q))
    _same_rfv(rfv_table(got_tx, as_of="2024-01-06"), rfv_table(want_tx, as_of="2024-01-06"))


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duckdb"])  # polars: same path, and picklable (run by hand)
def test_report_runs_on_an_engine(tmp_path, engine):
    """`rfvkit report -p engine=...`: notebooks, manifest and index from lazy order lines."""
    from rfvkit.report.runner import run_report

    result = run_report(
        CI,
        name="ci",
        reports_dir=tmp_path,
        notebooks_dir=ROOT / "notebooks",  # all six chapters
        jobs=1,
        log=lambda line: None,
        engine=engine,
    )
    assert result.ok, result.failure
    want = load_crm(CI).quality.counts()
    assert result.manifest["rows"] == want
    assert result.manifest["parameters"]["engine"] == engine
    assert sum(result.manifest["segments"].values()) == result.manifest["customers_scored"]
    runs = {run["notebook"][:2]: run["status"] for run in result.manifest["notebooks"]}
    assert runs == dict.fromkeys(["01", "02", "03", "04", "05", "06"], "ok")


_ids = st.sampled_from(["7", "007", "A1", "a1", "b", "B", "0", "00", "x9"])


@given(
    tx_ids=st.lists(_ids, min_size=1, max_size=30),
    cust_ids=st.lists(_ids, max_size=10),
    amounts=st.lists(st.sampled_from([-5.0, 0.0, 2.5, 5.0]), min_size=30, max_size=30),
)
@settings(max_examples=40, deadline=None)
def test_property_cross_table_counts_same_on_duckdb(tx_ids, cust_ids, amounts):
    """Any ids (zeros, case variants, orphans): the engine pass counts what pandas counts."""
    import duckdb

    from rfvkit.checks import NET_NEGATIVE, cross_table_checks, net_negative

    tx = pd.DataFrame(
        {
            "customer_id": tx_ids,
            "order_date": pd.Timestamp("2024-01-02"),
            "amount": amounts[: len(tx_ids)],
        }
    )
    customers = pd.DataFrame({"customer_id": pd.Series(cust_ids, dtype="str")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = cross_table_checks(tx, customers).frame
        got = cross_table_checks(duckdb.from_df(tx), customers).frame
    got_rows = got.set_index(["table", "rule"])["rows"]
    assert (
        want.set_index(["table", "rule"])["rows"].to_dict()
        == got_rows.drop(("transactions", NET_NEGATIVE), errors="ignore").to_dict()
    )
    assert got_rows.get(("transactions", NET_NEGATIVE), 0) == int(net_negative(tx).sum())


def test_duckdb_settings_from_cluster_conf(tmp_path):
    """`cluster: {conf: {memory_limit: ...}}` reaches DuckDB's connection; bad ones are named."""
    import duckdb

    con = duckdb.default_connection()
    before = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    try:
        cfg = load_config(CI, engine="duckdb", cluster={"conf": {"memory_limit": "1GB"}})
        load_crm(cfg)
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert limit.startswith(("953.", "1.0 GiB", "1000.0 MiB", "1GB")), limit
        with pytest.raises(BadParameterError, match="memory_limit"):
            engines.connect("duckdb", {"conf": {"memory_limit": "lots"}})
        with pytest.raises(BadParameterError, match="not a DuckDB setting name"):
            engines.connect("duckdb", {"conf": {"x; DROP": "1"}})
    finally:
        con.execute(f"SET memory_limit = '{before}'")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["dask", "spark"])
@pytest.mark.parametrize("collide", [False, True])
def test_duplicate_lines_on_a_cluster_by_hash_then_value(request, engine, collide, monkeypatch):
    """Dask and Spark count repeated hashes, then compare those lines by value: three
    copies of one line and two of one without order id are 3 duplicates; lines that differ
    by amount only are not, even when every hash is forced equal."""
    import narwhals as nw

    from rfvkit import _engine_duplicates, engine_counts

    cluster_for(request, engine)
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "b", "c", "c", "d"],
            "order_id": [None, None, "O1", "O1", "O1", "O2", "O2", "O3"],
            "order_date": pd.to_datetime(["2024-03-01"] * 8).astype("datetime64[us]"),
            "amount": [5.0, 5.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0],
        }
    )
    assert int(frame.duplicated().sum()) == 3
    if engine == "dask":
        import dask.dataframe as dd

        native = dd.from_pandas(frame, npartitions=3)
        constant = lambda part: pd.Series(7, index=part.index, dtype="uint64", name="_h")  # noqa: E731
        if collide:
            monkeypatch.setattr(_engine_duplicates, "_dask_hash", constant)
    else:
        from pyspark.sql import SparkSession
        from pyspark.sql import functions as F

        native = SparkSession.getActiveSession().createDataFrame(frame)
        if collide:
            monkeypatch.setattr(
                _engine_duplicates, "_spark_hash", lambda lines: F.lit(7).cast("long")
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Without the number of lines, Dask counts the hashes on the workers; with it
        # (as the loader passes it), the hashes are sorted on the client.
        assert engine_counts.duplicate_lines(nw.from_native(native)) == 3
        assert engine_counts.duplicate_lines(nw.from_native(native), len(frame)) == 3
