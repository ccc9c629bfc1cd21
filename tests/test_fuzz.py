"""Fuzz the loader with a seeded corpus of broken versions of the CI sample files.

Every mutation (truncation, wrong delimiter, other encodings, shuffled columns, garbage
cells, duplicated headers, empty files, random bytes, a wrong extension) must either
load, with a ledger that adds up (input = kept + dropped for every table), or raise an
``RfvkitError``: never anything else. On accepted transactions mutations the
``rfvkit table`` job exits 0 or 1 with one line; two real ``rfvkit report`` runs are
marked slow. The whole file runs in about three minutes on two busy cores.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, run_cli

from rfvkit.cli import main
from rfvkit.errors import RfvkitError
from rfvkit.io import load_crm

CI = ROOT / "data" / "ci"
TABLES = ("transactions", "customers", "optouts", "campaigns")
GARBAGE = [
    "",
    "NaN",
    '=HYPERLINK("x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "\x00",
    "😀",
    "1e400",
    "-",
    "2099-13-45",
    "7,990",
    "x" * 300,
    " ",
    "TRUE",
    "(12)",
    "2099-01-01 00:00:00",
    "13/14/2015",
    "0",
]


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _mutations(table: str, seed: int) -> list[tuple[str, str, bytes]]:
    """``(label, file suffix, bytes)`` for one table; the same seed gives the same corpus."""
    rng = np.random.default_rng(seed)
    raw = (CI / f"{table}.csv").read_bytes()
    frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    text = raw.decode()
    out: list[tuple[str, str, bytes]] = []
    for cut in sorted(rng.integers(1, len(raw), 2)):
        out.append((f"truncated at byte {cut}", ".csv", raw[:cut]))
    out.append(("truncated to the header", ".csv", raw[: raw.index(b"\n") + 1]))
    out.append(("empty", ".csv", b""))
    out.append(("semicolons", ".csv", text.replace(",", ";").encode()))
    out.append(("tabs in a .csv", ".csv", text.replace(",", "\t").encode()))
    out.append(("pipes but commas in values", ".csv", text.replace(",", "|", 40).encode()))
    accented = text.replace("a", "à", 25)
    out.append(("latin-1", ".csv", accented.encode("latin-1")))
    out.append(("utf-16", ".csv", accented.encode("utf-16")))
    out.append(("utf-8 with BOM", ".csv", accented.encode("utf-8-sig")))
    columns = list(frame.columns)
    shuffled = list(rng.permutation(columns))
    out.append(("shuffled columns", ".csv", _csv(frame[shuffled])))
    for round_ in range(2):
        garbage = frame.copy()
        for _ in range(12):
            row, col = rng.integers(len(frame)), rng.integers(len(columns))
            garbage.iat[row, col] = GARBAGE[rng.integers(len(GARBAGE))]
        out.append((f"garbage cells {round_}", ".csv", _csv(garbage)))
    whole_column = frame.copy()
    whole_column[columns[rng.integers(len(columns))]] = GARBAGE[rng.integers(len(GARBAGE))]
    out.append(("one column all garbage", ".csv", _csv(whole_column)))
    header, body = text.split("\n", 1)
    names = header.split(",")
    if len(names) > 1:
        names[-1] = names[0]
    out.append(("duplicated header", ".csv", (",".join(names) + "\n" + body).encode()))
    out.append(
        ("header repeated as a row", ".csv", (header + "\n" + header + "\n" + body).encode())
    )
    lines = text.splitlines()
    lines[len(lines) // 2] += ",extra,fields"
    out.append(("ragged line", ".csv", ("\n".join(lines) + "\n").encode()))
    out.append(("random bytes", ".csv", rng.integers(0, 256, 4000, dtype=np.uint8).tobytes()))
    out.append(("csv named .xlsx", ".xlsx", raw))
    out.append(("csv named .parquet", ".parquet", raw))
    return out


def _params(tmp_path: Path, table: str, suffix: str, data: bytes) -> dict:
    path = tmp_path / f"mutated{suffix}"
    path.write_bytes(data)
    spec = {name: {"path": str(CI / f"{name}.csv")} for name in TABLES}
    spec["optouts"]["default_region"] = "GB"
    spec[table]["path"] = str(path)
    return {"data": spec, "as_of": "2026-01-01", "k_max": 4}


CORPUS = [(t, *m) for i, t in enumerate(TABLES) for m in _mutations(t, seed=i)]


def _balanced(crm) -> None:
    q = crm.quality
    frame = q.frame
    for table, row in q.tables.iterrows():
        assert row["input"] == row["kept"] + row["dropped"], table
        dropped = frame[(frame["table"] == table) & (frame["action"] == "dropped")]["rows"].sum()
        assert row["dropped"] == dropped, table
    assert q.tables.loc["transactions", "kept"] == len(crm.transactions)


@pytest.mark.parametrize(
    ("table", "label", "suffix", "data"), CORPUS, ids=[f"{c[0]}: {c[1]}" for c in CORPUS]
)
def test_loader_accepts_with_a_balanced_ledger_or_raises_rfvkit_error(
    tmp_path, capsys, table, label, suffix, data
):
    params = _params(tmp_path, table, suffix, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            crm = load_crm(params)
        except RfvkitError as exc:
            message = str(exc)
            assert message and "\n" not in message, message
            assert message.startswith(f"{table}: ") or "transactions" in message, message
            return
    _balanced(crm)
    if table != "transactions":  # the analysis reads only the transactions
        return
    # accepted: the table job answers 0, or 1 with one line (never a traceback)
    import yaml

    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["table", "--params", str(params_file), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code in (0, 1), err
    if code:
        assert len(err.splitlines()) == 1 and err.startswith("rfvkit: error:"), err


def _accepted(tmp_path: Path, table: str, prefix: str) -> dict:
    """Params of the first mutation of ``table`` labelled ``prefix...`` that the loader accepts."""
    for name, label, suffix, data in CORPUS:
        if name == table and label.startswith(prefix):
            params = _params(tmp_path, table, suffix, data)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    load_crm(params)
                return params
            except RfvkitError:
                continue
    raise AssertionError(f"no accepted {table} mutation labelled {prefix!r}")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("table", "prefix"), [("transactions", "truncated at byte"), ("customers", "shuffled")]
)
def test_report_on_accepted_mutations_exits_0_or_1_with_one_line(tmp_path, table, prefix):
    import yaml

    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(_accepted(tmp_path, table, prefix)))
    proc = run_cli("report", "--params", str(params), "--reports-dir", str(tmp_path / "reports"))
    assert proc.returncode in (0, 1), proc.stderr
    if proc.returncode:
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("rfvkit: "), proc.stderr
