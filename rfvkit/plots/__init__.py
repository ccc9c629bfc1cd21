"""Plotly figures for exploring RFV tables, segments and clusters.

Every function takes a DataFrame first, then column names, then keyword-only options,
and returns a :class:`plotly.graph_objects.Figure`; nothing is shown or written.
Figures are deterministic: fixed colours, seeded sampling, stable category order.

Example
-------
>>> import pandas as pd
>>> rfv = pd.DataFrame({"recency_days": [3, 40], "frequency": [5, 1],
...                     "monetary": [250.0, 20.0]})
>>> metric_histogram(rfv, "monetary", currency="£").layout.xaxis.type
'log'
"""

from rfvkit.plots.clusters import cluster_scatter, cluster_snake, crosstab_heatmap, k_selection
from rfvkit.plots.explore import (
    metric_by_dimension,
    metric_histogram,
    rf_heatmap,
    rfv_distributions,
    score_distributions,
)
from rfvkit.plots.personas import (
    age_band_bars,
    persona_index_heatmap,
    survey_coverage,
    top_categories,
)
from rfvkit.plots.predict import (
    clv_distribution,
    clv_segment_bars,
    holdout_check,
    p_alive_heatmap,
    tracking_plot,
)
from rfvkit.plots.results import lift_forest, migration_sankey, segment_sizes
from rfvkit.plots.segments import segment_bars, segment_treemap
from rfvkit.plots.send_lists import quiet_hour_deferrals, send_funnel, send_groups

__all__ = [
    "metric_histogram",
    "rfv_distributions",
    "metric_by_dimension",
    "rf_heatmap",
    "score_distributions",
    "segment_treemap",
    "segment_bars",
    "k_selection",
    "cluster_snake",
    "cluster_scatter",
    "crosstab_heatmap",
    "holdout_check",
    "tracking_plot",
    "p_alive_heatmap",
    "clv_distribution",
    "clv_segment_bars",
    "lift_forest",
    "migration_sankey",
    "segment_sizes",
    "persona_index_heatmap",
    "age_band_bars",
    "top_categories",
    "survey_coverage",
    "send_funnel",
    "send_groups",
    "quiet_hour_deferrals",
]
