"""Demo phone numbers: ranges reserved for fiction, and numbers typed as people type them.

Every number a demo table shows comes from a range that ``phonenumbers`` accepts and that is
reserved for drama and fiction (:data:`FICTIONAL`): US 555-0100..0199 in every area code
(``FIXED_LINE_OR_MOBILE``), the 30 mobile numbers Australia's ACMA lists for creative works
(``MOBILE``), and for landlines Ofcom's drama numbers (020 7946 0xxx ...), ACMA's (0x 5550 xxxx)
and ARCEP's (01 99 00 xx xx). :class:`FictionalPools` hands each of them out once, by country and
US region (:data:`US_AREAS`); customers of countries without a fictional mobile range get a US
number. Still: never send messages to demo data.

:func:`type_number` writes a number in one of :data:`STYLES` (national, ``+CC``, E.164, ``00CC``,
digits only); :func:`mistype` breaks one so that it no longer validates. :func:`draw_numbers`
draws valid numbers from real ranges: the generator still draws them so that its random stream
(and so every other table) stays as it was, but never shows them.
"""

from __future__ import annotations

import numpy as np
import phonenumbers as pn

from rfvkit.errors import BadParameterError

__all__ = [
    "FICTIONAL",
    "STYLES",
    "STYLE_SHARE",
    "US_AREAS",
    "FictionalPools",
    "dials_00",
    "draw_numbers",
    "is_valid",
    "mistype",
    "type_number",
]

# Number ranges reserved for drama and fiction that phonenumbers 9 still accepts.
FICTIONAL = {
    # US: 555-0100 to 555-0199 are reserved for fiction in every area code (NANPA)
    "US": "+1 AAA 555-01xx, every area code",
    # ACMA, "Phone numbers for use in TV shows, films and creative works"
    "AU_MOBILE": [
        "0491570006",
        "0491570156",
        "0491570157",
        "0491570158",
        "0491570159",
        "0491570110",
        "0491570313",
        "0491570737",
        "0491571266",
        "0491571491",
        "0491571804",
        "0491572549",
        "0491572665",
        "0491572983",
        "0491573770",
        "0491573087",
        "0491574118",
        "0491574632",
        "0491575254",
        "0491575789",
        "0491576398",
        "0491576801",
        "0491577426",
        "0491577644",
        "0491578957",
        "0491578148",
        "0491578888",
        "0491579212",
        "0491579760",
        "0491579455",
    ],
    "AU_FIXED": ["025550", "035550", "075550", "085550"],  # + 4 digits
    # Ofcom, "TV, radio and other drama numbers": geographic ranges + 3 or 4 digits
    "GB_FIXED": [
        "02079460",
        "01134960",
        "01144960",
        "01164960",
        "01174960",
        "01184960",
        "01214960",
        "01314960",
        "01414960",
        "01514960",
        "01614960",
        "01914980",
        "02920180",
        "02896496",
    ],
    # ARCEP, numbers reserved for audiovisual works
    "FR_FIXED": ["01990"],  # + 5 digits: 01 99 00 xx xx
}
# US area codes per demo region (the number's time zone matches the region's).
US_AREAS = {
    "California": [
        213,
        310,
        323,
        408,
        415,
        510,
        559,
        562,
        619,
        626,
        650,
        661,
        707,
        714,
        760,
        805,
        818,
        831,
        858,
        909,
        916,
        925,
        949,
        951,
    ],
    "New York": [212, 315, 347, 516, 518, 585, 607, 631, 646, 716, 718, 845, 914, 917, 929],
    "Texas": [
        210,
        214,
        254,
        281,
        325,
        361,
        409,
        430,
        432,
        469,
        512,
        682,
        713,
        737,
        806,
        817,
        830,
        832,
        903,
        915,
        936,
        940,
        956,
        972,
        979,
    ],
    "Illinois": [217, 224, 309, 312, 331, 618, 630, 708, 773, 779, 815, 847, 872],
    "Colorado": [303, 719, 720, 970],
}
STYLES = ("national", "international", "e164", "idd00", "digits")
STYLE_SHARE = np.array([0.40, 0.25, 0.15, 0.10, 0.10])  # how often each style is typed


