"""Data-quality bookkeeping: the ledger every loader writes (input rows = kept + dropped).

A :class:`QualityReport` lists, for every rule a loader applied (missing customer id,
unparsable date, negative amount kept as return, invalid phone ...), how many rows it
touched, what was done, and a few offending values. For every table,
``input rows = kept + dropped``.

The value parsers that feed it live in :mod:`rfvkit.parsing`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from rfvkit.errors import examples

__all__ = ["QualityReport", "QualityLog", "distinct_examples"]

#: What a rule did to the rows it counts. Only ``"dropped"`` removes rows.
ACTIONS = ("dropped", "kept", "kept as return", "changed", "flagged", "info")
_RULE_COLUMNS = ["table", "rule", "rows", "action", "examples"]
_COUNT_COLUMNS = ["input", "kept", "dropped"]


class QualityReport:
    """What loading did to the data: one row per rule, plus per-table row counts.

    Parameters
    ----------
    rules : pandas.DataFrame, optional
        Columns ``table, rule, rows, action, examples``.
    counts : pandas.DataFrame, optional
        Index ``table``; columns ``input, kept, dropped``.

    Notes
    -----
    ``action`` is one of ``"dropped"`` (rows removed), ``"kept"``, ``"kept as return"``,
    ``"changed"`` (a value was rewritten, e.g. amount derived or consent set to False),
    ``"flagged"`` (kept, worth a look) and ``"info"``. ``dropped`` in :meth:`counts` is
    the sum of the ``"dropped"`` rules, so ``input == kept + dropped`` for every table.

    Examples
    --------
    >>> import pandas as pd
    >>> from rfvkit.io import read_transactions
    >>> tx = pd.DataFrame({"customer_id": ["a", None], "order_date": ["2024-01-02"] * 2,
    ...                    "amount": [10.0, 5.0]})
    >>> q = read_transactions(tx).quality
    >>> q.counts()
    {'transactions': {'input': 2, 'kept': 1, 'dropped': 1}}
    >>> q.rows("missing customer_id")
    1
    """

    def __init__(
        self, rules: pd.DataFrame | None = None, counts: pd.DataFrame | None = None
    ) -> None:
        if rules is None:
            rules = pd.DataFrame({c: [] for c in _RULE_COLUMNS})
        if counts is None:
            counts = pd.DataFrame({c: [] for c in _COUNT_COLUMNS}, index=pd.Index([], name="table"))
        self._rules = rules.loc[:, _RULE_COLUMNS].astype(
            {"table": "str", "rule": "str", "rows": "int64", "action": "str", "examples": "str"}
        )
        self._counts = counts.loc[:, _COUNT_COLUMNS].astype("int64").rename_axis("table")
        bad = self._counts[self._counts["input"] != self._counts["kept"] + self._counts["dropped"]]
        if len(bad):
            raise ValueError(f"quality counts do not add up for table(s) {list(bad.index)}")

    @property
    def frame(self) -> pd.DataFrame:
        """Tidy copy of the rules: ``table, rule, rows, action, examples``."""
        return self._rules.copy()

    @property
    def tables(self) -> pd.DataFrame:
        """Copy of the per-table counts (index ``table``; ``input, kept, dropped``)."""
        return self._counts.copy()

    def counts(self) -> dict[str, dict[str, int]]:
        """Per-table ``{"input", "kept", "dropped"}`` counts as plain ints (JSON-ready).

        Examples
        --------
        >>> QualityReport().counts()
        {}
        """
        return {
            str(t): {c: int(row[c]) for c in _COUNT_COLUMNS} for t, row in self._counts.iterrows()
        }

    def rows(self, rule: str, table: str | None = None) -> int:
        """Rows counted by ``rule`` (in ``table`` if given); 0 when the rule never fired.

        Examples
        --------
        >>> QualityReport().rows("missing customer_id")
        0
        """
        mask = self._rules["rule"] == rule
        if table is not None:
            mask &= self._rules["table"] == table
        return int(self._rules.loc[mask, "rows"].sum())

    @classmethod
    def combine(cls, reports: Iterable[QualityReport | None]) -> QualityReport:
        """One report over several tables (``None`` entries are skipped).

        Examples
        --------
        >>> QualityReport.combine([QualityReport(), None]).frame.shape
        (0, 5)
        """
        reports = [r for r in reports if r is not None]
        if not reports:
            return cls()
        rules = pd.concat([r._rules for r in reports], ignore_index=True)
        counts = pd.concat([r._counts for r in reports]).groupby(level=0, sort=False).sum()
        return cls(rules, counts)

    def __add__(self, other: QualityReport) -> QualityReport:
        if not isinstance(other, QualityReport):
            return NotImplemented
        return QualityReport.combine([self, other])

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (``tables`` counts and ``rules`` records) for a manifest.

        Examples
        --------
        >>> QualityReport().to_dict()
        {'tables': {}, 'rules': []}
        """
        rules = [{**rec, "rows": int(rec["rows"])} for rec in self._rules.to_dict(orient="records")]
        return {"tables": self.counts(), "rules": rules}

    def __repr__(self) -> str:
        lines = ["QualityReport"]
        for table, row in self._counts.iterrows():
            lines.append(
                f"  {table}: {row['input']:,} in, {row['kept']:,} kept, {row['dropped']:,} dropped"
            )
        for rec in self._rules.itertuples(index=False):
            lines.append(f"    [{rec.table}] {rec.rule}: {rec.rows:,} ({rec.action})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        counts = self._counts.map(lambda v: f"{v:,}").to_html(border=0)
        rules = self._rules.to_html(index=False, border=0, escape=True)
        return (
            f"<div><strong>{html.escape('Data quality')}</strong>"
            f"<p>Rows per table (input = kept + dropped)</p>{counts}"
            f"<p>Rules applied</p>{rules}</div>"
        )


class QualityLog:
    """Collects the rules applied to one table while a loader works on it (internal).

    Examples
    --------
    >>> import pandas as pd
    >>> log = QualityLog("t", 3)
    >>> df = log.drop(pd.DataFrame({"x": [1, None, 3]}), pd.Series([False, True, False]),
    ...               "missing x", pd.Series([None, None, None]))
    >>> log.report(len(df)).counts()
    {'t': {'input': 3, 'kept': 2, 'dropped': 1}}
    """

    def __init__(self, table: str, input_rows: int) -> None:
        self.table = table
        self.input_rows = int(input_rows)
        self._records: list[dict[str, Any]] = []

    def note(
        self, rule: str, rows: int, action: str, shown: Iterable[object] = (), label: str = ""
    ) -> None:
        """Record ``rows`` touched by ``rule``; rules that touched nothing are skipped.

        ``shown`` holds offending values (a few become the examples), prefixed with
        ``label=`` when they are not the values of the rule's own column; a string is
        taken as ready-made examples text.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; use one of {ACTIONS}")
        if int(rows) > 0 or action == "info":
            self._records.append(
                {
                    "table": self.table,
                    "rule": rule,
                    "rows": int(rows),
                    "action": action,
                    "examples": shown
                    if isinstance(shown, str)
                    else examples(_as_text(v, label) for v in distinct_examples(shown)),
                }
            )

    def drop(
        self,
        frame: pd.DataFrame,
        mask: pd.Series,
        rule: str,
        shown: pd.Series | None = None,
        label: str = "",
    ) -> pd.DataFrame:
        """Return ``frame`` without the rows in ``mask``, recording them under ``rule``."""
        mask = mask.fillna(False).astype(bool)
        n = int(mask.sum())
        if not n:
            return frame
        rows = mask.index[mask.to_numpy()]
        self.note(rule, n, "dropped", () if shown is None else shown.loc[rows], label)
        return frame.loc[~mask]

    def report(self, kept: int) -> QualityReport:
        """The finished report for this table, given the number of rows kept."""
        rules = pd.DataFrame(self._records, columns=_RULE_COLUMNS)
        dropped = int(rules.loc[rules["action"] == "dropped", "rows"].sum())
        counts = pd.DataFrame(
            {"input": [self.input_rows], "kept": [int(kept)], "dropped": [dropped]},
            index=pd.Index([self.table], name="table"),
        )
        return QualityReport(rules, counts)


def _as_text(value: object, label: str = "") -> object:
    if isinstance(value, pd.Timestamp):
        value = value.isoformat(sep=" ").removesuffix(" 00:00:00").removesuffix(":00")
    elif isinstance(value, float | np.floating):
        value = round(float(value), 6)
    return f"{label}={value}" if label else value


def distinct_examples(values: Iterable[object], *, n: int = 3) -> list[object]:
    """Up to ``n`` distinct non-missing values, in order of appearance (for reports).

    Only the first few thousand values are looked at, so it is cheap on long columns.

    Examples
    --------
    >>> distinct_examples(["a", "a", None, "b"])
    ['a', 'b']
    """
    head = values.head(5_000) if isinstance(values, pd.Series) else list(values)[:5_000]
    seen: list[object] = []
    for value in pd.Series(head, dtype=object).dropna().unique():
        seen.append(value)
        if len(seen) >= n:
            break
    return seen
