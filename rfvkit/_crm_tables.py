"""The CRM tables besides the order lines: customers, opt-outs and campaign send logs.

Each reader returns ``Loaded(frame, quality)`` like :func:`rfvkit.io.read_transactions`
(import them from :mod:`rfvkit.io`); phones become E.164 with their type, and every row
dropped, changed or flagged is counted in the quality ledger.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from rfvkit._cleaning import clean_dates
from rfvkit._loading import Loaded, _clean_ids, _clean_phones, _examples, _finish, _read
from rfvkit.errors import MissingColumnsError, require_columns
from rfvkit.parsing import normalise_ids, parse_consent

__all__ = ["read_customers", "read_optouts", "read_campaigns"]

_GROUPS = {
    "treatment": "treatment",
    "holdout": "holdout",
    "control": "holdout",
    "test": "treatment",
}


def read_customers(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    default_region: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Loaded:
    """Read the customer table: one row per ``customer_id`` plus any attributes.

    ``sms_consent`` becomes bool (true/false, yes/no, y/n, 1/0; anything else, or
    missing, is False and counted); ``consent_at`` becomes a datetime. ``phone`` is
    normalised to E.164 in ``phone_e164`` with ``country`` (else ``default_region``)
    as the region of numbers written without ``+``; ``phone_type`` says ``mobile``,
    ``fixed_line``, ``invalid`` .... Invalid, non-mobile and shared numbers are kept
    and flagged; repeated customer ids keep their first row.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"id": ["a", "b", "a"], "phone": ["07400 123456", "0121 234 5678", ""],
    ...                     "sms_consent": ["yes", "N", "y"]})
    >>> cust, q = read_customers(raw, columns={"id": "customer_id"}, default_region="GB")
    >>> cust[["phone_e164", "phone_type", "sms_consent"]].values.tolist()
    [['+447400123456', 'mobile', True], ['+441212345678', 'fixed_line', False]]
    >>> q.rows("duplicate customer_id"), q.rows("phone not mobile")
    (1, 1)
    """
    df, log = _read(source, columns, "customers", read_options)
    require_columns(df, ["customer_id"], table="customers")
    df = _clean_ids(df, "customer_id", log)
    dup = df["customer_id"].duplicated()
    df = log.drop(df, dup, "duplicate customer_id", df["customer_id"])
    if "country" in df:
        df = df.assign(country=normalise_ids(df["country"]).str.upper())
    if "sms_consent" in df:
        consent, missing, unknown = parse_consent(df["sms_consent"])
        log.note(
            "sms_consent missing (set to False)",
            missing.sum(),
            "changed",
            _examples(df, missing, "customer_id"),
        )
        log.note(
            "sms_consent not recognised (set to False)",
            unknown.sum(),
            "changed",
            df["sms_consent"][unknown],
        )
        df = df.assign(sms_consent=consent)
    if "consent_at" in df:
        df = clean_dates(df, "consent_at", log, date_format, dayfirst, drop=False)
    if "phone" in df:
        df = _clean_phones(df, log, default_region, per_customer=True)
    return Loaded(_finish(df, "customers"), log.report(len(df)))


def read_optouts(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    default_region: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    read_options: Mapping[str, Any] | None = None,
    extra_keywords: Sequence[str] = (),
) -> Loaded:
    """Read opt-outs: ``phone`` and/or ``customer_id``, optional ``opted_out_at``.

    Phones get ``phone_e164`` and ``phone_type`` as in :func:`read_customers`. Rows with
    neither a phone nor a customer id are dropped; invalid phones are kept (the raw
    ``phone`` stays) and flagged, since an opt-out must never be lost.

    The file may be an inbound-replies log with a ``message`` column: a reply that is an
    opt-out keyword, or contains one as a word, is an opt-out (see
    :mod:`rfvkit.optouts`; ``extra_keywords`` extends the list); other replies are
    dropped and counted; a row with an empty message is kept as an opt-out (in doubt,
    do not send). ``optout_reason`` says which: ``"opt-out list"``,
    ``"opt-out keyword reply"`` or ``"reply containing an opt-out keyword"``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"phone": ["+44 7400 123456", None], "customer_id": [None, None]})
    >>> out, q = read_optouts(raw)
    >>> out["phone_e164"].tolist(), q.rows("no phone and no customer_id")
    (['+447400123456'], 1)
    """
    df, log = _read(source, columns, "optouts", read_options)
    if "phone" not in df and "customer_id" not in df:
        raise MissingColumnsError(
            ["phone", "customer_id"],
            list(df.columns),
            table="optouts",
            hint="Opt-outs need a phone or a customer_id column (one is enough); map yours "
            "with columns={'YourName': 'phone'}.",
        )
    neither = pd.Series(True, index=df.index)
    if "customer_id" in df:
        df = df.assign(customer_id=normalise_ids(df["customer_id"]))
        neither &= df["customer_id"].isna()
    if "phone" in df:
        df = df.assign(phone=normalise_ids(df["phone"]))
        neither &= df["phone"].isna()
    df = log.drop(df, neither, "no phone and no customer_id")
    reason = pd.Series("opt-out list", index=df.index, dtype=object)
    if "message" in df:
        from rfvkit.optouts import CONTAINS_KEYWORD, KEYWORD, NOT_OPTOUT, classify_replies

        text = normalise_ids(df["message"])
        kind = classify_replies(text, extra=extra_keywords).where(text.notna(), "opt-out list")
        log.note(
            "reply is an opt-out keyword", (kind == KEYWORD).sum(), "kept", text[kind == KEYWORD]
        )
        contains = kind == CONTAINS_KEYWORD
        log.note("reply contains an opt-out keyword (treated as opt-out)", contains.sum(), "kept")
        log.note("reply empty (kept as opt-out)", text.isna().sum(), "kept")
        reason = kind
        df = log.drop(df, kind == NOT_OPTOUT, NOT_OPTOUT, text)
        reason = reason[df.index]
    df = df.assign(optout_reason=reason)
    if "phone" in df:
        df = _clean_phones(df, log, default_region, per_customer=False)
    if "opted_out_at" in df:
        df = clean_dates(df, "opted_out_at", log, date_format, dayfirst, drop=False)
    dup = df.duplicated()
    log.note("duplicate opt-out", dup.sum(), "kept", _examples(df, dup, "customer_id"))
    return Loaded(_finish(df, "optouts"), log.report(len(df)))


def read_campaigns(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Loaded:
    """Read a campaign send log: ``campaign_id, customer_id, group`` (+ segment, sent_at).

    ``group`` is ``"treatment"`` or ``"holdout"`` (``control`` -> holdout and ``test`` ->
    treatment, counted as changed); other groups and rows without ids are dropped; a
    customer listed twice in one campaign keeps the first row.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"campaign_id": ["c1"] * 3, "customer_id": ["a", "b", "b"],
    ...                     "group": ["Treatment", "control", "holdout"]})
    >>> log, q = read_campaigns(raw)
    >>> log["group"].tolist(), q.rows("duplicate campaign_id + customer_id")
    (['treatment', 'holdout'], 1)
    """
    df, log = _read(source, columns, "campaigns", read_options)
    require_columns(df, ["campaign_id", "customer_id", "group"], table="campaigns")
    ids = normalise_ids(df["campaign_id"])
    df = log.drop(
        df.assign(campaign_id=ids),
        ids.isna(),
        "missing campaign_id",
        df["customer_id"],
        "customer_id",
    )
    df = _clean_ids(df, "customer_id", log, df["campaign_id"], "campaign_id")
    raw_group = df["group"]
    text = normalise_ids(raw_group).str.lower()
    group = text.map(_GROUPS)
    renamed = group.notna() & (group != text)
    log.note("group renamed to treatment/holdout", renamed.sum(), "changed", raw_group[renamed])
    df = log.drop(
        df.assign(group=group.astype("str")), group.isna(), "group not treatment/holdout", raw_group
    )
    dup = df.duplicated(["campaign_id", "customer_id"])
    df = log.drop(df, dup, "duplicate campaign_id + customer_id", df["customer_id"], "customer_id")
    if "segment" in df:
        df = df.assign(segment=df["segment"].astype("str"))
    if "sent_at" in df:
        df = clean_dates(df, "sent_at", log, date_format, dayfirst, drop=False)
    return Loaded(_finish(df, "campaigns"), log.report(len(df)))
