"""Read and validate CRM tables: transactions, customers, opt-outs, campaign send logs.

Each reader takes a file (``.csv``, ``.parquet``, ``.xlsx``) or an in-memory frame
(pandas, or polars via narwhals), renames the user's columns to the canonical names of
DESIGN.md, checks and converts values, and returns ``Loaded(frame, quality)``: the
clean frame and a :class:`~rfvkit.quality.QualityReport` that counts every row dropped,
kept as a return, changed or flagged. :func:`load_crm` reads every table a params file
lists. The caller's frame is never modified.

The readers live in :mod:`rfvkit._transactions` (order lines) and
:mod:`rfvkit._crm_tables` (customers, opt-outs, send logs), the steps they share in
:mod:`rfvkit._loading`; import them from here.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rfvkit._ahead import handing_over_buyers
from rfvkit._crm_tables import read_campaigns, read_customers, read_optouts
from rfvkit._load_errors import why_empty, with_sheets
from rfvkit._loading import Loaded
from rfvkit._transactions import read_transactions
from rfvkit.checks import Buyers, cross_table_checks
from rfvkit.config import Config, load_config
from rfvkit.errors import EmptyDataError, RfvkitError
from rfvkit.quality import QualityReport

__all__ = [
    "Loaded",
    "CRM",
    "QualityReport",
    "read_transactions",
    "read_customers",
    "read_optouts",
    "read_campaigns",
    "load_crm",
]


@dataclass(frozen=True, eq=False)
class CRM:
    """Every table of one analysis, validated, with their combined quality report."""

    transactions: pd.DataFrame
    customers: pd.DataFrame | None
    optouts: pd.DataFrame | None
    campaigns: pd.DataFrame | None
    quality: QualityReport
    config: Config
    surveys: dict[str, pd.DataFrame] = field(default_factory=dict)  # name -> one row per customer


_READERS = {
    "transactions": read_transactions,
    "customers": read_customers,
    "optouts": read_optouts,
    "campaigns": read_campaigns,
}


def load_crm(params: str | os.PathLike | Mapping | Config, **overrides: Any) -> CRM:
    """Read every table listed under ``data`` in a params file (or mapping).

    ``as_of`` from the parameters is passed to :func:`read_transactions`.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-02"],
    ...               "amount": [5]}).to_csv(folder / "tx.csv", index=False)
    >>> crm = load_crm({"data": {"transactions": str(folder / "tx.csv")}}, bins=4)
    >>> len(crm.transactions), crm.customers, crm.config.bins
    (1, None, 4)
    """
    config = load_config(params, **overrides)
    loaded: dict[str, Loaded] = {}
    buyers: list[Buyers | None] = []
    for name, spec in config.data.items():
        options = dict(spec.options)
        if name == "transactions":
            options["as_of"] = config.as_of
        if name == "transactions" and config.engine != "pandas":  # lazy, on the engine
            from rfvkit import engines

            loaded[name] = engines.load_transactions(
                spec, engine=config.engine, cluster=config.cluster, as_of=config.as_of
            )
            continue
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=f"{name}: no rows left")
                with handing_over_buyers(buyers):  # read_transactions adds its customers
                    loaded[name] = _READERS[name](spec.path, columns=spec.columns, **options)
        except RfvkitError as exc:
            exc.exit_code = 2  # the input was rejected: the CLI exits 2
            if not str(exc).startswith(f"{name}:"):  # value parsers name only the column
                exc.args = (f"{name}: {spec.path.name}: {exc}",)
            raise with_sheets(exc, spec.path, name, options, spec.columns) from None
    frames = {name: result.frame for name, result in loaded.items()}
    surveys = {}
    if config.surveys:
        from rfvkit.surveys import read_survey  # surveys builds on the readers (rfvkit._loading)

        for spec in config.surveys:
            options = {k: v for k, v in spec.options.items() if k != "name"}
            name = spec.options["name"]
            loaded[f"survey {name}"] = read_survey(
                spec.path,
                name=name,
                columns=spec.columns,
                customers=frames.get("customers"),
                **options,
            )
            surveys[name] = loaded[f"survey {name}"].frame
    quality = QualityReport.combine(result.quality for result in loaded.values())
    if quality.counts()["transactions"]["kept"] == 0:
        exc = EmptyDataError(why_empty(quality, config.data["transactions"].path))
        exc.exit_code = 2
        raise exc
    checks = cross_table_checks(  # on an engine, one row per customer comes back
        frames["transactions"],
        frames.get("customers"),
        frames.get("optouts"),
        min_match=config.min_customer_match,
        buyers=buyers[0] if buyers else None,
    )
    return CRM(
        transactions=frames["transactions"],
        customers=frames.get("customers"),
        optouts=frames.get("optouts"),
        campaigns=frames.get("campaigns"),
        quality=quality + checks,
        config=config,
        surveys=surveys,
    )
