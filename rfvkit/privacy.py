"""Masking of personal data (phone numbers, identifiers) for reports and notebooks.

HTML reports, notebooks and quality examples show only masked values; send lists
are the only files that hold full numbers.
"""

from __future__ import annotations

import re

import pandas as pd
import phonenumbers

__all__ = ["mask_phone", "mask_id", "is_missing"]


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pd.NA (one scalar); False for anything else."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not a single missing scalar
        return False


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phones read as numbers from spreadsheets: 447700900123.0
    return str(value).strip()


def _kept_digits(n: int) -> int:
    """Trailing digits to show for a national number of ``n`` digits (5+ always hidden)."""
    return 0 if n < 7 else min(4, n - 5)


def mask_phone(phone: object, *, region: str | None = None) -> str:
    """Mask a phone number for display: country code and the last 2-4 digits only.

    Parameters
    ----------
    phone : str, int or None
        Number in any common format; E.164 (``+447700900123``) is parsed without ``region``.
    region : str, optional
        ISO-3166 alpha-2 default region for numbers written without ``+country code``.

    Returns
    -------
    str
        ``"+44 **** **0123"``; ``"**** **0123"`` when the country code is unknown; ``""``
        for a missing value. At least five digits of the national number are always
        hidden, so short numbers show fewer (or no) trailing digits.

    Examples
    --------
    >>> mask_phone("+447700900123")
    '+44 **** **0123'
    >>> mask_phone("07700 900123", region="GB")
    '+44 **** **0123'
    >>> mask_phone(None)
    ''
    """
    if is_missing(phone):
        return ""
    text = _as_text(phone)
    typed = re.sub(r"\D", "", text)
    if not typed:
        return ""
    country = ""
    national = typed
    try:
        code = str(phonenumbers.parse(text, region).country_code)
        country = f"+{code} "
        if text.lstrip().startswith(("+", "00")):
            national = typed.removeprefix("00").removeprefix(code)
    except phonenumbers.NumberParseException:
        pass
    # Count the digits as written: parsing can add digits nobody typed (San Marino's
    # national number gains a 549 prefix), which would show more than it hides.
    keep = _kept_digits(len(national))
    tail = typed[-keep:] if keep else ""
    return f"{country}**** **{'*' * (4 - keep)}{tail}"


def mask_id(value: object) -> str:
    """Mask an identifier (customer id, email...) keeping at most its last 4 characters.

    At least half of the characters are hidden and the mask has a fixed width, so the
    length of the original does not show.

    Examples
    --------
    >>> mask_id("C000123")
    '****123'
    >>> mask_id(float("nan"))
    ''
    """
    if is_missing(value):
        return ""
    text = _as_text(value)
    keep = min(4, len(text) // 2)
    return "****" + (text[-keep:] if keep else "")
