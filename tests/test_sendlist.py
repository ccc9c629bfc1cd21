"""build_send_list and SendPlan.write: nobody opted out or unconsented can ever be exported."""

from __future__ import annotations

import stat
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfvkit.errors import BadParameterError, MissingColumnsError, RfvkitError
from rfvkit.io import read_campaigns, read_customers, read_optouts
from rfvkit.optouts import classify_replies
from rfvkit.quiet_hours import next_allowed, quiet_hours_table
from rfvkit.sendlist import REASONS, build_send_list, holdout_draw, parse_send_at

MSG = "Hi {first_name}, 20% off with BACK20. Reply STOP to opt out"
SEND_AT = "2026-01-15T15:00:00Z"  # 10:00 New York, 07:00 Los Angeles, 15:00 London

# Fictional numbers only: US 555-01xx, ACMA drama mobiles, Ofcom drama landlines.
US = [f"+1{area}55501{i:02d}" for area in (201, 212, 617, 213) for i in range(0, 100, 7)]
AU = [
    "+61491570006",
    "+61491570156",
    "+61491570157",
    "+61491570158",
    "+61491570159",
    "+61491570110",
    "+61491570313",
    "+61491570737",
    "+61491571266",
    "+61491571491",
]
GB_LANDLINE = [f"+44207946{i:04d}" for i in range(0, 1000, 97)]


def us_formats(e164: str) -> list[str]:
    n = e164[2:]
    return [
        e164,
        f"+1 ({n[:3]}) {n[3:6]}-{n[6:]}",
        f"001{n}",
        f"1{n}",
        n,
        f"({n[:3]}) {n[3:6]} {n[6:]}",
    ]


def au_formats(e164: str) -> list[str]:
    n = e164[3:]
    return [e164, f"0061 {n}", f"0{n}", f"0{n[:3]} {n[3:6]} {n[6:]}", f"+61 {n[:3]} {n[3:]}"]


def crm_from(customers: pd.DataFrame, optouts=None, campaigns=None, *, region=None):
    if "first_name" not in customers:
        customers = customers.assign(first_name="Al")
    cust = read_customers(customers).frame
    opt = None if optouts is None else read_optouts(optouts, default_region=region).frame
    camp = None if campaigns is None else read_campaigns(campaigns).frame
    return SimpleNamespace(customers=cust, optouts=opt, campaigns=camp)


def segmented_for(ids, segments=None, value=None):
    n = len(ids)
    return pd.DataFrame(
        {
            "segment": segments if segments is not None else ["At Risk"] * n,
            "monetary": value if value is not None else np.arange(n, 0, -1, dtype=float),
        },
        index=pd.Index(ids, name="customer_id"),
    )


def small_crm():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f", "g", "h", "i"],
            "first_name": ["Ann", "Bo", "", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy"],
            "phone": [
                "(201) 555-0101",
                "0491 570 006",
                "(212) 555-0102",
                "020 7946 0001",
                None,
                "(617) 555-0104",
                "(213) 555-0105",
                "0491 570 156",
                "2135550105",
            ],
            "country": ["US", "AU", "US", "GB", "US", "US", "US", "AU", "US"],
            "timezone": [None, "Australia/Sydney", None, None, None, None, None, None, None],
            "sms_consent": ["yes", "yes", "yes", "yes", "yes", "maybe", "yes", "yes", "y"],
        }
    )
    return customers


def test_every_reason_on_a_small_crm(tmp_path):
    crm = crm_from(small_crm(), pd.DataFrame({"phone": ["+12015550101"], "customer_id": [None]}))
    seg = segmented_for(list("abcdefghi"))
    plan = build_send_list(seg, crm, campaign_id="c1", message=MSG, send_at=SEND_AT, holdout=0)
    status = plan.decisions.set_index("customer_id")["status"].to_dict()
    assert status == {
        "a": "opted out",
        "b": "recipient",
        "c": "recipient",
        "d": "phone cannot receive SMS",
        "e": "no phone",
        "f": "no recorded consent",
        "g": "recipient",  # higher value than i, who shares the number
        "h": "time zone unknown",  # AU mobile: 8 zones, no timezone given
        "i": "duplicate phone",
    }
    rec = plan.recipients.set_index("customer_id")
    assert rec.loc["c", "message"].startswith("Hi there,")  # empty first name fallback
    # 07:00 in Los Angeles -> deferred to 08:00 local = 16:00 UTC
    assert rec.loc["g", "send_at"] == pd.Timestamp("2026-01-15T16:00Z")
    assert bool(rec.loc["g", "deferred"]) and not bool(rec.loc["c", "deferred"])
    assert rec.loc["g", "local_send_at"] == "2026-01-15 08:00 PST"
    ledger = plan.exclusions.set_index("reason")["customers"]
    assert list(plan.exclusions["reason"]) == list(REASONS)
    assert ledger.sum() + len(plan.recipients) == 9
    all_row = plan.summary.set_index("segment").loc["All"]
    assert all_row["treatment"] == 3 and all_row["excluded"] == 6


