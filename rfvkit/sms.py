"""SMS text length: GSM-7 or UCS-2 encoding, septets / UTF-16 units and parts.

An SMS carries 140 bytes. Text that fits the GSM 7-bit default alphabet (3GPP TS 23.038
section 6.2.1) is sent in GSM-7: 160 septets in one message; the characters of the
extension table (form feed, ``^ { } \\ [ ~ ] |`` and ``€``) are an escape (0x1B) plus a
code, so they count 2 septets. Anything else switches the whole message to UCS-2
(UTF-16): 70 code units, and a character outside the Basic Multilingual Plane (most
emoji) is a surrogate pair of 2 units. A longer message is split into concatenated parts
whose User Data Header (3GPP TS 23.040 section 9.2.3.24.1, 6 bytes) leaves 153 septets or
67 units per part; an escape pair or a surrogate pair is never split across two parts,
so a part may hold one unit fewer.

Whether a character is GSM-7 is decided by the ``gsm0338`` codec (``"gsm03.38"``), an
implementation of TS 23.038; it encodes extension characters as two bytes, so the byte
length *is* the septet count.

Examples
--------
>>> sms_parts("a" * 160), sms_parts("a" * 161), sms_encoding("Prix: 5€"), sms_length("5€")
(1, 2, 'GSM-7', 3)
>>> sms_encoding("Merci 🙂"), sms_length("🙂")
('UCS-2', 2)
"""

from __future__ import annotations

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
import numpy as np
import pandas as pd

__all__ = [
    "GSM7",
    "UCS2",
    "LIMITS",
    "sms_encoding",
    "sms_length",
    "sms_parts",
    "split_sms",
    "sms_table",
    "template_fields",
    "render_codes",
    "render_messages",
]

GSM7 = "GSM-7"
UCS2 = "UCS-2"
#: (single message, per part of a concatenated message), in septets or UTF-16 units.
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}
_CODEC = "gsm03.38"


def _gsm_weights(text: str) -> list[int] | None:
    """Septets per character, or None when a character is not in GSM-7."""
    weights = []
    for char in text:
        try:
            encoded = char.encode(_CODEC)
        except (UnicodeEncodeError, ValueError):
            return None
        # the codec folds a few look-alikes (e.g. some accented capitals); only an exact
        # round trip is GSM-7, so nothing the handset shows differs from the template
        if encoded.decode(_CODEC) != char:
            return None
        weights.append(len(encoded))
    return weights


def _weights(text: str) -> tuple[str, list[int]]:
    gsm = _gsm_weights(text)
    if gsm is not None:
        return GSM7, gsm
    return UCS2, [2 if ord(char) > 0xFFFF else 1 for char in text]


def sms_encoding(text: str) -> str:
    """``"GSM-7"`` when every character is in the GSM 7-bit alphabet, else ``"UCS-2"``.

    Examples
    --------
    >>> sms_encoding("Hi {there} [20%]"), sms_encoding("Łódź")
    ('GSM-7', 'UCS-2')
    """
    return _weights(str(text))[0]


def sms_length(text: str) -> int:
    """Length as the network counts it: GSM-7 septets (extension characters 2) or UTF-16 units.

    Examples
    --------
    >>> sms_length("€"), sms_length("é"), sms_length("ł"), sms_length("👍")
    (2, 1, 1, 2)
    """
    return sum(_weights(str(text))[1])


def _split(text: str) -> tuple[str, list[str]]:
    encoding, weights = _weights(text)
    single, per_part = LIMITS[encoding]
    if sum(weights) <= single:
        return encoding, [text] if text else []
    parts, start, used = [], 0, 0
    for i, weight in enumerate(weights):
        if used + weight > per_part:  # the pair moves whole into the next part
            parts.append(text[start:i])
            start, used = i, 0
        used += weight
    parts.append(text[start:])
    return encoding, parts


def split_sms(text: str) -> list[str]:
    """The text of each part, as a phone would receive it (never splitting a pair).

    Examples
    --------
    >>> [len(p) for p in split_sms("a" * 152 + "€" + "b" * 10)]  # € (2 septets) moves whole
    [152, 11]
    """
    return _split(str(text))[1]


