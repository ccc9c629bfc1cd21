"""Known-answer tests for GSM-7 / UCS-2 encoding, lengths and SMS part counts."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfvkit.errors import BadParameterError, MissingColumnsError
from rfvkit.sms import (
    render_messages,
    sms_encoding,
    sms_length,
    sms_parts,
    sms_table,
    split_sms,
    template_fields,
)

EXTENSION = "\f^{}\\[~]|€"


@pytest.mark.parametrize(
    ("text", "encoding", "length", "parts"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€", "GSM-7", 2, 1),
        ("a" * 158 + "€", "GSM-7", 160, 1),
        ("a" * 159 + "€", "GSM-7", 161, 2),
        ("5€ à Malmö? Ñoño ¿Qué? £ ¥ Ø Å ß Æ É ü", "GSM-7", 39, 1),  # € counts 2
        ("Noël", "UCS-2", 4, 1),  # ë is not in GSM-7
        ("a" * 159 + "🙂", "UCS-2", 161, 3),
        ("🙂", "UCS-2", 2, 1),
        ("ł" * 70, "UCS-2", 70, 1),
        ("ł" * 71, "UCS-2", 71, 2),
        ("ł" * 134, "UCS-2", 134, 2),
        ("ł" * 135, "UCS-2", 135, 3),
        ("🙂" * 35, "UCS-2", 70, 1),
        ("🙂" * 36, "UCS-2", 72, 2),
        ("", "GSM-7", 0, 0),
        ("ç", "UCS-2", 1, 1),  # GSM-7 has only the capital Ç
        ("`", "UCS-2", 1, 1),
    ],
)
def test_known_answers(text, encoding, length, parts):
    assert sms_encoding(text) == encoding
    assert sms_length(text) == length
    assert sms_parts(text) == parts


@pytest.mark.parametrize("char", list(EXTENSION))
def test_every_extension_character_counts_two_septets(char):
    assert sms_encoding(char) == "GSM-7"
    assert sms_length(char) == 2
    assert sms_parts(char * 80) == 1
    assert sms_parts("a" + char * 80) == 2


def test_one_emoji_switches_the_whole_message_to_ucs2():
    text = "Hi Ann, 20% off this week. Reply STOP to opt out"
    assert sms_encoding(text) == "GSM-7"
    assert sms_encoding(text + " 🎉") == "UCS-2"
    assert sms_parts(text + " " * 100) == 1
    assert sms_parts(text + " 🎉" + " " * 30) == 2


def test_escape_pair_is_never_split():
    parts = split_sms("a" * 152 + "€" + "b" * 10)
    assert [sms_length(p) for p in parts] == [152, 12]
    assert "".join(parts) == "a" * 152 + "€" + "b" * 10


def test_surrogate_pair_is_never_split():
    text = "ł" * 66 + "🙂" + "ł" * 10
    parts = split_sms(text)
    assert parts[0] == "ł" * 66 and parts[1].startswith("🙂")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc €{}é🙂ł\n")), max_size=400))
def test_parts_respect_limits_and_join_back(text):
    parts = split_sms(text)
    assert "".join(parts) == text
    assert len(parts) == sms_parts(text)
    single, per = (160, 153) if sms_encoding(text) == "GSM-7" else (70, 67)
    if len(parts) == 1:
        assert sms_length(parts[0]) <= single
    for part in parts if len(parts) > 1 else []:
        assert 0 < sms_length(part) <= per if sms_encoding(text) == "UCS-2" else True
        weights = part.encode("utf-16-le") if sms_encoding(text) == "UCS-2" else None
        assert weights is None or len(weights) // 2 <= per


def test_sms_table_counts_once_per_distinct_text():
    table = sms_table(pd.Series(["Hi", "Hi €", "Hi 🙂"], index=[5, 6, 7]))
    assert table.index.tolist() == [5, 6, 7]
    assert table["encoding"].tolist() == ["GSM-7", "GSM-7", "UCS-2"]
    assert table["sms_length"].tolist() == [2, 5, 5]


def test_templates():
    assert template_fields("Hi {first_name}, {{braces}}") == ["first_name"]
    with pytest.raises(BadParameterError):
        template_fields("Hi {first_name!r}")
    with pytest.raises(BadParameterError):
        template_fields("Hi {first_name")
    frame = pd.DataFrame({"first_name": ["Ann", "", None], "code": ["X1", "X2", "X3"]})
    out = render_messages(
        "Hi {first_name}: {code} {{ok}}", frame, fallbacks={"first_name": "there"}
    )
    assert out.tolist() == ["Hi Ann: X1 {ok}", "Hi there: X2 {ok}", "Hi there: X3 {ok}"]
    assert MissingColumnsError  # imported for the sendlist tests' message checks
