"""Segment history: dated snapshots of the scored table and how customers move between them.

Every report run keeps its scored table (``reports/<name>/table/customers_scored.parquet``)
with a ``snapshot.json`` beside it (``as_of``, when it was made, customers per segment).
:func:`load_snapshots` finds every snapshot under one or more folders, oldest first;
:func:`segment_migration` compares two of them (or two segmented frames): a from-segment x
to-segment matrix of customers with a ``new`` row (customers only in the later table) and a
``gone`` column (customers only in the earlier one).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from rfvkit.errors import BadParameterError, RfvkitError, require_columns

__all__ = [
    "Migration",
    "Snapshots",
    "save_snapshot",
    "load_snapshots",
    "read_snapshot",
    "segment_migration",
    "carry_history",
    "write_snapshot_meta",
]

TABLE = "customers_scored.parquet"
META = "snapshot.json"
NEW, GONE = "new", "gone"


def save_snapshot(
    segmented: pd.DataFrame, folder: str | os.PathLike, *, as_of=None, created_at: str | None = None
) -> Path:
    """Write ``segmented`` as a dated snapshot: ``folder/customers_scored.parquet`` + ``snapshot.json``.

    Parameters
    ----------
    segmented : pandas.DataFrame
        One row per customer (index ``customer_id`` or a ``customer_id`` column) with ``segment``.
    folder : path
        Created if needed; files of the same names are replaced.
    as_of : date-like, optional
        The analysis date; default ``segmented.attrs["as_of"]``.
    created_at : str, optional
        When the snapshot was made (ISO 8601, UTC); default now. Fixed values keep generated
        demo data byte-for-byte reproducible.

    Returns
    -------
    Path
        The parquet file.

    Examples
    --------
    >>> import tempfile
    >>> table = pd.DataFrame({"segment": ["A", "B"]}, index=pd.Index(["c1", "c2"], name="customer_id"))
    >>> save_snapshot(table, tempfile.mkdtemp(), as_of="2025-10-01").name
    'customers_scored.parquet'
    """
    _customers(segmented, "segmented")  # checks the segment column and unique ids
    stamp = as_of if as_of is not None else segmented.attrs.get("as_of")
    if stamp is None or pd.isna(pd.Timestamp(stamp)):
        raise BadParameterError(
            "as_of: a snapshot needs its analysis date; pass as_of='YYYY-MM-DD'."
        )
    stamp = pd.Timestamp(stamp).normalize()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    frame = segmented.copy()
    frame.attrs = {key: str(value) for key, value in frame.attrs.items()}  # parquet wants JSON
    frame.attrs["as_of"] = f"{stamp:%Y-%m-%d}"
    frame.to_parquet(out / TABLE)
    write_snapshot_meta(segmented, out, as_of=stamp, created_at=created_at)
    return out / TABLE


def write_snapshot_meta(
    segmented: pd.DataFrame, folder: str | os.PathLike, *, as_of, created_at: str | None = None
) -> Path:
    """Write only ``snapshot.json`` (as_of, created_at, customers per segment) into ``folder``,
    beside a scored table written elsewhere (the report runner's ``table/``)."""
    table = _customers(segmented, "segmented")
    meta = {
        "as_of": f"{pd.Timestamp(as_of):%Y-%m-%d}",
        "created_at": created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "customers": len(table),
        "segments": {str(k): int(v) for k, v in table.value_counts().sort_index().items()},
    }
    path = Path(folder) / META
    path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return path


def read_snapshot(path: str | os.PathLike) -> pd.DataFrame:
    """Read one snapshot: a parquet file, its folder, or a report folder (``<report>/table``)."""
    path = Path(path)
    for candidate in (path, path / TABLE, path / "table" / TABLE):
        if candidate.is_file():
            return pd.read_parquet(candidate)
    raise RfvkitError(f"no snapshot at {path}: expected {TABLE} there or in its table/ folder.")


@dataclass(frozen=True)
class Snapshots:
    """Snapshots found by :func:`load_snapshots`, oldest first.

    Attributes
    ----------
    index : pandas.DataFrame
        ``as_of``, ``created_at``, ``customers``, ``path`` (one row per snapshot).
    """

    index: pd.DataFrame

    def __len__(self) -> int:
        return len(self.index)

    def load(self, i: int = -1) -> pd.DataFrame:
        """The snapshot table at position ``i`` (default the latest)."""
        if not len(self.index):
            raise RfvkitError("no snapshots: nothing to load.")
        return read_snapshot(self.index["path"].iloc[i])

    def previous(self, as_of) -> pd.DataFrame | None:
        """The latest snapshot strictly before ``as_of``, or None when there is none."""
        earlier = self.index[self.index["as_of"] < pd.Timestamp(as_of).normalize()]
        return None if earlier.empty else read_snapshot(earlier["path"].iloc[-1])

    def sizes(self, current: pd.DataFrame | None = None, *, as_of=None) -> pd.DataFrame:
        """Customers per segment in every snapshot (plus ``current`` at ``as_of``).

        Returns a long frame ``as_of``, ``segment``, ``customers``, ``share``.
        """
        parts = [(row.as_of, read_snapshot(row.path)) for row in self.index.itertuples()]
        if current is not None:
            stamp = as_of if as_of is not None else current.attrs.get("as_of")
            parts.append((pd.Timestamp(stamp).normalize(), current))
        rows = []
        for stamp, table in parts:
            counts = _customers(table, "snapshot").value_counts()
            for name, n in counts.sort_index().items():
                rows.append((stamp, str(name), int(n), n / counts.sum()))
        out = pd.DataFrame(rows, columns=["as_of", "segment", "customers", "share"])
        return out.drop_duplicates(["as_of", "segment"], keep="last").reset_index(drop=True)


def load_snapshots(*folders: str | os.PathLike | None) -> Snapshots:
    """Find every snapshot (``customers_scored.parquet``) under ``folders``, oldest first.

    The date is ``as_of`` from ``snapshot.json`` next to the table, else the table's own
    ``as_of``. Missing folders and ``None`` are skipped, so ``load_snapshots(cfg.history)``
    works without history.

    Examples
    --------
    >>> load_snapshots("data/sample/history").index["as_of"].dt.strftime("%Y-%m-%d").tolist()  # doctest: +SKIP
    ['2025-07-02', '2025-09-16']
    """
    rows = []
    seen: set[Path] = set()
    for folder in folders:
        if folder is None or str(folder) == "" or not Path(folder).is_dir():
            continue
        for table in sorted(Path(folder).rglob(TABLE)):
            real = table.resolve()
            if real in seen:
                continue
            seen.add(real)
            rows.append(_describe(table))
    index = pd.DataFrame(rows, columns=["as_of", "created_at", "customers", "path"])
    index["as_of"] = pd.to_datetime(index["as_of"])
    return Snapshots(index.sort_values(["as_of", "created_at"], ignore_index=True))


@dataclass(frozen=True)
class Migration:
    """Customers moving between the segments of two snapshots.

    Attributes
    ----------
    matrix : pandas.DataFrame
        Customers; rows = segment before (plus ``new``), columns = segment after (plus ``gone``).
    rates : pandas.DataFrame
        ``matrix`` divided by its row sums: where each segment's customers went.
    flows : pandas.DataFrame
        Long form ``from_segment``, ``to_segment``, ``customers``, ``share`` (of the row).
    """

    matrix: pd.DataFrame
    rates: pd.DataFrame
    flows: pd.DataFrame
    before_as_of: pd.Timestamp | None = None
    after_as_of: pd.Timestamp | None = None

    @property
    def stayed(self) -> float:
        """Share of customers present in both tables who kept their segment."""
        both = self.matrix.drop(index=NEW, columns=GONE, errors="ignore")
        same = sum(both.at[s, s] for s in both.index if s in both.columns)
        total = both.to_numpy().sum()
        return same / total if total else float("nan")


def segment_migration(before, after, *, column: str = "segment") -> Migration:
    """From-segment x to-segment counts and row shares between two segmented tables.

    Parameters
    ----------
    before, after : pandas.DataFrame or path
        Segmented tables (index ``customer_id`` or a ``customer_id`` column) or snapshot paths
        (a parquet file, a snapshot folder or a report folder).
    column : str
        The label column to compare.

    Returns
    -------
    Migration
        ``matrix`` with a ``new`` row and a ``gone`` column, ``rates``, ``flows``.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": ["1", "2", "3"], "segment": ["A", "A", "B"]})
    >>> b = pd.DataFrame({"customer_id": ["1", "3", "4"], "segment": ["B", "B", "A"]})
    >>> segment_migration(a, b).matrix  # doctest: +NORMALIZE_WHITESPACE
    to_segment    A  B  gone
    from_segment
    A             0  1     1
    B             0  1     0
    new           1  0     0
    """
    stamps = []
    tables = []
    for name, table in (("before", before), ("after", after)):
        if isinstance(table, str | os.PathLike):
            table = read_snapshot(table)
        labels = _customers(table, name, column)
        stamp = table.attrs.get("as_of")
        stamps.append(None if stamp is None else pd.Timestamp(stamp))
        tables.append(labels)
    b, a = tables
    joined = pd.concat([b.rename("from_segment"), a.rename("to_segment")], axis=1, join="outer")
    joined["from_segment"] = joined["from_segment"].fillna(NEW)
    joined["to_segment"] = joined["to_segment"].fillna(GONE)
    order_from = sorted(set(b)) + [NEW]
    order_to = sorted(set(a)) + [GONE]
    matrix = (
        pd.crosstab(joined["from_segment"], joined["to_segment"])
        .reindex(index=order_from, columns=order_to, fill_value=0)
        .astype("int64")
    )
    matrix.index.name, matrix.columns.name = "from_segment", "to_segment"
    sums = matrix.sum(axis=1).astype(float)
    rates = matrix.div(sums.where(sums > 0), axis=0).fillna(0.0)
    flows = matrix.stack().rename("customers").reset_index()
    flows["share"] = rates.stack().to_numpy()
    flows = flows[flows["customers"] > 0].reset_index(drop=True)
    return Migration(matrix, rates, flows, stamps[0], stamps[1])


def carry_history(previous_report: str | os.PathLike, history: str | os.PathLike) -> int:
    """Copy a previous report's snapshots into ``history`` before its folder is replaced.

    The previous run's ``table/`` becomes ``history/<as_of>_<created>/`` and its own
    ``history/`` snapshots come along, so each run of a report holds every earlier one.
    Returns the number of snapshots carried.

    Examples
    --------
    >>> carry_history("reports/sample", "/tmp/new-run/history")  # doctest: +SKIP
    2
    """
    previous, dest = Path(previous_report), Path(history)
    carried = 0
    if (previous / "history").is_dir():
        shutil.copytree(previous / "history", dest, dirs_exist_ok=True)
        carried += sum(1 for _ in dest.rglob(TABLE))
    if (previous / "table" / TABLE).is_file():
        as_of, created, _, _ = _describe(previous / "table" / TABLE)
        stamp = "".join(ch for ch in str(created) if ch.isdigit())[:14]
        target = dest / f"{as_of:%Y-%m-%d}_{stamp}"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(previous / "table" / TABLE, target / TABLE)
        if (previous / "table" / META).is_file():
            shutil.copy2(previous / "table" / META, target / META)
        carried += 1
    return carried


# ----------------------------------------------------------------------------- helpers


def _customers(table: pd.DataFrame, name: str, column: str = "segment") -> pd.Series:
    """The label per customer id (index ``customer_id`` or a ``customer_id`` column)."""
    require_columns(table, [column], table=name)
    if "customer_id" in table.columns:
        labels = table.set_index("customer_id")[column]
    else:
        labels = table[column]
    if labels.index.duplicated().any():
        dup = labels.index[labels.index.duplicated()][:3].tolist()
        raise RfvkitError(f"{name}: customer ids appear twice (e.g. {dup}); one row per customer.")
    return labels.astype(str).rename_axis("customer_id")


def _describe(table: Path) -> tuple:
    meta_file = table.parent / META
    meta = json.loads(meta_file.read_text("utf-8")) if meta_file.is_file() else {}
    as_of = meta.get("as_of")
    customers = meta.get("customers")
    if as_of is None:  # a table written without snapshot.json: read the date from its attrs
        frame = pd.read_parquet(table)
        as_of, customers = frame.attrs.get("as_of"), len(frame)
    created = meta.get("created_at") or datetime.fromtimestamp(table.stat().st_mtime, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return pd.Timestamp(as_of).normalize(), created, customers, table
