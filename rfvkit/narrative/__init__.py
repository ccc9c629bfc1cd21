"""Plain-language sentences computed from the data, for notebooks and reports.

Every number in a sentence comes from the frames passed in; nothing is hard-coded,
so the text stays true when the data or the parameters change.
"""

from rfvkit.narrative._format import markdown, pct
from rfvkit.narrative.explore import explore_text, quality_text, rfv_overview
from rfvkit.narrative.results import (
    campaign_text,
    costs_table,
    history_text,
    lift_numbers,
    migration_table,
    migration_text,
    regroup_table,
    regroup_text,
    results_table,
)
from rfvkit.narrative.segments import segment_table

__all__ = [
    "markdown",
    "quality_text",
    "explore_text",
    "segment_table",
    "rfv_overview",
    "pct",
    "campaign_text",
    "results_table",
    "lift_numbers",
    "costs_table",
    "regroup_table",
    "regroup_text",
    "migration_text",
    "migration_table",
    "history_text",
]
