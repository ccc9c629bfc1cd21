"""The chain computed once: CRM files -> RFV table -> scores -> rule segments -> summary.

:func:`segment_customers` is the one place where scores, rules, segments and the
segment summary are computed; :func:`analyse` runs it after loading, and the explorer
widget, the notebooks, the ``rfvkit table`` job and the report runner all call these
two, so every entry point computes the same numbers. A report computes the chain once:
the runner saves the :class:`Analysis` to a run cache and each notebook reads it back
(``analyse(cfg, cache=...)``) when its parameters are the runner's.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from rfvkit.config import Config, load_config
from rfvkit.csvsafe import write_csv
from rfvkit.io import CRM, load_crm
from rfvkit.rfv import rfv_table
from rfvkit.rules import RuleSet, load_rules
from rfvkit.scoring import score
from rfvkit.segments import segment, segment_summary

__all__ = ["Analysis", "Segmentation", "analyse", "segment_customers", "with_attributes"]


@dataclass(frozen=True)
class Segmentation:
    """Scores, segments and the segment summary of one RFV table under one rule set."""

    scored: pd.DataFrame
    segmented: pd.DataFrame
    summary: pd.DataFrame
    rules: RuleSet


def segment_customers(
    rfv: pd.DataFrame,
    *,
    bins: int = 5,
    method: str = "rank",
    rules: RuleSet | str | Path = "default",
    thresholds: dict[str, list[float]] | None = None,
    predictions: pd.DataFrame | None = None,
) -> Segmentation:
    """Score an RFV table, name each customer's segment and summarise the segments.

    Parameters
    ----------
    rfv : DataFrame
        One row per customer, as :func:`rfvkit.rfv.rfv_table` returns it.
    bins, method, thresholds
        Passed to :func:`rfvkit.scoring.score`.
    rules : RuleSet, built-in name or YAML path
        The rule set, rescaled to ``bins`` (see :func:`rfvkit.rules.load_rules`).
    predictions : DataFrame, optional
        Per-customer columns joined on the index before segmenting, e.g. the output of
        :func:`rfvkit.predict.add_predictions` (its ``attrs`` are kept). Needed when a rule
        asks for ``p_alive``; ``summary`` then gains ``median_clv``.

    Returns
    -------
    Segmentation

    Examples
    --------
    >>> seg = segment_customers(rfv, bins=5, rules="default")  # doctest: +SKIP
    >>> seg.summary[["segment", "customers"]]  # doctest: +SKIP
    """
    scored = score(rfv, bins=bins, method=method, thresholds=thresholds)
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules, bins=bins)
    if predictions is not None:
        extra = predictions.drop(columns=[c for c in predictions if c in scored.columns])
        scored = scored.join(extra, how="left")
        scored.attrs = {**predictions.attrs, **scored.attrs}
    segmented = segment(scored, rules=ruleset)
    summary = segment_summary(segmented, rules=ruleset)
    if predictions is not None and "clv" in segmented.columns:
        from rfvkit.predict import with_median_clv

        summary = with_median_clv(summary, segmented)
    return Segmentation(scored, segmented, summary, ruleset)


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
        write_csv(self.summary, paths[2], protect=())
        write_csv(self.crm.quality.frame, paths[3], protect=())
        return paths

    def save(self, path: str | Path, config: Config) -> Path:
        """Keep this analysis for the rest of a report run (read back by ``analyse(cache=)``)."""
        path = Path(path)
        analysis = self
        if not isinstance(self.crm.transactions, pd.DataFrame):
            try:  # order lines lazy on an engine (engines.py): DuckDB and Spark do not pickle
                pickle.dumps(self.crm.transactions)
            except Exception:  # noqa: BLE001 - the notebooks read the per-customer tables
                analysis = replace(self, crm=replace(self.crm, transactions=None))
        with path.open("wb") as handle:
            pickle.dump((_fingerprint(config), analysis), handle, protocol=pickle.HIGHEST_PROTOCOL)
        return path


def analyse(
    config: Config | str | Path, *, cache: str | Path | None = None, **overrides: object
) -> Analysis:
    """Load the CRM named by ``config`` and score and segment its customers.

    Parameters
    ----------
    config : Config or path to a params YAML
        Data paths, column mappings and analysis options.
    cache : path, optional
        A run cache written by the report runner (:meth:`Analysis.save`). It is used
        only when it was computed with exactly these parameters and data paths;
        otherwise (or when it is missing) the chain is computed here.
    **overrides
        Single parameters to override (``bins=4``), validated like the file.

    Returns
    -------
    Analysis
        With ``predict: true`` in the params, ``segmented`` also holds ``p_alive``,
        ``expected_purchases_90d`` and ``clv`` (:func:`rfvkit.predict.add_predictions`)
        and ``summary`` a ``median_clv`` column.

    Examples
    --------
    >>> result = analyse("params/ci.yaml")  # doctest: +SKIP
    >>> result.summary[["segment", "customers"]]  # doctest: +SKIP
    """
    cfg = (
        config if isinstance(config, Config) and not overrides else load_config(config, **overrides)
    )
    if cache:
        cached = _read_cache(Path(cache), cfg)
        if cached is not None:
            return cached
    crm = load_crm(cfg)
    rfv = rfv_table(crm.transactions, as_of=cfg.as_of)
    ruleset = load_rules(cfg.rules, bins=cfg.bins)
    predictions = None
    if cfg.predict or ruleset.uses_p_alive:  # p_alive, expected purchases, CLV (chapter 06)
        from rfvkit.predict import add_predictions

        predictions = add_predictions(  # on an engine, its CLV summary runs there
            rfv[[]],
            crm.transactions,
            as_of=rfv.attrs["as_of"],
            horizon_days=cfg.horizon_days,
            discount_rate=cfg.discount_rate,
            errors="warn",
        )
    seg = segment_customers(
        rfv,
        bins=cfg.bins,
        method=cfg.method,
        rules=ruleset,
        thresholds=cfg.thresholds,
        predictions=predictions,
    )
    segmented, summary = seg.segmented, seg.summary
    return Analysis(
        crm=crm,
        rfv=rfv,
        scored=seg.scored,
        segmented=segmented,
        summary=summary,
        rules=seg.rules,
    )


def _fingerprint(cfg: Config) -> str:
    """Parameters and data paths (not the title or source file) as one comparable string."""
    mapping: dict[str, Any] = cfg.to_mapping()
    mapping.pop("title", None)
    return json.dumps(mapping, sort_keys=True, default=str)


def _read_cache(path: Path, cfg: Config) -> Analysis | None:
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        fingerprint, analysis = pickle.load(handle)  # written by this run's own runner
    if fingerprint != _fingerprint(cfg):
        return None
    if analysis.crm.transactions is None and cfg.data.get("transactions") is not None:
        # Lazy order lines on DuckDB or Spark do not pickle (Analysis.save): open them
        # again on the engine. The scan is lazy; its checks cost one pass over the files.
        from rfvkit.engines import load_transactions

        lines = load_transactions(
            cfg.data["transactions"], engine=cfg.engine, cluster=cfg.cluster, as_of=cfg.as_of
        )
        analysis = replace(analysis, crm=replace(analysis.crm, transactions=lines.frame))
    return analysis


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
