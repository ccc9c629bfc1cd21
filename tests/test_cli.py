"""The ``rfvkit`` command as a newcomer and a scheduler meet it."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import ROOT, run_cli

from rfvkit.cli import main


def _params_copy(tmp_path, **changes):
    """A copy of params/ci.yaml in tmp_path with absolute data paths and some keys changed."""
    params = yaml.safe_load((ROOT / "params" / "ci.yaml").read_text())
    for spec in params["data"].values():
        for item in spec if isinstance(spec, list) else [spec]:  # data.surveys is a list
            item["path"] = str((ROOT / "params" / item["path"]).resolve())
    params.update(changes)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def test_help_lists_every_job_with_examples(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for job in ("report", "table", "demo", "rules"):
        assert job in text
    assert "rfvkit report --params params/sample.yaml" in text


def test_table_job_writes_parquet_csv_and_quality(tmp_path, capsys):
    assert (
        main(["table", "--params", str(ROOT / "params" / "ci.yaml"), "--out", str(tmp_path)]) == 0
    )
    out = capsys.readouterr().out
    table = pd.read_parquet(tmp_path / "customers_scored.parquet")
    assert f"{len(table):,} customers scored and segmented" in out
    assert {
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "v_score",
        "rfv_code",
        "rfv_score",
        "segment",
    } <= set(table.columns)
    assert table.index.is_unique
    csv = pd.read_csv(tmp_path / "customers_scored.csv", dtype={"customer_id": str})
    assert len(csv) == len(table)
    quality = pd.read_csv(tmp_path / "data_quality.csv")
    assert {"table", "rule", "rows", "action", "examples"} <= set(quality.columns)


def test_table_job_override_changes_bins(tmp_path):
    assert (
        main(
            [
                "table",
                "--params",
                str(ROOT / "params" / "ci.yaml"),
                "-p",
                "bins=3",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    table = pd.read_parquet(tmp_path / "customers_scored.parquet")
    assert table["r_score"].max() == 3


def test_demo_job_prints_the_paths_it_wrote(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--customers", "100", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {tmp_path / 'customers.csv'}" in printed
    assert f"wrote {tmp_path / 'truth.json'}" in printed


def test_demo_job_is_seeded(tmp_path):
    assert main(["demo", "--out", str(tmp_path / "a"), "--customers", "100", "--seed", "3"]) == 0
    assert main(["demo", "--out", str(tmp_path / "b"), "--customers", "100", "--seed", "3"]) == 0
    for name in ("customers.csv", "transactions.csv", "optouts.csv", "campaigns.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["table", "--params", "no/such/params.yaml"], "no/such/params.yaml"),
        (["table", "--params", "params/ci.yaml", "-p", "method=quantile"], "method"),
        (["table", "--params", "params/ci.yaml", "-p", "colour=blue"], "colour"),
        (["table", "--params", "params/ci.yaml", "-p", "bins"], "bins"),
        (["rules", "no_such_rules.yaml"], "no_such_rules.yaml"),
    ],
)
def test_bad_input_is_a_one_line_error_and_exit_1(args, needle):
    proc = run_cli(*args, timeout=120)
    assert proc.returncode == 1, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("rfvkit: error:") and needle in lines[0]


def test_custom_rules_round_trip(tmp_path):
    """Copy the default rules to YAML, rename a segment, point the params at it, rerun."""
    rules_path = tmp_path / "my_rules.yaml"
    assert main(["rules", "default", "--copy", str(rules_path)]) == 0
    rules = yaml.safe_load(rules_path.read_text())
    assert rules["rules"][0]["name"] == "Champions"
    rules["rules"][0]["name"] = "VIP"
    rules_path.write_text(yaml.safe_dump(rules, sort_keys=False))

    params = _params_copy(tmp_path, rules="my_rules.yaml")
    out = tmp_path / "out"
    assert main(["table", "--params", str(params), "--out", str(out)]) == 0
    segments = pd.read_csv(out / "segment_summary.csv")["segment"].tolist()
    assert "VIP" in segments and "Champions" not in segments


def test_broken_custom_rules_name_the_rule_and_line(tmp_path):
    rules_path = tmp_path / "my_rules.yaml"
    assert main(["rules", "default", "--copy", str(rules_path)]) == 0
    text = rules_path.read_text().replace("r: [4, 5]", "r: [4, 7]", 1)
    rules_path.write_text(text)
    params = _params_copy(tmp_path, rules="my_rules.yaml")
    proc = run_cli("table", "--params", str(params), "--out", str(tmp_path / "out"), timeout=120)
    assert proc.returncode == 1
    line = proc.stderr.strip()
    assert "Champions" in line and "line" in line and "7" in line


def _bad_input_params(tmp_path):
    tx = (ROOT / "data" / "ci" / "transactions.csv").read_text().splitlines()
    tx[2] = tx[2].replace(",", ", large,", 1)  # an unquoted comma: one field too many
    (tmp_path / "tx.csv").write_text("\n".join(tx) + "\n")
    params = tmp_path / "params.yaml"
    params.write_text("data:\n  transactions: {path: tx.csv}\n")
    return params


@pytest.mark.parametrize("job", ["table", "report"])
def test_rejected_input_file_is_one_line_and_exit_2(tmp_path, job):
    proc = run_cli(job, "--params", str(_bad_input_params(tmp_path)), timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("rfvkit: error: transactions: ") and "tx.csv line 3" in lines[0]
    assert "read_options: {on_bad_lines: skip}" in lines[0]


def test_debug_shows_the_traceback_then_the_line(tmp_path):
    proc = run_cli("table", "--params", str(_bad_input_params(tmp_path)), "--debug", timeout=120)
    assert proc.returncode == 2
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("rfvkit: error: transactions:")


def test_table_without_out_writes_under_reports_params_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["table", "--params", str(ROOT / "params" / "ci.yaml")]) == 0
    assert (tmp_path / "reports" / "ci" / "table" / "customers_scored.parquet").exists()