def test_write_files_modes_and_schemas(tmp_path):
    crm = crm_from(small_crm())
    seg = segmented_for(list("abcdefghi"))
    plan = build_send_list(
        seg, crm, campaign_id="c1", message=MSG, send_at=SEND_AT, holdout=0.3, price_per_part=0.04
    )
    paths = plan.write(tmp_path / "out")
    assert [p.name for p in paths] == ["send_list.csv", "send_log.csv", "exclusions.csv"]
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    send = pd.read_csv(paths[0], dtype=str)
    assert list(send.columns) == ["phone", "first_name", "message", "send_at", "customer_id"]
    assert send["phone"].str.fullmatch(r"\+[1-9]\d{1,14}").all()
    log = read_campaigns(paths[1]).frame
    assert set(log["group"]) <= {"treatment", "holdout"}
    assert len(log) == len(plan.recipients)
    assert "phone" not in pd.read_csv(paths[2]).columns
    with pytest.raises(BadParameterError, match="not empty"):
        plan.write(tmp_path / "out")
    plan.write(tmp_path / "out", overwrite=True, format="klaviyo")
    assert list(pd.read_csv(tmp_path / "out" / "send_list.csv").columns) == [
        "Phone Number",
        "First Name",
        "Country",
    ]


def test_attentive_layout_splits_large_lists(tmp_path):
    ids = [f"c{i}" for i in range(len(US))]
    customers = pd.DataFrame(
        {"customer_id": ids, "first_name": "Al", "phone": US, "country": "US", "sms_consent": "1"}
    )
    plan = build_send_list(
        segmented_for(ids),
        crm_from(customers),
        campaign_id="c",
        message=MSG,
        send_at=SEND_AT,
        holdout=0,
    )
    paths = plan.write(tmp_path, format="attentive", max_rows=20)
    names = [p.name for p in paths if p.name.startswith("send_list")]
    assert names == [f"send_list_{i:03d}.csv" for i in range(1, len(names) + 1)]
    frames = [pd.read_csv(p, dtype=str) for p in paths if p.name.startswith("send_list")]
    assert list(frames[0].columns) == ["Phone Number", "Message", "FirstName", "External Id"]
    assert sum(len(f) for f in frames) == len(US)


def test_final_check_refuses_an_opted_out_number(tmp_path):
    crm = crm_from(small_crm())
    plan = build_send_list(
        segmented_for(list("abc")), crm, campaign_id="c", message=MSG, send_at=SEND_AT, holdout=0
    )
    tampered = plan.recipients.copy()
    tampered.loc[0, "phone"] = "+12015550101"
    crm2 = crm_from(small_crm(), pd.DataFrame({"phone": ["201 555 0101"]}), region="US")
    bad = type(plan)(**{**plan.__dict__, "recipients": tampered, "_optouts": crm2.optouts})
    with pytest.raises(RfvkitError, match="opted-out"):
        bad.write(tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_optouts_in_any_format_and_by_id():
    customers = pd.DataFrame(
        {
            "customer_id": ["u1", "u2", "u3", "a1", "a2", "a3", "k"],
            "phone": [
                "(201) 555-0101",
                "(201) 555-0102",
                "(201) 555-0103",
                "0491 570 006",
                "0491 570 156",
                "0491 570 157",
                "(617) 555-0190",
            ],
            "country": ["US", "US", "US", "AU", "AU", "AU", "US"],
            "timezone": ["America/New_York"] * 3 + ["Australia/Sydney"] * 3 + [None],
            "sms_consent": True,
        }
    )
    optouts = pd.DataFrame(
        {
            "phone": ["2015550101", "+1 (201) 555-0102", "0061 491 570 006", "0491570156", None],
            "customer_id": [None, None, None, None, "k"],
        }
    )
    crm = crm_from(customers, optouts, region="GB")  # a wrong default region must not matter
    plan = build_send_list(
        segmented_for(list(customers["customer_id"])),
        crm,
        campaign_id="c",
        message=MSG,
        send_at=SEND_AT,
        holdout=0,
    )
    status = plan.decisions.set_index("customer_id")["status"]
    assert status[status == "recipient"].index.tolist() == ["u3", "a3"]


def test_reply_log_keywords_and_reconsent():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "phone": ["(201) 555-0101", "(201) 555-0102", "(201) 555-0103", "(201) 555-0104"],
            "country": "US",
            "sms_consent": True,
            "consent_at": ["2025-06-01", "2025-06-01", "2025-06-01", "2024-01-01"],
        }
    )
    replies = pd.DataFrame(
        {
            "phone": ["+12015550101", "+12015550102", "+12015550103", "+12015550104"],
            "message": ["STOP", "please stop texting me", "Thanks!", "unsubscribe"],
            "opted_out_at": ["2025-01-01"] * 4,
        }
    )
    crm = crm_from(customers, replies)
    seg = segmented_for(list("abcd"))
    plan = build_send_list(seg, crm, campaign_id="c", message=MSG, send_at=SEND_AT, holdout=0)
    status = plan.decisions.set_index("customer_id")["status"].to_dict()
    assert status == {
        "a": "opted out by keyword reply",
        "b": "opted out by a reply containing a keyword",
        "c": "recipient",
        "d": "opted out by keyword reply",
    }
    again = build_send_list(
        seg,
        crm,
        campaign_id="c",
        message=MSG,
        send_at=SEND_AT,
        holdout=0,
        reconsent_overrides_optout=True,
    )
    status = again.decisions.set_index("customer_id")["status"].to_dict()
    assert status["a"] == status["b"] == "recipient"  # consented again after opting out
    assert status["d"] == "opted out by keyword reply"  # consent older than the opt-out


