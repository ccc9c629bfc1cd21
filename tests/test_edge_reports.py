"""The report builds on any data the loader accepts, however small.

One customer, two, all identical (one segment), no customers file, no opt-outs, no
campaigns: every chapter shows what it can and says in a sentence what it cannot.
The notebooks' code cells run in-process here (seconds); two real ``rfvkit report``
runs are marked slow.
"""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest
import yaml
from conftest import ROOT, run_cli

import rfvkit as rk
from rfvkit.clustering import RULES_ONLY, suggest_segments
from rfvkit.errors import BadParameterError
from rfvkit.plots import metric_by_dimension

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _tx(rows):
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])


CASES = {
    "one_customer": _tx([["a", "2025-01-02", 10.0]]),
    "two_customers": _tx([["a", "2025-01-02", 10.0], ["b", "2025-06-02", 50.0]]),
    "identical": _tx([[c, "2025-01-02", 10.0] for c in "abcdefghij"]),
    "net_returner": _tx(
        [["a", "2025-01-02", 10.0], ["a", "2025-01-03", -20.0], ["b", "2025-06-02", 50.0]]
    ),
}


def _params(tmp_path, name: str, *, customers: bool = False, **extra) -> str:
    folder = tmp_path / name
    folder.mkdir()
    CASES[name].to_csv(folder / "transactions.csv", index=False)
    data = {"transactions": {"path": "transactions.csv"}}
    if customers:
        ids = sorted(set(CASES[name]["customer_id"]))
        pd.DataFrame(
            {"customer_id": ids, "country": ["GB"] * len(ids), "sms_consent": ["yes"] * len(ids)}
        ).to_csv(folder / "customers.csv", index=False)
        data["customers"] = {"path": "customers.csv"}
    params = {"data": data, "as_of": "2026-01-01", "k_max": 6, **extra}
    (folder / "params.yaml").write_text(yaml.safe_dump(params))
    return str(folder / "params.yaml")


def _run_cells(notebook, params_file: str, **overrides) -> dict:
    """Execute a notebook's code cells in this process with the given parameters."""
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    namespace: dict = {}
    exec("".join(cells[0]["source"]), namespace)  # the parameters cell
    namespace.update(params_file=params_file, k_max=6, **overrides)
    for cell in cells[1:]:
        source = "".join(cell["source"]).replace("rk.setup_notebook()", "")
        try:
            exec(source, namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            raise AssertionError(
                f"{notebook.name} cell `{source.splitlines()[0]}`: {exc!r}"
            ) from exc
    return namespace


@pytest.mark.parametrize(
    ("name", "customers"),
    [(name, False) for name in CASES] + [("one_customer", True), ("identical", True)],
)
def test_notebooks_run_on_tiny_data(tmp_path, name, customers):
    params = _params(tmp_path, name, customers=customers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explore = _run_cells(NOTEBOOKS[0], params)
        segments = _run_cells(NOTEBOOKS[1], params)
    assert explore["summary"]["customers"].sum() == len(explore["rfv"])
    sug = segments["sug"]
    if name in ("one_customer", "identical"):
        assert sug.k == 1 and RULES_ONLY in sug.reason
    if name == "identical":
        assert (explore["summary"]["customers"] > 0).sum() == 1  # a single segment


def test_explicit_k_on_two_customers_falls_back_to_the_rule_segments(tmp_path):
    params = _params(tmp_path, "two_customers", k=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ns = _run_cells(NOTEBOOKS[1], params, k=4)
    assert ns["sug"].k == 1
    assert ns["sug"].reason == (
        "k=1: k=4 was asked but there are only 2 distinct customer profile(s), so they form "
        f"one group. {RULES_ONLY}"
    )


def test_suggest_segments_fallback_only_when_asked():
    rfv = pd.DataFrame(
        {"recency_days": [3, 30], "frequency": [1, 2], "monetary": [10.0, 50.0]},
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    with pytest.raises(BadParameterError, match="k=3 but only 2 customer"):
        suggest_segments(rfv, k=3, n_bootstrap=0)
    sug = suggest_segments(rfv, k=3, n_bootstrap=0, fallback=True)
    assert sug.k == 1 and set(sug.labels["cluster_name"]) == {"All customers"}


def test_live_k_explorer_says_why_there_is_no_slider():
    rfv = pd.DataFrame(
        {"recency_days": [3] * 4, "frequency": [1] * 4, "monetary": [10.0] * 4},
        index=pd.Index(list("abcd"), name="customer_id"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sug = suggest_segments(rfv, n_bootstrap=0)
        shown = rk.live_k_explorer(rfv, sug, k_range=range(2, 7))
    assert RULES_ONLY in shown.data


def test_metric_by_dimension_without_the_attribute_says_so():
    frame = pd.DataFrame({"monetary": [10.0, 20.0]})
    fig = metric_by_dimension(frame, "monetary", "country", if_missing="note")
    assert "No 'country' attribute" in fig.layout.annotations[0].text
    with pytest.raises(rk.errors.MissingColumnsError):
        metric_by_dimension(frame, "monetary", "country")
    with pytest.raises(rk.errors.MissingColumnsError):
        metric_by_dimension(frame, "frequency", "country", if_missing="note")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "customers"), [("one_customer", False), ("identical", True)])
def test_rfvkit_report_builds_on_tiny_data(tmp_path, name, customers):
    params = _params(tmp_path, name, customers=customers)
    reports = tmp_path / "reports"
    proc = run_cli("report", "--params", params, "--reports-dir", str(reports), "--name", name)
    assert proc.returncode == 0, proc.stderr
    html = (reports / name / "02_segments.html").read_text()
    assert RULES_ONLY in html
    if not customers:
        assert "No 'country' attribute" in (reports / name / "01_explore_rfv.html").read_text()
