"""Phone numbers to E.164 and their type, with as few ``phonenumbers`` calls as possible.

``phonenumbers`` costs about 10 µs to parse a number and 13 µs to type it, so a column of a
million raw strings is parsed in three steps, each over distinct values only:

1. raw text -> *digit key*: a number written with only digits, spaces, dots, dashes and
   parentheses (and one leading ``+``) is reduced to its digits (``"(201) 555-0123"`` and
   ``"201.555.0123"`` -> ``"2015550123"``). ``phonenumbers`` discards exactly these
   characters before it reads a number, so both spellings parse the same; anything else
   (letters, extensions, other punctuation) keeps its raw text as its key. A key of ``+``
   and a country calling code does not depend on the region, so it is parsed once for
   all regions (after ``+`` and digits that are no country code, such as ``+0044``,
   ``phonenumbers`` tries again with the region's rules, so those keep their region).
2. (key, region) -> number: one ``phonenumbers.parse`` per distinct key. The library
   applies the region's own rules here: international prefix (``00``, ``011``), national
   trunk prefix (``0``, ``1``), Italy's leading zero. ``"0044 20 7946 0123"``,
   ``"+44 (0)20 7946 0123"`` and ``"020 7946 0123"`` (region GB) become one number.
3. number -> type: one ``phonenumbers.number_type`` per distinct (country code, national
   number). A number is valid exactly when its type is known (:func:`_type_means_valid`;
   ``is_valid_number`` runs the same region lookup and pattern test), so validity costs no
   second call.

Examples
--------
>>> e164, kind = normalise_phones(pd.Series(["07400 123456", "020 7946 0018"]), "GB")
>>> e164.tolist(), kind.tolist()
(['+447400123456', '+442079460018'], ['mobile', 'fixed_line'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers

__all__ = ["SMS_TYPES", "COUNTRY_CODES", "digit_keys", "normalise_phones"]

_PHONE_TYPES = {
    getattr(phonenumbers.PhoneNumberType, name): name.lower()
    for name in dir(phonenumbers.PhoneNumberType)
    if name.isupper()
}
#: Phone types an SMS can be expected to reach.
SMS_TYPES = ("mobile", "fixed_line_or_mobile")
# digits with the separators phonenumbers ignores (ASCII space, "-", ".", "(", ")"), after
# at most one leading "+"; phonenumbers refuses text over 250 characters, so longer text
# keeps its own key, as does text with fewer than 3 digits (not a viable number as written)
_KEYABLE = r"\+?[0-9 ().\-]*"
_MAX_INPUT = 250
_MIN_DIGITS = 3
#: Country calling codes as text (prefix-free, ITU-T E.164; none begins with 0).
COUNTRY_CODES = frozenset(str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def digit_keys(phones: pd.Series) -> pd.Series:
    """The text each raw number is parsed from: ``+`` and digits when that is safe, else itself.

    Examples
    --------
    >>> digit_keys(pd.Series(["+44 (0)20 7946-0123", "020.7946.0123", "555-CALL", None])).tolist()
    ['+4402079460123', '02079460123', '555-CALL', nan]
    """
    text = phones.astype("str")
    digits = text.str.replace(r"[^0-9]", "", regex=True)
    safe = (
        text.str.fullmatch(_KEYABLE).fillna(False).astype(bool)
        & (text.str.len() <= _MAX_INPUT).fillna(False).astype(bool)
        & (digits.str.len() >= _MIN_DIGITS).fillna(False).astype(bool)
    )
    plus = text.str.startswith("+").fillna(False).astype(bool)
    keys = digits.where(~plus, "+" + digits)
    return text.where(~safe, keys)


def _region_free(keys: pd.Series) -> np.ndarray:
    """Keys ``phonenumbers`` reads without the region: ``+`` then a country calling code."""
    digits = keys.str.removeprefix("+")
    code = np.zeros(len(keys), dtype=bool)
    for n in (1, 2, 3):
        code |= np.asarray(digits.str.slice(0, n).isin(COUNTRY_CODES), dtype=bool)
    return np.asarray(keys.str.fullmatch(r"\+[0-9]+"), dtype=bool) & code  # digit keys only


def _type_means_valid(kind: int) -> bool:
    """``is_valid_number`` is ``number_type(...) != UNKNOWN``: both look the region up from
    the country code (and, for shared codes, the leading digits) and test the national
    number against that region's patterns; ``tests/test_phone_keys.py`` checks it."""
    return kind != phonenumbers.PhoneNumberType.UNKNOWN


