"""Connecting to an engine: is it installed, where is its cluster, with which settings.

:func:`connect` turns the ``cluster:`` params into the engine's handle (a Dask client, a
SparkSession; DuckDB settings on its default connection) and fails fast, with the
address in the message, when a cluster does not answer. :mod:`rfvkit.engines` scans and
checks the order lines once connected.

Examples
--------
>>> check_engine("pandas")
'pandas'
>>> check_engine("dusk")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
BadParameterError: engine: got 'dusk'; allowed: pandas | polars | duckdb | dask | spark. Did you mean 'dask'?
"""

from __future__ import annotations

import difflib
import importlib
import re
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from rfvkit.columns import ENGINES
from rfvkit.errors import BadParameterError, RfvkitError

__all__ = [
    "SPARK_DEFAULTS",
    "ClusterUnreachableError",
    "check_engine",
    "connect",
    "spark_conf",
]

#: Module to import and extra to install, per engine.
_NEEDS = {
    "polars": ("polars", "fast"),
    "duckdb": ("duckdb", "fast"),
    "dask": ("dask.dataframe", "dask"),
    "spark": ("pyspark.sql", "spark"),
}
_SESSIONS: dict[tuple[str, str], Any] = {}  # clients/sessions kept alive for the process


class ClusterUnreachableError(RfvkitError):
    """The cluster address in ``cluster:`` did not answer within the timeout."""


def check_engine(engine: str) -> str:
    """Return ``engine`` if it is known and its library is installed, else raise.

    Raises
    ------
    BadParameterError
        Unknown engine (with a "did you mean"), or engine not installed (naming the extra,
        e.g. ``pip install "rfvkit[dask]"``).
    """
    if engine not in ENGINES:
        close = difflib.get_close_matches(str(engine), ENGINES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise BadParameterError(f"engine: got {engine!r}; allowed: {' | '.join(ENGINES)}.{hint}")
    if engine in _NEEDS:
        module, extra = _NEEDS[engine]
        try:
            importlib.import_module(module)
        except ImportError:
            raise BadParameterError(
                f"engine: {engine!r} is not installed; install it with "
                f'pip install "rfvkit[{extra}]".'
            ) from None
    return engine


def connect(engine: str, cluster: Mapping[str, Any] | None = None) -> Any:
    """Connect to the engine's cluster and return its handle (Dask client, SparkSession).

    ``cluster`` for Dask: ``{address: "tcp://host:8786", timeout: 10}`` (no address: the
    local scheduler, no client). For Spark: ``{master: "spark://host:7077" or "local[2]",
    conf: {...}, timeout: 10}``. For DuckDB: ``{conf: {memory_limit: "2GB", ...}}``, its
    settings (see :func:`_duckdb_settings`). A remote address is first checked with a TCP connection
    that gives up after ``timeout`` seconds, so a wrong address fails fast instead of
    hanging. polars and DuckDB need no connection (``None``).

    Raises
    ------
    ClusterUnreachableError
        The address did not answer within ``timeout`` seconds.
    """
    check_engine(engine)
    cluster = dict(cluster or {})
    timeout = float(cluster.get("timeout", 10))
    if engine == "dask":
        address = cluster.get("address")
        if not address:
            return None
        key = ("dask", str(address))
        if key not in _SESSIONS:
            _probe(str(address), timeout)
            _SESSIONS[key] = _dask_client(str(address), timeout)
        return _SESSIONS[key]
    if engine == "spark":
        from pyspark.sql import SparkSession

        master = str(cluster.get("master") or "local[*]")
        if not master.startswith("local"):
            _probe(master, timeout)
        builder = SparkSession.builder.master(master).appName("rfvkit")
        for name, value in spark_conf(cluster).items():
            builder = builder.config(name, value)
        return builder.getOrCreate()
    if engine == "duckdb" and cluster.get("conf"):
        _duckdb_settings(dict(cluster["conf"]))
    return None


def _duckdb_settings(conf: Mapping[str, Any]) -> None:
    """``SET name = 'value'`` on DuckDB's default connection (the one :func:`scan` reads with).

    E.g. ``cluster: {conf: {memory_limit: 2GB, temp_directory: /scratch/duckdb}}`` makes
    DuckDB spill to disk beyond 2 GB (https://duckdb.org/docs/configuration/overview): at
    100M lines the peak falls from 7.2 GB to 3.4 GB for ~20% more time
    (benchmarks/RESULTS_scale.md). The settings hold for the whole Python process.
    """
    import duckdb

    con = duckdb.default_connection()
    for name, value in conf.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
            raise BadParameterError(
                f"cluster.conf: {name!r} is not a DuckDB setting name; e.g. memory_limit, "
                "threads, temp_directory."
            )
        text = str(value).replace("'", "''")
        try:
            con.execute(f"SET {name} = '{text}'")
        except duckdb.Error as exc:
            raise BadParameterError(
                f"cluster.conf.{name}: DuckDB refused {value!r} ({exc}); see "
                "https://duckdb.org/docs/configuration/overview for the settings."
            ) from None


#: Spark settings rfvkit starts a session with unless ``cluster: conf:`` says otherwise: the
#: console progress bar and INFO/WARN logs would otherwise end up in a report's pages.
SPARK_DEFAULTS = {"spark.ui.showConsoleProgress": "false", "spark.log.level": "ERROR"}


def spark_conf(cluster: Mapping[str, Any] | None) -> dict[str, str]:
    """The Spark conf of ``cluster`` on top of :data:`SPARK_DEFAULTS`, as strings.

    Examples
    --------
    >>> spark_conf({"conf": {"spark.log.level": "WARN", "spark.sql.shuffle.partitions": 8}})
    {'spark.ui.showConsoleProgress': 'false', 'spark.log.level': 'WARN', 'spark.sql.shuffle.partitions': '8'}
    """
    given = dict((cluster or {}).get("conf") or {})
    return {**SPARK_DEFAULTS, **{str(k): str(v) for k, v in given.items()}}


def _dask_client(address: str, timeout: float) -> Any:
    """A Dask client, or an error after about ``timeout`` s (a silent port never hangs)."""
    import concurrent.futures

    from distributed import Client

    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="rfvkit-connect")
    future = pool.submit(Client, address, timeout=timeout, set_as_default=True)
    pool.shutdown(wait=False)
    try:
        client = future.result(timeout=timeout + 2)
    except Exception as exc:  # refused, timed out, or something else listening there
        future.cancel()
        raise ClusterUnreachableError(
            f"cluster: Dask scheduler {address} did not answer within {timeout:g} s "
            f"({type(exc).__name__}); check the address and that the scheduler runs."
        ) from None
    return client


def _probe(address: str, timeout: float) -> None:
    """Open and close a TCP connection to ``scheme://host:port`` within ``timeout`` s."""
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    host, port = parsed.hostname, parsed.port
    if not host or not port:
        raise BadParameterError(
            f"cluster: address {address!r} has no host:port; e.g. 'tcp://scheduler:8786'."
        )
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ClusterUnreachableError(
            f"cluster: {address} did not answer within {timeout:g} s ({exc}); check the "
            "address and that the scheduler/master is running."
        ) from None
