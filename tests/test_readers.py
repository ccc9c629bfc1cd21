"""Reading input files: every failure is one ReadError line with table, file, cause and fix."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ROOT

from rfvkit.errors import EmptyDataError, MissingColumnsError, RfvkitError
from rfvkit.io import load_crm, read_customers, read_transactions
from rfvkit.readers import ReadError, excel_sheets, read_file, sniff_encoding, sniff_sep

CI = ROOT / "data" / "ci"
TX = (CI / "transactions.csv").read_text()
N_TX = len(TX.splitlines()) - 1


def _write(path, data: bytes | str):
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


# ----------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"plain ascii", "utf-8"),
        ("Zoë".encode(), "utf-8"),
        ("\ufeffid".encode(), "utf-8-sig"),
        ("Zoë €".encode("cp1252"), "cp1252"),
        (b"\x81\x8d\x90", "latin-1"),  # bytes cp1252 leaves undefined
    ],
)
def test_sniff_encoding(data, expected):
    assert sniff_encoding(data) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,50;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("only\n1\n2\n", None),
    ],
)
def test_sniff_sep(text, expected):
    assert sniff_sep(text) == expected


def test_latin1_file_is_read_and_the_sniffed_encoding_is_in_the_ledger(tmp_path):
    src = (CI / "customers.csv").read_text().replace("Sean", "Seán")
    path = _write(tmp_path / "customers.csv", src.encode("latin-1"))
    cust, q = read_customers(path)
    assert len(cust) == 400 and "Seán" in set(cust["first_name"])
    info = q.frame[q.frame["action"] == "info"]
    assert info["rule"].tolist() == ["read as CSV: encoding cp1252 (sniffed), sep ',' (sniffed)"]
    assert info["rows"].tolist() == [400]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_delimiters_are_sniffed(tmp_path, sep):
    path = _write(tmp_path / "tx.csv", TX.replace(",", sep))
    tx, q = read_transactions(path)
    reference, _ = read_transactions(CI / "transactions.csv")
    assert tx["amount"].sum() == pytest.approx(reference["amount"].sum())
    assert q.counts()["transactions"]["input"] == N_TX
    assert q.frame["rule"].iloc[0].endswith("(sniffed)")


def test_late_non_utf8_byte_falls_back_to_cp1252(tmp_path):
    """The sniffing window (64 KiB) is plain ASCII; a cp1252 byte comes later."""
    assert len(TX.encode()) > 64 * 1024
    body = TX + "C000001,O9,2024-01-02 10:00:00,Café,Pantry,1,2.0,2.0,app\n"
    tx, q = read_transactions(_write(tmp_path / "tx.csv", body.encode("cp1252")))
    assert "Café" in set(tx["product"])
    assert "encoding cp1252" in q.frame["rule"].iloc[0]


# ----------------------------------------------------------------------------- one line per failure


def test_explicit_wrong_encoding_names_the_fix(tmp_path):
    path = _write(tmp_path / "c.csv", "customer_id,name\n1,Seán\n".encode("latin-1"))
    with pytest.raises(ReadError) as err:
        read_customers(path, read_options={"encoding": "utf-8"})
    line = _one_line(err.value)
    assert line.startswith(f"customers: {path} is not utf-8 text")
    assert "read_options: {encoding: cp1252}" in line


def test_explicit_wrong_sep_says_which_sep_the_header_uses(tmp_path):
    path = _write(tmp_path / "tx.csv", TX.replace(",", ";"))
    with pytest.raises(ReadError, match=r"read_options: \{sep: ';'\}") as err:
        read_transactions(path, read_options={"sep": ","})
    assert "Did you mean" not in str(err.value)


def test_ragged_line_names_the_line_and_both_fixes(tmp_path):
    lines = TX.splitlines()
    lines[2] = lines[2].replace(",", ", large,", 1)  # an unquoted comma inside a value
    path = _write(tmp_path / "tx.csv", "\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_transactions(path)
    line = _one_line(err.value)
    assert "line 3 has 10 fields where the header has 9" in line
    assert "on_bad_lines: skip" in line


def test_skipped_ragged_lines_are_counted_as_dropped(tmp_path):
    lines = TX.splitlines()
    lines[2] = lines[2].replace(",", ", large,", 1)  # an unquoted comma inside a value
    lines[5] = lines[5] + ",extra"
    path = _write(tmp_path / "tx.csv", "\n".join(lines) + "\n")
    tx, q = read_transactions(path, read_options={"on_bad_lines": "skip"})
    assert q.rows("line with more fields than the header (on_bad_lines: skip)") == 2
    counts = q.counts()["transactions"]
    assert counts["input"] == N_TX and counts["kept"] + counts["dropped"] == N_TX


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("tx.xlsx", "has the extension .xlsx but its content is CSV/text; rename it to .csv"),
        ("tx.parquet", "has the extension .parquet but its content is CSV/text; rename it to .csv"),
    ],
)
def test_csv_renamed_to_another_extension(tmp_path, name, needle):
    path = _write(tmp_path / name, TX)
    with pytest.raises(ReadError, match=needle):
        read_transactions(path)


def test_parquet_renamed_to_csv(tmp_path):
    path = tmp_path / "tx.csv"
    pd.read_csv(CI / "transactions.csv").to_parquet(path)
    with pytest.raises(ReadError, match="is a parquet file, not CSV text; rename it to .parquet"):
        read_transactions(path)


def test_folder_named_like_a_file(tmp_path):
    (tmp_path / "orders.csv").mkdir()
    (tmp_path / "orders.csv" / "part-0.csv").write_text(TX)
    with pytest.raises(ReadError, match=r"is a folder, not a file.*orders.csv/part-0.csv"):
        read_transactions(tmp_path / "orders.csv")


def test_random_bytes(tmp_path):
    import numpy as np

    data = np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    with pytest.raises(ReadError, match="not text"):
        read_transactions(_write(tmp_path / "tx.csv", data))


def test_truncated_parquet_and_xlsx(tmp_path):
    frame = pd.read_csv(CI / "transactions.csv")
    frame.to_parquet(tmp_path / "full.parquet")
    frame.head(50).to_excel(tmp_path / "full.xlsx", index=False)
    for name in ("full.parquet", "full.xlsx"):
        data = (tmp_path / name).read_bytes()
        cut = _write(tmp_path / f"cut{name[4:]}", data[: len(data) // 2])
        with pytest.raises(ReadError, match="truncated or corrupt") as err:
            read_transactions(cut)
        _one_line(err.value)


def test_empty_and_header_only_files(tmp_path):
    with pytest.raises(EmptyDataError, match="is empty"):
        read_transactions(_write(tmp_path / "a.csv", b""))
    with pytest.raises(EmptyDataError, match="no data rows"):
        read_transactions(_write(tmp_path / "b.csv", TX.splitlines()[0] + "\n"))


def test_duplicated_header(tmp_path):
    header, rest = TX.split("\n", 1)
    path = _write(tmp_path / "tx.csv", header + ",amount\n" + rest.replace("\n", ",1\n"))
    with pytest.raises(ReadError, match=r"the header repeats column name\(s\) \['amount'\]"):
        read_transactions(path)
    frame = pd.DataFrame([[1, 2, 3]], columns=["customer_id", "amount", "amount"])
    with pytest.raises(ReadError, match=r"duplicated column name\(s\) \['amount'\]"):
        read_transactions(frame)


def test_excel_missing_sheet_lists_the_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["read me"]}).to_excel(writer, sheet_name="Readme", index=False)
        pd.read_csv(CI / "transactions.csv").to_excel(writer, sheet_name="Orders", index=False)
    assert excel_sheets(path) == ["Readme", "Orders"]
    with pytest.raises(ReadError) as err:
        read_transactions(path, read_options={"sheet_name": "orders"})
    assert (
        "no sheet 'orders' (sheets: Readme, Orders); set read_options: {sheet_name: Orders}"
        in str(err.value)
    )
    tx, q = read_transactions(path, read_options={"sheet_name": "Orders"})
    assert len(tx) > 0 and "sheets: Readme, Orders" in q.frame["examples"].iloc[0]


def test_excel_data_on_another_sheet_names_that_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["read me"]}).to_excel(writer, sheet_name="Readme", index=False)
        pd.read_csv(CI / "transactions.csv").to_excel(writer, sheet_name="Orders", index=False)
    with pytest.raises(ReadError) as err:
        load_crm({"data": {"transactions": str(path)}})
    line = _one_line(err.value)
    assert "sheet 'Orders' has them" in line and "read_options: {sheet_name: Orders}" in line
    assert err.value.exit_code == 2
    # read directly, the reader still answers with the columns it saw
    with pytest.raises(MissingColumnsError):
        read_transactions(path)


def test_read_file_returns_frame_and_info(tmp_path):
    frame, info = read_file(_write(tmp_path / "x.tsv", "a\tb\n1\t2\n"), "t")
    assert frame.to_dict("records") == [{"a": "1", "b": "2"}]
    assert info.describe() == "read as CSV: encoding utf-8 (sniffed), sep '\\t'"


def test_every_read_failure_in_load_crm_is_marked_for_exit_2(tmp_path):
    path = _write(tmp_path / "tx.xlsx", TX)
    with pytest.raises(RfvkitError) as err:
        load_crm({"data": {"transactions": str(path)}})
    assert err.value.exit_code == 2


@pytest.mark.parametrize("table", ["optouts", "campaigns"])
def test_header_only_optouts_and_campaigns_mean_none_yet(tmp_path, table):
    header = (CI / f"{table}.csv").read_text().splitlines()[0]
    path = _write(tmp_path / f"{table}.csv", header + "\n")
    spec = {"transactions": str(CI / "transactions.csv"), table: str(path)}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        crm = load_crm({"data": spec, "as_of": "2026-01-01"})
    frame = getattr(crm, table)
    assert len(frame) == 0
    assert crm.quality.counts()[table] == {"input": 0, "kept": 0, "dropped": 0}
