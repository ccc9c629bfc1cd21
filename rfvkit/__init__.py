"""rfvkit: RFV (Recency, Frequency, Value) customer segmentation for SMS marketing.

>>> import rfvkit as rk
>>> crm = rk.load_crm("params/sample.yaml")                  # doctest: +SKIP
>>> seg = rk.segment(rk.score(rk.rfv_table(crm.transactions)))  # doctest: +SKIP

Names are imported on first use (PEP 562), so ``import rfvkit`` stays fast and the
command line starts quickly.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    # loading and validation
    "load_config": "rfvkit.config",
    "Config": "rfvkit.config",
    "load_crm": "rfvkit.io",
    "read_transactions": "rfvkit.io",
    "read_customers": "rfvkit.io",
    "read_optouts": "rfvkit.io",
    "read_campaigns": "rfvkit.io",
    "QualityReport": "rfvkit.quality",
    "CRM": "rfvkit.io",
    # RFV, scores, segments
    "rfv_table": "rfvkit.rfv",
    "score": "rfvkit.scoring",
    "scoring_diagnostic": "rfvkit.scoring",
    "segment": "rfvkit.segments",
    "segment_summary": "rfvkit.segments",
    "load_rules": "rfvkit.rules",
    "coverage": "rfvkit.rules",
    "RuleSet": "rfvkit.rules",
    "Rule": "rfvkit.rules",
    "suggest_segments": "rfvkit.clustering",
    "compare_segments": "rfvkit.compare",
    "SegmentComparison": "rfvkit.compare",
    # personas, surveys, VIP group
    "build_personas": "rfvkit.personas",
    "vip_group": "rfvkit.personas",
    "Personas": "rfvkit.personas",
    "read_survey": "rfvkit.surveys",
    # one call for the whole chain, notebooks, reports
    "analyse": "rfvkit.pipeline",
    "segment_customers": "rfvkit.pipeline",
    "Analysis": "rfvkit.pipeline",
    "with_attributes": "rfvkit.pipeline",
    "setup_notebook": "rfvkit.notebook",
    "live_k_explorer": "rfvkit.notebook",
    "run_report": "rfvkit.report",
    "make_demo_crm": "rfvkit.demo",
    "write_demo": "rfvkit.demo",
    # prediction: BG/NBD + Gamma-Gamma, CLV
    "clv_summary": "rfvkit.clv",
    "calibration_holdout": "rfvkit.clv",
    "BetaGeo": "rfvkit.bgnbd",
    "FitError": "rfvkit.bgnbd",
    "GammaGamma": "rfvkit.gammagamma",
    "predict_clv": "rfvkit.predict",
    "add_predictions": "rfvkit.predict",
    "clv_by_segment": "rfvkit.predict",
    "high_value_at_risk": "rfvkit.predict",
    "holdout_comparison": "rfvkit.predict",
    "tracking": "rfvkit.predict",
    "fitted_models": "rfvkit.predict",
    "with_median_clv": "rfvkit.predict",
    # campaign results, regroup, segment history
    "measure_campaign": "rfvkit.campaigns",
    "CampaignResults": "rfvkit.campaigns",
    "regroup": "rfvkit.regroup",
    "segment_migration": "rfvkit.history",
    "load_snapshots": "rfvkit.history",
    "save_snapshot": "rfvkit.history",
    "read_snapshot": "rfvkit.history",
    # send lists
    "build_send_list": "rfvkit.sendlist",
    "plan_from_config": "rfvkit.sendlist",
    "write_send_lists": "rfvkit.sendlist",
    "SendPlan": "rfvkit.sendlist",
    "write_csv": "rfvkit.csvsafe",
    # errors
    "RfvkitError": "rfvkit.errors",
    "MissingColumnsError": "rfvkit.errors",
    "BadValuesError": "rfvkit.errors",
    "BadParameterError": "rfvkit.errors",
    "EmptyDataError": "rfvkit.errors",
    "ReadError": "rfvkit.readers",
}
_SUBMODULES = {
    "columns",
    "errors",
    "quality",
    "parsing",
    "compare",
    "rules_yaml",
    "segments",
    "cluster_names",
    "config",
    "params",
    "io",
    "rfv",
    "scoring",
    "rules",
    "clustering",
    "plots",
    "widgets",
    "narrative",
    "privacy",
    "pipeline",
    "report",
    "demo",
    "readers",
    "checks",
    "clv",
    "bgnbd",
    "gammagamma",
    "predict",
    "campaigns",
    "regroup",
    "history",
    "lift",
    "personas",
    "surveys",
    "attributes",
    "sms",
    "sendlist",
    "csvsafe",
}

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"rfvkit.{name}")
    else:
        raise AttributeError(f"module 'rfvkit' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
