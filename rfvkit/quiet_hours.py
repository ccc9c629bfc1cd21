"""Quiet hours: each recipient's time zone and the next allowed local send time.

The allowed windows are data: ``rfvkit/data/quiet_hours.csv`` (one row per country /
region / days, with the law or practice it comes from in ``source``), overridable with
rows of the same shape. The most specific rows win: ``(country, region)`` rows replace
``(country, *)`` rows, which replace the ``(*, *)`` default (08:00-21:00, 47 CFR
64.1200(c)(1)). A day whose ``start``/``end`` are empty allows no sending.

A recipient's zone comes from ``timezone`` (an IANA name), else from the phone number
(``phonenumbers.timezone`` when it gives exactly one zone), else from ``country`` when the
IANA ``zone1970.tab`` table lists exactly one zone for it; otherwise it stays unknown.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo, available_timezones

import pandas as pd

from rfvkit.errors import BadParameterError

__all__ = ["quiet_hours_table", "resolve_timezones", "next_allowed", "window_for"]

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_COLUMNS = ["country", "region", "days", "start", "end", "source"]


def quiet_hours_table(overrides: Iterable[Mapping] | None = None) -> pd.DataFrame:
    """The shipped quiet-hours table, with ``overrides`` rows appended (they win).

    Examples
    --------
    >>> table = quiet_hours_table([{"country": "GB", "days": "Mon-Sun", "start": "10:00",
    ...                             "end": "19:00", "source": "house policy"}])
    >>> window_for(table, "GB", None, 0)
    (datetime.time(10, 0), datetime.time(19, 0))
    """
    path = importlib.resources.files("rfvkit") / "data" / "quiet_hours.csv"
    with importlib.resources.as_file(path) as file:
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    table["order"] = 0
    if overrides:
        extra = pd.DataFrame([dict(row) for row in overrides]).astype(str)
        unknown = [c for c in extra.columns if c not in _COLUMNS]
        if unknown:
            raise BadParameterError(
                f"quiet_hours: unknown column(s) {unknown}; rows need {', '.join(_COLUMNS[:5])}."
            )
        extra = extra.reindex(columns=_COLUMNS).astype(object).fillna("")
        extra.loc[extra["region"] == "", "region"] = "*"
        extra["order"] = 1
        table = pd.concat([table, extra], ignore_index=True)
    for row in table.itertuples():
        _days(row.days)
        for value in (row.start, row.end):
            if value and not _valid_time(value):
                raise BadParameterError(
                    f"quiet_hours: time {value!r} in row {row.country}/{row.region}; use HH:MM."
                )
    return table


def _valid_time(value: str) -> bool:
    try:
        dt.time.fromisoformat(value)
    except ValueError:
        return False
    return True


def _days(text: str) -> list[int]:
    first, _, last = str(text).partition("-")
    if first not in _DAYS or (last and last not in _DAYS):
        raise BadParameterError(
            f"quiet_hours: days {text!r}; use a day or a range like 'Mon-Sat' ({', '.join(_DAYS)})."
        )
    a, b = _DAYS.index(first), _DAYS.index(last or first)
    return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]


def _matches_region(pattern: str, region: object) -> bool:
    if pattern == "*":
        return True
    if not isinstance(region, str):
        return False
    names = {p.strip().casefold() for p in pattern.split("|")}
    return region.strip().casefold() in names


def window_for(
    table: pd.DataFrame, country: object, region: object, weekday: int
) -> tuple[dt.time, dt.time] | None:
    """Allowed ``(start, end)`` local times on ``weekday`` (0 = Monday), None = no sending."""
    country = country if isinstance(country, str) else ""
    rank = []
    for row in table.itertuples():
        if weekday not in _days(row.days):
            continue
        if row.country == "*":
            level = 0
        elif row.country == country and row.region == "*":
            level = 1
        elif row.country == country and _matches_region(row.region, region):
            level = 2
        else:
            continue
        rank.append(((level, row.order, row.Index), row))
    if not rank:
        raise BadParameterError("quiet_hours: the table has no default row '*,*' for every day.")
    row = max(rank, key=lambda item: item[0])[1]
    if not row.start or not row.end:
        return None
    return dt.time.fromisoformat(row.start), dt.time.fromisoformat(row.end)


def next_allowed(
    send_at: pd.Timestamp, zone: str, table: pd.DataFrame, country: object, region: object
) -> pd.Timestamp | None:
    """The first instant at or after ``send_at`` (UTC) inside the local allowed window.

    Local wall-clock windows are placed on each local date with :mod:`zoneinfo`, so a
    deferral across a daylight-saving change lands on the right UTC instant.

    Examples
    --------
    >>> t = quiet_hours_table()
    >>> next_allowed(pd.Timestamp("2026-03-08T02:30Z"), "America/New_York", t, "US", "NY")
    Timestamp('2026-03-08 12:00:00+0000', tz='UTC')
    """
    tz = ZoneInfo(zone)
    local = send_at.tz_convert(tz)
    for offset in range(8):
        day = (local + pd.Timedelta(days=offset)).date() if offset else local.date()
        window = window_for(table, country, region, day.weekday())
        if window is None:
            continue
        start = pd.Timestamp(dt.datetime.combine(day, window[0], tzinfo=tz))
        end = pd.Timestamp(dt.datetime.combine(day, window[1], tzinfo=tz))
        if offset == 0 and start <= local < end:
            return send_at
        if local < start:
            return start.tz_convert("UTC")
    return None


@functools.cache
def _country_zones() -> dict[str, str]:
    """Country code -> its one IANA zone, from ``zone.tab`` (tzdata, else the system's).

    A country counts as one zone when every zone ``zone.tab`` lists for it has the same
    UTC offset on the 1st and 15th of every month of 2026 (Germany's Busingen follows
    Berlin); countries whose zones differ (US, AU ...) get none.
    """
    text = None
    try:
        text = (importlib.resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        try:
            text = open("/usr/share/zoneinfo/zone.tab", encoding="utf-8").read()  # noqa: SIM115
        except OSError:
            text = ""
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        zones.setdefault(fields[0], []).append(fields[2])
    probes = [dt.datetime(2026, m, d, 12) for m in range(1, 13) for d in (1, 15)]
    single = {}
    for code, names in zones.items():
        names = [n for n in names if n in _known_zones()]
        if not names:
            continue
        offsets = {tuple(ZoneInfo(n).utcoffset(p) for p in probes) for n in names}
        if len(offsets) == 1:
            single[code] = names[0]
    return single


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zones_of_numbers(e164: pd.Series, phone_type: pd.Series | None) -> pd.Series:
    """The one IANA zone of each E.164 number, from ``phonenumbers``' own time-zone table.

    Does what ``phonenumbers.timezone.time_zones_for_number`` does for valid numbers, but
    once per distinct prefix: geographic numbers (fixed lines, and mobiles of the countries
    in ``GEO_MOBILE_COUNTRIES``) take the longest prefix listed in ``TIMEZONE_DATA``; other
    mobiles take their country's zones. Numbers with several zones get none.
    """
    from phonenumbers.phonenumberutil import _GEO_MOBILE_COUNTRIES as GEO_MOBILE_COUNTRIES
    from phonenumbers.tzdata import TIMEZONE_LONGEST_PREFIX

    from rfvkit.optouts import phone_keys

    keys = phone_keys(e164)
    digits = keys["digits"].astype("string")
    code = pd.Series(
        [
            d[: len(d) - len(n)] if isinstance(n, str) else None
            for d, n in zip(keys["digits"], keys["national"], strict=True)
        ],
        index=e164.index,
        dtype=object,
    )
    geo = pd.Series(False, index=e164.index)  # type unknown: only the country's zones
    if phone_type is not None:
        geo_mobile = {str(c) for c in GEO_MOBILE_COUNTRIES}
        kind = phone_type.astype("string")
        geo = kind.isin(["fixed_line", "fixed_line_or_mobile"]).fillna(False).astype(bool) | (
            kind.eq("mobile").fillna(False).astype(bool) & code.isin(geo_mobile)
        )
    table = _single_zone_table()  # prefix -> zone, "" when ambiguous
    found = pd.Series(None, index=e164.index, dtype=object)
    for length in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        todo = found.isna() & geo & digits.notna().fillna(False).astype(bool)
        if not todo.any():
            break
        found[todo] = digits[todo].str.slice(0, length).map(table).astype(object)
    country = found.isna() & ~geo
    found[country] = code[country].map(table)
    return found.where(found.fillna("").astype(str).str.len() > 0, None)


@functools.cache
def _single_zone_table() -> dict[str, str]:
    from phonenumbers.tzdata import TIMEZONE_DATA as data

    known = _known_zones()
    return {
        prefix: zones[0] if len(zones) == 1 and zones[0] in known else ""
        for prefix, zones in data.items()
    }


def resolve_timezones(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each row's IANA zone and where it came from (``timezone`` / ``phone`` / ``country``).

    Uses the columns ``timezone``, ``phone_e164`` (with ``phone_type``, as
    ``read_customers`` makes them) and ``country`` when present; the number lookup is
    vectorised over prefixes.

    Examples
    --------
    >>> zone, how = resolve_timezones(pd.DataFrame({"timezone": [None, "Mars/Base", None],
    ...     "phone_e164": ["+12015550123", None, "+61491570006"], "country": ["US", "FR", "AU"],
    ...     "phone_type": ["fixed_line_or_mobile", None, "mobile"]}))
    >>> zone.fillna("?").tolist(), how.fillna("?").tolist()
    (['America/New_York', 'Europe/Paris', '?'], ['phone', 'country', '?'])
    """
    index = frame.index
    zone = pd.Series(None, index=index, dtype=object)
    how = pd.Series(None, index=index, dtype=object)
    if "timezone" in frame:
        given = frame["timezone"].astype("string").str.strip()
        ok = given.isin(_known_zones()).fillna(False).astype(bool)
        zone[ok] = given[ok].astype(str)
        how[ok] = "timezone"
    if "phone_e164" in frame:
        need = zone.isna() & frame["phone_e164"].notna()
        if need.any():
            kind = frame.loc[need, "phone_type"] if "phone_type" in frame else None
            found = _zones_of_numbers(frame.loc[need, "phone_e164"].astype(str), kind)
            hit = found.notna()
            zone[found[hit].index] = found[hit]
            how[found[hit].index] = "phone"
    if "country" in frame:
        need = zone.isna() & frame["country"].notna()
        found = frame.loc[need, "country"].astype(str).str.upper().map(_country_zones())
        hit = found.notna()
        zone[found[hit].index] = found[hit]
        how[found[hit].index] = "country"
    return zone, how
