"""Live explorers for JupyterLab: move a control, watch scores, segments or clusters update.

:func:`rfv_explorer` re-scores and re-segments the RFV table when the bins, scoring
method or rule set change, and lists the top customers of a chosen segment with
masked phone numbers. :func:`k_explorer` re-clusters for each k and shows the
cluster profiles and snake plot. Both return ordinary ipywidgets containers whose
state (``.scored``, ``.summary``, ``.table``, ``.figures``...) can be read in code.

Where no live front-end is attached (a script, or a report run with
``RFVKIT_STATIC=1`` in the environment) displaying an explorer shows the current
views as plain figures and tables instead of widgets, so nothing goes blank or fails.

Examples
--------
>>> explorer = rfv_explorer(rfv, customers=crm.customers)  # doctest: +SKIP
>>> explorer.bins_slider.value = 4  # doctest: +SKIP
>>> mask_phone("+447700900123")
'+44 **** **0123'
"""

from rfvkit.privacy import mask_id, mask_phone
from rfvkit.widgets._base import PLOTLY_MIME, STATIC_ENV, TABLE_COLUMNS
from rfvkit.widgets.k_explorer import KExplorer, k_explorer
from rfvkit.widgets.rfv_explorer import RFVExplorer, rfv_explorer

__all__ = [
    "rfv_explorer",
    "k_explorer",
    "RFVExplorer",
    "KExplorer",
    "mask_phone",
    "mask_id",
    "PLOTLY_MIME",
    "STATIC_ENV",
    "TABLE_COLUMNS",
]
