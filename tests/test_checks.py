"""rfvkit.checks: the single-column checks, their fast paths against the plain ones."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfvkit.checks import net_negative, split_offsets, thousands_like
from rfvkit.parsing import careful_parsing


def _same_as_plain(values: list[str | None]) -> None:
    """The prefiltered path against the careful one (the regular expressions on every row)."""
    raw = pd.Series(values, dtype="str")
    text, seen = split_offsets(raw)
    with careful_parsing():
        plain_text, plain_seen = split_offsets(raw)
    pd.testing.assert_series_equal(text, plain_text)
    assert seen == plain_seen


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-05 7:03+01:00",  # one-digit hour, no seconds: the offset starts at character 16
        "2024-01-05 7:03-05:00",
        "2024-01-05T7:03+0100",
        "2024-01-05 7:03-05",
        "2024-01-05 7:03Z",
        "2024-01-05 7:03:00+01:00",
        " 2024-01-05 7:03+01:00 ",
        "2024-01-05 07:03+01:00",
        "2024-01-05 07:03",
    ],
)
def test_split_offsets_one_digit_hours(value):
    _same_as_plain([value, "2024-01-05 10:00:00", None])


def test_split_offsets_strips_an_offset_after_a_one_digit_hour():
    text, seen = split_offsets(pd.Series(["2024-01-05 7:03+01:00", "2024-01-05 8:00"], dtype="str"))
    assert text.tolist() == ["2024-01-05 7:03", "2024-01-05 8:00"]
    assert seen == ["+01:00"]


_props = settings(
    max_examples=int(os.environ.get("RFVKIT_FASTPATH_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_stamp = st.builds(
    lambda y, mo, d, sep, h, pad, mi, sec, off, space: (
        f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:0{2 if pad else 1}d}:{mi:02d}{sec}{space}{off}"
    ),
    st.integers(1900, 2100),
    st.integers(1, 12),
    st.integers(1, 28),
    st.sampled_from([" ", "T"]),
    st.integers(0, 23),
    st.booleans(),
    st.integers(0, 59),
    st.sampled_from(["", ":00", ":59", ":07.5"]),
    st.sampled_from(["", "Z", "+01:00", "-05:00", "+0530", "-03", "+1", "z", "+01:0"]),
    st.sampled_from(["", " "]),
)


@_props
@given(st.lists(st.one_of(_stamp, st.none(), st.text(max_size=20)), min_size=1, max_size=20))
def test_property_split_offsets_equals_plain_regex(values):
    _same_as_plain(values)


def _fast_and_careful(fn, *args):
    fast = fn(*args)
    with careful_parsing():
        careful = fn(*args)
    pd.testing.assert_series_equal(fast, careful)
    return fast


@_props
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", None]),
            st.one_of(
                st.sampled_from([0.1, 0.2, -0.3, 0.3, -0.1, -0.2, 1e16, -1e16, 1.0, 0.0, -0.0]),
                st.floats(-1e6, 1e6),
            ),
        ),
        max_size=30,
    )
)
def test_property_net_negative_fast_equals_careful(rows):
    tx = pd.DataFrame(rows, columns=["customer_id", "amount"]).astype({"amount": "float64"})
    _fast_and_careful(net_negative, tx)


def test_net_negative_sums_near_zero():
    tx = pd.DataFrame(
        {
            "customer_id": list("aaabbbccd"),
            "amount": [0.1, 0.2, -0.3, 5, -5, 0.0, 3, -1, float("nan")],
        }
    )
    # a: a plain sum gives 5.6e-17, pandas' compensated group sum 0.0 (net negative)
    assert _fast_and_careful(net_negative, tx).tolist() == [True] * 6 + [False] * 3


@_props
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.from_regex(r"\A\s?[$€]?\s?[+-]?[0-9]{0,4}([.,][0-9]{0,4})?\s?(EUR)?\Z"),
            st.sampled_from(["7,990", "1.250", " 12,345 ", "٣.٢٥٠", "12.5,000", ""]),
            st.text(max_size=8),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_property_thousands_like_fast_equals_careful(values):
    raw = pd.Series(values, dtype=pd.StringDtype("pyarrow", na_value=float("nan")))
    _fast_and_careful(thousands_like, raw)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0aAbB7 -é\x1cß", max_size=6)), max_size=30))
def test_property_id_key_fast_equals_careful(values):
    from rfvkit.checks import id_key

    ids = pd.Series(values, dtype="str")
    with careful_parsing():
        want = id_key(ids)
    pd.testing.assert_series_equal(id_key(ids), want)
    ascii_only = ids.dropna().str.strip().loc[lambda s: s.str.isascii()]
    with careful_parsing():
        want = id_key(ascii_only)
    pd.testing.assert_series_equal(id_key(ascii_only), want)
