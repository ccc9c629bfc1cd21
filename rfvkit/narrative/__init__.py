"""Plain-language sentences computed from the data, for notebooks and reports.

Every number in a sentence comes from the frames passed in; nothing is hard-coded,
so the text stays true when the data or the parameters change.
"""

from rfvkit.narrative._format import markdown, pct
from rfvkit.narrative.explore import explore_text, quality_text, rfv_overview
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
    "markdown",
    "quality_text",
    "explore_text",
    "segment_table",
    "rfv_overview",
    "pct",
    "send_list_text",
    "exclusions_table",
    "send_summary_table",
    "message_previews",
    "masked_sample",
    "key_numbers",
]
