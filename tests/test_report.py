"""End to end: ``rfvkit report`` on params/ci.yaml, as a scheduler runs it."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import ROOT, run_cli

from rfvkit.config import load_config

pytestmark = pytest.mark.slow


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def test_report_folder_is_complete(ci_report):
    reports, proc = ci_report
    folder = reports / "ci"
    assert proc.stdout.strip().splitlines()[-1] == f"Report ready: {folder / 'index.html'}"
    names = {p.name for p in folder.iterdir()}
    assert {
        "index.html",
        "manifest.json",
        "table",
        "01_explore_rfv.html",
        "02_segments.html",
    } <= names
    assert not [p for p in reports.iterdir() if p.name.startswith(".")], (
        "temporary folder left behind"
    )
    assert (folder / "table" / "customers_scored.parquet").exists()


def test_progress_is_shown_per_notebook(ci_report):
    _, proc = ci_report
    assert "WARNING" not in proc.stderr, proc.stderr  # kernels use IPC: no TCP warning
    assert re.search(
        r"\[\d/\d+\] 01_explore_rfv ok \(\d+\.\d s\)", proc.stdout
    )  # parallel: any order
    assert re.search(r"\[\d/\d+\] 02_segments ok", proc.stdout)


def test_manifest_records_inputs_rows_versions_and_timings(ci_report):
    reports, _ = ci_report
    manifest = _manifest(reports / "ci")
    cfg = load_config(ROOT / "params" / "ci.yaml")
    assert manifest["parameters"] == json.loads(json.dumps(cfg.parameters()))
    for item in manifest["inputs"]:
        path = Path(item["path"])
        assert item["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    for table, counts in manifest["rows"].items():
        assert counts["input"] == counts["kept"] + counts["dropped"], table
    assert manifest["versions"]["rfvkit"] == "0.1.0"
    assert {"pandas", "plotly", "papermill", "scikit-learn"} <= set(manifest["versions"])
    assert [n["status"] for n in manifest["notebooks"]] == ["ok"] * len(manifest["notebooks"])
    assert manifest["started_at"] <= manifest["finished_at"]
    assert sum(manifest["segments"].values()) == manifest["customers_scored"]


def test_scored_table_matches_the_library(ci_report):
    import rfvkit as rk

    reports, _ = ci_report
    written = pd.read_parquet(reports / "ci" / "table" / "customers_scored.parquet")
    expected = rk.analyse(ROOT / "params" / "ci.yaml").segmented
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _visible_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(parser.text)


def test_pages_show_no_code(ci_report):
    reports, _ = ci_report
    for page in (reports / "ci").glob("0*.html"):
        html = page.read_text(encoding="utf-8")
        # markdown cells also sit in a jp-InputArea; code cells have an editor element
        inputs = re.findall(r'class="[^"]*\bjp-(?:InputArea-editor|CodeMirrorEditor)\b', html)
        assert not inputs, f"{page.name} shows {len(inputs)} code cells"
        assert "import rfvkit" not in _visible_text(page)
        assert "Report index" in html  # navigation header


def test_html_never_shows_a_full_phone_number(ci_report):
    reports, _ = ci_report
    crm = load_config(ROOT / "params" / "ci.yaml").data
    customers = pd.read_csv(crm["customers"]["path"], dtype=str)
    digits = {re.sub(r"\D", "", p) for p in customers["phone"].dropna()}
    digits = {d for d in digits if len(d) >= 8}
    assert digits
    for page in (reports / "ci").glob("*.html"):
        text = re.sub(r"\D", "", _visible_text(page))
        leaked = [d for d in digits if d in text]
        assert not leaked, f"{page.name} shows {len(leaked)} full phone numbers"


def test_index_page_lists_parameters_period_and_quality(ci_report):
    reports, _ = ci_report
    text = _visible_text(reports / "ci" / "index.html")
    manifest = _manifest(reports / "ci")
    assert manifest["data_period"]["as_of"] in text
    assert "Data quality" in text and "Run parameters" in text
    for page in ("Explore RFV: who buys", "Segments: what the rules say"):
        assert page in text


def test_second_run_replaces_atomically_with_the_same_numbers(ci_report, tmp_path):
    reports, _ = ci_report
    first = _manifest(reports / "ci")
    proc = run_cli(
        "report",
        "--params",
        str(ROOT / "params" / "ci.yaml"),
        "--name",
        "again",
        "--reports-dir",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    second = _manifest(tmp_path / "again")
    assert second["segments"] == first["segments"]
    assert second["customers_scored"] == first["customers_scored"]
    a = pd.read_parquet(reports / "ci" / "table" / "customers_scored.parquet")
    b = pd.read_parquet(tmp_path / "again" / "table" / "customers_scored.parquet")
    pd.testing.assert_frame_equal(a, b)


def _failing_notebooks(folder: Path) -> Path:
    folder.mkdir()
    good = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                'params_file: str = ""  # params', metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell("print('fine')"),
        ]
    )
    bad = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                'params_file: str = ""  # params', metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("raise ValueError('segment table is empty')"),
        ]
    )
    for nb in (good, bad):
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
    nbformat.write(good, folder / "01_good.ipynb")
    nbformat.write(bad, folder / "02_bad.ipynb")
    return folder


def test_failure_exits_non_zero_keeps_failed_notebook_and_previous_report(tmp_path):
    reports = tmp_path / "reports"
    notebooks = _failing_notebooks(tmp_path / "nbs")
    previous = reports / "nightly"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("yesterday's report")

    proc = run_cli(
        "report",
        "--params",
        str(ROOT / "params" / "ci.yaml"),
        "--name",
        "nightly",
        "--reports-dir",
        str(reports),
        "--notebooks",
        str(notebooks),
    )

    assert proc.returncode == 1
    assert re.search(
        r"02_bad.ipynb cell \[\d+\] `raise ValueError\('segment table is empty'\)`: "
        r"ValueError: segment table is empty",
        proc.stderr,
    ), proc.stderr
    assert (previous / "index.html").read_text() == "yesterday's report"
    failed = reports / "_failed" / "nightly"
    assert (failed / "02_bad.ipynb").exists() and (failed / "02_bad.html").exists()
    kept = nbformat.read(failed / "02_bad.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in kept.cells for o in c.get("outputs", []))
    assert not [p for p in reports.iterdir() if p.name.startswith(".")]


def test_bad_override_is_one_line_before_any_notebook_runs(tmp_path):
    proc = run_cli(
        "report",
        "--params",
        str(ROOT / "params" / "ci.yaml"),
        "-p",
        "bins=lots",
        "--reports-dir",
        str(tmp_path),
        timeout=60,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rfvkit: error:") and "bins" in lines[0]
    assert not any(tmp_path.iterdir()), "nothing may be written for a rejected run"


def test_kept_notebooks_hold_no_widget_state_or_names(ci_report):
    """nbclient saves widget state (the explorer's customer table, with first names)."""
    reports, _ = ci_report
    names = pd.read_csv(ROOT / "data" / "ci" / "customers.csv", dtype=str)["first_name"]
    names = set(names.dropna().str.strip()) - {""}
    for path in (reports / "ci").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert "widgets" not in nb.metadata, path.name
        text = path.read_text(encoding="utf-8")
        shown = [n for n in names if f">{n}<" in text or f'"{n}"' in text or f" {n}," in text]
        assert not shown, f"{path.name} shows customer names {shown[:3]}"


def test_render_failure_is_handled_like_a_cell_failure(tmp_path, monkeypatch):
    from rfvkit.report import runner

    def broken(*args, **kwargs):
        raise ValueError("template 'lab' not found")

    monkeypatch.setattr(runner, "render_html", broken)
    notebooks = _failing_notebooks(tmp_path / "nbs")
    (notebooks / "02_bad.ipynb").unlink()  # the notebook runs; only its page fails
    previous = tmp_path / "reports" / "nightly"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("yesterday's report")
    result = runner.run_report(
        ROOT / "params" / "ci.yaml",
        name="nightly",
        reports_dir=tmp_path / "reports",
        notebooks_dir=notebooks,
        jobs=1,  # in this process, so the patched renderer is the one used
        log=lambda line: None,
    )
    assert not result.ok
    assert result.failure == (
        "01_good.ipynb ran, but its HTML page could not be rendered: "
        "ValueError: template 'lab' not found"
    )
    assert (result.failed_dir / "FAILURE.txt").read_text().startswith(result.failure)
    assert (result.failed_dir / "01_good.ipynb").exists()
    assert (previous / "index.html").read_text() == "yesterday's report"


def test_notebooks_come_from_the_checkout_else_the_installed_copy(tmp_path, monkeypatch):
    from rfvkit.errors import RfvkitError
    from rfvkit.report import runner

    assert [p.name for p in runner.find_notebooks()][:2] == [
        "01_explore_rfv.ipynb",
        "02_segments.ipynb",
    ]
    installed = _failing_notebooks(tmp_path / "site-packages-notebooks")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", tmp_path / "no-checkout")
    monkeypatch.setattr(runner, "INSTALLED_NOTEBOOKS", installed)
    assert [p.name for p in runner.find_notebooks()] == ["01_good.ipynb", "02_bad.ipynb"]
    with pytest.raises(RfvkitError, match="pass --notebooks DIR"):
        runner.find_notebooks(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RfvkitError, match="no notebooks named NN_"):
        runner.find_notebooks(tmp_path / "empty")


def test_kernels_at_a_time_follow_the_cores_and_the_notebooks():
    from rfvkit.report.runner import _jobs

    assert _jobs(4, 2) == 2 and _jobs(1, 6) == 1 and _jobs(0, 3) == 1
    assert 1 <= _jobs(None, 6) <= 6


def test_notebooks_start_longest_first_by_the_previous_run(tmp_path):
    from rfvkit.report.runner import longest_first

    notebooks = [Path(f"{n}.ipynb") for n in ("01_a", "02_b", "03_c", "04_d")]
    manifest = tmp_path / "manifest.json"
    runs = [
        {"notebook": "01_a.ipynb", "status": "ok", "seconds": 5.0},
        {"notebook": "02_b.ipynb", "status": "failed"},  # no time: treated as unknown
        {"notebook": "03_c.ipynb", "status": "ok", "seconds": 40.0},
        {"notebook": "04_d.ipynb", "status": "ok", "seconds": 100.0},
    ]
    manifest.write_text(json.dumps({"notebooks": runs}))
    assert [nb.stem for nb in longest_first(notebooks, manifest)] == [
        "02_b",
        "04_d",
        "03_c",
        "01_a",
    ]
    manifest.write_text("{not json")
    assert longest_first(notebooks, manifest) == notebooks
    assert longest_first(notebooks, tmp_path / "missing.json") == notebooks
