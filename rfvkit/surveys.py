"""Read survey and poll answers: one row per customer, the latest answer wins.

A response file is keyed by ``customer_id`` or by ``phone`` (matched to customers through
E.164, like opt-outs). Every row is accounted for in the quality ledger: rows without a
key, answers of unknown customers and older answers of a customer who answered again are
dropped and counted. Answer columns are kept as they are; :func:`answer_kinds` tells
categorical answers (summarised by personas) from free text (only counted);
:func:`survey_attributes` puts each survey's answers on the segmented customers for personas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from rfvkit._cleaning import clean_dates
from rfvkit._loading import Loaded, _clean_phones, _finish, _read
from rfvkit.errors import MissingColumnsError
from rfvkit.parsing import normalise_ids
from rfvkit.privacy import mask_phone
from rfvkit.purchases import positions
from rfvkit.quality import QualityLog, distinct_examples

__all__ = ["read_survey", "answer_kinds", "survey_attributes"]

#: Columns of a response file that are keys or metadata, never answers.
META = ("customer_id", "phone", "phone_e164", "phone_type", "answered_at", "country")
#: An answer column is free text when it has more than this many distinct values and
#: more than half of its answers are distinct.
FREE_TEXT_VALUES = 30


def read_survey(
    source: Any,
    *,
    name: str = "survey",
    columns: Mapping[str, str] | None = None,
    customers: pd.DataFrame | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    default_region: str | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Loaded:
    """Read one survey or poll: ``customer_id`` (or ``phone``), ``answered_at``, answers.

    Parameters
    ----------
    source : path or DataFrame
        Response file (``.csv``, ``.parquet``, ``.xlsx``) or frame.
    name : str
        The survey's name, used as the quality-ledger table (``survey <name>``).
    columns : mapping, optional
        Your column names -> canonical ones (``{"Member": "customer_id"}``).
    customers : DataFrame, optional
        The validated customer table: answers of ids not in it are dropped and counted;
        phones are matched to its ``phone_e164``. Required when keyed by phone.
    date_format, dayfirst, default_region, read_options
        As in :func:`rfvkit.io.read_optouts`.

    Returns
    -------
    Loaded
        ``frame`` with one row per ``customer_id`` (the answer with the latest
        ``answered_at``; without that column, the last row of the file) and the answer
        columns; ``quality`` of table ``survey <name>``.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"customer_id": ["a", "a", "zz"],
    ...     "answered_at": ["2025-01-02", "2025-03-01", "2025-01-05"],
    ...     "channel": ["Email", "SMS", "SMS"]})
    >>> out, q = read_survey(answers, name="poll", customers=pd.DataFrame({"customer_id": ["a"]}))
    >>> out.to_dict("records"), q.rows("older answer (latest kept)"), q.rows("unknown customer")
    ([{'customer_id': 'a', 'channel': 'SMS'}], 1, 1)
    """
    table = f"survey {name}"
    df, log = _read(source, columns, table, read_options)
    if "customer_id" not in df and "phone" not in df:
        raise MissingColumnsError(
            ["customer_id", "phone"],
            list(df.columns),
            table=table,
            hint="A survey needs a customer_id or a phone column to key its answers; map "
            "yours with columns={'YourName': 'customer_id'}.",
        )
    if "customer_id" in df:
        df = df.assign(customer_id=normalise_ids(df["customer_id"]))
    else:
        df = df.assign(customer_id=pd.Series(pd.NA, index=df.index, dtype="str"))
    if "phone" in df:
        df = _clean_phones(df, log, default_region, per_customer=False)
        df = _match_phones(df, customers, log)
    df = log.drop(df, df["customer_id"].isna(), "no customer_id and no matching phone")
    if customers is not None:
        known = df["customer_id"].isin(customers["customer_id"])
        df = log.drop(df, ~known, "unknown customer", df["customer_id"], "customer_id")
    if "answered_at" in df:
        df = clean_dates(df, "answered_at", log, date_format, dayfirst, drop=False)
        df = df.sort_values("answered_at", kind="stable", na_position="first")
    older = df["customer_id"].duplicated(keep="last")
    df = log.drop(df, older, "older answer (latest kept)", df["customer_id"], "customer_id")
    df = df.sort_index().drop(columns=[c for c in META if c in df and c != "customer_id"])
    df = df[["customer_id", *[c for c in df.columns if c != "customer_id"]]]
    return Loaded(_finish(df, table), log.report(len(df)))


def answer_kinds(answers: pd.DataFrame) -> dict[str, str]:
    """``"categorical"``, ``"numeric"`` or ``"free_text"`` for each answer column.

    Free text: more than :data:`FREE_TEXT_VALUES` distinct answers and more than half of
    the answers distinct. Free-text columns are not summarised by personas, only counted.

    Examples
    --------
    >>> import pandas as pd
    >>> answer_kinds(pd.DataFrame({"customer_id": ["a", "b"], "likes": ["SMS", "SMS"],
    ...                            "score": [3, 5]}))
    {'likes': 'categorical', 'score': 'numeric'}
    """
    out = {}
    for col in answers.columns:
        if col in META:
            continue
        values = answers[col].dropna()
        distinct = values.nunique()
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype
        ):
            out[col] = "numeric"
        elif distinct > FREE_TEXT_VALUES and distinct > 0.5 * len(values):
            out[col] = "free_text"
        else:
            out[col] = "categorical"
    return out


def _match_phones(df: pd.DataFrame, customers: pd.DataFrame | None, log: QualityLog):
    """Fill a missing ``customer_id`` from the customer whose E.164 phone matches."""
    need = df["customer_id"].isna() & df["phone_e164"].notna()
    if not need.any():
        return df
    if customers is None or "phone_e164" not in customers:
        raise MissingColumnsError(
            ["phone"],
            [] if customers is None else list(customers.columns),
            table="customers",
            hint="A survey keyed by phone needs a customers table with a phone column.",
        )
    owners = customers.dropna(subset=["phone_e164"]).drop_duplicates("phone_e164", keep=False)
    lookup = owners.set_index("phone_e164")["customer_id"]
    found = df["phone_e164"].map(lookup)
    shared = need & found.isna() & df["phone_e164"].isin(customers["phone_e164"])
    log.note(
        "phone shared by several customers (not matched)",
        shared.sum(),
        "flagged",
        [mask_phone(p) for p in distinct_examples(df.loc[shared, "phone_e164"])],
    )
    log.note("customer matched by phone", (need & found.notna()).sum(), "changed")
    return df.assign(customer_id=df["customer_id"].where(~need, found))


def survey_attributes(surveys: dict[str, pd.DataFrame], index: pd.Index):
    """Answers on ``index`` (one row per customer): columns named ``"<survey>: <column>"``,
    their kinds, and free-text columns with their response counts (not summarised).

    Examples
    --------
    >>> poll = pd.DataFrame({"customer_id": ["b", "a"], "likes": ["SMS", "Email"]})
    >>> answers, kinds, free = survey_attributes({"poll": poll}, pd.Index(["a", "b", "c"]))
    >>> answers["poll: likes"].tolist(), kinds
    (['Email', 'SMS', nan], {'poll: likes': 'categorical'})
    """
    parts, kinds, free = [], {}, []
    for name, answers in surveys.items():
        answers = answers.drop_duplicates("customer_id", keep="last")
        if not len(answers):
            continue
        pos = positions(pd.Index(answers["customer_id"]), index)  # one hash join per survey
        found = pos >= 0
        at = np.maximum(pos, 0)
        for col, kind in answer_kinds(answers).items():
            label = f"{name}: {col}"
            if kind == "free_text":
                known = answers[col].notna().to_numpy()
                free.append((name, col, int((found & known[at]).sum())))
                continue
            kinds[label] = kind
            parts.append(_answer_column(answers[col], found, at, kind, index).rename(label))
    answers = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=index)
    return answers, kinds, pd.DataFrame(free, columns=["survey", "question", "responses"])


def _answer_column(values: pd.Series, found, at, kind: str, index: pd.Index) -> pd.Series:
    """One survey column on ``index`` (``at``: row of each customer's answer, if ``found``):
    numbers for numeric answers, else a categorical with sorted categories (codes taken,
    not strings: 1M customers are grouped on integers later)."""
    if kind != "numeric":
        try:
            codes, uniques = pd.factorize(values, sort=True)
        except TypeError:  # values that cannot be sorted together: grouped as objects
            pass
        else:
            taken = np.where(found, codes[at], -1)
            return pd.Series(pd.Categorical.from_codes(taken, categories=uniques), index=index)
    column = pd.Series(np.where(found, values.to_numpy(dtype=object)[at], None), index=index)
    column = column.where(column.notna(), np.nan)
    return pd.to_numeric(column, errors="coerce") if kind == "numeric" else column
