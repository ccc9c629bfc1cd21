"""Value parsers the loaders share: ids, dates, numbers, consent flags, phone numbers.

Each parser works on the distinct values of a column, so a column of half a million
order lines costs a few thousand conversions, and returns the parsed values together
with what it could not parse, for the quality ledger (:mod:`rfvkit.quality`).

Text columns held by Arrow (what rfvkit's CSV reader and pandas' ``str`` dtype give)
first take a vectorised fast path over the whole column: Arrow's strict ISO-8601
timestamp cast, Arrow's float cast, Arrow string kernels for ids. The fast path only
keeps values it is sure the careful parser reads the same way; every other row goes to
the careful parser below, so results and quality ledgers are identical either way
(``tests/test_fastpath.py``). :func:`careful_parsing` turns the fast paths off.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from rfvkit._fastpaths import (
    _arrow_text,
    _fast_dates,
    _fast_floats,
    _fast_ids,
    _owned,
    careful_parsing,
    fast_paths_enabled,
)
from rfvkit.errors import BadValuesError, examples
from rfvkit.phones import SMS_TYPES, normalise_phones  # re-exported: the loaders' phone parser

__all__ = [
    "normalise_ids",
    "parse_dates",
    "parse_numbers",
    "parse_consent",
    "normalise_phones",
    "SMS_TYPES",
    "careful_parsing",
    "fast_paths_enabled",
]


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


_ID_DECIMAL = r"^([+-]?\d+)\.0+$"


def normalise_ids(values: pd.Series) -> pd.Series:
    """Identifiers as stripped strings; ``12347.0`` -> ``"12347"``; blanks become missing.

    Works on the distinct values, so long columns of repeated ids stay cheap.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_ids(pd.Series([12347.0, None, " a1 ", "12.0"])).tolist()
    ['12347', nan, 'a1', '12']
    """
    arrow = _arrow_text(values)
    if arrow is not None:  # the string kernels pandas' .str uses below, row by row
        return _fast_ids(values, arrow, _ID_DECIMAL)
    codes, uniques = pd.factorize(values)
    uniq = pd.Series(uniques)
    if pd.api.types.is_float_dtype(uniq.dtype):
        finite = np.isfinite(uniq.to_numpy(dtype=float))
        whole = finite & (uniq == np.round(uniq)).to_numpy() & (uniq.abs() < 2**63).to_numpy()
        text = uniq.astype(str)
        text[whole] = uniq[whole].astype("int64").astype(str)
    else:
        text = uniq.astype(str).str.strip().str.replace(_ID_DECIMAL, r"\1", regex=True)
    text = text.where(text.str.len() > 0)
    table = np.append(text.to_numpy(dtype=object), np.nan)  # code -1 (missing) -> NaN
    return pd.Series(table[codes], index=values.index, dtype="str")


# ----------------------------------------------------------------------------- dates

# day/month/year (or month/day/year) with a 2- or 4-digit year, then an optional time.
_DMY = re.compile(r"^(\d{1,2})([/.\- ])(\d{1,2})\2(\d{4}|\d{2})((?:[ T].*)?)$")
_HAS_DATE_WORDS = re.compile(r"\d{4}|[A-Za-z]{3}")


def parse_dates(
    values: pd.Series,
    column: str,
    *,
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> tuple[pd.Series, str | None]:
    """Parse a column to naive ``datetime64[ns]``; unparsable values become ``NaT``.

    Day/month order is never guessed: numeric ``dd/mm/yyyy``-shaped text needs
    ``dayfirst`` or ``date_format`` unless some value has a part above 12 that settles
    it. ISO dates (``YYYY-MM-DD``) are never ambiguous. Time-zone-aware values are
    converted to UTC and made naive.

    Returns
    -------
    (dates, inferred)
        ``inferred`` describes the day/month order read from the data, or ``None``.

    Raises
    ------
    BadValuesError
        When the order is ambiguous or the data mix both orders.

    Examples
    --------
    >>> import pandas as pd
    >>> d, how = parse_dates(pd.Series(["13/04/2011", "03/04/2011"]), "order_date")
    >>> d.dt.strftime("%Y-%m-%d").tolist(), how
    (['2011-04-13', '2011-04-03'], "day first, as in '13/04/2011'")
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]"), None
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[ns]"), None
    arrow = _arrow_text(values)
    if arrow is not None:
        fast = _fast_dates(values, arrow, date_format)
        todo = np.isnat(fast) & values.notna().to_numpy()
        inferred = None
        if todo.any():  # only the rows the fast path left go to the careful parser
            rest, inferred = _careful_dates(values[todo], column, date_format, dayfirst)
            fast = np.array(fast, copy=True)
            fast[todo] = rest.to_numpy()
        return pd.Series(_owned(fast), index=values.index, copy=False), inferred
    return _careful_dates(values, column, date_format, dayfirst)


