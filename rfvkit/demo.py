"""Seeded synthetic CRM: transactions, customers, opt-outs and a campaign log with known truth.

:func:`make_demo_crm` builds the four tables in memory; :func:`write_demo` writes them and
``truth.json`` to a folder (``rfvkit demo --out data/sample`` calls it). Every random draw comes
from a ``numpy.random.default_rng`` seeded with ``seed`` (the main stream, and one each for the
fictional number pools and the personas), so the same arguments give identical frames.

What is put in, and recorded in ``DemoCRM.truth``:

- purchases: a gamma-distributed latent rate per customer (many one-time buyers, a long tail of
  frequent ones), an exponential lifetime (customers churn, so recency varies), a
  November/December peak, five categories at different price levels, ~4% return lines;
- phones typed as people type them (national, ``+CC``, ``00CC``, digits only), valid for their
  country, plus known numbers of landlines, invalid, shared and missing phones;
- opt-outs by phone (typed differently from the customer file) and by customer id;
- data-quality faults a loader must catch: lines without customer id, zero amounts, exact
  duplicate lines;
- two SMS campaigns with a 20% holdout and a known effect per segment (:data:`SEGMENT_EFFECTS`):
  the chance that a treatment or holdout customer buys within 14 days of the send, and the chance
  that a treatment customer replies STOP (an opt-out by phone) in that window. One segment has
  no effect (Needs Attention), one sheds subscribers (Hibernating); passing
  ``conversion_treatment``/``conversion_holdout`` gives every segment the same rates instead;
- two snapshots of the scored table (rfvkit's default rules at two earlier dates, a few
  customers planted as gone from the later one), with their migration matrix in the truth.
- persona differences (:func:`rfvkit.demo_segments.plant_personas`, drawn from a second seeded
  stream after everything else, so the purchases are those of the generator without them):
  Champions older and more often in Scotland, New customers younger and ordering on the app,
  and a poll with partial coverage, repeated answers and unknown customers.

Phone numbers come only from ranges reserved for fiction that ``phonenumbers`` accepts (see
``FICTIONAL`` in :mod:`rfvkit.demo_phones`): US 555-0100..0199 in every area code
(``FIXED_LINE_OR_MOBILE``), the 30 mobile numbers Australia's ACMA lists for creative works
(``MOBILE``), and for landlines Ofcom's drama numbers (020 7946 0xxx ...), ACMA's (0x 5550 xxxx)
and ARCEP's (01 99 00 xx xx). Customers of countries without such a mobile range get a US
fictional number, typed with its +1. Still: never send messages to demo data.

The generator's parts: :mod:`rfvkit.demo_world` (the tables of constants: countries, regions,
names, products, weights, planted effects), :mod:`rfvkit.demo_phones` (fictional ranges, phone
typing), :mod:`rfvkit.demo_generator` (the main random stream: customers, phones, opt-outs,
orders, transaction lines), :mod:`rfvkit.demo_campaigns` (sends, holdouts, conversions, STOP
replies) and :mod:`rfvkit.demo_segments` (history snapshots, personas and the poll). This module
puts them together in the one order that keeps the output of a seed unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rfvkit.demo_campaigns import campaign_log, run_campaign
from rfvkit.demo_generator import _Generator
from rfvkit.demo_phones import FICTIONAL  # noqa: F401 (imported from here by tests)
from rfvkit.demo_segments import plant_personas, snapshots
from rfvkit.demo_world import CAMPAIGN_AT, COUNTRY_SHARE, DAY, PHONE_SHARES, SEGMENT_EFFECTS
from rfvkit.errors import BadParameterError

__all__ = ["DemoCRM", "make_demo_crm", "write_demo"]

TABLES = ("transactions", "customers", "optouts", "campaigns")


@dataclass(frozen=True, repr=False)
class DemoCRM:
    """The generated CRM tables and the ground truth they were built from.

    Attributes
    ----------
    transactions, customers, optouts, campaigns : pandas.DataFrame
        Tables with rfvkit's canonical column names (see DESIGN.md).
    truth : dict
        JSON-ready facts: counts of every injected fault, phone kinds, campaign conversions,
        the migration between the snapshots, planted persona differences and the poll's faults
        (``truth["personas"]``).
    snapshots : dict of str to pandas.DataFrame
        Two scored and segmented tables (``as_of`` date -> table), as earlier report runs
        would have kept them.
    survey : pandas.DataFrame
        A poll (``customer_id, answered_at, contact, interest, comment``) with partial
        coverage, repeated answers and answers from unknown customers.
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame
    optouts: pd.DataFrame
    campaigns: pd.DataFrame
    truth: dict
    snapshots: dict = field(default_factory=dict)
    survey: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return (
            f"DemoCRM({len(self.customers)} customers, {len(self.transactions)} transaction "
            f"lines, {len(self.optouts)} opt-outs, {len(self.campaigns)} campaign sends)"
        )


