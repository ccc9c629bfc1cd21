"""Real clusters for the engine tests: a Dask LocalCluster and a local Spark session.

Registered in ``conftest.py`` (``pytest_plugins``). Each test module that asks for one
gets its own, started on loopback and stopped in teardown; Spark is skipped, with the
reason printed, only when Java is missing.
"""

from __future__ import annotations

import shutil

import pytest

from rfvkit import engines


@pytest.fixture(scope="module")
def dask_cluster():
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
    )
    client = Client(cluster)
    yield {"address": cluster.scheduler_address}
    for session in engines._SESSIONS.values():  # clients load_crm opened on this cluster
        session.close()
    engines._SESSIONS.clear()
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def spark_cluster():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        reason = "Java is missing (apt-get install -y openjdk-17-jre-headless); Spark skipped"
        print(reason)
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    conf = {
        "spark.ui.enabled": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.session.timeZone": "UTC",
    }
    builder = SparkSession.builder.master("local[2]").appName("rfvkit-tests")
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    yield {"master": "local[2]", "conf": conf}
    spark.stop()


def cluster_for(request, engine: str):
    """The ``cluster:`` params of ``engine`` (starting its fixture), None for local engines."""
    if engine == "dask":
        return request.getfixturevalue("dask_cluster")
    if engine == "spark":
        return request.getfixturevalue("spark_cluster")
    return None


#: Every lazy engine: polars and DuckDB in the quick run, Dask and Spark (real local
#: clusters through :func:`cluster_for`) among the slow tests.
ENGINES = [
    "polars",
    "duckdb",
    pytest.param("dask", marks=pytest.mark.slow),
    pytest.param("spark", marks=pytest.mark.slow),
]


def _polars_lazy(frame):
    import polars as pl

    return pl.from_pandas(frame).lazy()


def _duckdb_relation(frame):
    import duckdb

    return duckdb.from_df(frame)


#: A pandas frame as lazy order lines of an engine that needs no cluster.
LOCAL = {"polars": _polars_lazy, "duckdb": _duckdb_relation}