def _careful_dates(
    values: pd.Series, column: str, date_format: str | None, dayfirst: bool | None
) -> tuple[pd.Series, str | None]:
    codes, uniques = pd.factorize(values)
    uniq = pd.Series(uniques, dtype=object)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        uniq = normalise_ids(pd.Series(uniques)).astype(object)  # 20110403 -> "20110403"
    is_text = uniq.map(lambda v: isinstance(v, str)).astype(bool)
    parsed = pd.Series(pd.NaT, index=uniq.index, dtype="datetime64[ns]")
    if (~is_text).any():
        others = uniq[~is_text]
        parsed[~is_text] = _to_naive(pd.to_datetime(others.tolist(), errors="coerce", utc=True))
    inferred = None
    if is_text.any():
        text = uniq[is_text].astype(str).str.strip()
        parsed_text, inferred = _parse_date_text(text, column, date_format, dayfirst)
        parsed[is_text] = parsed_text
    result = np.append(parsed.to_numpy(), np.datetime64("NaT", "ns"))[codes]  # -1 -> NaT
    return pd.Series(result, index=values.index, dtype="datetime64[ns]"), inferred


def _to_naive(parsed: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.astype("datetime64[ns]").to_numpy(copy=True)


def _parse_date_text(
    text: pd.Series, column: str, date_format: str | None, dayfirst: bool | None
) -> tuple[np.ndarray, str | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if date_format is not None:
            return _to_naive(
                pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
            ), None
        out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
        parts = text.str.extract(_DMY)
        dmy = parts[0].notna().to_numpy()
        inferred = None
        if dmy.any():
            a = parts.loc[dmy, 0].astype(int).to_numpy()
            b = parts.loc[dmy, 2].astype(int).to_numpy()
            if dayfirst is None:
                dayfirst, inferred = _day_month_order(text[dmy], a, b, column)
            day, month = (a, b) if dayfirst else (b, a)
            year = parts.loc[dmy, 3].astype(int).to_numpy()
            year = np.where(year < 100, np.where(year <= 68, 2000 + year, 1900 + year), year)
            iso = (
                pd.Series(year).astype(str).str.zfill(4)
                + "-"
                + pd.Series(month).astype(str).str.zfill(2)
                + "-"
                + pd.Series(day).astype(str).str.zfill(2)
                + parts.loc[dmy, 4].fillna("").reset_index(drop=True)
            )
            got = _to_naive(pd.to_datetime(iso, format="ISO8601", errors="coerce", utc=True))
            retry = np.isnat(got) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
            if retry.any():
                got[retry] = _to_naive(
                    pd.to_datetime(iso[retry], format="mixed", errors="coerce", utc=True)
                )
            out[dmy] = got
        rest = ~dmy
        if rest.any():
            other = text[rest]
            got = _to_naive(pd.to_datetime(other, format="ISO8601", errors="coerce", utc=True))
            retry = np.isnat(got) & other.str.contains(_HAS_DATE_WORDS).to_numpy()
            if retry.any():
                got[retry] = _to_naive(
                    pd.to_datetime(other[retry], format="mixed", errors="coerce", utc=True)
                )
            out[rest] = got
    return out, inferred


def _day_month_order(
    text: pd.Series, a: np.ndarray, b: np.ndarray, column: str
) -> tuple[bool, str | None]:
    day_first = (a > 12) & (b <= 12)
    month_first = (b > 12) & (a <= 12)
    fix = "pass dayfirst=True or dayfirst=False, or date_format='%d/%m/%Y' (or similar)"
    if day_first.any() and month_first.any():
        raise BadValuesError(
            f"{column}: dates mix day-first values ({examples(text[day_first], 3)}) and "
            f"month-first values ({examples(text[month_first], 3)}); {fix}."
        )
    if day_first.any():
        return True, f"day first, as in {examples(text[day_first], 2)}"
    if month_first.any():
        return False, f"month first, as in {examples(text[month_first], 2)}"
    ambiguous = (a != b) & (a <= 12) & (b <= 12)
    if ambiguous.any():
        raise BadValuesError(
            f"{column}: cannot tell day from month in dates such as "
            f"{examples(text[ambiguous], 3)} (no value has a day above 12); {fix}."
        )
    return False, None


# ----------------------------------------------------------------------------- numbers

_CODES = "USD|EUR|GBP|CHF|JPY|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|INR|CNY|BRL|MXN|ZAR|TRY"
_CURRENCY = re.compile(
    rf"[$€£¥₹₽₩₺₪฿₫₴₦₱¢₲₵₡₭₮₸₼₾]|^(?:{_CODES})(?![A-Za-z])|(?<![A-Za-z])(?:{_CODES})$"
)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_PLAIN = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_GROUPED = {
    ".": re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?$"),
    ",": re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*)(?:,\d*)?$"),
}


def parse_numbers(
    values: pd.Series, column: str, *, decimal: str = "."
) -> tuple[pd.Series, pd.Series]:
    """Parse numbers, reading text such as ``"$10"``, ``"1,234.50"`` or ``"12,50"``.

    Currency symbols, three-letter currency codes and spaces are stripped, ``(12)``
    reads as -12. Separators are read only when unambiguous given ``decimal``
    (``"."`` or ``","``): with ``decimal="."``, ``"1,234.5"`` is 1234.5 but ``"12,50"``
    is an error. Missing and blank values (and non-finite numbers) become NaN.

    Returns
    -------
    (numbers, rewritten)
        float64 values and a boolean mask of text values that needed cleaning.

    Raises
    ------
    BadValuesError
        Naming the column, a few values and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_numbers(pd.Series(["12,50", "€ 3", "1.234,50"]), "amount", decimal=",")[0].tolist()
    [12.5, 3.0, 1234.5]
    """
    if decimal not in _GROUPED:
        raise BadValuesError(f"decimal must be '.' or ',', got {decimal!r}.")
    if pd.api.types.is_bool_dtype(values.dtype):
        raise BadValuesError(f"{column}: expected numbers, got true/false values.")
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = values.astype("float64")
        return out.where(np.isfinite(out)), pd.Series(False, index=values.index)
    arrow = _arrow_text(values) if decimal == "." else None
    nums = None if arrow is None else _fast_floats(arrow)
    if nums is None:
        return _careful_numbers(values, column, decimal)
    rewritten = np.zeros(len(values), dtype=bool)
    # Non-finite, zero (sign of -0) and unreadable values go to the careful parser.
    todo = ~(np.isfinite(nums) & (nums != 0)) & values.notna().to_numpy()
    if todo.any():
        rest, rest_rewritten = _careful_numbers(values[todo], column, decimal)
        nums = np.array(nums, copy=True)
        nums[todo] = rest.to_numpy()
        rewritten[todo] = rest_rewritten.to_numpy()
    return (
        pd.Series(_owned(nums), index=values.index, copy=False),
        pd.Series(rewritten, index=values.index, copy=False),
    )


def _careful_numbers(values: pd.Series, column: str, decimal: str) -> tuple[pd.Series, pd.Series]:
    codes, uniques = pd.factorize(values)
    uniq = pd.Series(uniques, dtype=object)
    is_text = uniq.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    is_bool = uniq.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
    if is_bool.any():
        raise BadValuesError(f"{column}: expected numbers, got true/false values.")
    nums = np.full(len(uniq), np.nan)
    changed = np.zeros(len(uniq), dtype=bool)
    if (~is_text).any():
        nums[~is_text] = pd.to_numeric(uniq[~is_text], errors="coerce")
    if is_text.any():
        nums[is_text], changed[is_text] = _parse_number_text(
            uniq[is_text].astype(str), column, decimal
        )
    nums[~np.isfinite(nums)] = np.nan
    out = np.append(nums, np.nan)[codes]  # code -1 (missing) -> NaN
    rewritten = np.append(changed, False)[codes]
    return pd.Series(out, index=values.index), pd.Series(rewritten, index=values.index)


def _parse_number_text(raw: pd.Series, column: str, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    text = raw.str.strip()
    plain = text.str.match(_PLAIN)
    if decimal == ",":
        plain &= ~text.str.contains(".", regex=False)
    cleaned = text.str.replace(_CURRENCY, "", regex=True).str.replace(_SPACES, "", regex=True)
    negative = cleaned.str.match(r"^\(.*\)$")
    cleaned = cleaned.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    blank = text == ""
    valid = cleaned.str.match(_GROUPED[decimal]) & cleaned.str.contains(r"\d")
    ok = plain | valid | blank
    if not ok.all():
        bad = raw[~ok]
        other = "," if decimal == "." else "."
        other_ok = cleaned[~ok].str.match(_GROUPED[other]) & cleaned[~ok].str.contains(r"\d")
        fix = (
            f"pass decimal={other!r}"
            if other_ok.all()
            else "clean these values, or map the right column"
        )
        raise BadValuesError(
            f"{column}: {len(bad):,} distinct value(s) cannot be read as numbers with "
            f"decimal={decimal!r}: {examples(bad)}; {fix}."
        )
    group = "," if decimal == "." else "."
    canonical = cleaned.str.replace(group, "", regex=False).str.replace(decimal, ".", regex=False)
    canonical = canonical.where(~plain, text).where(~blank)
    nums = pd.to_numeric(canonical, errors="coerce").to_numpy(dtype=float, copy=True)
    neg = negative.to_numpy(dtype=bool)
    nums[neg] = -np.abs(nums[neg])
    return nums, (~plain & ~blank).to_numpy(dtype=bool, copy=True)


# ----------------------------------------------------------------------------- consent

_TRUE = {"true", "yes", "y", "1", "t", "1.0"}
_FALSE = {"false", "no", "n", "0", "f", "0.0"}


def parse_consent(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Consent flags to bool: true/false, yes/no, y/n, 1/0 (any case); others -> False.

    Returns
    -------
    (consent, missing, unknown)
        The bool column and masks of missing and unrecognised values (both False).

    Examples
    --------
    >>> import pandas as pd
    >>> c, missing, unknown = parse_consent(pd.Series(["Yes", "n", 1, None, "maybe"]))
    >>> c.tolist(), int(missing.sum()), int(unknown.sum())
    ([True, False, True, False, False], 1, 1)
    """
    missing = values.isna()
    if _arrow_text(values) is not None:  # text only: no true/false objects to spell out
        text = normalise_ids(values).str.lower()
    else:
        text = normalise_ids(values.astype(object).where(~missing).map(_bool_text)).str.lower()
    true = text.isin(_TRUE)
    unknown = ~missing & ~true & ~text.isin(_FALSE)
    return true.astype(bool), missing.astype(bool), unknown.astype(bool)


def _bool_text(value: object) -> object:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return value