class FictionalPools:
    """Numbers from ranges reserved for fiction (``FICTIONAL``), each handed out once.

    Their order comes from a generator of its own, so the main random stream is untouched.
    """

    def __init__(self, seed: int) -> None:
        self.rng = rng = np.random.default_rng([seed, 555])
        us_valid = [a for a in range(200, 1000) if _us_area_ok(a)]
        regional = {a for areas in US_AREAS.values() for a in areas}

        def us(areas) -> list[str]:
            return [f"+1{a}55501{x:02d}" for a in areas for x in range(100)]

        def shuffled(items: list[str]) -> list[str]:
            return [items[i] for i in rng.permutation(len(items))]

        self.us = {
            r: shuffled(us([a for a in areas if a in us_valid])) for r, areas in US_AREAS.items()
        }
        self.us_other = shuffled(us([a for a in us_valid if a not in regional]))
        self.au_mobile = shuffled(["+61" + n[1:] for n in FICTIONAL["AU_MOBILE"]])
        self.fixed = {  # each prefix checked valid FIXED_LINE by tests/test_demo.py
            "AU": shuffled(
                [f"+61{p[1:]}{x:04d}" for p in FICTIONAL["AU_FIXED"] for x in range(10**4)]
            ),
            "GB": shuffled(
                [
                    f"+44{p[1:]}{x:0{11 - len(p)}d}"
                    for p in FICTIONAL["GB_FIXED"]
                    for x in range(10 ** (11 - len(p)))
                ]
            ),
            "FR": shuffled(
                [f"+33{p[1:]}{x:05d}" for p in FICTIONAL["FR_FIXED"] for x in range(10**5)]
            ),
        }

    def take(self, country: str, region: object, *, fixed: bool) -> pn.PhoneNumber:
        """The next unused number: a landline of ``country`` (GB's when it has no fictional
        range), a US number of ``region``'s area codes, an Australian mobile, else a US number
        of another area code."""
        if fixed:
            pool = self.fixed.get(country, self.fixed["GB"])
        elif country == "US" and self.us.get(region):
            pool = self.us[region]
        elif country == "AU" and self.au_mobile:
            pool = self.au_mobile
        else:
            pool = self.us_other or next(p for p in self.us.values() if p)
        if not pool:
            raise BadParameterError(
                "n_customers: too many customers for the fictional number ranges; use fewer."
            )
        return pn.parse(pool.pop(), None)


def _us_area_ok(area: int) -> bool:
    try:
        first, last = pn.parse(f"+1{area}5550100"), pn.parse(f"+1{area}5550199")
    except pn.NumberParseException:
        return False
    sendable = pn.PhoneNumberType.FIXED_LINE_OR_MOBILE  # not toll-free, premium, personal
    return (
        pn.is_valid_number(first)
        and pn.is_valid_number(last)
        and pn.region_code_for_number(first) == "US"
        and pn.number_type(first) == pn.number_type(last) == sendable
    )


def type_number(number: pn.PhoneNumber, style: str) -> str:
    """Type ``number`` the way a person might: see ``STYLES``."""
    fmt = pn.PhoneNumberFormat
    if style == "international":
        return pn.format_number(number, fmt.INTERNATIONAL)
    if style == "e164":
        return pn.format_number(number, fmt.E164)
    if style == "idd00":
        return "00" + pn.format_number(number, fmt.INTERNATIONAL)[1:]
    national = pn.format_number(number, fmt.NATIONAL)
    return national if style == "national" else "".join(filter(str.isdigit, national))


def is_valid(text: str, region: str) -> bool:
    """Whether ``text`` parses in ``region`` to a number phonenumbers calls valid."""
    try:
        return pn.is_valid_number(pn.parse(text, region))
    except pn.NumberParseException:
        return False


def dials_00(region: str) -> bool:
    """Whether people in ``region`` dial abroad with 00 (so ``00CC`` numbers parse there)."""
    return pn.PhoneMetadata.metadata_for_region(region).international_prefix == "00"


def mistype(number: pn.PhoneNumber, kind: str, region: str, rng: np.random.Generator) -> str:
    """``number`` typed wrong (``kind`` ``invalid_short``: its last digits missing, else a
    letter instead of a digit), drawing from ``rng`` until ``region`` no longer validates it."""
    own = pn.region_code_for_number(number) == region
    national = pn.format_number(
        number, pn.PhoneNumberFormat.NATIONAL if own else pn.PhoneNumberFormat.INTERNATIONAL
    )
    while True:
        if kind == "invalid_short":
            text = national[: -int(rng.integers(3, 5))].rstrip(" -")
        else:
            digits = [i for i, ch in enumerate(national) if ch.isdigit()][2:]
            i = digits[rng.integers(len(digits))]
            text = national[:i] + "OIlSx"[rng.integers(5)] + national[i + 1 :]
        if not is_valid(text, region):
            return text


def draw_numbers(
    rng: np.random.Generator, region: str, kind: int, count: int, taken: set
) -> list[pn.PhoneNumber]:
    """``count`` new valid numbers of ``kind`` in ``region`` from real ranges: the example
    number with its last digits varied, kept only when phonenumbers accepts it and its
    ``(country code, national number)`` is not in ``taken`` (which gains it)."""
    example = pn.example_number_for_type(region, kind)
    head = str(example.national_number)
    k = 4 if len(head) <= 8 else 6
    types = {kind, pn.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    found: list[pn.PhoneNumber] = []
    while len(found) < count:
        for tail in rng.integers(0, 10**k, size=2 * (count - len(found)) + 4):
            num = pn.PhoneNumber(
                country_code=example.country_code,
                national_number=int(f"{head[:-k]}{tail:0{k}d}"),
            )
            key = (num.country_code, num.national_number)
            if key not in taken and pn.is_valid_number(num) and pn.number_type(num) in types:
                taken.add(key)
                found.append(num)
                if len(found) == count:
                    break
    return found
