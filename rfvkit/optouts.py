"""Opt-out keywords in inbound replies, and matching opt-outs to customers.

Keywords (``OPTOUT_KEYWORDS``), compared with the reply trimmed and case-folded:

- the US carriers' standard opt-out words STOP, STOPALL, STOP ALL, UNSUBSCRIBE, CANCEL,
  END, QUIT (CTIA Messaging Principles and Best Practices, 2023, section 5.1.2);
- the words the FCC's TCPA consent order makes a revocation per se: "stop", "quit",
  "end", "revoke", "opt out", "cancel", "unsubscribe" (FCC 24-24, 47 CFR
  64.1200(a)(10)-(12), in force since 11 April 2025);
- OPTOUT, OPT-OUT, REMOVE, which major SMS gateways also honour (Twilio Advanced
  Opt-Out and Attentive's opt-out keyword lists).

A reply that *is* a keyword is an opt-out; a longer reply containing one as a word
("please stop texting me") is an opt-out too, counted apart: revocation may be made
"by any reasonable means" (47 CFR 64.1200(a)(10)), so in doubt rfvkit does not send.
Other replies ("Thanks!") are not opt-outs. ``extra`` keywords (params) extend the list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from rfvkit.phones import COUNTRY_CODES as _CODES

__all__ = [
    "OPTOUT_KEYWORDS",
    "KEYWORD",
    "CONTAINS_KEYWORD",
    "NOT_OPTOUT",
    "classify_replies",
    "optout_keys",
    "optout_key_table",
    "phone_keys",
    "expand_optouts",
    "match_optouts",
]

OPTOUT_KEYWORDS: tuple[str, ...] = (
    # CTIA Messaging Principles and Best Practices (2023), 5.1.2
    "stop",
    "stopall",
    "stop all",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    # FCC 24-24, 47 CFR 64.1200(a)(10): revocation per se (stop, quit, end, cancel and
    # unsubscribe are above)
    "revoke",
    "opt out",
    # common gateway keywords (Twilio Advanced Opt-Out, Attentive)
    "optout",
    "opt-out",
    "remove",
)
KEYWORD = "opt-out keyword reply"
CONTAINS_KEYWORD = "reply containing an opt-out keyword"
NOT_OPTOUT = "reply is not an opt-out"


def _keywords(extra: Iterable[str] = ()) -> list[str]:
    words = [*OPTOUT_KEYWORDS, *(str(w) for w in extra)]
    return list(dict.fromkeys(" ".join(w.split()).casefold() for w in words if str(w).strip()))


def classify_replies(messages: pd.Series, *, extra: Iterable[str] = ()) -> pd.Series:
    """Label inbound replies: keyword, containing a keyword, or not an opt-out.

    Returns a Series of :data:`KEYWORD`, :data:`CONTAINS_KEYWORD` or :data:`NOT_OPTOUT`
    (missing replies are not opt-outs).

    Examples
    --------
    >>> classify_replies(pd.Series([" Stop ", "please STOP texting me", "Thanks!", "opt  out",
    ...                             "unstoppable"])).tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['opt-out keyword reply', 'reply containing an opt-out keyword', 'reply is not an opt-out',
     'opt-out keyword reply', 'reply is not an opt-out']
    """
    words = _keywords(extra)
    text = messages.astype("string").str.split().str.join(" ").str.casefold()
    exact = text.isin(words).fillna(False).astype(bool)
    # a keyword as a whole word (or phrase); spaces inside phrases match any whitespace
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    pattern = rf"(?<![\w-])(?:{alternatives})(?![\w-])"
    contains = text.str.contains(pattern, regex=True).fillna(False).astype(bool)
    out = np.where(exact, KEYWORD, np.where(contains, CONTAINS_KEYWORD, NOT_OPTOUT))
    return pd.Series(out, index=messages.index, dtype=object)


# ----------------------------------------------------------------------------- phone keys

_MIN_DIGITS = 6  # shorter digit strings are too ambiguous to match anything


def phone_keys(e164: pd.Series) -> pd.DataFrame:
    """``digits`` (E.164 without ``+``) and ``national`` (national significant number).

    Country calling codes are prefix-free (ITU-T E.164), so the code is the one of its
    first 1-3 digits found in ``phonenumbers``' table; this is vectorised (no parsing).

    Examples
    --------
    >>> phone_keys(pd.Series(["+447400123456", "+12015550123", None])).values.tolist()
    [['447400123456', '7400123456'], ['12015550123', '2015550123'], [nan, nan]]
    """
    digits = e164.astype("string").str.removeprefix("+")
    code_len = pd.Series(0, index=e164.index)
    for n in (3, 2, 1):
        code_len = code_len.mask(digits.str.slice(0, n).isin(_CODES).fillna(False), n)
    national = pd.Series(np.nan, index=e164.index, dtype=object)
    for n in (1, 2, 3):
        rows = (code_len == n).to_numpy()
        if rows.any():
            national[rows] = digits[rows].str.slice(n).astype(object).to_numpy()
    digits = digits.astype(object).where(digits.notna(), np.nan)
    return pd.DataFrame({"digits": digits, "national": national})


def optout_key_table(raw: pd.Series, e164: pd.Series | None = None) -> pd.DataFrame:
    """One row per (opt-out row, digit string it may match): columns ``row`` and ``key``.

    From each raw number: its digits, the digits without a leading international prefix
    (``00`` or ``011``) or national trunk ``0`` (the longest that applies), an 11-digit
    NANP number without its ``1``; plus the digits of its parsed E.164. Strings shorter
    than 6 digits are too ambiguous and left out. Vectorised.
    """
    digits = raw.astype("string").str.replace(r"\D", "", regex=True)
    digits = digits.where(digits.str.len() > 0)
    stripped = pd.Series(pd.NA, index=raw.index, dtype="string")
    for prefix in ("0", "011", "00"):  # later (longer) prefixes win
        stripped = stripped.mask(
            digits.str.startswith(prefix).fillna(False), digits.str.slice(len(prefix))
        )
    nanp = digits.where((digits.str.len() == 11) & digits.str.startswith("1")).str.slice(1)
    forms = [digits, stripped, nanp]
    if e164 is not None:
        forms.append(e164.reindex(raw.index).astype("string").str.removeprefix("+"))
    table = pd.concat(
        [pd.DataFrame({"row": f.index, "key": f.to_numpy()}) for f in forms], ignore_index=True
    ).dropna()
    table = table[table["key"].astype(str).str.len() >= _MIN_DIGITS]
    return table.astype({"key": str}).drop_duplicates().reset_index(drop=True)


def optout_keys(raw: pd.Series, e164: pd.Series | None = None) -> set[str]:
    """Every digit string an opted-out number may match, whatever format it was written in.

    See :func:`optout_key_table`. A customer matches when their E.164 digits or national
    number is in this set. Over-matching (a national number that also exists in another
    country) only ever excludes more people; it never lets an opted-out number through.

    Examples
    --------
    >>> sorted(optout_keys(pd.Series(["0044 7400 123456", "+1 (201) 555-0123", "0740"])))
    ['00447400123456', '12015550123', '2015550123', '447400123456']
    """
    return set(optout_key_table(raw, e164)["key"])


def expand_optouts(optouts: pd.DataFrame | None, customers: pd.DataFrame) -> pd.DataFrame | None:
    """Add the number of every customer opted out by id: the phone's owner said stop, so
    the number is blocked for every customer record that shares it. The raw text counts
    too (``0012015550100`` typed by a US customer does not parse, but is still their number).
    """
    if optouts is None or not len(optouts) or "customer_id" not in optouts:
        return optouts
    if "phone" not in customers and "phone_e164" not in customers:
        return optouts
    by_id = optouts.dropna(subset=["customer_id"]).astype({"customer_id": str})
    ids = customers["customer_id"].astype(str)
    phones = customers.loc[ids.isin(by_id["customer_id"]).to_numpy()]  # the rows the join keeps
    phones = phones.reindex(columns=["customer_id", "phone", "phone_e164"])
    phones = phones.dropna(subset=["phone", "phone_e164"], how="all")
    phones = phones.astype({"customer_id": str})
    extra = by_id.drop(columns=["phone", "phone_e164", "phone_type"], errors="ignore").merge(
        phones, on="customer_id"
    )
    if not len(extra):
        return optouts
    extra = extra.assign(customer_id=np.nan)
    return pd.concat([optouts, extra], ignore_index=True)


def match_optouts(
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
    rank = np.full(len(df), np.inf)
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
            hit = target.isin(best.index).to_numpy(dtype=bool)  # look up only the matches
            if not hit.any():
                continue
            rank[hit] = np.fmin(rank[hit], target[hit].map(best).astype(float).to_numpy())
            when = target[hit].map(last)
            before = latest[hit]
            latest[hit] = before.where(when.isna(), np.maximum(before, when))
    matched = pd.Series(rank < np.inf, index=df.index)
    reconsented = pd.Series(False, index=df.index)
    if reconsent and "consent_at" in df:
        consent_at = pd.to_datetime(df["consent_at"])
        reconsented = matched & consent_at.notna() & (consent_at > latest)
    names = np.array([*labels, np.nan], dtype=object)
    labels_out = pd.Series(
        names[np.where(rank < np.inf, rank, len(labels)).astype(np.int64)],
        index=df.index,
        dtype=object,
    )
    return labels_out.where(~reconsented), reconsented