def test_classify_replies_extra_keywords():
    kinds = classify_replies(
        pd.Series(["ARRET", "Arrêt svp", "opt-out", "stopped by"]), extra=["arret", "arrêt"]
    )
    assert kinds.tolist() == [
        "opt-out keyword reply",
        "reply containing an opt-out keyword",
        "opt-out keyword reply",
        "reply is not an opt-out",
    ]


def test_frequency_cap_reads_the_send_log():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "phone": US[:3], "sms_consent": 1})
    log = pd.DataFrame(
        {
            "campaign_id": ["old", "old", "same"],
            "customer_id": ["a", "b", "c"],
            "group": ["treatment", "holdout", "treatment"],
            "sent_at": ["2026-01-10 09:00", "2026-01-10 09:00", "2026-01-14 09:00"],
        }
    )
    crm = crm_from(customers, campaigns=log)
    plan = build_send_list(
        segmented_for(list("abc")),
        crm,
        campaign_id="same",
        message=MSG,
        send_at=SEND_AT,
        holdout=0,
        frequency_cap=(1, 7),
    )
    status = plan.decisions.set_index("customer_id")["status"].to_dict()
    assert status == {"a": "frequency cap", "b": "recipient", "c": "recipient"}
    loose = build_send_list(
        segmented_for(list("abc")),
        crm,
        campaign_id="same",
        message=MSG,
        send_at=SEND_AT,
        holdout=0,
        frequency_cap=(1, 3),
    )
    assert (loose.decisions["status"] == "recipient").all()


def test_deferral_across_dst_change():
    table = quiet_hours_table()
    # Sat 7 March 2026 21:30 EST; the clocks go forward that night: 08:00 EDT = 12:00 UTC
    when = next_allowed(pd.Timestamp("2026-03-08T02:30Z"), "America/New_York", table, "US", None)
    assert when == pd.Timestamp("2026-03-08T12:00Z")
    # same local 21:30 a week earlier (EST) -> 08:00 EST = 13:00 UTC
    when = next_allowed(pd.Timestamp("2026-03-01T02:30Z"), "America/New_York", table, "US", None)
    assert when == pd.Timestamp("2026-03-01T13:00Z")
    # Europe: last Sunday of October 2026; Paris Saturday 20:30 CEST -> Monday 08:00 CET
    when = next_allowed(pd.Timestamp("2026-10-24T18:30Z"), "Europe/Paris", table, "FR", None)
    assert when == pd.Timestamp("2026-10-26T07:00Z")


def test_regional_windows():
    table = quiet_hours_table()
    fri_1930_et = pd.Timestamp("2026-01-16T00:30Z")  # Thu 19:30 in New York / Miami
    assert next_allowed(fri_1930_et, "America/New_York", table, "US", "New York") == fri_1930_et
    assert next_allowed(fri_1930_et, "America/New_York", table, "US", "FL") == fri_1930_et
    late = pd.Timestamp("2026-01-16T01:30Z")  # 20:30 local
    assert next_allowed(late, "America/New_York", table, "US", "Florida") == pd.Timestamp(
        "2026-01-16T13:00Z"
    )
    sunday_10_ct = pd.Timestamp("2026-01-18T16:00Z")
    assert next_allowed(sunday_10_ct, "America/Chicago", table, "US", "Texas") == pd.Timestamp(
        "2026-01-18T18:00Z"
    )


