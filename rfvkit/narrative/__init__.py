"""Plain-language sentences computed from the data, for notebooks and reports.

Every number in a sentence comes from the frames passed in; nothing is hard-coded,
so the text stays true when the data or the parameters change. One module per
chapter; ``_format`` holds the shared formatting.
"""

from rfvkit.narrative._format import markdown, pct
from rfvkit.narrative.explore import explore_text, quality_text, rfv_overview
from rfvkit.narrative.personas import persona_cards, persona_grid, portrait
from rfvkit.narrative.predict import at_risk_table, clv_text, fit_text, holdout_text
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
from rfvkit.narrative.send_lists import (
    exclusions_table,
    key_numbers,
    masked_sample,
    message_previews,
    send_list_text,
    send_summary_table,
)

__all__ = [
    # shared
    "markdown",
    "pct",
    # 01 explore, 02 segments
    "quality_text",
    "explore_text",
    "rfv_overview",
    "segment_table",
    # 03 personas
    "portrait",
    "persona_cards",
    "persona_grid",
    # 04 send lists
    "send_list_text",
    "exclusions_table",
    "send_summary_table",
    "message_previews",
    "masked_sample",
    "key_numbers",
    # 05 campaign results
    "campaign_text",
    "results_table",
    "lift_numbers",
    "costs_table",
    "regroup_table",
    "regroup_text",
    "migration_text",
    "migration_table",
    "history_text",
    # 06 predict
    "fit_text",
    "holdout_text",
    "clv_text",
    "at_risk_table",
]
