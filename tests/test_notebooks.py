"""Notebook hygiene: stored without outputs, one typed parameters cell, thin cells.

The notebooks themselves are executed by nbval (``pytest --nbval-lax notebooks``)
and end to end by ``tests/test_report.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHECKED = "nbval-check-output"


def _code_cells(path: Path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:2] == ["01_explore_rfv.ipynb", "02_segments.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_outputs_except_checked_cells(path):
    offenders = [
        i
        for i, c in enumerate(_code_cells(path))
        if c.outputs and CHECKED not in c.metadata.get("tags", [])
    ]
    assert not offenders, f"{path.name}: code cells {offenders} carry outputs; clear them"
    for cell in _code_cells(path):
        assert cell.get("execution_count") is None or CHECKED in cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checked_cells_have_stored_outputs(path):
    checked = [c for c in _code_cells(path) if CHECKED in c.metadata.get("tags", [])]
    assert checked, f"{path.name} has no {CHECKED} cell guarding a key number"
    assert all(c.outputs for c in checked), "a checked cell without stored output checks nothing"


def _parameters(path: Path) -> dict[str, tuple[str, object, str]]:
    cells = [c for c in _code_cells(path) if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: exactly one cell must be tagged 'parameters'"
    params = {}
    for line in cells[0].source.splitlines():
        node = ast.parse(line).body[0]
        assert isinstance(node, ast.AnnAssign), f"{path.name}: '{line}' is not 'name: type = value'"
        assert "#" in line and line.split("#", 1)[1].strip(), (
            f"{path.name}: '{line}' needs a comment"
        )
        value = ast.literal_eval(node.value)  # literals only: derived values go in a later cell
        params[node.target.id] = (ast.unparse(node.annotation), value, line)
    return params


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_is_typed_literals(path):
    params = _parameters(path)
    assert "params_file" in params
    for name, (annotation, value, _line) in params.items():
        assert isinstance(
            value, {"str": str, "int": int, "float": float, "bool": bool}.get(annotation, object)
        ), f"{path.name}: {name} is annotated {annotation} but is {value!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_defaults_match_the_sample_params(path):
    sample = yaml.safe_load((ROOT / "params" / "sample.yaml").read_text())
    for name, (_annotation, value, _line) in _parameters(path).items():
        if name in sample and name != "as_of":
            assert value == sample[name], (
                f"{path.name}: {name}={value!r} but sample.yaml has {sample[name]!r}"
            )
    if "as_of" in _parameters(path):
        assert _parameters(path)["as_of"][1] == str(sample["as_of"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_thin(path):
    for cell in _code_cells(path):
        tree = ast.parse(cell.source)
        defs = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)
        ]
        assert not defs, f"{path.name}: move this function into the rfvkit package:\n{cell.source}"
        if "parameters" not in cell.metadata.get("tags", []):
            assert len(cell.source.splitlines()) <= 6, f"{path.name}: cell too long:\n{cell.source}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_sets_up_offline_plotly(path):
    cells = _code_cells(path)
    assert "parameters" in cells[0].metadata.get("tags", [])
    assert "setup_notebook()" in cells[1].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_sees_every_parameter(path):
    """papermill skips lines it cannot parse (e.g. quotes inside the comment) without failing."""
    import papermill as pm

    assert set(pm.inspect_notebook(str(path))) == set(_parameters(path))
