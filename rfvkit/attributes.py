"""Per-customer attributes for personas: demographics, geography, purchase habits, spend.

:func:`customer_attributes` joins what the customer table says (age and age band, gender,
country, region, any extra mapped column) and what the transactions show (main category by
spend, main channel, usual time of day and day of week, discount share; computed on integer
codes in :mod:`rfvkit.purchases`) onto one row per customer. :func:`spend_shares` and
:func:`segment_spend` (the fast path personas use, with small cells folded) give each
segment's spend by category or product; :func:`positions` joins order lines to customers.
Identifiers and personal data (:data:`PERSONAL`) are never attributes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rfvkit.errors import BadParameterError
from rfvkit.purchases import (
    OrderLines,
    positions,
    purchase_attributes,
    segment_spend,
    spend_shares,
)

__all__ = [
    "AGE_EDGES",
    "PERSONAL",
    "age_band",
    "customer_attributes",
    "spend_shares",
    "segment_spend",
    "positions",
]

#: Lower edges of the age bands: 18-24, 25-34, 35-44, 45-54, 55-64, 65+ (and "under 18").
#: These are the age ranges of Google Ads demographic targeting
#: (https://support.google.com/google-ads/answer/2580383) and of most panel surveys, so a
#: persona's age mix reads like an audience report.
AGE_EDGES = (18, 25, 35, 45, 55, 65)
#: Identifiers and personal data: never an attribute, never in a persona.
PERSONAL = (
    "customer_id", "first_name", "last_name", "name", "full_name", "email", "phone",
    "phone_e164", "phone_type", "address", "postcode", "zip", "birth_date", "date_of_birth",
    "consent_at", "timezone", "sms_consent", "birth_year",
)  # fmt: skip
#: A text column with more distinct values than this is not summarised by default.
MAX_VALUES = 50


def age_band(age: pd.Series) -> pd.Series:
    """Age in years -> band label (edges :data:`AGE_EDGES`, left-closed); missing stays missing.

    Examples
    --------
    >>> age_band(pd.Series([17, 18, 34, 35, 64, 65, None])).tolist()
    ['under 18', '18-24', '25-34', '35-44', '55-64', '65+', nan]
    """
    edges = [-np.inf, *AGE_EDGES, np.inf]
    labels = [f"under {AGE_EDGES[0]}"]
    labels += [f"{lo}-{hi - 1}" for lo, hi in zip(AGE_EDGES, AGE_EDGES[1:], strict=False)]
    labels += [f"{AGE_EDGES[-1]}+"]
    age = pd.to_numeric(age, errors="coerce")
    out = pd.cut(age, edges, right=False, labels=labels)
    return out.astype("object").where(age.notna(), np.nan)


def customer_attributes(
    customers: pd.DataFrame | None,
    transactions: pd.DataFrame | None,
    *,
    index: pd.Index,
    as_of: pd.Timestamp | None = None,
    attributes: Sequence[str] | None = None,
    codes: np.ndarray | None = None,
    lines: OrderLines | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per customer of ``index`` with its attributes, and each attribute's kind.

    Parameters
    ----------
    customers : DataFrame or None
        Validated customer table (``customer_id`` + attributes).
    transactions : DataFrame or None
        Validated order lines; purchase attributes come from ``category``, ``channel``,
        ``order_date`` and ``discount`` when present.
    index : Index
        The customer ids to describe (a segmented table's index).
    as_of : Timestamp, optional
        Date for ages computed from ``birth_year`` (default: today).
    attributes : list of str, optional
        Which attributes to keep; default every non-personal customer column (text with at
        most :data:`MAX_VALUES` values, or numeric) plus every purchase attribute.
    codes : array, optional
        Position in ``index`` of each transaction's customer (-1 = not there), if known.
    lines : OrderLines, optional
        ``transactions`` already coded for ``index`` (shared with :func:`segment_spend`).

    Returns
    -------
    (DataFrame, dict)
        Attributes indexed like ``index``; kinds ``"categorical"`` or ``"numeric"``.

    Examples
    --------
    >>> cust = pd.DataFrame({"customer_id": ["a", "b"], "age": [30, 61], "phone": ["x", "y"]})
    >>> frame, kinds = customer_attributes(cust, None, index=pd.Index(["a", "b"]))
    >>> frame["age_band"].tolist(), kinds
    (['25-34', '55-64'], {'age': 'numeric', 'age_band': 'categorical'})
    """
    parts, kinds = [], {}
    if customers is not None and len(customers):
        cust = customers.drop_duplicates("customer_id").set_index("customer_id").reindex(index)
        if "age" not in cust and "birth_year" in cust:
            year = (as_of or pd.Timestamp.today()).year
            cust = cust.assign(age=year - pd.to_numeric(cust["birth_year"], errors="coerce"))
        if "age" in cust:
            cust = cust.assign(age=pd.to_numeric(cust["age"], errors="coerce"))
            cust = cust.assign(age_band=age_band(cust["age"]))
        for col in cust.columns:
            if col in PERSONAL or pd.api.types.is_datetime64_any_dtype(cust[col].dtype):
                continue
            numeric = pd.api.types.is_numeric_dtype(cust[col].dtype) and not (
                pd.api.types.is_bool_dtype(cust[col].dtype)
            )
            if numeric:
                kinds[col] = "numeric"
            elif attributes is not None or cust[col].nunique() <= MAX_VALUES:
                kinds[col] = "categorical"
        parts.append(cust[list(kinds)])
    if transactions is not None and len(transactions):
        if lines is None or lines.frame is not transactions:
            lines = OrderLines(transactions, index, codes)
        bought = purchase_attributes(lines)
        bought = bought[[c for c in bought.columns if c not in kinds]]
        for col in bought.columns:
            kinds[col] = "numeric" if col == "discount_share" else "categorical"
        parts.append(bought)
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=index)
    if attributes is not None:
        missing = [a for a in attributes if a not in frame.columns]
        if missing:
            raise BadParameterError(
                f"attributes: {missing} not found; available: {', '.join(frame.columns)}. "
                "Map the column in the customers table or drop it from the list."
            )
        frame = frame[list(attributes)]
        kinds = {a: kinds[a] for a in attributes}
    return frame, kinds
