"""Digit keys and phone parsing over distinct values (rfvkit.phones): known answers, and the
same results as parsing every row on its own (tests/sendlist_reference.py)."""

from __future__ import annotations

import pandas as pd
import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sendlist_reference import reference_phones

from rfvkit.phones import _type_means_valid, digit_keys, normalise_phones


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("0044 20 7946 0123", "00442079460123"),
        ("+44 (0)20 7946 0123", "+4402079460123"),
        ("020 7946 0123", "02079460123"),
        ("+1 (201) 555-0123", "+12015550123"),
        ("(201) 555.0123", "2015550123"),
        ("201-555-0123 ext. 7", "201-555-0123 ext. 7"),  # an extension: parsed as written
        ("1-800-FLOWERS", "1-800-FLOWERS"),  # letters: phonenumbers reads them as digits
        ("++44 20 7946 0123", "++44 20 7946 0123"),
        ("201\t555 0123", "201\t555 0123"),  # a tab is not a separator phonenumbers skips
        ("1-2", "1-2"),  # fewer than 3 digits: not a viable number as written
    ],
)
def test_digit_keys_known_answers(raw, key):
    assert digit_keys(pd.Series([raw])).tolist() == [key]


@pytest.mark.parametrize(
    ("raw", "region", "e164", "kind"),
    [
        ("0044 20 7946 0123", "GB", "+442079460123", "fixed_line"),
        ("+44 (0)20 7946 0123", "GB", "+442079460123", "fixed_line"),
        ("020 7946 0123", "GB", "+442079460123", "fixed_line"),
        ("+44 20 7946 0123", "US", "+442079460123", "fixed_line"),  # "+": region ignored
        ("+0044 20 7946 0123", "GB", "+442079460123", "fixed_line"),  # no code after "+":
        ("+0044 20 7946 0123", "US", None, "invalid"),  # read again with the region's rules
        ("+1 (201) 555-0123", "US", "+12015550123", "fixed_line_or_mobile"),
        ("(201) 555-0123", "US", "+12015550123", "fixed_line_or_mobile"),
        ("1 201 555 0123", "US", "+12015550123", "fixed_line_or_mobile"),  # trunk "1"
        ("011 44 20 7946 0123", "US", "+442079460123", "fixed_line"),  # US exit code
        ("0044 20 7946 0123", "US", None, "invalid"),  # "00" is not the US exit code
        ("0491 570 006", "AU", "+61491570006", "mobile"),
        ("06 1234 5678", "IT", "+390612345678", "fixed_line"),  # Italy keeps its 0
        ("07400 123456", "GB", "+447400123456", "mobile"),
        ("12345", "GB", None, "invalid"),
    ],
)
def test_phones_known_answers(raw, region, e164, kind):
    got, got_kind = normalise_phones(pd.Series([raw]), region)
    assert got.iloc[0] == e164 if e164 else pd.isna(got.iloc[0])
    assert got_kind.tolist() == [kind]


def test_gb_spellings_share_one_number_and_missing_stays_missing():
    raw = pd.Series(["0044 20 7946 0123", "+44 (0)20 7946 0123", "020 7946 0123", None, " "])
    e164, kind = normalise_phones(raw, "GB")
    assert e164.iloc[:3].tolist() == ["+442079460123"] * 3
    assert e164.iloc[3:].isna().all() and kind.iloc[3:].isna().all()


def test_type_known_means_valid():
    """is_valid_number agrees with number_type != UNKNOWN, over valid and invalid numbers."""
    raw = [
        "+12015550123",
        "+12015550199",
        "+11234567890",
        "+447400123456",
        "+442079460123",
        "+4420794601",
        "+61491570006",
        "+6149157000",
        "+390612345678",
        "+80012345678",
        "+8821234567",
        "+80012345",
        "+33612345678",
        "+3361234567",
        "+18003569377",
    ]
    for text in raw:
        number = phonenumbers.parse(text, None)
        assert _type_means_valid(phonenumbers.number_type(number)) == (
            phonenumbers.is_valid_number(number)
        ), text


_SEPARATORS = st.sampled_from(["", " ", "-", ".", "(", ")", "  ", "\t", "/", "x", "#", "+"])
_NUMBERS = st.sampled_from(
    [
        "2015550123",
        "12015550123",
        "2125550188",
        "7400123456",
        "07400123456",
        "442079460123",
        "02079460123",
        "4402079460123",
        "00442079460123",
        "01144207946012",
        "491570006",
        "0491570006",
        "61491570006",
        "0612345678",
        "390612345678",
        "33612345678",
        "0612345",
        "00442079460123",
        "12",
        "1",
        "800356937",
        "18003569377",
        "8812345678",
    ]
)


@st.composite
def typed_number(draw):
    digits = draw(_NUMBERS)
    out = "+" if draw(st.booleans()) else ""
    for d in digits:
        out += d + (draw(_SEPARATORS) if draw(st.integers(0, 3)) == 0 else "")
    if draw(st.integers(0, 5)) == 0:
        out = draw(st.sampled_from(["(", " ", "(+", "0", "00"])) + out
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    phones=st.lists(st.one_of(typed_number(), st.none(), st.just("")), min_size=1, max_size=30),
    regions=st.lists(st.sampled_from(["GB", "US", "AU", "IT", "FR", "gb", "ZZ", "", None])),
)
def test_same_as_parsing_each_row(phones, regions):
    raw = pd.Series(phones, dtype=object)
    region = pd.Series([regions[i % len(regions)] if regions else None for i in range(len(raw))])
    for where in (region, "GB", "US", None):
        fast = normalise_phones(raw, where)
        slow = reference_phones(raw, where)
        pd.testing.assert_series_equal(fast[0], slow[0])
        pd.testing.assert_series_equal(fast[1], slow[1])
