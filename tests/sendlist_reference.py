"""Slow, obviously-correct references for the send-list fast paths (issue 9, item 12).

These are the implementations rfvkit shipped before the fast paths, kept verbatim (only
renamed) so the property tests in ``tests/test_sendlist_reference.py`` and
``tests/test_phone_keys.py`` can assert that the fast code gives the same answers: every
phone parsed row by row, every customer hashed, matched and timed one at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers

from rfvkit.parsing import normalise_ids
from rfvkit.phones import _PHONE_TYPES

# ----------------------------------------------------------------------------- phones


def reference_phones(
    phones: pd.Series, regions: pd.Series | str | None = None
) -> tuple[pd.Series, pd.Series]:
    """``normalise_phones`` as it was: each distinct (raw text, region) parsed, validated and
    typed on its own, with ``is_valid_number`` and ``number_type``."""
    text = normalise_ids(phones)
    if isinstance(regions, pd.Series):
        region = normalise_ids(regions).str.upper()
    else:
        region = pd.Series(regions.upper() if regions else np.nan, index=phones.index, dtype="str")
    region = region.where(region.str.fullmatch(r"[A-Z]{2}").fillna(False).astype(bool))
    pairs = pd.DataFrame({"phone": text, "region": region})
    present = pairs["phone"].notna()
    e164 = pd.Series(np.nan, index=phones.index, dtype="str")
    kind = pd.Series(np.nan, index=phones.index, dtype="str")
    if not present.any():
        return e164, kind
    distinct = pairs[present].drop_duplicates()
    parsed = [
        reference_parse_phone(p, r)
        for p, r in zip(distinct["phone"], distinct["region"], strict=True)
    ]
    lookup = distinct.assign(e164=[p[0] for p in parsed], phone_type=[p[1] for p in parsed]).astype(
        {"e164": "str", "phone_type": "str"}
    )
    merged = pairs[present].merge(lookup, on=["phone", "region"], how="left")
    e164[present] = merged["e164"].to_numpy()
    kind[present] = merged["phone_type"].to_numpy()
    return e164, kind


def reference_parse_phone(phone: str, region: object) -> tuple[str | None, str]:
    region = region if isinstance(region, str) else None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None, "invalid"
    if not phonenumbers.is_valid_number(number):
        return None, "invalid"
    kind = _PHONE_TYPES.get(phonenumbers.number_type(number), "unknown")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), kind