def test_holdout_hash_is_stable_and_close_to_its_share():
    ids = pd.Series([f"C{i:06d}" for i in range(10_000)])
    draw = holdout_draw(ids, "camp", 0)
    share = float((draw < 0.1).mean())
    assert abs(share - 0.1) <= 0.02
    more = holdout_draw(pd.concat([pd.Series(["NEW"]), ids]), "camp", 0)
    assert np.array_equal(more[1:], draw)  # adding one customer moves nobody
    assert not np.array_equal(holdout_draw(ids, "camp", 1), draw)
    customers = pd.DataFrame({"customer_id": ["a", "b"], "phone": US[:2], "sms_consent": 1})
    kw = dict(campaign_id="c", message=MSG, send_at=SEND_AT, holdout=0.5, random_state=3)
    one = build_send_list(segmented_for(["a", "b"]), crm_from(customers), **kw)
    two = build_send_list(segmented_for(["a", "b"]), crm_from(customers), **kw)
    pd.testing.assert_frame_equal(one.recipients, two.recipients)
    assert one.summary["min_detectable_lift"].notna().any() or len(one.recipients) < 4


def test_bad_input_errors(tmp_path):
    crm = crm_from(small_crm())
    seg = segmented_for(list("abc"))
    kw = dict(campaign_id="c", message=MSG, send_at=SEND_AT)
    with pytest.raises(BadParameterError, match="available: 'At Risk'"):
        build_send_list(seg, crm, segments=["Champions"], **kw)
    with pytest.raises(BadParameterError, match="holdout"):
        build_send_list(seg, crm, **{**kw, "holdout": 0.6})
    with pytest.raises(BadParameterError, match="no date"):
        build_send_list(seg, crm, **{**kw, "send_at": "15:00"})
    with pytest.raises(MissingColumnsError, match="coupon"):
        build_send_list(seg, crm, **{**kw, "message": "Hi {coupon}"})
    with pytest.raises(BadParameterError, match="no template"):
        build_send_list(seg, crm, **{**kw, "message": {"Other": "x"}})
    with pytest.warns(UserWarning, match="opt-out instruction"):
        build_send_list(seg, crm, **{**kw, "message": "Hi {first_name}"})
    with pytest.warns(UserWarning, match="more than 1 SMS parts"):
        build_send_list(seg, crm, **{**kw, "message": MSG + " x" * 80}, max_parts=1)
    assert parse_send_at("2026-01-15 10:00") == pd.Timestamp("2026-01-15T10:00Z")


# ----------------------------------------------------------------------------- properties

CONSENT = st.sampled_from(["yes", "Y", "1", True, "no", "n", False, 0, None, "maybe", "", "TRUE"])
YES = {"yes", "y", "1", "true"}


@st.composite
def crm_case(draw):
    pool = [(p, "US", us_formats(p)) for p in US[:12]] + [(p, "AU", au_formats(p)) for p in AU[:6]]
    n = draw(st.integers(1, 25))
    rows, truth = [], {}
    for i in range(n):
        e164, country, formats = draw(st.sampled_from(pool))
        kind = draw(st.sampled_from(["ok", "ok", "ok", "landline", "invalid", "missing"]))
        phone = {
            "ok": draw(st.sampled_from(formats)),
            "landline": "020 7946 0011",
            "invalid": "555-01",
            "missing": None,
        }[kind]
        consent = draw(CONSENT)
        rows.append(
            {
                "customer_id": f"c{i}",
                "first_name": draw(st.sampled_from(["Ann", "", "Zoë"])),
                "phone": phone,
                "country": "GB" if kind == "landline" else country,
                "timezone": "Australia/Perth" if country == "AU" else None,
                "sms_consent": consent,
            }
        )
        truth[f"c{i}"] = (e164 if kind == "ok" else None, str(consent).strip().lower() in YES)
    opted_numbers = draw(st.lists(st.sampled_from(pool), max_size=8))
    opt_rows = [
        {"phone": draw(st.sampled_from(f)), "customer_id": None} for _, _, f in opted_numbers
    ]
    opted_ids = draw(st.lists(st.sampled_from(sorted(truth)), max_size=4))
    opt_rows += [{"phone": None, "customer_id": c} for c in opted_ids]
    return (
        pd.DataFrame(rows),
        pd.DataFrame(opt_rows),
        truth,
        {p for p, _, _ in opted_numbers},
        set(opted_ids),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=crm_case(),
    holdout=st.sampled_from([0.0, 0.2, 0.5]),
    region=st.sampled_from([None, "GB", "US", "AU"]),
)
def test_no_opted_out_or_unconsented_number_is_ever_exported(
    tmp_path_factory, case, holdout, region
):
    customers, optouts, truth, opted_numbers, opted_ids = case
    crm = crm_from(customers, optouts if len(optouts) else None, region=region)
    ids = list(customers["customer_id"])
    plan = build_send_list(
        segmented_for(ids), crm, campaign_id="p", message=MSG, send_at=SEND_AT, holdout=holdout
    )
    out = tmp_path_factory.mktemp("w")
    plan.write(out)
    sent = pd.read_csv(out / "send_list.csv", dtype=str)
    blocked = opted_numbers | {truth[c][0] for c in opted_ids if truth[c][0]}
    assert not set(sent["phone"]) & blocked
    assert not sent["phone"].duplicated().any()
    for cid, phone in zip(sent["customer_id"], sent["phone"], strict=True):
        assert truth[cid][1], f"{cid} had no recorded consent"
        assert truth[cid][0] == phone and cid not in opted_ids
    decisions = plan.decisions
    assert sorted(decisions["customer_id"]) == sorted(ids)  # every candidate exactly once
    rec = set(plan.recipients["customer_id"])
    excl = set(decisions.loc[decisions["status"] != "recipient", "customer_id"])
    assert rec.isdisjoint(excl) and rec | excl == set(ids)
    assert int(plan.exclusions["customers"].sum()) == len(excl)


