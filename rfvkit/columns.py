"""The data contract in one place: canonical column names, choices and limits.

Every other module imports these names instead of spelling them again, so a params
file, a widget and a function can never disagree about what ``method`` may be or how
many score bins are allowed. ``../shared/DESIGN.md`` ("Data contract", "Core outputs")
documents the same names for people.

Examples
--------
>>> from rfvkit.columns import METHODS, MAX_BINS
>>> "thresholds" in METHODS, MAX_BINS
(True, 10)
"""

from __future__ import annotations

__all__ = [
    "CUSTOMER_ID",
    "TRANSACTION_COLUMNS",
    "TRANSACTION_REQUIRED",
    "CUSTOMER_COLUMNS",
    "OPTOUT_COLUMNS",
    "CAMPAIGN_COLUMNS",
    "RFV_METRICS",
    "RFV_COLUMNS",
    "SCORE_COLUMNS",
    "SEGMENT",
    "CLUSTER",
    "CLUSTER_NAME",
    "METHODS",
    "RULE_SETS",
    "SCALERS",
    "FEATURES",
    "MIN_BINS",
    "MAX_BINS",
    "GROUPS",
    "SUMMARY_LEADING",
    "ENGINES",
    "median_column",
]

# ----------------------------------------------------------------------------- inputs
CUSTOMER_ID = "customer_id"
#: Order lines after loading, in the order the loader returns them (optional ones when present).
TRANSACTION_COLUMNS = (
    "customer_id",
    "order_date",
    "amount",
    "order_id",
    "product",
    "category",
    "quantity",
    "unit_price",
    "channel",
)
TRANSACTION_REQUIRED = ("customer_id", "order_date", "amount")
CUSTOMER_COLUMNS = (
    "customer_id",
    "first_name",
    "phone",
    "country",
    "region",
    "age",
    "birth_year",
    "gender",
    "sms_consent",
    "consent_at",
    "timezone",
)
OPTOUT_COLUMNS = ("phone", "customer_id", "opted_out_at", "message")
#: The campaign send log: the schema send lists write and ``read_campaigns`` reads back.
CAMPAIGN_COLUMNS = ("campaign_id", "customer_id", "segment", "group", "sent_at")
GROUPS = ("treatment", "holdout")

# ----------------------------------------------------------------------------- outputs
#: Decimals money sums are rounded to: ``rfv_table``'s monetary and the net-negative rule.
#: A float sum's last bits depend on the order lines are added in (an engine's threads),
#: ~1e-12 of the amounts; a millionth of the currency unit is far above that noise.
MONEY_DECIMALS = 6
#: The three metrics every score, rule and figure is about (recency reversed when scored).
RFV_METRICS = ("recency_days", "frequency", "monetary")
#: What ``rfv_table`` returns per customer (index ``customer_id``).
RFV_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "first_purchase",
    "last_purchase",
    "tenure_days",
)
#: Metric -> its score column (1..bins, higher is better).
SCORE_COLUMNS = {"recency_days": "r_score", "frequency": "f_score", "monetary": "v_score"}
SEGMENT = "segment"
CLUSTER = "cluster"
CLUSTER_NAME = "cluster_name"
#: Every summary table rfvkit returns starts with its group column, then these.
SUMMARY_LEADING = ("customers", "share")


def median_column(metric: str) -> str:
    """The summary column holding a metric's median: ``median_<metric>``.

    >>> median_column("recency_days")
    'median_recency_days'
    """
    return f"median_{metric}"


# ----------------------------------------------------------------------------- choices
#: Scoring methods of ``score``: rank (ties share a score), r_rfm (R package rfm 0.3.0),
#: thresholds (your own cut points per metric).
METHODS = ("rank", "r_rfm", "thresholds")
#: Rule sets shipped in ``rfvkit/rulesets``; a path to a YAML file is accepted too.
RULE_SETS = ("default", "r_rfm")
#: Scalers ``suggest_segments`` puts after the log transform.
SCALERS = ("standard", "robust")
#: Customer features ``suggest_segments`` may cluster on.
FEATURES = ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")
#: Score bins per metric: quintiles (5) are usual; 10 is the most a rule set is written for.
MIN_BINS = 2
MAX_BINS = 10
#: Where order lines are loaded and summarised (``engine:`` in params): pandas in memory
#: (default), polars or DuckDB out of core on one machine, Dask or Spark on a cluster.
ENGINES = ("pandas", "polars", "duckdb", "dask", "spark")