def make_demo_crm(
    n_customers: int = 5000,
    *,
    seed: int = 0,
    start: str = "2024-01-01",
    end: str = "2025-12-31",
    holdout_share: float = 0.20,
    conversion_holdout: float | None = None,
    conversion_treatment: float | None = None,
    window_days: int = 14,
    return_share: float = 0.04,
) -> DemoCRM:
    """Generate a synthetic CRM whose faults and campaign effect are known.

    Parameters
    ----------
    n_customers : int
        Customers in the customer file (at least 100); about 4% of them never buy.
    seed : int
        Seed for ``numpy.random.default_rng``; the same arguments give identical frames.
    start, end : str
        First and last day (inclusive) of the history, ``YYYY-MM-DD``, at least 180 days apart.
    holdout_share : float
        Share of each campaign's audience kept as holdout (exact after rounding), 0 to 0.9.
    conversion_holdout, conversion_treatment : float, optional
        True probability that a holdout / treatment customer buys within ``window_days`` of
        the send, the same in every segment (no STOP replies); default: per segment, from
        :data:`SEGMENT_EFFECTS`.
    window_days : int
        Conversion window after each send, in days (1 to 30).
    return_share : float
        Share of the (clean) transaction lines that are returns, with negative amounts, 0 to 0.5.

    Returns
    -------
    DemoCRM
        ``transactions``, ``customers``, ``optouts``, ``campaigns`` and ``truth``.

    Examples
    --------
    >>> crm = make_demo_crm(200, seed=1)
    >>> int(crm.transactions.duplicated().sum()) == crm.truth["transactions"]["duplicate_lines"]
    True
    """
    t0, span = _check(n_customers, seed, start, end, window_days)
    uniform = conversion_holdout is not None or conversion_treatment is not None
    conversion_holdout = 0.08 if conversion_holdout is None else conversion_holdout
    conversion_treatment = 0.12 if conversion_treatment is None else conversion_treatment
    effects = (
        dict.fromkeys(SEGMENT_EFFECTS, (conversion_holdout, conversion_treatment, 0.0))
        if uniform
        else SEGMENT_EFFECTS
    )
    for name, value, top in [
        ("holdout_share", holdout_share, 0.9),
        ("return_share", return_share, 0.5),
        ("conversion_holdout", conversion_holdout, 1),
        ("conversion_treatment", conversion_treatment, 1),
    ]:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= top:
            raise BadParameterError(f"{name} must be a number in [0, {top}], got {value!r}.")
    g = _Generator(n_customers, seed, t0, span)
    g.make_customers()
    g.make_phones()
    g.make_optouts()
    g.make_orders()
    sends = []
    for frac in CAMPAIGN_AT:
        sent = int(frac * span) // DAY * DAY + 10 * 3600  # 10:00 on the send day
        sends.append((sent, run_campaign(g, sent, window_days * DAY, holdout_share, effects)))
    tx, tx_truth = g.make_transactions(return_share)
    history, migration = snapshots(tx, t0, span, g.rng)
    logs, campaign_truth = campaign_log(g, sends, window_days, effects)
    survey, persona_truth = plant_personas(g, tx, seed)
    c, p, o = g.cust, g.phones, g.opt
    customers = pd.DataFrame(
        {
            "customer_id": g.ids,
            "first_name": c["first_name"],
            "phone": p["text"],
            "country": c["country"],
            "region": c["region"],
            "age": c["age"],
            "gender": c["gender"],
            "sms_consent": c["consent"],
            "consent_at": g.stamps(c["consent_at"]),
            "timezone": c["timezone"],
            "preferred_channel": c["preferred_channel"],
            "favourite_category": c["favourite_category"],
        }
    )
    optouts = pd.DataFrame(
        {"phone": o["phone"], "customer_id": o["customer_id"], "opted_out_at": g.stamps(o["at"])}
    ).sort_values("opted_out_at", kind="stable", ignore_index=True)
    kind, buyers = p["kind"], int(np.unique(g.order_c).size)
    truth = {
        "generator": {
            "n_customers": n_customers,
            "seed": seed,
            "start": str(t0.date()),
            "end": str((t0 + pd.Timedelta(seconds=span - DAY)).date()),
            "as_of": str((t0 + pd.Timedelta(seconds=span)).date()),
        },
        "customers": {
            "rows": n_customers,
            "buyers": buyers,
            "never_purchased": n_customers - buyers,
            "sms_consent": int(c["consent"].sum()),
            "by_country": {k: int((c["country"] == k).sum()) for k in COUNTRY_SHARE},
        },
        "phones": {
            **{k: int((kind == k).sum()) for k in ("mobile", *PHONE_SHARES)},
            "ids": {k: g.ids[kind == k].tolist() for k in PHONE_SHARES},
            "shared_with": dict(
                zip(
                    g.ids[kind == "shared"].tolist(),
                    g.ids[p["source"][kind == "shared"]].tolist(),
                    strict=True,
                )
            ),
        },
        "optouts": {"rows": len(optouts), **o["counts"]},
        "sms": g.reachable(),
        "transactions": tx_truth,
        "campaigns": campaign_truth,
        "snapshots": migration,
        "personas": persona_truth,
    }
    return DemoCRM(tx, customers, optouts, logs, truth, history, survey)


