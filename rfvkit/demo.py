"""Seeded synthetic CRM: transactions, customers, opt-outs and a campaign log with known truth.

:func:`make_demo_crm` builds the four tables in memory; :func:`write_demo` writes them and
``truth.json`` to a folder (``rfvkit demo --out data/sample`` calls it). Every random draw comes
from one ``numpy.random.default_rng(seed)``, so the same arguments give identical frames.

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
- persona differences (:meth:`_Generator.plant_personas`, drawn from a second seeded stream
  after everything else, so the purchases are those of the generator without them):
  Champions older and more often in Scotland, New customers younger and ordering on the app,
  and a poll with partial coverage, repeated answers and unknown customers.

Phone numbers come only from ranges reserved for fiction that ``phonenumbers`` accepts (see
``FICTIONAL``): US 555-0100..0199 in every area code (``FIXED_LINE_OR_MOBILE``), the 30 mobile
numbers Australia's ACMA lists for creative works (``MOBILE``), and for landlines Ofcom's drama
numbers (020 7946 0xxx ...), ACMA's (0x 5550 xxxx) and ARCEP's (01 99 00 xx xx). Customers of
countries without such a mobile range get a US fictional number, typed with its +1. Still: never
send messages to demo data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers as pn

from rfvkit.errors import BadParameterError

__all__ = ["DemoCRM", "make_demo_crm", "write_demo"]

DAY = 86_400  # seconds
COUNTRY_SHARE = {
    "GB": 0.34,
    "US": 0.18,
    "DE": 0.10,
    "FR": 0.09,
    "ES": 0.08,
    "IE": 0.07,
    "NL": 0.07,
    "AU": 0.07,
}
# region: (country, share within the country, IANA timezone)
REGIONS = {
    "England": ("GB", 0.80, "Europe/London"),
    "Scotland": ("GB", 0.10, "Europe/London"),
    "Wales": ("GB", 0.06, "Europe/London"),
    "Northern Ireland": ("GB", 0.04, "Europe/London"),
    "California": ("US", 0.30, "America/Los_Angeles"),
    "New York": ("US", 0.25, "America/New_York"),
    "Texas": ("US", 0.20, "America/Chicago"),
    "Illinois": ("US", 0.15, "America/Chicago"),
    "Colorado": ("US", 0.10, "America/Denver"),
    "Bayern": ("DE", 0.40, "Europe/Berlin"),
    "Berlin": ("DE", 0.30, "Europe/Berlin"),
    "Hamburg": ("DE", 0.30, "Europe/Berlin"),
    "Île-de-France": ("FR", 0.50, "Europe/Paris"),
    "Occitanie": ("FR", 0.25, "Europe/Paris"),
    "Bretagne": ("FR", 0.25, "Europe/Paris"),
    "Madrid": ("ES", 0.45, "Europe/Madrid"),
    "Cataluña": ("ES", 0.35, "Europe/Madrid"),
    "Andalucía": ("ES", 0.20, "Europe/Madrid"),
    "Leinster": ("IE", 0.55, "Europe/Dublin"),
    "Munster": ("IE", 0.30, "Europe/Dublin"),
    "Connacht": ("IE", 0.15, "Europe/Dublin"),
    "Noord-Holland": ("NL", 0.45, "Europe/Amsterdam"),
    "Zuid-Holland": ("NL", 0.35, "Europe/Amsterdam"),
    "Utrecht": ("NL", 0.20, "Europe/Amsterdam"),
    "New South Wales": ("AU", 0.40, "Australia/Sydney"),
    "Victoria": ("AU", 0.35, "Australia/Melbourne"),
    "Queensland": ("AU", 0.25, "Australia/Brisbane"),
}
NAMES = {
    "F": "Olivia Emma Sophie Mia Chloe Lucía Hannah Léa Aoife Grace Ava Emily Lena Sara Julia Isla",
    "M": "Jack Liam Noah Oliver Lucas Hugo Leon Daniel Sean James Ethan Mateo Finn Max Thomas Sem",
}
# category: (median unit price, mean extra quantity per line); products cheapest first
CATEGORIES = {
    "Apparel": (38.0, 0.15),
    "Beauty": (14.0, 0.4),
    "Home": (29.0, 0.2),
    "Electronics": (89.0, 0.05),
    "Pantry": (7.0, 1.0),
}
PRODUCTS = {
    "Apparel": "Socks 3-pack, Beanie, T-shirt, Wool scarf, Jeans, Hoodie, Sneakers, Rain jacket",
    "Beauty": "Lip balm, Hand soap, Nail polish, Shampoo, Sunscreen, Body lotion, Face cream, Perfume",
    "Home": "Candle, Plant pot, Picture frame, Mug set, Cushion, Towel set, Table lamp, Throw blanket",
    "Electronics": "USB cable, Phone case, Charger, Power bank, Earbuds, Speaker, Headphones, Smartwatch",
    "Pantry": "Pasta, Green tea, Hot sauce, Dark chocolate, Granola, Honey, Olive oil, Coffee beans",
}
MONTH_WEIGHT = np.array([0.85, 0.8, 0.9, 0.95, 1.0, 0.95, 0.9, 0.9, 0.95, 1.05, 1.4, 1.6])
HOUR_WEIGHT = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 4.5, 5, 6, 5.5, 5, 4.5, 4.5, 5, 6, 7, 7.5, 6, 4, 2]
)
CAMPAIGN_AT = (0.60, 0.87)  # send days, as fractions of the generated period
PHONE_SHARES = {
    "missing": 0.06,
    "fixed_line": 0.04,
    "invalid_short": 0.015,
    "invalid_letters": 0.015,
    "shared": 0.01,
}
TABLES = ("transactions", "customers", "optouts", "campaigns")
# segment at send: (conversion holdout, conversion treatment, STOP replies in treatment)
SEGMENT_EFFECTS = {
    "Champions": (0.15, 0.20, 0.005),
    "Loyal Customers": (0.10, 0.15, 0.005),
    "New Customers": (0.08, 0.12, 0.005),
    "At Risk": (0.06, 0.12, 0.01),
    "Needs Attention": (0.05, 0.05, 0.005),  # no effect
    "Hibernating": (0.03, 0.07, 0.06),  # converts, but sheds subscribers
}
SNAPSHOT_AT = (0.75, 0.875)  # as_of of the two history snapshots, as fractions of the period
GONE_SHARE = 0.01  # customers of the first snapshot planted as missing from the second
# Number ranges reserved for drama and fiction that phonenumbers 9 still accepts.
FICTIONAL = {
    # US: 555-0100 to 555-0199 are reserved for fiction in every area code (NANPA)
    "US": "+1 AAA 555-01xx, every area code",
    # ACMA, "Phone numbers for use in TV shows, films and creative works"
    "AU_MOBILE": [
        "0491570006",
        "0491570156",
        "0491570157",
        "0491570158",
        "0491570159",
        "0491570110",
        "0491570313",
        "0491570737",
        "0491571266",
        "0491571491",
        "0491571804",
        "0491572549",
        "0491572665",
        "0491572983",
        "0491573770",
        "0491573087",
        "0491574118",
        "0491574632",
        "0491575254",
        "0491575789",
        "0491576398",
        "0491576801",
        "0491577426",
        "0491577644",
        "0491578957",
        "0491578148",
        "0491578888",
        "0491579212",
        "0491579760",
        "0491579455",
    ],
    "AU_FIXED": ["025550", "035550", "075550", "085550"],  # + 4 digits
    # Ofcom, "TV, radio and other drama numbers": geographic ranges + 3 or 4 digits
    "GB_FIXED": [
        "02079460",
        "01134960",
        "01144960",
        "01164960",
        "01174960",
        "01184960",
        "01214960",
        "01314960",
        "01414960",
        "01514960",
        "01614960",
        "01914980",
        "02920180",
        "02896496",
    ],
    # ARCEP, numbers reserved for audiovisual works
    "FR_FIXED": ["01990"],  # + 5 digits: 01 99 00 xx xx
}
# US area codes per demo region (the number's time zone matches the region's).
US_AREAS = {
    "California": [
        213,
        310,
        323,
        408,
        415,
        510,
        559,
        562,
        619,
        626,
        650,
        661,
        707,
        714,
        760,
        805,
        818,
        831,
        858,
        909,
        916,
        925,
        949,
        951,
    ],
    "New York": [212, 315, 347, 516, 518, 585, 607, 631, 646, 716, 718, 845, 914, 917, 929],
    "Texas": [
        210,
        214,
        254,
        281,
        325,
        361,
        409,
        430,
        432,
        469,
        512,
        682,
        713,
        737,
        806,
        817,
        830,
        832,
        903,
        915,
        936,
        940,
        956,
        972,
        979,
    ],
    "Illinois": [217, 224, 309, 312, 331, 618, 630, 708, 773, 779, 815, 847, 872],
    "Colorado": [303, 719, 720, 970],
}
STYLES = ("national", "international", "e164", "idd00", "digits")
STYLE_SHARE = np.array([0.40, 0.25, 0.15, 0.10, 0.10])


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
        sends.append((sent, g.run_campaign(sent, window_days * DAY, holdout_share, effects)))
    tx, tx_truth = g.make_transactions(return_share)
    snapshots, migration = _snapshots(tx, t0, span, g.rng)

    logs, campaign_truth = [], []
    for sent, log in sends:
        cid = f"SMS-{t0 + pd.Timedelta(seconds=sent):%Y%m%d}"
        logs.append(
            pd.DataFrame(
                {
                    "campaign_id": cid,
                    "customer_id": g.ids[log["cust"]],
                    "segment": log["segment"],
                    "group": log["group"],
                    "sent_at": g.stamps(np.full(log["cust"].size, sent)),
                }
            )
        )
        campaign_truth.append(
            {
                "campaign_id": cid,
                "sent_at": str(t0 + pd.Timedelta(seconds=sent)),
                "window_days": window_days,
                **g.conversions(log, sent, window_days * DAY, effects),
            }
        )
    survey, persona_truth = g.plant_personas(tx, seed)
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
    logs = pd.concat(logs, ignore_index=True)
    return DemoCRM(tx, customers, optouts, logs, truth, snapshots, survey)


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


def _snapshots(tx: pd.DataFrame, t0: pd.Timestamp, span: int, rng) -> tuple[dict, dict]:
    """Two scored tables as rfvkit's default rules saw the clean lines at two earlier dates,
    with ``GONE_SHARE`` of the first one's customers planted as missing from the second; and
    their migration counts, tallied here customer by customer."""
    import warnings

    from rfvkit.rfv import rfv_table
    from rfvkit.rules import load_rules
    from rfvkit.scoring import score
    from rfvkit.segments import segment

    clean = tx[tx["customer_id"].notna() & (tx["amount"] != 0)].drop_duplicates()
    tables = {}
    for frac in SNAPSHOT_AT:
        as_of = (t0 + pd.Timedelta(seconds=int(frac * span) // DAY * DAY)).normalize()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rfv = rfv_table(clean[clean["order_date"] < as_of], as_of=as_of)
            table = segment(score(rfv, bins=5), rules=load_rules("default", bins=5))
        tables[f"{as_of:%Y-%m-%d}"] = table
    (first, a), (second, b) = tables.items()
    stay = np.intersect1d(a.index.to_numpy(dtype=object), b.index.to_numpy(dtype=object))
    gone = np.sort(rng.choice(stay, round(GONE_SHARE * len(a)), replace=False))
    tables[second] = b = b.drop(index=gone)
    before = dict(zip(a.index, a["segment"], strict=True))
    after = dict(zip(b.index, b["segment"], strict=True))
    counts: dict[str, dict[str, int]] = {}
    for cid in before.keys() | after.keys():
        row = counts.setdefault(before.get(cid, "new"), {})
        to = after.get(cid, "gone")
        row[to] = row.get(to, 0) + 1
    truth = {
        "as_of": [first, second],
        "customers": [len(a), len(b)],
        "gone_planted": gone.tolist(),
        "matrix": {k: dict(sorted(v.items())) for k, v in sorted(counts.items())},
    }
    return tables, truth


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


class _FictionalPools:
    """Numbers from ranges reserved for fiction (``FICTIONAL``), each handed out once.

    Their order comes from a generator of its own, so the main random stream is untouched.
    """

    def __init__(self, seed: int) -> None:
        self.rng = rng = np.random.default_rng([seed, 555])
        us_valid = [a for a in range(200, 1000) if _us_area_ok(a)]
        regional = {a for areas in US_AREAS.values() for a in areas}

        def us(areas) -> list[str]:
            return [f"+1{a}55501{x:02d}" for a in areas for x in range(100)]

        def shuffled(items: list[str]) -> list[str]:
            return [items[i] for i in rng.permutation(len(items))]

        self.us = {
            r: shuffled(us([a for a in areas if a in us_valid])) for r, areas in US_AREAS.items()
        }
        self.us_other = shuffled(us([a for a in us_valid if a not in regional]))
        self.au_mobile = shuffled(["+61" + n[1:] for n in FICTIONAL["AU_MOBILE"]])
        self.fixed = {  # each prefix checked valid FIXED_LINE by tests/test_demo.py
            "AU": shuffled(
                [f"+61{p[1:]}{x:04d}" for p in FICTIONAL["AU_FIXED"] for x in range(10**4)]
            ),
            "GB": shuffled(
                [
                    f"+44{p[1:]}{x:0{11 - len(p)}d}"
                    for p in FICTIONAL["GB_FIXED"]
                    for x in range(10 ** (11 - len(p)))
                ]
            ),
            "FR": shuffled(
                [f"+33{p[1:]}{x:05d}" for p in FICTIONAL["FR_FIXED"] for x in range(10**5)]
            ),
        }

    def take(self, country: str, region: object, *, fixed: bool) -> pn.PhoneNumber:
        if fixed:
            pool = self.fixed.get(country, self.fixed["GB"])
        elif country == "US" and self.us.get(region):
            pool = self.us[region]
        elif country == "AU" and self.au_mobile:
            pool = self.au_mobile
        else:
            pool = self.us_other or next(p for p in self.us.values() if p)
        if not pool:
            raise BadParameterError(
                "n_customers: too many customers for the fictional number ranges; use fewer."
            )
        return pn.parse(pool.pop(), None)


def _us_area_ok(area: int) -> bool:
    try:
        first, last = pn.parse(f"+1{area}5550100"), pn.parse(f"+1{area}5550199")
    except pn.NumberParseException:
        return False
    sendable = pn.PhoneNumberType.FIXED_LINE_OR_MOBILE  # not toll-free, premium, personal
    return (
        pn.is_valid_number(first)
        and pn.is_valid_number(last)
        and pn.region_code_for_number(first) == "US"
        and pn.number_type(first) == pn.number_type(last) == sendable
    )


def _format(number: pn.PhoneNumber, style: str) -> str:
    """Type ``number`` the way a person might: see ``STYLES``."""
    fmt = pn.PhoneNumberFormat
    if style == "international":
        return pn.format_number(number, fmt.INTERNATIONAL)
    if style == "e164":
        return pn.format_number(number, fmt.E164)
    if style == "idd00":
        return "00" + pn.format_number(number, fmt.INTERNATIONAL)[1:]
    national = pn.format_number(number, fmt.NATIONAL)
    return national if style == "national" else "".join(filter(str.isdigit, national))


def _is_valid(text: str, region: str) -> bool:
    try:
        return pn.is_valid_number(pn.parse(text, region))
    except pn.NumberParseException:
        return False


def _dials_00(region: str) -> bool:
    """Whether people in ``region`` dial abroad with 00 (so ``00CC`` numbers parse there)."""
    return pn.PhoneMetadata.metadata_for_region(region).international_prefix == "00"


def _segment_at(recency: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    """Rule-style label from recency (days) and orders before a send; first match wins."""
    rules = {
        "Champions": (frequency >= 4) & (recency <= 60),
        "Loyal Customers": (frequency >= 2) & (recency <= 120),
        "New Customers": (frequency == 1) & (recency <= 60),
        "At Risk": (frequency >= 2) & (recency <= 365),
        "Needs Attention": recency <= 365,
    }
    return np.select(list(rules.values()), list(rules), "Hibernating").astype(object)


class _Generator:
    """The random stream and the tables as ``make_demo_crm`` builds them, step by step.

    Times are int64 seconds after the first day ``t0``; customers are row numbers.
    """

    def __init__(self, n: int, seed: int, t0: pd.Timestamp, span: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.n, self.t0, self.span = n, t0, span
        self.pools = _FictionalPools(seed)
        self.ids = np.array([f"C{i:06d}" for i in range(1, n + 1)], dtype=object)

    # ---- small tools
    def stamps(self, seconds: np.ndarray) -> pd.Series:
        """Seconds after ``t0`` (NaN = missing) as a datetime64[ns] Series."""
        seconds = np.asarray(seconds, dtype=float)
        base = np.datetime64(self.t0.to_datetime64(), "s")
        out = base + np.nan_to_num(seconds).astype(np.int64).astype("timedelta64[s]")
        return pd.Series(np.where(np.isnan(seconds), np.datetime64("NaT"), out).astype("M8[ns]"))

    def months(self, seconds: np.ndarray) -> np.ndarray:
        """Calendar month of each time, 0 = January."""
        dates = np.datetime64(self.t0.to_datetime64(), "s") + seconds.astype("timedelta64[s]")
        return dates.astype("datetime64[M]").astype(np.int64) % 12

    def seasonal_times(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """One time per interval [lo, hi): days thinned by month weight, hours by HOUR_WEIGHT."""
        out = np.empty(lo.size, dtype=np.int64)
        todo = np.arange(lo.size)
        while todo.size:
            t = lo[todo] + (self.rng.random(todo.size) * (hi[todo] - lo[todo])).astype(np.int64)
            keep = self.rng.random(todo.size) < MONTH_WEIGHT[self.months(t)] / MONTH_WEIGHT.max()
            out[todo[keep]] = t[keep]
            todo = todo[~keep]
        hour = self.rng.choice(24, size=out.size, p=HOUR_WEIGHT / HOUR_WEIGHT.sum())
        return out // DAY * DAY + hour * 3600 + self.rng.integers(0, 3600, out.size)

    def pick(self, probs: np.ndarray) -> np.ndarray:
        """A column index per row of ``probs`` (rows sum to 1)."""
        u = self.rng.random(len(probs))[:, None]
        return np.minimum((u > np.cumsum(probs, axis=1)).sum(axis=1), probs.shape[1] - 1)

    # ---- customers
    def make_customers(self) -> None:
        rng, n = self.rng, self.n
        codes = np.array(list(COUNTRY_SHARE), dtype=object)
        country = rng.choice(codes, size=n, p=list(COUNTRY_SHARE.values()))
        region = np.empty(n, dtype=object)
        for code in codes:
            names = np.array([r for r, v in REGIONS.items() if v[0] == code], dtype=object)
            share = np.array([REGIONS[r][1] for r in names])
            region[country == code] = rng.choice(names, size=(country == code).sum(), p=share)
        gender = rng.choice(np.array(["F", "M", "X"], dtype=object), size=n, p=[0.51, 0.46, 0.03])
        pools = {"F": NAMES["F"].split(), "M": NAMES["M"].split()}
        pools["X"] = pools["F"] + pools["M"]
        draw = rng.integers(0, 1 << 20, n)
        first_name = [pools[s][i % len(pools[s])] for s, i in zip(gender, draw, strict=True)]
        age = np.clip(np.round(rng.normal(41, 14, n)), 18, 85).astype(np.int64)
        # category tastes: Dirichlet with weights nudged by gender and age
        alpha = np.tile([1.0, 0.8, 0.9, 0.5, 0.7], (n, 1))
        alpha[gender == "F", 1] += 0.8
        alpha[gender == "M", 3] += 0.6
        alpha[age >= 50, 2] += 0.4
        alpha[age >= 50, 4] += 0.6
        prefs = rng.gamma(alpha)
        prefs /= prefs.sum(axis=1, keepdims=True)
        cats = np.array(list(CATEGORIES), dtype=object)
        answer = rng.random(n)  # survey: 55% name their top category, 10% another, 35% skip
        other = cats[rng.integers(0, cats.size, n)]
        favourite = np.where(
            answer < 0.55, cats[prefs.argmax(axis=1)], np.where(answer < 0.65, other, None)
        )
        young, old = [0.40, 0.30, 0.25, 0.05], [0.30, 0.45, 0.10, 0.15]
        contact = np.array(["SMS", "Email", "WhatsApp", "Post"], dtype=object)
        channel = contact[self.pick(np.where((age < 35)[:, None], young, old))]
        channel[rng.random(n) < 0.2] = None
        acquired = self.seasonal_times(np.zeros(n, np.int64), np.full(n, self.span))
        lag = np.where(rng.random(n) < 0.6, rng.integers(0, 300, n), rng.exponential(120 * DAY, n))
        consent_at = acquired + lag.astype(np.int64)  # at checkout, or some time later
        consent = (rng.random(n) < 0.72) & (consent_at < self.span)
        self.cust = {
            "country": country,
            "region": region,
            "gender": gender,
            "age": age,
            "timezone": np.array([REGIONS[r][2] for r in region], dtype=object),
            "first_name": np.array(first_name, dtype=object),
            "prefs": prefs,
            "favourite_category": favourite,
            "preferred_channel": channel,
            "acquired": acquired,
            "buyer": rng.random(n) >= 0.04,
            "rate": rng.gamma(0.5, 8.0, n) / 365,
            "lifetime": rng.exponential(450 * DAY, n),
            "consent": consent,
            "consent_at": np.where(consent, consent_at, np.nan),
        }

    # ---- phones and opt-outs
    def numbers(self, region: str, kind: int, count: int, taken: set) -> list[pn.PhoneNumber]:
        """``count`` new valid numbers of ``kind`` in ``region``: the example number with its
        last digits varied, kept only when phonenumbers accepts it."""
        example = pn.example_number_for_type(region, kind)
        head = str(example.national_number)
        k = 4 if len(head) <= 8 else 6
        types = {kind, pn.PhoneNumberType.FIXED_LINE_OR_MOBILE}
        found: list[pn.PhoneNumber] = []
        while len(found) < count:
            for tail in self.rng.integers(0, 10**k, size=2 * (count - len(found)) + 4):
                num = pn.PhoneNumber(
                    country_code=example.country_code,
                    national_number=int(f"{head[:-k]}{tail:0{k}d}"),
                )
                key = (num.country_code, num.national_number)
                if key not in taken and pn.is_valid_number(num) and pn.number_type(num) in types:
                    taken.add(key)
                    found.append(num)
                    if len(found) == count:
                        break
        return found

    def broken(
        self, number: pn.PhoneNumber, kind: str, region: str, rng: np.random.Generator | None = None
    ) -> str:
        """``number`` typed wrong: its last digits missing, or a letter instead of a digit."""
        rng = self.rng if rng is None else rng
        own = pn.region_code_for_number(number) == region
        national = pn.format_number(
            number, pn.PhoneNumberFormat.NATIONAL if own else pn.PhoneNumberFormat.INTERNATIONAL
        )
        while True:
            if kind == "invalid_short":
                text = national[: -int(rng.integers(3, 5))].rstrip(" -")
            else:
                digits = [i for i, ch in enumerate(national) if ch.isdigit()][2:]
                i = digits[rng.integers(len(digits))]
                text = national[:i] + "OIlSx"[rng.integers(5)] + national[i + 1 :]
            if not _is_valid(text, region):
                return text

    def make_phones(self) -> None:
        rng, n, country = self.rng, self.n, self.cust["country"]
        kind = np.full(n, "mobile", dtype=object)
        order = rng.permutation(n)
        counts = {k: int(round(s * n)) for k, s in PHONE_SHARES.items()}
        abroad = order[country[order] != "US"]  # US landlines look like mobiles: none there
        kind[abroad[: counts["fixed_line"]]] = "fixed_line"
        rest, at = order[kind[order] == "mobile"], 0
        for name in ("missing", "invalid_short", "invalid_letters", "shared"):
            kind[rest[at : at + counts[name]]] = name
            at += counts[name]
        probs = np.tile(STYLE_SHARE, (n, 1))
        probs[~np.array([_dials_00(c) for c in country]), 3] = 0
        style = np.array(STYLES, dtype=object)[self.pick(probs / probs.sum(axis=1, keepdims=True))]
        number = np.full(n, None, dtype=object)
        taken: set = set()
        for code in COUNTRY_SHARE:
            for typ, kinds in [
                (pn.PhoneNumberType.MOBILE, ["mobile", "invalid_short", "invalid_letters"]),
                (pn.PhoneNumberType.FIXED_LINE, ["fixed_line"]),
            ]:
                idx = np.flatnonzero((country == code) & np.isin(kind, kinds))
                # drawn for the random stream only (the rest of the demo stays as it was);
                # every number shown is then taken from a fictional range
                number[idx] = self.numbers(code, typ, idx.size, taken)
        drawn = number.copy()
        self.drawn_taken = set(taken)  # the real-range draws, for the strangers' draw below
        for i in np.flatnonzero(number != None):  # noqa: E711 (object array)
            fixed = kind[i] == "fixed_line"
            number[i] = self.pools.take(country[i], self.cust["region"][i], fixed=fixed)
        typed = style.copy()  # how each number is written; ``style`` keeps the draw
        for i in np.flatnonzero(number != None):  # noqa: E711 (object array)
            if pn.region_code_for_number(number[i]) != country[i] and style[i] in (
                "national",
                "digits",
            ):
                typed[i] = "international"  # a foreign number is typed with its country code
        text = np.full(n, None, dtype=object)
        source = np.full(n, -1)
        for i in range(n):
            if kind[i] in ("mobile", "fixed_line"):
                text[i] = _format(number[i], typed[i])
            elif kind[i] == "shared":  # a household: the number of a mobile customer nearby
                pool = np.setdiff1d(np.flatnonzero(kind == "mobile"), source)
                near = pool[country[pool] == country[i]]
                source[i] = j = rng.choice(near if near.size else pool)
                number[i] = number[j]
                text[i] = _format(number[j], "international" if typed[j] == "e164" else "e164")
            elif kind[i] != "missing":
                self.broken(drawn[i], kind[i], country[i])  # same draws as before, unused
                text[i] = self.broken(number[i], kind[i], country[i], rng=self.pools.rng)
        key = np.full(n, None, dtype=object)  # comparable identity of each number
        for i in np.flatnonzero(kind != "missing"):
            key[i] = (number[i].country_code, number[i].national_number)
        self.phones = {
            "text": text,
            "kind": kind,
            "style": style,
            "typed": typed,
            "number": number,
            "key": key,
            "source": source,
        }

    def make_optouts(self) -> None:
        """Opt-outs by phone (typed with the country code, unlike the customer file), by
        customer id, and a few for numbers no customer has."""
        rng, n, p = self.rng, self.n, self.phones
        consented = self.cust["consent"]
        alone = (p["kind"] == "mobile") & ~np.isin(np.arange(n), p["source"])
        by_phone = np.sort(rng.permutation(np.flatnonzero(consented & alone))[: round(0.04 * n)])
        others = np.setdiff1d(np.flatnonzero(consented), by_phone)
        by_id = np.sort(rng.permutation(others)[: round(0.02 * n)])
        who = np.concatenate([by_phone, by_id])
        since = self.cust["consent_at"][who]
        at = (since + rng.random(who.size) * (self.span - since)).astype(np.int64)
        text = []
        for i in by_phone:
            ok = [s for s in STYLES[1:4] if s != p["style"][i]]
            ok = [s for s in ok if s != "idd00" or _dials_00(self.cust["country"][i])]
            pick = ok[rng.integers(len(ok))]
            if pick == p["typed"][i]:  # never the way the customer file has it
                pick = next(x for x in STYLES[1:4] if x not in (pick, p["typed"][i]))
            text.append(_format(p["number"][i], pick))
        n_unknown = max(2, n // 1000)
        taken = self.drawn_taken  # as before: the stream stays the same
        strangers = self.numbers("GB", pn.PhoneNumberType.MOBILE, n_unknown, taken)
        strangers = [self.pools.take("", None, fixed=False) for _ in strangers]
        out_at = np.full(n, np.inf)
        out_at[who] = at
        self.opt = {
            "phone": np.array(
                text + [_format(x, "e164") for x in strangers] + [None] * by_id.size, dtype=object
            ),
            "customer_id": np.concatenate(
                [np.full(by_phone.size + n_unknown, None), self.ids[by_id]]
            ),
            "at": np.concatenate(
                [at[: by_phone.size], rng.integers(0, self.span, n_unknown), at[by_phone.size :]]
            ),
            "counts": {
                "by_phone": int(by_phone.size),
                "by_customer_id": int(by_id.size),
                "unknown_phone": n_unknown,
            },
            "out_at": out_at,
            "by_phone": by_phone,
            "by_id": by_id,
        }

    def reachable(self) -> dict:
        """Who may get an SMS at the end of the period: consent, a valid mobile, no opt-out."""
        mobile = np.isin(self.phones["kind"], ["mobile", "shared"])
        key = self.phones["key"]
        blocked = {key[i] for i in self.opt["by_phone"]}
        ok = self.cust["consent"] & mobile & np.array([k not in blocked for k in key])
        ok[self.opt["by_id"]] = False
        return {
            "consented": int(self.cust["consent"].sum()),
            "consented_valid_mobile": int((self.cust["consent"] & mobile).sum()),
            "sendable_customers": int(ok.sum()),
            "sendable_numbers": len({key[i] for i in np.flatnonzero(ok)}),
        }

    # ---- orders and campaigns
    def make_orders(self) -> None:
        """First order at acquisition, then Poisson repeats at each buyer's rate until churn."""
        c = self.cust
        buyers = np.flatnonzero(c["buyer"])
        first = c["acquired"][buyers]
        stop = np.minimum(first + c["lifetime"][buyers], self.span).astype(np.int64)
        repeats = self.rng.poisson(c["rate"][buyers] * (stop - first) / DAY)
        later = self.seasonal_times(np.repeat(first, repeats), np.repeat(stop, repeats))
        self.order_c = np.concatenate([buyers, np.repeat(buyers, repeats)])
        self.order_t = np.concatenate([first, later])

    def run_campaign(self, sent: int, window: int, holdout_share: float, effects: dict) -> dict:
        """Send to every reachable customer who bought before ``sent``; replace their orders in
        the window by one campaign order with the probability of their segment and group, and
        let treatment customers reply STOP (an opt-out by phone) at their segment's rate."""
        rng, n, c = self.rng, self.n, self.cust
        before = self.order_t < sent
        frequency = np.bincount(self.order_c[before], minlength=n)
        last = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last, self.order_c[before], self.order_t[before])
        reach = (
            (frequency > 0) & c["consent"] & (np.nan_to_num(c["consent_at"], nan=np.inf) <= sent)
        )
        reach &= (self.opt["out_at"] > sent) & (self.phones["kind"] == "mobile")
        audience = np.flatnonzero(reach)
        segment = _segment_at((sent - last[audience]) // DAY, frequency[audience])
        rates = np.array([effects[s] for s in segment], dtype=float).reshape(-1, 3)
        holdout = np.zeros(audience.size, dtype=bool)
        holdout[rng.permutation(audience.size)[: round(holdout_share * audience.size)]] = True
        buys = rng.random(audience.size) < np.where(holdout, rates[:, 0], rates[:, 1])
        scale = 3 * DAY  # truncated exponential: most campaign orders come in the first days
        u = rng.random(int(buys.sum()))
        offset = (-scale * np.log1p(-u * (1 - np.exp(-window / scale)))).astype(np.int64)
        keep = ~((self.order_t >= sent) & (self.order_t < sent + window) & reach[self.order_c])
        self.order_c = np.concatenate([self.order_c[keep], audience[buys]])
        self.order_t = np.concatenate([self.order_t[keep], sent + np.minimum(offset, window - 1)])
        stop = np.zeros(audience.size, dtype=bool)
        if rates[:, 2].any():  # STOP replies, typed E.164 as an SMS gateway reports them
            stop = ~holdout & (rng.random(audience.size) < rates[:, 2])
            who = audience[stop]
            at = sent + rng.integers(0, window, who.size)
            o = self.opt
            o["phone"] = np.concatenate(
                [o["phone"], [_format(self.phones["number"][i], "e164") for i in who]]
            )
            o["customer_id"] = np.concatenate([o["customer_id"], np.full(who.size, None)])
            o["at"] = np.concatenate([o["at"], at])
            o["out_at"][who] = np.minimum(o["out_at"][who], at)
            o["by_phone"] = np.concatenate([o["by_phone"], who])
            o["counts"]["stop_replies"] = o["counts"].get("stop_replies", 0) + int(who.size)
        return {
            "cust": audience,
            "group": np.where(holdout, "holdout", "treatment").astype(object),
            "segment": segment,
            "stop": stop,
        }

    def conversions(self, log: dict, sent: int, window: int, effects: dict) -> dict:
        """Observed conversion per group and per segment: a purchase in [sent, sent + window)."""
        inside = (self.order_t >= sent) & (self.order_t < sent + window)
        converted = np.isin(log["cust"], self.order_c[inside])
        out: dict = {"audience": int(log["cust"].size)}
        for group in ("treatment", "holdout"):
            mask = log["group"] == group
            out[group] = int(mask.sum())
            out[f"converted_{group}"] = int(converted[mask].sum())
            out[f"conversion_{group}"] = round(
                float(converted[mask].mean()) if mask.any() else 0, 4
            )
        out["observed_lift"] = round(out["conversion_treatment"] - out["conversion_holdout"], 4)
        labels, counts = np.unique(log["segment"].astype(str), return_counts=True)
        out["segments"] = dict(zip(labels.tolist(), counts.tolist(), strict=True))
        out["effects"] = {}
        for name in labels.tolist():
            seg = log["segment"] == name
            hold, treat = seg & (log["group"] == "holdout"), seg & (log["group"] == "treatment")
            p_hold, p_treat, p_stop = effects[name]
            out["effects"][name] = {
                "true_conversion_holdout": p_hold,
                "true_conversion_treatment": p_treat,
                "true_lift": round(p_treat - p_hold, 10),
                "true_stop_rate_treatment": p_stop,
                "treatment": int(treat.sum()),
                "holdout": int(hold.sum()),
                "converted_treatment": int(converted[treat].sum()),
                "converted_holdout": int(converted[hold].sum()),
                "stop_replies": int(log["stop"][treat].sum()),
            }
        return out

    # ---- personas
    def plant_personas(self, tx: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, dict]:
        """Plant persona differences by end-of-period segment and write a poll.

        Draws come from ``default_rng([seed, 10])``, not the main stream, so every earlier
        table (and the purchase history) is unchanged. ``tx`` (its ``channel``) and
        ``self.cust`` (``age``, ``region``) are modified in place.
        """
        rng, n, c = np.random.default_rng([seed, 10]), self.n, self.cust
        frequency = np.bincount(self.order_c, minlength=n)
        last = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last, self.order_c, self.order_t)
        label = _segment_at(np.where(frequency > 0, (self.span - last) // DAY, 10**6), frequency)
        label[frequency == 0] = "Never bought"
        champ, new = label == "Champions", label == "New Customers"
        age = c["age"].copy()
        age[champ] = np.clip(age[champ] + rng.integers(8, 16, champ.sum()), 18, 85)
        age[new] = np.clip(np.round(rng.normal(27, 6, new.sum())), 18, 85)
        region = c["region"].copy()
        region[champ & (c["country"] == "GB") & (rng.random(n) < 0.5)] = "Scotland"
        c["age"], c["region"] = age, region  # Scotland keeps the Europe/London time zone
        orders = tx.loc[tx["customer_id"].isin(self.ids[new]), "order_id"].str[1:]
        unique = orders.unique()
        app = pd.Series(rng.random(unique.size) < 0.7, index=unique)
        tx.loc[orders.index[app.reindex(orders).to_numpy()], "channel"] = "app"

        answers = np.flatnonzero(rng.random(n) < np.where(champ, 0.6, 0.35))
        interests = np.array(["Early access", "Discounts", "Free shipping", "Loyalty rewards"])
        contacts = np.array(["SMS", "Email", "WhatsApp", "App push"])
        base_i, champ_i = [0.15, 0.40, 0.30, 0.15], [0.45, 0.10, 0.20, 0.25]
        base_c, new_c = [0.35, 0.35, 0.15, 0.15], [0.25, 0.20, 0.15, 0.40]

        def pick(probs: np.ndarray) -> np.ndarray:  # like self.pick, on this stream
            u = rng.random(len(probs))[:, None]
            return np.minimum((u > np.cumsum(probs, axis=1)).sum(axis=1), probs.shape[1] - 1)

        def draw(who: np.ndarray, start: int) -> pd.DataFrame:
            pi = np.where(champ[who][:, None], champ_i, base_i)
            pc = np.where(new[who][:, None], new_c, base_c)
            words = ["Fast delivery", "Love the app", "Prices went up", "More sizes please"]
            note = rng.random(who.size) < 0.15
            comment = [f"{words[k % 4]}, order {k}" if w else None
                       for k, w in zip(rng.integers(0, 10**6, who.size), note, strict=True)]  # fmt: skip
            return pd.DataFrame(
                {
                    "customer_id": self.ids[who],
                    "answered_at": self.stamps(start + rng.integers(0, 30 * DAY, who.size)),
                    "contact": contacts[pick(pc)],
                    "interest": interests[pick(pi)],
                    "comment": comment,
                }
            )

        late = self.span - 30 * DAY
        first = draw(answers, late)
        again = rng.permutation(answers)[: max(2, answers.size // 30)]
        earlier = draw(again, late - 60 * DAY)  # an older answer: the later one wins
        strangers = draw(np.zeros(max(2, n // 500), dtype=np.int64), late)
        strangers["customer_id"] = [f"C{n + 1 + k:06d}" for k in range(len(strangers))]
        survey = pd.concat([first, earlier, strangers], ignore_index=True)
        survey = survey.sort_values("answered_at", kind="stable", ignore_index=True)
        segments, counts = np.unique(label, return_counts=True)
        planted = [
            {"segment": "Champions", "attribute": "age", "statistic": "median", "sign": "+"},
            {"segment": "Champions", "attribute": "region", "value": "Scotland", "sign": "+"},
            {"segment": "New", "attribute": "age", "statistic": "median", "sign": "-"},
            {"segment": "New", "attribute": "channel", "value": "app", "sign": "+"},
            {"segment": "Champions", "attribute": "poll: interest", "value": "Early access",
             "sign": "+"},
            {"segment": "New", "attribute": "poll: contact", "value": "App push", "sign": "+"},
        ]  # fmt: skip
        return survey, {
            "planted": planted,
            "generator_segments": dict(zip(segments.tolist(), counts.tolist(), strict=True)),
            "survey": {
                "name": "poll",
                "rows": len(survey),
                "respondents": int(answers.size),
                "older_answers": int(again.size),
                "unknown_customers": len(strangers),
                "coverage": round(answers.size / n, 4),
            },
        }

    # ---- transaction lines
    def make_transactions(self, return_share: float) -> tuple[pd.DataFrame, dict]:
        """Order lines, return lines, then the known faults; sorted by date."""
        rng = self.rng
        o = np.lexsort((self.order_c, self.order_t))
        oc, ot = self.order_c[o], self.order_t[o]
        channel = rng.choice(
            np.array(["web", "app", "store"], dtype=object), o.size, p=[0.55, 0.25, 0.20]
        )
        line_order = np.repeat(np.arange(o.size), 1 + np.minimum(rng.poisson(0.5, o.size), 4))
        n_prod = 8
        cat = self.pick(self.cust["prefs"][oc[line_order]])
        popular = 0.8 ** np.arange(n_prod)  # cheaper products sell more often
        rank = rng.choice(n_prod, size=cat.size, p=popular / popular.sum())
        _, first = np.unique(line_order * 64 + cat * n_prod + rank, return_index=True)
        line_order, gid = line_order[first], (cat * n_prod + rank)[first]  # one line per product
        cat = gid // n_prod
        median = np.array([v[0] for v in CATEGORIES.values()])
        price = np.sort(median[:, None] * rng.lognormal(0, 0.45, (median.size, n_prod)), axis=1)
        price = np.maximum(np.round(price.ravel()), 2) - 0.01
        qty = 1 + np.minimum(rng.poisson(np.array([v[1] for v in CATEGORIES.values()])[cat]), 5)
        t = ot[line_order]
        sale = self.months(t) >= 10  # November and December
        off = np.where(rng.random(t.size) < np.where(sale, 0.4, 0.1), np.where(sale, 0.2, 0.1), 0)
        unit = np.round(price[gid] * (1 - off), 2)
        lag = ((1 + rng.exponential(10, t.size)) * DAY).astype(np.int64)
        can = np.flatnonzero(t + lag < self.span)
        n_ret = min(round(return_share / (1 - return_share) * t.size), can.size)
        ret = np.sort(rng.choice(can, size=n_ret, replace=False))
        size = t.size + n_ret
        purchases = np.arange(t.size)
        n_missing, n_zero, n_dup = (max(3, round(self.n / d)) for d in (400, 300, 250))
        missing = rng.choice(purchases, n_missing, replace=False)
        zero = rng.choice(purchases, n_zero, replace=False)
        dup = rng.choice(size, n_dup, replace=False)
        rows = np.concatenate(
            [purchases, ret, missing, zero, np.concatenate([purchases, ret])[dup]]
        )
        is_ret = np.zeros(rows.size, dtype=bool)
        is_ret[t.size : size] = True
        is_ret[size + n_missing + n_zero :] = dup >= t.size
        date = np.where(is_ret, t[rows] + lag[rows], t[rows])
        quantity = np.where(is_ret, -qty[rows], qty[rows])
        amount = np.round(quantity * unit[rows], 2)
        order_no = line_order[rows] + 1
        order_id = np.array(
            [f"{'R' if r else 'O'}{k:07d}" for r, k in zip(is_ret, order_no, strict=True)],
            dtype=object,
        )
        customer_id = self.ids[oc[line_order[rows]]]
        m = slice(size, size + n_missing)  # lines without customer id, as new orders
        customer_id[m] = None
        order_id[m] = [f"O{o.size + 1 + i:07d}" for i in range(n_missing)]
        z = slice(size + n_missing, size + n_missing + n_zero)  # cancelled lines: quantity 0
        quantity[z], amount[z] = 0, 0.0
        names = np.array([p for v in PRODUCTS.values() for p in v.split(", ")], dtype=object)
        tx = pd.DataFrame(
            {
                "customer_id": customer_id,
                "order_id": order_id,
                "order_date": self.stamps(date),
                "product": names[gid[rows]],
                "category": np.array(list(CATEGORIES), dtype=object)[cat[rows]],
                "quantity": quantity.astype(np.int64),
                "unit_price": unit[rows].astype(np.float64),
                "amount": amount.astype(np.float64),
                "channel": channel[line_order[rows]],
            }
        ).sort_values(["order_date", "order_id", "product"], kind="stable", ignore_index=True)

        freq = np.bincount(oc)
        freq = freq[freq > 0]
        truth = {
            "rows": len(tx),
            "clean_lines": size,
            "purchase_lines": int(t.size),
            "return_lines": n_ret,
            "return_share": round(n_ret / size, 4),
            "orders": int(o.size),
            "missing_customer_id": n_missing,
            "zero_amount": n_zero,
            "duplicate_lines": n_dup,
            "net_revenue": round(float(amount[:size].sum()), 2),
            "one_time_buyers": int((freq == 1).sum()),
            "one_time_share": round(float((freq == 1).mean()), 4),
            "median_frequency": float(np.median(freq)),
            "max_frequency": int(freq.max()),
            "nov_dec_order_share": round(float((self.months(ot) >= 10).mean()), 4),
        }
        return tx, truth