def sms_parts(text: str) -> int:
    """Number of SMS the text is sent as (0 for an empty text).

    Examples
    --------
    >>> sms_parts(""), sms_parts("é" * 160), sms_parts("ł" * 70), sms_parts("ł" * 71)
    (0, 1, 1, 2)
    """
    return len(_split(str(text))[1])


def sms_table(messages: pd.Series) -> pd.DataFrame:
    """``encoding``, ``sms_length`` and ``sms_parts`` per message, computed once per distinct text.

    Examples
    --------
    >>> sms_table(pd.Series(["Hi", "Hi", "Hi 🙂"])).values.tolist()
    [['GSM-7', 2, 1], ['GSM-7', 2, 1], ['UCS-2', 5, 1]]
    """
    distinct = pd.unique(messages.astype(str))
    rows = {}
    for text in distinct:
        encoding, parts = _split(text)
        rows[text] = (encoding, sum(_weights(text)[1]), len(parts))
    lookup = pd.DataFrame.from_dict(
        rows, orient="index", columns=["encoding", "sms_length", "sms_parts"]
    )
    out = lookup.reindex(messages.astype(str).to_numpy())
    return out.set_axis(messages.index).astype({"sms_length": "int64", "sms_parts": "int64"})


def template_fields(template: str) -> list[str]:
    """The ``{field}`` names a message template uses, in order.

    Examples
    --------
    >>> template_fields("Hi {first_name}, {{not a field}} code {code}")
    ['first_name', 'code']
    """
    from string import Formatter

    from rfvkit.errors import BadParameterError

    names = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:
        raise BadParameterError(
            f"message: {template!r} is not a valid template ({exc}); write a literal brace as "
            "'{{' or '}}'."
        ) from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise BadParameterError(
                f"message: field {{{name}}} must be a plain column name like {{first_name}}."
            )
        names.append(name)
    return names


def render_codes(
    template: str, table: pd.DataFrame, *, fallbacks: dict[str, str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Fill ``{field}`` once per distinct combination of field values.

    Returns a code per row and the distinct texts (``texts[codes]`` is the message of
    each row). An empty or missing value takes ``fallbacks[field]`` (else an empty text).

    Examples
    --------
    >>> t = pd.DataFrame({"first_name": ["Ann", None, "Ann", " "]})
    >>> render_codes("Hi {first_name}!", t, fallbacks={"first_name": "there"})
    (array([0, 1, 0, 1]), ['Hi Ann!', 'Hi there!'])
    """
    from string import Formatter

    fallbacks = fallbacks or {}
    parsed = list(Formatter().parse(template))
    codes = np.zeros(len(table), dtype=np.int64)
    fields = []
    for _, name, _, _ in parsed:
        if name is None:
            continue
        values = table[name].astype("string").str.strip()
        values = values.where(values.fillna("").str.len() > 0, fallbacks.get(name, ""))
        own, uniques = pd.factorize(values)
        codes, _ = pd.factorize(codes * (len(uniques) + 1) + own + 1)
        fields.append(values)
    codes = codes.astype(np.int64)
    first = np.unique(codes, return_index=True)[1] if len(table) else []
    out = np.full(len(first), "", dtype=object)
    column = iter(fields)
    for literal, name, _, _ in parsed:
        out = out + literal
        if name is not None:
            out = out + next(column).iloc[first].astype(object).to_numpy()
    return codes, list(out)


def render_messages(
    template: str, table: pd.DataFrame, *, fallbacks: dict[str, str] | None = None
) -> pd.Series:
    """Fill ``{field}`` from the columns of ``table``, once per distinct row (vectorised).

    An empty or missing value takes ``fallbacks[field]`` (else an empty text).

    Examples
    --------
    >>> t = pd.DataFrame({"first_name": ["Ann", None, " "]})
    >>> render_messages("Hi {first_name}!", t, fallbacks={"first_name": "there"}).tolist()
    ['Hi Ann!', 'Hi there!', 'Hi there!']
    """
    codes, texts = render_codes(template, table, fallbacks=fallbacks)
    return pd.Series(np.asarray(texts + [""], dtype=object)[codes], index=table.index, dtype=object)
