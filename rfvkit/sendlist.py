"""Send lists that are safe to send: consent, opt-outs, caps, quiet hours, holdout, length.

:func:`build_send_list` takes the segmented customers and the loaded CRM and decides, for
every customer of the chosen segments (a *candidate*), either that they receive the
message (``group="treatment"``), that they are kept out to measure it
(``group="holdout"``), or that they are excluded with exactly one reason: the first of
:data:`REASONS` that applies, in that order. :meth:`SendPlan.write` writes the files an
SMS platform imports, the send log the next run reads back, and the exclusions, after
re-checking every number against the opt-outs and consents one last time.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rfvkit.errors import BadParameterError, MissingColumnsError, NotApplicableError
from rfvkit.optouts import CONTAINS_KEYWORD, KEYWORD, OPTOUT_KEYWORDS
from rfvkit.sendplan import SendPlan
from rfvkit.sms import sms_table

__all__ = [
    "REASONS",
    "FALLBACKS",
    "SendPlan",
    "build_send_list",
    "plan_from_config",
    "write_send_lists",
    "holdout_draw",
    "parse_send_at",
]

#: Exclusion reasons, in the order they are checked (a candidate gets the first that applies).
REASONS = (
    "not in the customer table",
    "no phone",
    "invalid phone",
    "phone cannot receive SMS",
    "no recorded consent",
    "opted out",
    "opted out by keyword reply",
    "opted out by a reply containing a keyword",
    "frequency cap",
    "time zone unknown",
    "no allowed send time",
    "duplicate phone",
)
_OPTOUT_REASONS = {
    "opt-out list": "opted out",
    KEYWORD: "opted out by keyword reply",
    CONTAINS_KEYWORD: "opted out by a reply containing a keyword",
}
#: Values used when a template field is empty for a customer ("Hi there, ...").
FALLBACKS = {"first_name": "there"}
_STOP_HINT = re.compile("|".join(re.escape(w) for w in OPTOUT_KEYWORDS), re.IGNORECASE)


def parse_send_at(value: object) -> pd.Timestamp:
    """One instant in UTC from ``"2026-01-15T15:00:00Z"`` (naive times are read as UTC).

    Examples
    --------
    >>> parse_send_at("2026-01-15 10:00-05:00")
    Timestamp('2026-01-15 15:00:00+0000', tz='UTC')
    """
    if isinstance(value, str) and not re.match(r"\s*\d{4}-\d{2}-\d{2}", value):
        raise BadParameterError(
            f"send_at: {value!r} has no date; give one instant like '2026-01-15T15:00:00Z'."
        )
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if (
        pd.isna(stamp)
        or not isinstance(value, str | pd.Timestamp | np.datetime64)
        and not hasattr(value, "year")
    ):
        raise BadParameterError(
            f"send_at: got {value!r}; give one instant like '2026-01-15T15:00:00Z'."
        )
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def holdout_draw(customer_ids: pd.Series, campaign_id: str, random_state: int) -> np.ndarray:
    """A uniform number in [0, 1) per customer: BLAKE2b of (campaign, seed, customer).

    A pure function of its inputs, so adding a customer never moves another and a re-run
    gives the same groups byte for byte (RFC 7693 BLAKE2b, 64-bit digest / 2**64).

    Examples
    --------
    >>> holdout_draw(pd.Series(["C1", "C2"]), "c", 0).round(3).tolist()
    [0.995, 0.87]
    """
    prefix = f"{campaign_id}\x1f{random_state}\x1f".encode()
    blake2b = hashlib.blake2b
    ids = customer_ids.astype(str).to_numpy(dtype=object)
    digests = b"".join([blake2b(prefix + c.encode(), digest_size=8).digest() for c in ids])
    return np.frombuffer(digests, dtype=">u8").astype(np.float64) / 2.0**64


def build_send_list(
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
    """Decide who gets a campaign SMS, who is held out, and who is excluded and why.

    Parameters
    ----------
    segmented : DataFrame
        One row per customer with a ``segment`` column, ``customer_id`` as index or column
        (e.g. ``analysis.segmented``); ``monetary`` breaks shared-phone ties.
    crm : CRM
        The loaded tables (:func:`rfvkit.load_crm`): ``customers`` (phones parsed by
        ``read_customers``), ``optouts`` and ``campaigns`` (the send log; may be None).
    campaign_id : str
        Names the campaign in the send log and seeds the holdout.
    message : str or dict
        Template with ``{column}`` fields from the customer table (``{first_name}``), or a
        dict segment -> template. Empty fields take :data:`FALLBACKS` (``"there"``).
    send_at : str or Timestamp
        One instant (naive = UTC). Recipients outside their local window are deferred.
    segments : list of str, optional
        Segments to message; None = every segment.
    holdout : float in [0, 0.5]
        Share of each segment's reachable customers kept out (:func:`holdout_draw` < holdout).
    random_state : int
        Seed of the holdout hash.
    frequency_cap : (n, days) or None
        Exclude customers with ``n`` or more treatment sends in the ``days`` before
        ``send_at`` (other campaigns of the send log; sends without ``sent_at`` are ignored).
    price_per_part, max_parts : float, int
        Cost of one SMS part; warn when a message needs more than ``max_parts`` parts.
    quiet_hours : list of dict, optional
        Rows added to ``rfvkit/data/quiet_hours.csv`` (they win), e.g.
        ``[{"country": "GB", "days": "Mon-Sun", "start": "10:00", "end": "19:00"}]``.
    reconsent_overrides_optout : bool
        Off by default: an opt-out always wins. When True, a customer whose ``consent_at``
        is later than every matching opt-out's ``opted_out_at`` is sent to again.
    fallbacks : dict, optional
        Values for empty template fields (default :data:`FALLBACKS`).
    baseline_rate : float
        Conversion rate assumed for the holdout's minimum detectable lift.

    Returns
    -------
    SendPlan
        ``recipients``, ``exclusions`` (the ledger), ``summary`` (per segment),
        ``decisions`` (one row per candidate), ``deferrals`` and ``previews``.

    Examples
    --------
    >>> plan = build_send_list(analysis.segmented, analysis.crm, campaign_id="c1",
    ...     message="Hi {first_name}! Reply STOP to opt out", send_at="2026-01-15T15:00Z",
    ...     segments=["At Risk"])  # doctest: +SKIP
    >>> plan.exclusions[["reason", "customers"]]  # doctest: +SKIP
    """
    when, seg, chosen, customers, templates = _checked(
        segmented, crm, campaign_id, message, send_at, segments, holdout, frequency_cap
    )
    from rfvkit.sendlist_candidates import candidates, decide

    df, cust = candidates(seg, customers, chosen)
    campaigns = getattr(crm, "campaigns", None)
    capped = None
    if frequency_cap is not None and campaigns is not None and len(campaigns):
        capped = _capped(campaigns, campaign_id, when, *frequency_cap)
    code, optouts, reconsented = decide(
        df,
        cust,
        crm,
        reasons=REASONS,
        optout_labels=_OPTOUT_REASONS,
        capped=capped,
        when=when,
        quiet_hours=quiet_hours,
        reconsent=reconsent_overrides_optout,
    )
    reason = pd.Series(np.append(np.array(REASONS, dtype=object), np.nan)[code], dtype=object)

    fills = {**FALLBACKS, **(fallbacks or {})}
    recip = df.loc[code < 0]
    draw = holdout_draw(recip["customer_id"], campaign_id, random_state)
    recip = recip.assign(group=np.where(draw < holdout, "holdout", "treatment"))
    texts, which = _render(templates, recip, fills)
    recip = recip.assign(
        message=pd.Series(np.asarray(texts, dtype=object)[which], index=recip.index, dtype=object)
    )
    used = np.unique(which)  # only texts someone receives (none: the table's empty shape)
    lengths = sms_table(pd.Series(texts, dtype=object).iloc[used])
    recip = recip.join(lengths.iloc[np.searchsorted(used, which)].set_axis(recip.index))
    recip["cost"] = recip["sms_parts"] * float(price_per_part)
    recip["deferred"] = recip["send_at"] > when
    recip["local_send_at"] = _local_text(
        recip["send_at"], recip["timezone_used"], recip["_when_key"]
    )
    recipients = _recipients(recip)
    _warn_messages(recipients, templates, max_parts)

    decisions = df[["customer_id", "segment"]].assign(status=reason.fillna("recipient"))
    from rfvkit.sendlist_tables import deferral_table, ledger, previews, segment_summary

    return SendPlan(
        recipients=recipients,
        exclusions=ledger(decisions, REASONS),
        summary=segment_summary(decisions, recipients, REASONS, baseline_rate=baseline_rate),
        decisions=decisions.reset_index(drop=True),
        deferrals=deferral_table(recipients, when),
        previews=previews(templates, recipients, fallbacks=fills),
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
        _consented=frozenset(
            cust.loc[cust["sms_consent"].astype(object).eq(True), "customer_id"].to_numpy(object)
        )
        if "sms_consent" in cust
        else frozenset(),
        _reconsented=frozenset(df.loc[reconsented, "customer_id"].to_numpy(object)),
    )


#: Columns of ``SendPlan.recipients``, in order.
RECIPIENT_COLUMNS = [
    "customer_id",
    "phone",
    "first_name",
    "segment",
    "group",
    "send_at",
    "local_send_at",
    "timezone",
    "country",
    "deferred",
    "message",
    "encoding",
    "sms_parts",
    "cost",
]


def _recipients(recip: pd.DataFrame) -> pd.DataFrame:
    """The recipient rows with the documented columns (phone in E.164, the zone used)."""
    if "first_name" not in recip:
        recip = recip.assign(first_name="")
    if "country" not in recip:
        recip = recip.assign(country=np.nan)
    recip = recip.drop(columns=["phone", "timezone"], errors="ignore")
    recip = recip.rename(columns={"phone_e164": "phone", "timezone_used": "timezone"})
    return recip[RECIPIENT_COLUMNS].reset_index(drop=True)


def _checked(
    segmented: pd.DataFrame,
    crm: Any,
    campaign_id: object,
    message: str | Mapping[str, str],
    send_at: object,
    segments: Sequence[str] | None,
    holdout: object,
    frequency_cap: tuple[int, int] | None,
) -> tuple[pd.Timestamp, pd.DataFrame, list[str], pd.DataFrame, dict[str, str]]:
    """:func:`build_send_list`'s checks, before anything is computed: the instant, the
    segmented table with ``customer_id`` as a column, the chosen segments, the customer
    table and one template per segment."""
    from rfvkit.errors import require_columns
    from rfvkit.sms import template_fields

    if not isinstance(campaign_id, str) or not campaign_id.strip():
        raise BadParameterError(f"campaign_id: got {campaign_id!r}; give a non-empty name.")
    if isinstance(holdout, bool) or not isinstance(holdout, int | float) or not 0 <= holdout <= 0.5:
        raise BadParameterError(f"holdout: got {holdout!r}; allowed: a share from 0 to 0.5.")
    when = parse_send_at(send_at)
    seg = segmented.reset_index() if "customer_id" not in segmented.columns else segmented
    require_columns(seg, ["customer_id", "segment"], table="segmented")
    available = sorted(pd.unique(seg["segment"].dropna().astype(str)))
    chosen = available if segments is None else list(segments)
    unknown = [s for s in chosen if s not in available]
    if unknown:
        raise BadParameterError(
            f"segments: {unknown} not found; available: {', '.join(map(repr, available))}."
        )
    customers = getattr(crm, "customers", None)
    if customers is None:
        raise BadParameterError("crm: no customers table; add data.customers to the params.")
    templates = dict(message) if isinstance(message, Mapping) else dict.fromkeys(chosen, message)
    missing = [s for s in chosen if s not in templates]
    if missing:
        raise BadParameterError(f"message: no template for segment(s) {missing}.")
    columns = sorted(set(customers.columns) | set(seg.columns))
    for text in templates.values():
        for name in template_fields(text):
            if name not in columns:
                raise MissingColumnsError(
                    [name],
                    columns,
                    table="message template",
                    hint="Template fields must be customer-table columns, e.g. {first_name}.",
                )
    if frequency_cap is not None:
        n_cap, days = frequency_cap
        if min(int(n_cap), int(days)) < 1:
            raise BadParameterError(f"frequency_cap: got {frequency_cap!r}; use (n, days) >= 1.")
    return when, seg, chosen, customers, templates


def _capped(campaigns: pd.DataFrame, campaign_id: str, when: pd.Timestamp, n: int, days: int):
    log = campaigns[(campaigns["group"] == "treatment") & (campaigns["campaign_id"] != campaign_id)]
    if "sent_at" not in log:
        return set()
    sent = pd.to_datetime(log["sent_at"])
    sent = sent.dt.tz_localize("UTC") if sent.dt.tz is None else sent.dt.tz_convert("UTC")
    inside = (sent > when - pd.Timedelta(days=int(days))) & (sent <= when)
    counts = log.loc[inside, "customer_id"].astype(str).value_counts()
    return set(counts.index[counts >= int(n)])


def _local_text(send_at: pd.Series, zones: pd.Series, keys: pd.Series) -> pd.Series:
    """``"2026-01-15 10:00 EST"``: formatted once per ``keys`` code (one instant and zone)."""
    from rfvkit.sendlist_candidates import group_codes

    codes, first = group_codes([keys])
    text = [
        "" if pd.isna(at) or pd.isna(zone) else at.tz_convert(zone).strftime("%Y-%m-%d %H:%M %Z")
        for at, zone in zip(send_at.iloc[first], zones.iloc[first], strict=True)
    ]
    return pd.Series(np.asarray(text, dtype=object)[codes], index=send_at.index, dtype=object)


def _render(
    templates: Mapping[str, str], recip: pd.DataFrame, fills: Mapping[str, str]
) -> tuple[list[str], np.ndarray]:
    """The distinct messages and, per recipient, which one: each segment's template is
    filled once per distinct combination of its fields."""
    from rfvkit.sms import render_codes, template_fields

    texts: list[str] = [""]
    which = np.zeros(len(recip), dtype=np.int64)
    segment = recip["segment"].to_numpy(dtype=object)
    for name, template in templates.items():
        rows = segment == name
        if rows.any():
            fields = recip.loc[rows, list(dict.fromkeys(template_fields(template)))]
            codes, distinct = render_codes(template, fields, fallbacks=dict(fills))
            which[rows] = codes + len(texts)
            texts.extend(distinct)
    return texts, which


def _warn_messages(recipients: pd.DataFrame, templates: Mapping[str, str], max_parts: int) -> None:
    long = recipients["sms_parts"] > max_parts
    if long.any():
        warnings.warn(
            f"{int(long.sum()):,} message(s) need more than {max_parts} SMS parts (up to "
            f"{int(recipients['sms_parts'].max())}); shorten the text or raise max_parts.",
            stacklevel=3,
        )
    for name, template in templates.items():
        if not _STOP_HINT.search(template):
            warnings.warn(
                f"message for {name!r} has no opt-out instruction (e.g. 'Reply STOP to opt "
                "out'); carriers and the law expect one.",
                stacklevel=3,
            )


def plan_from_config(analysis: Any, **overrides: Any) -> SendPlan | None:
    """:func:`build_send_list` with the send-list parameters of the analysis' params file.

    Returns None (with a warning) when the params list no customers table. Without
    ``send_at`` the send is planned on the ``as_of`` day at 15:00 UTC.

    Examples
    --------
    >>> plan = plan_from_config(rk.analyse("params/sample.yaml"))  # doctest: +SKIP
    """
    crm = analysis.crm
    cfg = crm.config
    if crm.customers is None:
        warnings.warn(
            "no customers table in the params: no send list (add data.customers with phones "
            "and sms_consent).",
            stacklevel=2,
        )
        return None
    send_at = cfg.send_at
    if send_at is None:
        day = analysis.as_of if cfg.as_of is None else cfg.as_of
        send_at = f"{day:%Y-%m-%d}T15:00:00Z"
        warnings.warn(f"send_at not set in the params; planning for {send_at}.", stacklevel=2)
    options = dict(
        campaign_id=cfg.send_campaign_id,
        message=cfg.message_text,
        send_at=send_at,
        segments=None if cfg.segments is None else list(cfg.segments),
        holdout=cfg.holdout,
        random_state=cfg.random_state,
        frequency_cap=cfg.frequency_cap,
        price_per_part=cfg.price_per_part,
        max_parts=cfg.max_parts,
        quiet_hours=list(cfg.quiet_hours),
        reconsent_overrides_optout=cfg.reconsent_overrides_optout,
    )
    try:
        return build_send_list(analysis.segmented, crm, **{**options, **overrides})
    except MissingColumnsError as exc:  # the data cannot fill the message: say so, send nothing
        if not str(exc).startswith("message template"):
            raise
        raise NotApplicableError(f"no send list: {exc}") from None


def write_send_lists(plan: SendPlan | None, output_dir: str | Path, **options: Any) -> list[Path]:
    """Write the plan's files under ``<output_dir>/sendlists/``; nothing when either is empty.

    The report runner passes the report folder being built as ``output_dir``.
    """
    if plan is None or not str(output_dir):
        return []
    return plan.write(Path(output_dir) / "sendlists", **options)
