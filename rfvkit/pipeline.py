"""The whole chain in one call: CRM files -> RFV table -> scores -> rule segments.

Notebooks call the steps one per cell; the ``rfvkit table`` job and the report
runner call :func:`analyse` so every entry point computes the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rfvkit.config import Config, load_config
from rfvkit.csvsafe import write_csv
from rfvkit.io import CRM, load_crm
from rfvkit.rfv import rfv_table
from rfvkit.rules import RuleSet, load_rules, segment, segment_summary
from rfvkit.scoring import score

__all__ = ["Analysis", "analyse", "with_attributes"]


@dataclass(frozen=True)
class Analysis:
    """Everything :func:`analyse` computed, step by step."""

    crm: CRM
    rfv: pd.DataFrame
    scored: pd.DataFrame
    segmented: pd.DataFrame
    summary: pd.DataFrame
    rules: RuleSet

    @property
    def as_of(self) -> pd.Timestamp:
        return self.rfv.attrs["as_of"]

    def write_table(self, out: str | Path) -> list[Path]:
        """Write the segmented table (parquet + CSV), segment summary and quality summary."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [
            out / "customers_scored.parquet",
            out / "customers_scored.csv",
            out / "segment_summary.csv",
            out / "data_quality.csv",
        ]
        table = self.segmented.copy()
        table.attrs = {key: str(value) for key, value in table.attrs.items()}  # parquet wants JSON
        table.to_parquet(paths[0])
        write_csv(table, paths[1], index=True, protect=())  # spreadsheet-safe, atomic
        write_csv(self.summary, paths[2], index=True, protect=())  # index = segment
        write_csv(self.crm.quality.frame, paths[3], protect=())
        return paths


def analyse(config: Config | str | Path, **overrides: object) -> Analysis:
    """Load the CRM named by ``config`` and score and segment its customers.

    Parameters
    ----------
    config : Config or path to a params YAML
        Data paths, column mappings and analysis options.
    **overrides
        Single parameters to override (``bins=4``), validated like the file.

    Returns
    -------
    Analysis

    Examples
    --------
    >>> result = analyse("params/ci.yaml")  # doctest: +SKIP
    >>> result.summary[["segment", "customers"]]  # doctest: +SKIP
    """
    cfg = (
        config if isinstance(config, Config) and not overrides else load_config(config, **overrides)
    )
    crm = load_crm(cfg)
    rfv = rfv_table(crm.transactions, as_of=cfg.as_of)
    scored = score(rfv, bins=cfg.bins, method=cfg.method)
    rules = load_rules(cfg.rules, bins=cfg.bins)
    segmented = segment(scored, rules=rules)
    return Analysis(
        crm=crm,
        rfv=rfv,
        scored=scored,
        segmented=segmented,
        summary=segment_summary(segmented, rules=rules),
        rules=rules,
    )


ATTRIBUTE_SOURCES = ("country", "region", "gender", "age", "channel", "category")


def with_attributes(rfv: pd.DataFrame, crm: CRM) -> pd.DataFrame:
    """Join customer attributes (country, region, age...) onto an RFV-like frame.

    Attributes come from the customers table when there is one. Without it (order-line
    exports such as Online Retail carry the country on each line) each customer gets the
    most frequent value of that column across their transactions.

    Examples
    --------
    >>> profile = with_attributes(rfv, crm)  # doctest: +SKIP
    >>> profile.groupby("country")["monetary"].median()  # doctest: +SKIP
    """
    out = rfv.copy()
    if crm.customers is not None and len(crm.customers):
        attrs = crm.customers.drop_duplicates("customer_id").set_index("customer_id")
        extra = [c for c in attrs.columns if c not in out.columns]
        return out.join(attrs[extra], how="left")
    tx = crm.transactions
    for column in (c for c in ATTRIBUTE_SOURCES if c in tx.columns and c not in out.columns):
        most = (
            tx.groupby(["customer_id", column], observed=True)
            .size()
            .reset_index(name="n")
            .sort_values(["customer_id", "n", column], ascending=[True, False, True])
            .drop_duplicates("customer_id")
            .set_index("customer_id")[column]
        )
        out[column] = most.reindex(out.index)
    return out