def test_demo_numbers_are_all_fictional():
    import re

    from rfvkit.demo import FICTIONAL, make_demo_crm
    from rfvkit.parsing import normalise_phones

    demo = make_demo_crm(1500, seed=3)
    au = {"+61" + n[1:] for n in FICTIONAL["AU_MOBILE"]}
    fixed = (
        [("+44" + p[1:]) for p in FICTIONAL["GB_FIXED"]]
        + ["+61" + p[1:] for p in FICTIONAL["AU_FIXED"]]
        + ["+33" + p[1:] for p in FICTIONAL["FR_FIXED"]]
    )
    us = re.compile(r"\+1[2-9]\d{2}55501\d{2}")
    cust = demo.customers
    e164, _ = normalise_phones(cust["phone"], cust["country"])
    opt, _ = normalise_phones(demo.optouts["phone"], "GB")
    numbers = pd.concat([e164, opt]).dropna()
    assert len(numbers) > 1000
    for number in numbers:
        assert us.fullmatch(number) or number in au or number.startswith(tuple(fixed)), number


@pytest.mark.slow
def test_report_writes_send_lists_0600_and_shows_no_number(ci_report):
    """`rfvkit report` (shared CI run): files under sendlists/, mode 0600, HTML masked.

    That every chart of the page draws in Chromium is checked by tests/test_browser.py,
    which covers every chapter page of the same run.
    """
    reports, _ = ci_report
    folder = reports / "ci" / "sendlists"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["exclusions.csv", "send_list.csv", "send_log.csv"]
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    phones = pd.read_csv(folder / "send_list.csv", dtype=str)["phone"]
    assert len(phones) and phones.str.fullmatch(r"\+[1-9]\d{1,14}").all()
    page = (reports / "ci" / "04_send_lists.html").read_text(encoding="utf-8")
    for number in phones:
        assert number not in page and number[1:] not in page and number[-10:] not in page
    assert "+1 **** **" in page or "+61 **** **" in page  # masked sample rows are shown


def test_cli_sendlist_prints_the_ledger(tmp_path, capsys, root):
    from rfvkit.cli import main

    offer = tmp_path / "offer.txt"
    offer.write_text("Hi {first_name}, 15% off today. Reply STOP to opt out\n", encoding="utf-8")
    out = tmp_path / "out"
    args = [
        "sendlist",
        "--params",
        str(root / "params" / "ci.yaml"),
        "--segments",
        "At Risk,Can't Lose Them",
        "--message-file",
        str(offer),
        "--send-at",
        "2026-01-15T15:00:00Z",
        "--out",
        str(out),
        "--format",
        "attentive",
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "to send" in text and "no recorded consent" in text and "send_log.csv" in text
    sent = pd.read_csv(out / "send_list.csv", dtype=str)
    assert sent["Message"].str.contains("15% off today").all()
    assert main(args) == 1  # the folder is no longer empty
    assert "not empty" in capsys.readouterr().err
    assert main([*args[:-4], "--send-at", "15:00", "--out", str(tmp_path / "x")]) == 1
    assert "no date" in capsys.readouterr().err
