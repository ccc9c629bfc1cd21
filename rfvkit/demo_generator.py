"""The main random stream of the demo CRM and the tables it draws, step by step.

:class:`_Generator` holds one ``numpy.random.default_rng(seed)`` and draws, as
:func:`rfvkit.demo.make_demo_crm` calls its steps in a fixed order, the customers (country,
region, name, age, tastes, consent), their phones (kinds and typing styles, numbers from
:mod:`rfvkit.demo_phones`), the opt-outs, the orders (a first order at acquisition, Poisson
repeats until churn) and finally the transaction lines with returns and the known faults. The
campaigns (:mod:`rfvkit.demo_campaigns`) draw from the same stream between the orders and the
lines, the snapshots (:mod:`rfvkit.demo_segments`) after the lines. Every draw happens in the
order it always did: moving one changes every table after it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers as pn

from rfvkit.demo_phones import (
    STYLE_SHARE,
    STYLES,
    FictionalPools,
    dials_00,
    draw_numbers,
    mistype,
    type_number,
)
from rfvkit.demo_world import (
    CATEGORIES,
    COUNTRY_SHARE,
    DAY,
    HOUR_WEIGHT,
    MONTH_WEIGHT,
    NAMES,
    PHONE_SHARES,
    PRODUCTS,
    REGIONS,
)


def pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """A column index per row of ``probs`` (rows sum to 1), one ``rng.random`` draw per row."""
    u = rng.random(len(probs))[:, None]
    return np.minimum((u > np.cumsum(probs, axis=1)).sum(axis=1), probs.shape[1] - 1)


class _Generator:
    """The random stream and the tables as ``make_demo_crm`` builds them, step by step.

    Times are int64 seconds after the first day ``t0``; customers are row numbers. The steps
    leave their columns as arrays for the later ones (and for :mod:`rfvkit.demo_campaigns` and
    :mod:`rfvkit.demo_segments`): ``cust`` (customers), ``phones`` (kind, style, number, text
    of each customer's phone), ``opt`` (opt-outs), ``order_c`` and ``order_t`` (customer and
    time of each order).
    """

    def __init__(self, n: int, seed: int, t0: pd.Timestamp, span: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.n, self.t0, self.span = n, t0, span
        self.pools = FictionalPools(seed)
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
        return pick(self.rng, probs)

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
        probs[~np.array([dials_00(c) for c in country]), 3] = 0
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
                number[idx] = draw_numbers(self.rng, code, typ, idx.size, taken)
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
                text[i] = type_number(number[i], typed[i])
            elif kind[i] == "shared":  # a household: the number of a mobile customer nearby
                pool = np.setdiff1d(np.flatnonzero(kind == "mobile"), source)
                near = pool[country[pool] == country[i]]
                source[i] = j = rng.choice(near if near.size else pool)
                number[i] = number[j]
                text[i] = type_number(number[j], "international" if typed[j] == "e164" else "e164")
            elif kind[i] != "missing":
                mistype(drawn[i], kind[i], country[i], self.rng)  # same draws as before, unused
                text[i] = mistype(number[i], kind[i], country[i], self.pools.rng)
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
            ok = [s for s in ok if s != "idd00" or dials_00(self.cust["country"][i])]
            pick = ok[rng.integers(len(ok))]
            if pick == p["typed"][i]:  # never the way the customer file has it
                pick = next(x for x in STYLES[1:4] if x not in (pick, p["typed"][i]))
            text.append(type_number(p["number"][i], pick))
        n_unknown = max(2, n // 1000)
        taken = self.drawn_taken  # as before: the stream stays the same
        strangers = draw_numbers(self.rng, "GB", pn.PhoneNumberType.MOBILE, n_unknown, taken)
        strangers = [self.pools.take("", None, fixed=False) for _ in strangers]
        out_at = np.full(n, np.inf)
        out_at[who] = at
        self.opt = {
            "phone": np.array(
                text + [type_number(x, "e164") for x in strangers] + [None] * by_id.size,
                dtype=object,
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

    # ---- orders
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
