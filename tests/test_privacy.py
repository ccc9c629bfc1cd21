"""Masking of phone numbers and identifiers: known answers and never-leak properties."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.privacy import mask_id, mask_phone


@pytest.mark.parametrize(
    ("phone", "region", "expected"),
    [
        ("+447700900123", None, "+44 **** **0123"),
        ("+44 7700 900123", None, "+44 **** **0123"),
        ("+1 (415) 555-2671", None, "+1 **** **2671"),
        ("07700 900123", "GB", "+44 **** **0123"),
        ("07700900123", None, "**** **0123"),  # no country code known: none shown
        (447700900123, None, "**** **0123"),  # read as a number from a spreadsheet
        (447700900123.0, None, "**** **0123"),
        ("+4412345678", None, "+44 **** ***678"),  # 8 national digits: 3 shown
        ("+441234567", None, "+44 **** ****67"),  # 7 national digits: 2 shown
        ("+4412345", None, "+44 **** ******"),  # 5 national digits: none shown
        (None, None, ""),
        (float("nan"), None, ""),
        (pd.NA, None, ""),
        ("", None, ""),
        ("n/a", None, ""),
    ],
)
def test_mask_phone_known_answers(phone, region, expected):
    assert mask_phone(phone, region=region) == expected


E164 = st.tuples(
    st.integers(1, 999).map(str),
    st.text("0123456789", min_size=4, max_size=12),
    st.sampled_from(["", " ", "-", "."]),
)


@given(E164)
@settings(max_examples=300, deadline=None)
def test_mask_phone_never_leaks_the_number(parts):
    country, national, sep = parts
    digits = country + national
    text = "+" + country + sep + sep.join(national[i : i + 3] for i in range(0, len(national), 3))
    masked = mask_phone(text)
    head, _, rest = masked.rpartition(" ")
    shown_country = re.sub(r"\D", "", head)
    shown_tail = re.sub(r"\D", "", rest)
    assert digits not in re.sub(r"\D", "", masked)
    assert len(shown_tail) <= 4
    assert digits.startswith(shown_country)
    assert digits.endswith(shown_tail)
    # at least five digits of the number stay hidden
    assert len(digits) - len(shown_country) - len(shown_tail) >= 5 or not shown_tail


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C000123", "****123"),
        ("CUST-00012345", "****2345"),
        ("ab", "****b"),
        ("a", "****"),
        (12345, "****45"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_mask_id_known_answers(value, expected):
    assert mask_id(value) == expected


@given(st.text(min_size=2, max_size=40).filter(lambda t: t.strip() == t and "*" not in t))
def test_mask_id_hides_at_least_half(value):
    masked = mask_id(value)
    shown = masked.removeprefix("****")
    assert masked.startswith("****")
    assert len(shown) <= min(4, len(value) // 2)
    assert value.endswith(shown)
    assert value not in masked or len(value) == 0


def test_san_marino_counts_digits_as_written():
    # phonenumbers adds a 549 prefix nobody typed; the mask must hide five typed digits
    assert mask_phone("+378 800 000") == "+378 **** ******"
