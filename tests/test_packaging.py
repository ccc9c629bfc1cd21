"""What the wheel holds: every package folder, the notebooks, templates and rule sets.

The wheel itself is built, installed into a fresh venv and used for a report by
``.ci/wheel-check`` (run in CI after the tests).
"""

from __future__ import annotations

import tomllib

from conftest import ROOT


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_listed():
    listed = set(_config()["packages"])
    folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "rfvkit").rglob("__init__.py")
    }
    assert folders <= listed, f"add to [tool.setuptools] packages: {sorted(folders - listed)}"


def test_notebooks_templates_and_rule_sets_ship():
    cfg = _config()
    assert cfg["package-dir"]["rfvkit.notebooks"] == "notebooks"
    data = cfg["package-data"]
    assert "*.ipynb" in data["rfvkit.notebooks"]
    assert {"rulesets/*.yaml", "report/templates/*.j2", "report/templates/rfvkit/*"} <= set(
        data["rfvkit"]
    )
    for pattern in data["rfvkit"]:
        assert list((ROOT / "rfvkit").glob(pattern)), (
            f"package-data pattern {pattern} matches nothing"
        )