def write_demo(
    out_dir: str | Path,
    n_customers: int = 5000,
    seed: int = 0,
    *,
    start: str = "2024-01-01",
    end: str = "2025-12-31",
    max_csv_mb: float = 3.0,
) -> dict[str, Path]:
    """Generate a demo CRM and write it to ``out_dir`` (created if needed).

    Writes ``transactions.csv`` (``transactions.parquet`` when the CSV would exceed
    ``max_csv_mb``), ``customers.csv``, ``optouts.csv``, ``campaigns.csv`` and ``truth.json``,
    overwriting files of those names. Timestamps are written ``YYYY-MM-DD HH:MM:SS``, missing
    values as empty fields.

    Parameters
    ----------
    out_dir : str or Path
        Destination folder.
    n_customers, seed, start, end
        Passed to :func:`make_demo_crm`.
    max_csv_mb : float
        Size (MB) above which transactions are written as parquet instead of CSV.

    Returns
    -------
    dict of str to Path
        The written files, keyed ``transactions``, ``customers``, ``optouts``, ``campaigns``,
        ``history`` (earlier campaigns' results), ``survey``, ``truth``.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_demo(tempfile.mkdtemp(), n_customers=150, seed=3)
    >>> sorted(paths)
    ['campaigns', 'customers', 'history', 'optouts', 'survey', 'transactions', 'truth']
    """
    crm = make_demo_crm(n_customers, seed=seed, start=start, end=end)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = "%Y-%m-%d %H:%M:%S"
    paths = {name: out / f"{name}.csv" for name in TABLES}
    text = crm.transactions.to_csv(index=False, date_format=stamp)
    if len(text.encode()) > max_csv_mb * 1e6:
        paths["transactions"] = out / "transactions.parquet"
        crm.transactions.to_parquet(paths["transactions"], index=False)
    else:
        paths["transactions"].write_text(text, encoding="utf-8")
    for name in TABLES[1:]:
        getattr(crm, name).to_csv(paths[name], index=False, date_format=stamp)
    from rfvkit.history import save_snapshot

    for as_of, table in crm.snapshots.items():
        save_snapshot(table, out / "history" / as_of, as_of=as_of, created_at=f"{as_of}T00:00:00Z")
    paths["history"] = out / "history"
    paths["survey"] = out / "survey.csv"
    crm.survey.to_csv(paths["survey"], index=False, date_format=stamp)
    paths["truth"] = out / "truth.json"
    paths["truth"].write_text(json.dumps(crm.truth, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return paths


def _check(n, seed, start, end, window) -> tuple[pd.Timestamp, int]:
    """Validate the arguments; return the first day and the period length in seconds."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 100:
        raise BadParameterError(f"n_customers must be an integer >= 100, got {n!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise BadParameterError(f"seed must be a non-negative integer, got {seed!r}.")
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or not 0 < window <= 30:
        raise BadParameterError(f"window_days must be an integer in 1..30, got {window!r}.")
    bad_dates = BadParameterError(
        f"start and end must be dates like '2024-01-01', got {start!r} and {end!r}."
    )
    try:
        t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    except (ValueError, TypeError) as exc:
        raise bad_dates from exc
    if pd.isna(t0) or pd.isna(t1):
        raise bad_dates
    t0, t1 = t0.normalize(), t1.normalize()
    if (t1 - t0).days < 179:
        raise BadParameterError(f"end ({end!r}) must be at least 180 days after start ({start!r}).")
    return t0, ((t1 - t0).days + 1) * DAY
