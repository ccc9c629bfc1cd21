"""Why :func:`rfvkit.io.load_crm` rejected a table, said so the user can fix it.

An Excel file whose first sheet lacks a column another sheet has, and transactions
whose every line was dropped while loading (the ledger's biggest reasons first).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from rfvkit.errors import MissingColumnsError, RfvkitError
from rfvkit.quality import QualityReport
from rfvkit.readers import ReadError, excel_sheets

__all__ = ["why_empty", "with_sheets"]


def why_empty(quality: QualityReport, path: object) -> str:
    """``transactions: no lines left ...`` with the ledger's reasons, biggest first."""
    rules = quality.frame
    dropped = rules[(rules["table"] == "transactions") & (rules["action"] == "dropped")]
    dropped = dropped.sort_values("rows", ascending=False)
    reasons = "; ".join(
        f"{r.rows:,} {r.rule}" + (f" (e.g. {r.examples})" if r.examples else "")
        for r in dropped.head(3).itertuples()
    )
    total = quality.counts().get("transactions", {}).get("input", 0)
    return (
        f"transactions: {path}: all {total:,} lines were dropped while loading: {reasons}. "
        "Fix the first reason (as_of, date_format/dayfirst, columns={...}) and run again."
    )


_REQUIRED = {
    "transactions": ("customer_id", "order_date"),
    "customers": ("customer_id",),
    "campaigns": ("campaign_id", "customer_id", "group"),
}


def with_sheets(
    exc: RfvkitError, path: Path, table: str, options: Mapping, columns: Mapping
) -> RfvkitError:
    """A missing column in an Excel file with several sheets: say which sheet has it."""
    read = dict(options.get("read_options") or {})
    if not isinstance(exc, MissingColumnsError) or "sheet_name" in read:
        return exc
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return exc
    sheets = excel_sheets(path)
    if len(sheets) < 2:
        return exc
    need = _REQUIRED.get(table, ("customer_id",))
    for sheet in sheets[1:]:
        try:
            header = pd.read_excel(path, sheet_name=sheet, nrows=0, engine="openpyxl").columns
        except Exception:  # noqa: BLE001 - only enriches the message
            continue
        if all(c in {columns.get(str(h).strip(), str(h).strip()) for h in header} for c in need):
            error = ReadError(
                f"{table}: {path}: the first sheet {sheets[0]!r} has no column(s) "
                f"{', '.join(map(repr, exc.missing))} but sheet {sheet!r} has them "
                f"(sheets: {', '.join(sheets)}); set read_options: {{sheet_name: {sheet}}}."
            )
            error.exit_code = 2
            return error
    exc.args = (
        f"{exc.args[0]} The file has sheets {', '.join(sheets)}; choose one with "
        f"read_options: {{sheet_name: ...}}.",
    )
    return exc
