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
    "QualityReport": "rfvkit.io",
    "CRM": "rfvkit.io",
    # RFV, scores, segments
    "rfv_table": "rfvkit.rfv",
    "score": "rfvkit.scoring",
    "scoring_diagnostic": "rfvkit.scoring",
    "segment": "rfvkit.rules",
    "segment_summary": "rfvkit.rules",
    "load_rules": "rfvkit.rules",
    "coverage": "rfvkit.rules",
    "RuleSet": "rfvkit.rules",
    "Rule": "rfvkit.rules",
    "suggest_segments": "rfvkit.clustering",
    "compare_segments": "rfvkit.clustering",
    # one call for the whole chain, notebooks, reports
    "analyse": "rfvkit.pipeline",
    "with_attributes": "rfvkit.pipeline",
    "setup_notebook": "rfvkit.notebook",
    "run_report": "rfvkit.report",
    "make_demo_crm": "rfvkit.demo",
    "write_demo": "rfvkit.demo",
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
}
_SUBMODULES = {
    "config",
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
