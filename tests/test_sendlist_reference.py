"""build_send_list's vectorised path gives exactly what the row-by-row reference gives.

``tests/sendlist_reference.py`` holds the implementation as it was before the fast paths;
on generated CRMs (phones typed in many formats, shared numbers, random consent values,
opt-outs by number, id and reply, re-consents, a send log, time zones and send times
around daylight-saving changes, quiet-hour overrides) every frame of the plan must be
equal, dtypes included: recipients, exclusions (reason per customer), summary, ledger,
deferrals, previews.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sendlist_reference import (
    reference_build_send_list,
    reference_holdout_draw,
    reference_render_messages,
)

from rfvkit.io import read_campaigns, read_customers, read_optouts
from rfvkit.sendlist import build_send_list, holdout_draw
from rfvkit.sms import render_messages

SEGMENTS = ["At Risk", "Can't Lose Them", "Champions"]
US = [f"{area}55501{i:02d}" for area in (201, 305, 512, 702) for i in (0, 17, 42)]
AU = ["491570006", "491570156", "491570157"]
GB = ["2079460011", "7400123456"]
NUMBERS = [("US", n) for n in US] + [("AU", n) for n in AU] + [("GB", n) for n in GB]
CODES = {"US": "1", "AU": "61", "GB": "44"}
EXIT = {"US": "011", "AU": "0011", "GB": "00"}


def spellings(country: str, national: str) -> list[str]:
    code = CODES[country]
    trunk = "" if country == "US" else "0"
    return [
        f"+{code}{national}",
        f"+{code} ({national[:3]}) {national[3:6]}-{national[6:]}",
        f"00{code} {national}",
        f"{EXIT[country]}{code}{national}",
        f"{trunk}{national}",
        f"{trunk}{national[:3]}.{national[3:6]}.{national[6:]}",
        national,
        f"1{national}" if country == "US" else f"+{code} (0){national}",
    ]


CONSENT = st.sampled_from(
    ["yes", "Y", "1", True, "TRUE", "yes", True, "no", False, 0, None, "maybe", ""]
)
ZONES = st.sampled_from(
    [None, None, "America/New_York", "America/Chicago", "Europe/London", "Europe/Paris",
     "Australia/Perth", "Mars/Base", " Europe/Berlin "]
)  # fmt: skip
REGIONS = st.sampled_from([None, "Florida", "Texas", "New York", "CT", "Nevada", "florida "])
NAMES = st.sampled_from(["Ann", "", " ", None, "Zoë", "Łucja", "Jo🙂", "€uro", "Al|Bo", "=cmd"])
SEND_AT = st.sampled_from(
    [
        "2026-01-15T15:00:00Z",
        "2026-03-08T06:30:00Z",  # 01:30 New York, the night clocks spring forward
        "2026-03-29T00:30:00Z",  # London and Paris spring forward
        "2026-10-25T00:30:00Z",  # ... and fall back
        "2026-11-01T05:30:00Z",  # New York falls back
        "2026-01-18T15:00:00Z",  # a Sunday: France and Texas mornings
        "2026-01-17T02:00:00Z",
    ]
)


@st.composite
def crm_case(draw):
    n = draw(st.integers(1, 30))
    ids = [f"c{i}" for i in range(n)]
    rows, used = [], []
    for cid in ids:
        country, national = draw(st.sampled_from(NUMBERS))
        used.append((country, national))
        kind = draw(st.sampled_from(["ok"] * 6 + ["junk", "missing", "short"]))
        phone = {
            "ok": draw(st.sampled_from(spellings(country, national))),
            "junk": "call me",
            "missing": None,
            "short": "555-01",
        }[kind]
        rows.append(
            {
                "customer_id": cid,
                "first_name": draw(NAMES),
                "phone": phone,
                "country": draw(st.sampled_from([country, country, None, "FR", "DE"])),
                "region": draw(REGIONS) if country == "US" else None,
                "timezone": draw(ZONES),
                "sms_consent": draw(CONSENT),
                "consent_at": draw(st.sampled_from([None, "2025-06-01", "2026-01-10"])),
            }
        )
    customers = pd.DataFrame(rows)
    if draw(st.booleans()):  # a repeated customer id: the loader keeps the first row
        customers = pd.concat([customers, customers.head(1)], ignore_index=True)
    opt_rows = []
    for _ in range(draw(st.integers(0, 8))):
        country, national = draw(st.sampled_from(used + NUMBERS[:2]))
        how = draw(st.sampled_from(["phone", "id", "reply", "contains", "thanks"]))
        opt_rows.append(
            {
                "phone": None
                if how == "id"
                else draw(st.sampled_from(spellings(country, national))),
                "customer_id": draw(st.sampled_from(ids)) if how == "id" else None,
                "message": {
                    "reply": " Stop ",
                    "contains": "please stop texting me",
                    "thanks": "Thanks!",
                }.get(how),
                "opted_out_at": draw(st.sampled_from([None, "2025-01-01", "2026-01-05"])),
            }
        )
    optouts = pd.DataFrame(opt_rows, columns=["phone", "customer_id", "message", "opted_out_at"])
    if not optouts["message"].notna().any():
        optouts = optouts.drop(columns="message")
    log = pd.DataFrame(
        {
            "campaign_id": draw(st.lists(st.sampled_from(["old", "p"]), min_size=4, max_size=4)),
            "customer_id": draw(st.lists(st.sampled_from(ids), min_size=4, max_size=4)),
            "segment": "At Risk",
            "group": draw(
                st.lists(st.sampled_from(["treatment", "holdout"]), min_size=4, max_size=4)
            ),
            "sent_at": draw(
                st.lists(
                    st.sampled_from(["2026-01-14 10:00:00", "2026-01-01 10:00:00", "2025-12-01"]),
                    min_size=4,
                    max_size=4,
                )
            ),
        }
    )
    in_segments = ids[: draw(st.integers(1, n))] + draw(st.lists(st.just("ghost"), max_size=1))
    segmented = pd.DataFrame(
        {
            "segment": [draw(st.sampled_from(SEGMENTS)) for _ in in_segments],
            "monetary": [
                draw(st.sampled_from([10.0, 10.0, 5.5, 99.0, np.nan])) for _ in in_segments
            ],
        },
        index=pd.Index(in_segments, name="customer_id"),
    )
    return customers, optouts, log, segmented


def _crm(customers, optouts, log, region):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SimpleNamespace(
            customers=read_customers(customers, default_region=region).frame,
            optouts=read_optouts(optouts, default_region=region).frame if len(optouts) else None,
            campaigns=read_campaigns(log).frame,
        )


def _both(segmented, crm, **options):
    with warnings.catch_warnings(record=True) as fast_warnings:
        warnings.simplefilter("always")
        fast = build_send_list(segmented, crm, **options)
    with warnings.catch_warnings(record=True) as slow_warnings:
        warnings.simplefilter("always")
        slow = reference_build_send_list(segmented, crm, **options)
    assert [str(w.message) for w in fast_warnings] == [str(w.message) for w in slow_warnings]
    return fast, slow


def assert_same_plan(fast, slow) -> None:
    for name in ("recipients", "exclusions", "summary", "decisions", "deferrals", "previews"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name), obj=name)
    assert fast._consented == slow._consented
    assert fast._reconsented == slow._reconsented
    if slow._optouts is None:
        assert fast._optouts is None
    else:
        pd.testing.assert_frame_equal(fast._optouts, slow._optouts)
    assert (fast.campaign_id, fast.send_at, fast.settings) == (
        slow.campaign_id,
        slow.send_at,
        slow.settings,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=crm_case(),
    region=st.sampled_from([None, "US", "GB", "AU"]),
    send_at=SEND_AT,
    holdout=st.sampled_from([0.0, 0.1, 0.5]),
    random_state=st.integers(0, 3),
    cap=st.sampled_from([None, (1, 7), (2, 30)]),
    reconsent=st.booleans(),
    per_segment=st.booleans(),
    overrides=st.sampled_from([None, [{"country": "GB", "days": "Mon-Sun", "start": "10:00",
                                       "end": "19:00", "source": "test"}]]),
)  # fmt: skip
def test_fast_plan_equals_reference(
    case, region, send_at, holdout, random_state, cap, reconsent, per_segment, overrides
):
    customers, optouts, log, segmented = case
    crm = _crm(customers, optouts, log, region)
    present = sorted(segmented["segment"].unique())
    message = (
        {s: f"{s}: hi {{first_name}} from {{country}}, reply STOP to opt out" for s in present}
        if per_segment
        else "Hi {first_name}, 20% off with BACK20 ~ [today]. Reply STOP to opt out"
    )
    fast, slow = _both(
        segmented,
        crm,
        campaign_id="camp",
        message=message,
        send_at=send_at,
        holdout=holdout,
        random_state=random_state,
        frequency_cap=cap,
        price_per_part=0.04,
        quiet_hours=overrides,
        reconsent_overrides_optout=reconsent,
    )
    assert_same_plan(fast, slow)


def test_fast_plan_equals_reference_on_shared_numbers_and_ties():
    """Many customers on few numbers, equal values: the duplicate rule and its tie-break."""
    rng = np.random.default_rng(5)
    n = 400
    customers = pd.DataFrame(
        {
            "customer_id": [f"k{i:03d}" for i in range(n)],
            "first_name": rng.choice(["Ann", "Bo", None], size=n),
            "phone": rng.choice([s for c, d in NUMBERS for s in spellings(c, d)[:3]], size=n),
            "country": rng.choice(["US", "AU", "GB"], size=n),
            "timezone": rng.choice(["America/New_York", None], size=n),
            "sms_consent": rng.choice(["yes", "no"], size=n, p=[0.8, 0.2]),
        }
    )
    segmented = pd.DataFrame(
        {"segment": rng.choice(SEGMENTS, size=n), "monetary": rng.choice([1.0, 2.0], size=n)},
        index=pd.Index(customers["customer_id"][::-1].to_numpy(), name="customer_id"),
    )
    crm = _crm(
        customers,
        pd.DataFrame(),
        pd.DataFrame(columns=["campaign_id", "customer_id", "group", "sent_at"]),
        None,
    )
    crm.campaigns = None
    fast, slow = _both(
        segmented,
        crm,
        campaign_id="c",
        message="Hi {first_name}. Reply STOP",
        send_at="2026-01-15T15:00Z",
    )
    assert (fast.decisions["status"] == "duplicate phone").sum() > 100
    assert_same_plan(fast, slow)


@given(ids=st.lists(st.text(min_size=0, max_size=140), max_size=40), seed=st.integers(0, 2**40))
def test_holdout_draw_is_byte_identical(ids, seed):
    series = pd.Series(ids, dtype=object)
    fast = holdout_draw(series, "camp-é", seed)
    slow = reference_holdout_draw(series, "camp-é", seed)
    assert fast.dtype == slow.dtype and fast.tobytes() == slow.tobytes()


@pytest.mark.parametrize(
    "template", ["Hi {first_name}!", "{a}{b} and {a}", "no fields", "{first_name}"]
)
def test_render_messages_equals_reference(template):
    table = pd.DataFrame(
        {
            "first_name": ["Ann", None, " ", "Ann ", "Zoë", ""],
            "a": [1.0, 1.0, np.nan, 2.5, 1.0, -0.0],
            "b": ["x", "x", "y", None, "x", " z "],
        },
        index=[9, 8, 7, 6, 5, 4],
    )
    for fallbacks in (None, {"first_name": "there", "a": "?"}):
        fast = render_messages(template, table, fallbacks=fallbacks)
        slow = reference_render_messages(template, table, fallbacks=fallbacks)
        pd.testing.assert_series_equal(fast, slow)