def _parse_keys(keys: list[str], regions: list[object]) -> tuple[np.ndarray, list]:
    """Per key: the index of its number in the returned list of distinct numbers, or -1."""
    index: dict[tuple[int, str], int] = {}
    numbers = []
    out = np.full(len(keys), -1, dtype=np.int64)
    nsn = phonenumbers.national_significant_number
    for i, (key, region) in enumerate(zip(keys, regions, strict=True)):
        try:
            number = phonenumbers.parse(key, region if isinstance(region, str) else None)
        except phonenumbers.NumberParseException:
            continue
        ident = (number.country_code, nsn(number))
        found = index.get(ident)
        if found is None:
            found = index[ident] = len(numbers)
            numbers.append(number)
        out[i] = found
    return out, numbers


def _type_numbers(numbers: list) -> tuple[np.ndarray, np.ndarray]:
    """E.164 text (None when invalid) and type name (``"invalid"``) per distinct number."""
    e164 = np.empty(len(numbers), dtype=object)
    kinds = np.empty(len(numbers), dtype=object)
    e164_format = phonenumbers.PhoneNumberFormat.E164
    for i, number in enumerate(numbers):
        kind = phonenumbers.number_type(number)
        if _type_means_valid(kind):
            e164[i] = phonenumbers.format_number(number, e164_format)
            kinds[i] = _PHONE_TYPES.get(kind, "unknown")
        else:
            e164[i], kinds[i] = None, "invalid"
    return e164, kinds


def default_regions(index: pd.Index, regions: pd.Series | str | None) -> pd.Series:
    """Per row: the ISO alpha-2 region (upper case) for numbers written without ``+``, or NaN."""
    from rfvkit.parsing import normalise_ids

    if isinstance(regions, pd.Series):
        region = normalise_ids(regions).str.upper()
    else:
        region = pd.Series(regions.upper() if regions else np.nan, index=index, dtype="str")
    return region.where(region.str.fullmatch(r"[A-Z]{2}").fillna(False).astype(bool))


def normalise_phones(
    phones: pd.Series, regions: pd.Series | str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Phone numbers to E.164 with the ``phonenumbers`` library, plus their type.

    ``regions`` (ISO alpha-2, per row or one for all) is the default region for numbers
    written without ``+``. Each distinct digit key is parsed once and each distinct
    number typed once (see the module docstring); the result is the same as parsing,
    validating and typing every row on its own.

    Returns
    -------
    (e164, phone_type)
        E.164 text (missing when absent or invalid) and the type in lower case
        (``"mobile"``, ``"fixed_line"``, ``"fixed_line_or_mobile"``, ``"voip"`` ...),
        ``"invalid"`` for numbers that do not parse as valid, missing when absent.

    Examples
    --------
    >>> e164, kind = normalise_phones(pd.Series(["+1 (201) 555-0123", "0044 20 7946 0123"]), "GB")
    >>> e164.tolist(), kind.tolist()
    (['+12015550123', '+442079460123'], ['fixed_line_or_mobile', 'fixed_line'])
    """
    from rfvkit.parsing import normalise_ids

    text = normalise_ids(phones)
    region = default_regions(phones.index, regions)
    e164 = np.full(len(text), np.nan, dtype=object)
    kind = np.full(len(text), np.nan, dtype=object)
    present = text.notna().to_numpy()
    if present.any():
        # distinct raw texts -> their keys; "+" and a country code takes no region
        raw_codes, raw_uniques = pd.factorize(text[present])
        keys = digit_keys(pd.Series(raw_uniques, dtype="str"))
        region_codes, region_uniques = pd.factorize(region[present])
        key_codes, key_uniques = pd.factorize(keys)
        plus = _region_free(keys)
        rows_key = key_codes[raw_codes]
        rows_region = np.where(plus[raw_codes], -1, region_codes)
        pair_codes, pairs = pd.factorize(rows_key * (len(region_uniques) + 1) + rows_region + 1)
        pair_key = pairs // (len(region_uniques) + 1)
        pair_region = pairs % (len(region_uniques) + 1) - 1
        region_table = np.append(np.asarray(region_uniques, dtype=object), None)
        number_of_pair, numbers = _parse_keys(
            list(np.asarray(key_uniques, dtype=object)[pair_key]),
            list(region_table[pair_region]),
        )
        number_e164, number_kind = _type_numbers(numbers)
        number_e164 = np.append(number_e164, None)  # -1: did not parse
        number_kind = np.append(number_kind, "invalid")
        rows_number = number_of_pair[pair_codes]
        e164[present] = number_e164[rows_number]
        kind[present] = number_kind[rows_number]
    e164[pd.isna(e164)] = np.nan
    return pd.Series(e164, index=phones.index, dtype="str"), pd.Series(
        kind, index=phones.index, dtype="str"
    )
