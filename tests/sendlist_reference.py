"""Slow, obviously-correct references for the send-list fast paths (issue 9, item 12).

These are the implementations rfvkit shipped before the fast paths, kept verbatim (only
renamed) so the property tests in ``tests/test_sendlist_reference.py`` and
``tests/test_phone_keys.py`` can assert that the fast code gives the same answers: every
phone parsed row by row, every customer hashed, matched and timed one at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers

from rfvkit.optouts import optout_key_table, phone_keys
from rfvkit.parsing import normalise_ids
from rfvkit.phones import _PHONE_TYPES, SMS_TYPES, default_regions
from rfvkit.privacy import mask_id
from rfvkit.quiet_hours import next_allowed, quiet_hours_table, resolve_timezones
from rfvkit.sendlist import (
    _OPTOUT_REASONS,
    FALLBACKS,
    REASONS,
    _capped,
    _checked,
    _recipients,
    _warn_messages,
)
from rfvkit.sendlist_candidates import candidates
from rfvkit.sendlist_tables import minimum_detectable_lift
from rfvkit.sendplan import SendPlan
from rfvkit.sms import sms_encoding, sms_length, sms_parts, sms_table, template_fields

# ----------------------------------------------------------------------------- phones


def reference_phones(
    phones: pd.Series, regions: pd.Series | str | None = None
) -> tuple[pd.Series, pd.Series]:
    """``normalise_phones`` as it was: each distinct (raw text, region) parsed, validated and
    typed on its own, with ``is_valid_number`` and ``number_type``."""
    text = normalise_ids(phones)
    region = default_regions(phones.index, regions)
    pairs = pd.DataFrame({"phone": text, "region": region})
    present = pairs["phone"].notna()
    e164 = pd.Series(np.nan, index=phones.index, dtype="str")
    kind = pd.Series(np.nan, index=phones.index, dtype="str")
    if not present.any():
        return e164, kind
    distinct = pairs[present].drop_duplicates()
    parsed = [
        reference_parse_phone(p, r)
        for p, r in zip(distinct["phone"], distinct["region"], strict=True)
    ]
    lookup = distinct.assign(e164=[p[0] for p in parsed], phone_type=[p[1] for p in parsed]).astype(
        {"e164": "str", "phone_type": "str"}
    )
    merged = pairs[present].merge(lookup, on=["phone", "region"], how="left")
    e164[present] = merged["e164"].to_numpy()
    kind[present] = merged["phone_type"].to_numpy()
    return e164, kind


def reference_parse_phone(phone: str, region: object) -> tuple[str | None, str]:
    region = region if isinstance(region, str) else None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None, "invalid"
    if not phonenumbers.is_valid_number(number):
        return None, "invalid"
    kind = _PHONE_TYPES.get(phonenumbers.number_type(number), "unknown")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), kind


# ----------------------------------------------------------------------------- send lists


def reference_build_send_list(
    segmented: pd.DataFrame,
    crm: Any,
    *,
    campaign_id: str,
    message: str | Mapping[str, str],
    send_at: object,
    segments: Sequence[str] | None = None,
    holdout: float = 0.10,
    random_state: int = 0,
    frequency_cap: tuple[int, int] | None = (1, 7),
    price_per_part: float = 0.0,
    max_parts: int = 2,
    quiet_hours: Sequence[Mapping] | None = None,
    reconsent_overrides_optout: bool = False,
    fallbacks: Mapping[str, str] | None = None,
    baseline_rate: float = 0.05,
) -> SendPlan:
    """``build_send_list`` as it was: masks on object columns, per-row hashing,
    opt-out look-ups with ``map``, one ``next_allowed`` key tuple per customer."""
    # the checks and the candidate join are shared with build_send_list (unchanged code)
    when, seg, chosen, customers, templates = _checked(
        segmented, crm, campaign_id, message, send_at, segments, holdout, frequency_cap
    )
    df, cust = candidates(seg, customers, chosen)
    reason = pd.Series(np.nan, index=df.index, dtype=object)

    def exclude(mask: pd.Series, label: str) -> None:
        reason[reason.isna() & mask.fillna(False).astype(bool)] = label

    exclude(df["_merge"] == "left_only", REASONS[0])
    exclude(df["phone"].isna() & df["phone_e164"].isna(), REASONS[1])
    exclude(df["phone_e164"].isna() | (df["phone_type"] == "invalid"), REASONS[2])
    exclude(~df["phone_type"].isin(SMS_TYPES), REASONS[3])
    consented = df["sms_consent"].astype(object).eq(True)
    exclude(~consented, REASONS[4])
    optouts = reference_expand_optouts(getattr(crm, "optouts", None), cust)
    open_ = reason.isna()  # opt-outs are only looked up for those still in the running
    opted, reconsented = reference_match_optouts(
        df.loc[open_], optouts, reconsent_overrides_optout, labels=_OPTOUT_REASONS
    )
    opted = opted.reindex(df.index)
    reconsented = reconsented.reindex(df.index, fill_value=False).astype(bool)
    for label in _OPTOUT_REASONS.values():
        exclude(opted == label, label)
    campaigns = getattr(crm, "campaigns", None)
    if frequency_cap is not None and campaigns is not None and len(campaigns):
        exclude(
            df["customer_id"].isin(_capped(campaigns, campaign_id, when, *frequency_cap)),
            "frequency cap",
        )
    open_ = reason.isna()
    zone, _ = resolve_timezones(df.loc[open_])
    df["timezone_used"] = zone.reindex(df.index)
    exclude(df["timezone_used"].isna(), "time zone unknown")
    table = quiet_hours_table(quiet_hours)
    open_ = reason.isna()
    keys = df.loc[open_].reindex(columns=["timezone_used", "country", "region"])
    keys = keys.astype(object).where(keys.notna(), None)
    times = {
        k: next_allowed(when, k[0], table, k[1], k[2])
        for k in keys.drop_duplicates().itertuples(index=False, name=None)
    }
    df["send_at"] = pd.Series(
        [times[k] for k in keys.itertuples(index=False, name=None)],
        index=keys.index,
        dtype="datetime64[ns, UTC]",
    )
    exclude(df["send_at"].isna(), "no allowed send time")
    open_ = reason.isna()
    order = df.loc[open_].sort_values(["_value", "customer_id"], ascending=[False, True])
    exclude(df.index.isin(order.index[order["phone_e164"].duplicated()]) & open_, "duplicate phone")

    recip = df.loc[reason.isna()].copy()
    draw = reference_holdout_draw(recip["customer_id"], campaign_id, random_state)
    recip["group"] = np.where(draw < holdout, "holdout", "treatment")
    texts = pd.Series("", index=recip.index, dtype=object)
    for name, template in templates.items():
        rows = recip["segment"] == name
        if rows.any():
            texts[rows] = reference_render_messages(
                template, recip.loc[rows], fallbacks={**FALLBACKS, **(fallbacks or {})}
            )
    recip["message"] = texts
    recip = recip.join(sms_table(recip["message"]))
    recip["cost"] = recip["sms_parts"] * float(price_per_part)
    recip["deferred"] = recip["send_at"] > when
    recip["local_send_at"] = reference_local_text(recip["send_at"], recip["timezone_used"])
    recipients = _recipients(recip)
    _warn_messages(recipients, templates, max_parts)

    decisions = df[["customer_id", "segment"]].assign(status=reason.fillna("recipient"))
    return SendPlan(
        recipients=recipients,
        exclusions=reference_ledger(decisions, REASONS),
        summary=reference_segment_summary(
            decisions, recipients, REASONS, baseline_rate=baseline_rate
        ),
        decisions=decisions.reset_index(drop=True),
        deferrals=reference_deferral_table(recipients, when),
        previews=reference_previews(
            templates, recipients, fallbacks={**FALLBACKS, **(fallbacks or {})}
        ),
        campaign_id=campaign_id,
        send_at=when,
        settings={
            "holdout": holdout,
            "random_state": random_state,
            "frequency_cap": frequency_cap,
            "price_per_part": price_per_part,
            "segments": chosen,
            "reconsent_overrides_optout": reconsent_overrides_optout,
        },
        _optouts=optouts,
        _consented=frozenset(cust.loc[cust["sms_consent"].astype(object).eq(True), "customer_id"])
        if "sms_consent" in cust
        else frozenset(),
        _reconsented=frozenset(df.loc[reconsented, "customer_id"]),
    )


def reference_holdout_draw(
    customer_ids: pd.Series, campaign_id: str, random_state: int
) -> np.ndarray:
    """A uniform number in [0, 1) per customer: BLAKE2b of (campaign, seed, customer).

    A pure function of its inputs, so adding a customer never moves another and a re-run
    gives the same groups byte for byte (RFC 7693 BLAKE2b, 64-bit digest / 2**64).

    Examples
    --------
    >>> holdout_draw(pd.Series(["C1", "C2"]), "c", 0).round(3).tolist()
    [0.995, 0.87]
    """
    prefix = f"{campaign_id}\x1f{random_state}\x1f"
    values = [
        int.from_bytes(hashlib.blake2b((prefix + c).encode(), digest_size=8).digest(), "big")
        for c in customer_ids.astype(str)
    ]
    return np.asarray(values, dtype=np.float64) / 2.0**64


def reference_local_text(send_at: pd.Series, zones: pd.Series) -> pd.Series:
    """``"2026-01-15 10:00 EST"``: formatted once per distinct (instant, zone)."""
    pairs = pd.DataFrame({"at": send_at, "zone": zones})
    distinct = pairs.dropna().drop_duplicates()
    distinct["text"] = [
        at.tz_convert(zone).strftime("%Y-%m-%d %H:%M %Z")
        for at, zone in distinct.itertuples(index=False, name=None)
    ]
    out = pairs.merge(distinct, on=["at", "zone"], how="left")["text"].fillna("")
    return pd.Series(out.to_numpy(dtype=object), index=send_at.index, dtype=object)


def reference_expand_optouts(
    optouts: pd.DataFrame | None, customers: pd.DataFrame
) -> pd.DataFrame | None:
    """Add the number of every customer opted out by id: the phone's owner said stop, so
    the number is blocked for every customer record that shares it. The raw text counts
    too (``0012015550100`` typed by a US customer does not parse, but is still their number).
    """
    if optouts is None or not len(optouts) or "customer_id" not in optouts:
        return optouts
    if "phone" not in customers and "phone_e164" not in customers:
        return optouts
    by_id = optouts.dropna(subset=["customer_id"]).astype({"customer_id": str})
    phones = customers.reindex(columns=["customer_id", "phone", "phone_e164"])
    phones = phones.dropna(subset=["phone", "phone_e164"], how="all")
    phones = phones.astype({"customer_id": str})
    extra = by_id.drop(columns=["phone", "phone_e164", "phone_type"], errors="ignore").merge(
        phones, on="customer_id"
    )
    if not len(extra):
        return optouts
    extra = extra.assign(customer_id=np.nan)
    return pd.concat([optouts, extra], ignore_index=True)


def reference_match_optouts(
    df: pd.DataFrame,
    optouts: pd.DataFrame | None,
    reconsent: bool,
    *,
    labels: dict[str, str],
) -> tuple[pd.Series, pd.Series]:
    """Per candidate: the strongest opt-out reason matched (by id or number), or NaN.

    ``labels`` maps each ``optout_reason`` of the opt-out table to the exclusion reason,
    strongest first. Also returns which matches a later consent overrides (``reconsent``).
    """
    reasons = labels
    none = pd.Series(np.nan, index=df.index, dtype=object)
    if optouts is None or not len(optouts):
        return none, pd.Series(False, index=df.index)
    labels = list(reasons.values())
    out = optouts.assign(
        _rank=optouts.get("optout_reason", pd.Series("opt-out list", index=optouts.index))
        .map(reasons)
        .fillna("opted out")
        .map(labels.index),
        _when=pd.to_datetime(optouts["opted_out_at"]) if "opted_out_at" in optouts else pd.NaT,
    )
    out["_when"] = out["_when"].fillna(pd.Timestamp.max)
    rank = pd.Series(np.inf, index=df.index)
    latest = pd.Series(pd.Timestamp.min, index=df.index)
    own = phone_keys(df["phone_e164"])
    lookups = []
    if "customer_id" in out:
        ids = out.dropna(subset=["customer_id"]).assign(k=lambda d: d["customer_id"].astype(str))
        lookups.append((ids, [df["customer_id"]]))
    if "phone" in out:
        found = optout_key_table(out["phone"], out.get("phone_e164", None))
        keys = found.join(out[["_rank", "_when"]], on="row").rename(columns={"key": "k"})
        lookups.append((keys, [own["digits"], own["national"]]))
    for table, targets in lookups:
        if not len(table):
            continue
        best = table.groupby("k")["_rank"].min()
        last = table.groupby("k")["_when"].max()
        for target in targets:
            rank = np.fmin(rank, target.map(best).astype(float).fillna(np.inf))
            latest = latest.where(target.map(last).isna(), np.maximum(latest, target.map(last)))
    matched = rank < np.inf
    reconsented = pd.Series(False, index=df.index)
    if reconsent and "consent_at" in df:
        consent_at = pd.to_datetime(df["consent_at"])
        reconsented = matched & consent_at.notna() & (consent_at > latest)
    labels_out = pd.Series(
        [labels[int(r)] if r < np.inf else np.nan for r in rank], index=df.index, dtype=object
    )
    return labels_out.where(~reconsented), reconsented


def reference_render_messages(
    template: str, table: pd.DataFrame, *, fallbacks: dict[str, str] | None = None
) -> pd.Series:
    """``render_messages`` as it was: the template filled for every row."""
    from string import Formatter

    fallbacks = fallbacks or {}
    out = pd.Series("", index=table.index, dtype=object)
    for literal, name, _, _ in Formatter().parse(template):
        out = out + literal
        if name is None:
            continue
        values = table[name].astype("string").str.strip()
        values = values.where(values.fillna("").str.len() > 0, fallbacks.get(name, ""))
        out = out + values.astype(object)
    return out


def reference_ledger(decisions: pd.DataFrame, reasons: Sequence[str]) -> pd.DataFrame:
    """``reason, customers, share, examples``: every exclusion reason, in checking order.

    ``share`` is of all candidates; examples are masked customer ids.
    """
    total = max(len(decisions), 1)
    rows = []
    for reason in reasons:
        ids = decisions.loc[decisions["status"] == reason, "customer_id"]
        rows.append(
            {
                "reason": reason,
                "customers": len(ids),
                "share": len(ids) / total,
                "examples": ", ".join(mask_id(i) for i in ids.head(3)),
            }
        )
    return pd.DataFrame(rows, columns=["reason", "customers", "share", "examples"])


def reference_segment_summary(
    decisions: pd.DataFrame,
    recipients: pd.DataFrame,
    reasons: Sequence[str],
    *,
    baseline_rate: float = 0.05,
) -> pd.DataFrame:
    """Per segment (and ``All``): candidates, exclusions, groups, parts, cost, lift.

    Columns: ``segment, customers, excluded, <each reason>, treatment, holdout,
    reach_share, deferred, sms_parts, cost, min_detectable_lift``.
    """
    counts = pd.crosstab(decisions["segment"], decisions["status"])
    counts.loc["All"] = counts.sum()
    counts = counts.reindex(columns=[*reasons, "recipient"], fill_value=0)
    treat = recipients[recipients["group"] == "treatment"]
    sent = pd.DataFrame(
        {
            "treatment": treat.groupby("segment").size(),
            "holdout": recipients[recipients["group"] == "holdout"].groupby("segment").size(),
            "deferred": treat.groupby("segment")["deferred"].sum(),
            "sms_parts": treat.groupby("segment")["sms_parts"].sum(),
            "cost": treat.groupby("segment")["cost"].sum(),
        }
    )
    sent = sent.reindex(counts.index[:-1]).fillna(0)
    sent.loc["All"] = sent.sum()
    rows = []
    for name in counts.index:
        n = int(counts.loc[name].sum())
        n_t, n_h = int(sent.at[name, "treatment"]), int(sent.at[name, "holdout"])
        row = {"segment": name, "customers": n, "excluded": n - int(counts.at[name, "recipient"])}
        row.update({r: int(counts.at[name, r]) for r in reasons})
        row.update(
            treatment=n_t,
            holdout=n_h,
            reach_share=(n_t + n_h) / max(n, 1),
            deferred=int(sent.at[name, "deferred"]),
            sms_parts=int(sent.at[name, "sms_parts"]),
            cost=float(sent.at[name, "cost"]),
            min_detectable_lift=minimum_detectable_lift(n_t, n_h, baseline=baseline_rate),
        )
        rows.append(row)
    return pd.DataFrame(rows)


def reference_deferral_table(recipients: pd.DataFrame, send_at: pd.Timestamp) -> pd.DataFrame:
    """Treatment recipients by local hour at ``send_at``: ``local_hour, customers, deferred``."""
    treat = recipients[recipients["group"] == "treatment"]
    hours = pd.Series(np.nan, index=treat.index)
    for zone in pd.unique(treat["timezone"].dropna()):
        hours[treat["timezone"] == zone] = send_at.tz_convert(zone).hour
    table = (
        pd.DataFrame({"local_hour": hours, "deferred": treat["deferred"]})
        .dropna(subset=["local_hour"])
        .groupby("local_hour")
        .agg(customers=("deferred", "size"), deferred=("deferred", "sum"))
        .reset_index()
    )
    return table.astype({"local_hour": int, "deferred": int})


def reference_previews(
    templates: Mapping[str, str], recipients: pd.DataFrame, *, fallbacks: Mapping[str, str]
) -> pd.DataFrame:
    """Per segment: the template filled with placeholders, its encoding/parts, and the
    real spread (UCS-2 share, most parts, total cost) over the rendered messages.

    No customer's data shows: fields take ``fallbacks`` or ``<field>``.
    """
    rows = []
    for name, template in templates.items():
        fields = {f: [fallbacks.get(f, f"<{f}>")] for f in template_fields(template)}
        sample = reference_render_messages(template, pd.DataFrame(fields or {"_": [0]}))[0]
        sent = recipients[(recipients["segment"] == name) & (recipients["group"] == "treatment")]
        rows.append(
            {
                "segment": name,
                "preview": sample,
                "encoding": sms_encoding(sample),
                "length": sms_length(sample),
                "sms_parts": sms_parts(sample),
                "customers": len(sent),
                "ucs2_share": float((sent["encoding"] == "UCS-2").mean()) if len(sent) else 0.0,
                "max_parts": int(sent["sms_parts"].max()) if len(sent) else 0,
                "cost": float(sent["cost"].sum()),
            }
        )
    return pd.DataFrame(rows)
