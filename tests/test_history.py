"""Tests for rfvkit.history: snapshots, their discovery, and segment migration."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

import rfvkit as rk
from rfvkit.errors import BadParameterError, MissingColumnsError, RfvkitError
from rfvkit.history import (
    carry_history,
    load_snapshots,
    read_snapshot,
    save_snapshot,
    segment_migration,
)


def table(ids, segments, as_of=None) -> pd.DataFrame:
    out = pd.DataFrame({"segment": segments}, index=pd.Index(ids, name="customer_id"))
    if as_of:
        out.attrs["as_of"] = pd.Timestamp(as_of)
    return out


# ---------------------------------------------------------------- migration, known answers


def test_migration_matrix_by_hand() -> None:
    before = table(["1", "2", "3", "4", "5"], ["A", "A", "B", "B", "C"])
    after = table(["1", "2", "3", "6", "7"], ["A", "B", "B", "A", "C"])
    mig = segment_migration(before, after)
    expected = pd.DataFrame(
        [[1, 1, 0, 0], [0, 1, 0, 1], [0, 0, 0, 1], [1, 0, 1, 0]],
        index=pd.Index(["A", "B", "C", "new"], name="from_segment"),
        columns=pd.Index(["A", "B", "C", "gone"], name="to_segment"),
    )
    pd.testing.assert_frame_equal(mig.matrix, expected)
    assert mig.rates.loc["A"].tolist() == [0.5, 0.5, 0.0, 0.0]
    assert mig.rates.loc["C", "gone"] == 1.0
    assert mig.stayed == pytest.approx(2 / 3)  # 1 and 3 kept theirs; 2 moved
    assert mig.flows["customers"].sum() == 7  # 5 before + 2 new
    assert set(mig.flows.columns) == {"from_segment", "to_segment", "customers", "share"}


def test_migration_accepts_customer_id_columns_and_leaves_inputs_alone() -> None:
    before = pd.DataFrame({"customer_id": ["1", "2"], "segment": ["A", "B"]})
    after = pd.DataFrame({"customer_id": ["2", "1"], "segment": ["A", "A"]})
    copies = before.copy(), after.copy()
    mig = segment_migration(before, after)
    assert mig.matrix.loc["B", "A"] == 1 and mig.matrix.loc["A", "A"] == 1
    pd.testing.assert_frame_equal(before, copies[0])
    pd.testing.assert_frame_equal(after, copies[1])


def test_migration_bad_input() -> None:
    good = table(["1"], ["A"])
    with pytest.raises(MissingColumnsError, match="segment"):
        segment_migration(pd.DataFrame({"x": [1]}), good)
    with pytest.raises(RfvkitError, match="twice"):
        segment_migration(table(["1", "1"], ["A", "B"]), good)
    with pytest.raises(RfvkitError, match="no snapshot"):
        segment_migration("/nonexistent/folder", good)


# ---------------------------------------------------------------- snapshots on disk


def test_save_and_load_snapshots(tmp_path) -> None:
    save_snapshot(table(["1", "2"], ["A", "B"]), tmp_path / "r1" / "table", as_of="2025-01-31")
    save_snapshot(table(["1", "3"], ["B", "B"], "2025-03-31"), tmp_path / "r2" / "table")
    meta = json.loads((tmp_path / "r1" / "table" / "snapshot.json").read_text())
    assert meta["as_of"] == "2025-01-31" and meta["segments"] == {"A": 1, "B": 1}
    snaps = load_snapshots(tmp_path, None, tmp_path / "missing")
    assert len(snaps) == 2
    assert snaps.index["as_of"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-31", "2025-03-31"]
    assert snaps.previous("2025-03-31")["segment"].tolist() == ["A", "B"]
    assert snaps.previous("2025-01-01") is None
    assert snaps.load()["segment"].tolist() == ["B", "B"]
    # a report folder reads as a snapshot; migration straight from two folders
    mig = segment_migration(tmp_path / "r1", tmp_path / "r2")
    assert mig.matrix.loc["A", "B"] == 1 and mig.matrix.loc["new", "B"] == 1
    assert mig.before_as_of == pd.Timestamp("2025-01-31")
    sizes = snaps.sizes(table(["9"], ["C"]), as_of="2025-04-30")
    assert sizes.groupby("as_of")["share"].sum().tolist() == [1.0, 1.0, 1.0]
    assert set(sizes.columns) == {"as_of", "segment", "customers", "share"}


def test_snapshot_needs_a_date(tmp_path) -> None:
    with pytest.raises(BadParameterError, match="as_of"):
        save_snapshot(table(["1"], ["A"]), tmp_path)


def test_read_snapshot_without_metadata_uses_the_table_date(tmp_path) -> None:
    save_snapshot(table(["1"], ["A"]), tmp_path / "s", as_of="2025-05-01")
    (tmp_path / "s" / "snapshot.json").unlink()
    snaps = load_snapshots(tmp_path)
    assert snaps.index["as_of"].iloc[0] == pd.Timestamp("2025-05-01")
    assert read_snapshot(tmp_path / "s" / "customers_scored.parquet").index.name == "customer_id"


def test_carry_history_keeps_every_earlier_run(tmp_path) -> None:
    run1 = tmp_path / "reports" / "shop"
    save_snapshot(table(["1"], ["A"]), run1 / "table", as_of="2025-01-31")
    work2 = tmp_path / "work2"
    assert carry_history(run1, work2 / "history") == 1
    save_snapshot(table(["1"], ["B"]), work2 / "table", as_of="2025-02-28")
    time.sleep(0.01)
    work3 = tmp_path / "work3"
    assert carry_history(work2, work3 / "history") == 2
    dates = load_snapshots(work3 / "history").index["as_of"].dt.strftime("%Y-%m-%d").tolist()
    assert dates == ["2025-01-31", "2025-02-28"]
    assert carry_history(tmp_path / "nothing", tmp_path / "h") == 0


# ---------------------------------------------------------------- the demo's planted migration


@pytest.mark.parametrize("name", ["sample", "ci"])
def test_shipped_snapshots_give_the_planted_migration(root, name: str) -> None:
    folder = root / "data" / name
    truth = json.loads((folder / "truth.json").read_text("utf-8"))["snapshots"]
    snaps = load_snapshots(folder / "history")
    assert snaps.index["as_of"].dt.strftime("%Y-%m-%d").tolist() == truth["as_of"]
    assert snaps.index["customers"].tolist() == truth["customers"]
    mig = segment_migration(snaps.load(0), snaps.load(1))
    planted = pd.DataFrame(truth["matrix"]).T.fillna(0).astype("int64")
    got = mig.matrix.loc[planted.index, planted.columns]
    pd.testing.assert_frame_equal(got, planted, check_names=False)
    assert mig.matrix.to_numpy().sum() == planted.to_numpy().sum()  # nothing else anywhere
    assert mig.matrix["gone"].sum() == len(truth["gone_planted"])


def test_demo_snapshots_in_memory_match_truth() -> None:
    demo = rk.make_demo_crm(300, seed=4)
    (a_date, a), (b_date, b) = demo.snapshots.items()
    assert [a_date, b_date] == demo.truth["snapshots"]["as_of"]
    mig = segment_migration(a, b)
    planted = demo.truth["snapshots"]["matrix"]
    for source, row in planted.items():
        for target, count in row.items():
            assert mig.matrix.loc[source, target] == count
    gone = demo.truth["snapshots"]["gone_planted"]
    assert not set(gone) & set(b.index) and set(gone) <= set(a.index)


# ---------------------------------------------------------------- figures and sentences


def test_migration_figures_and_sentences(tmp_path) -> None:
    before = table(["1", "2", "3", "4"], ["A", "A", "B", "B"], "2025-01-31")
    after = table(["1", "2", "3", "5"], ["A", "B", "B", "A"], "2025-02-28")
    mig = segment_migration(before, after)
    fig = rk.plots.migration_sankey(mig)
    assert sum(fig.data[0].link.value) == mig.matrix.to_numpy().sum() == 5
    assert "2025-01-31 to 2025-02-28" in fig.layout.title.text
    text = rk.narrative.migration_text(mig)
    assert "1 are new and 1 are gone" in text and "from **A** to **B**" in text
    assert "No earlier snapshot" in rk.narrative.migration_text(None)
    assert rk.narrative.migration_table(mig) is mig.matrix
    save_snapshot(before, tmp_path / "a")
    snaps = load_snapshots(tmp_path)
    sizes = rk.plots.segment_sizes(snaps.sizes(after))
    assert {t.name for t in sizes.data} == {"A", "B"}
    assert "compared with the latest before it, 2025-01-31" in rk.narrative.history_text(
        snaps, pd.Timestamp("2025-02-28")
    )
    assert "first run" in rk.narrative.history_text(load_snapshots(), pd.Timestamp("2025-02-28"))
    with pytest.raises(BadParameterError, match="min_customers"):
        rk.plots.migration_sankey(mig, min_customers=0)
