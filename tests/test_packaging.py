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


def _public_modules() -> list:
    import importlib
    import pkgutil

    import rfvkit

    found = pkgutil.walk_packages(rfvkit.__path__, "rfvkit.")
    names = [m.name for m in found if not m.name.rsplit(".", 1)[-1].startswith("_")]
    return [importlib.import_module(name) for name in names]


def test_public_classes_name_a_public_module():
    # A class users import from a public module says so in reprs, tracebacks and pickles
    # (`rfvkit.readers.ReadError`), even when a private module defines it.
    import inspect

    private = {
        f"{module.__name__}.{name}": cls.__module__
        for module in _public_modules()
        for name in getattr(module, "__all__", [])
        if inspect.isclass(cls := getattr(module, name))
        and cls.__module__.startswith("rfvkit")
        and any(part.startswith("_") for part in cls.__module__.split("."))
    }
    assert private == {}


def test_errors_and_rules_pickle_through_their_public_modules(tmp_path):
    import pickle

    from rfvkit.bgnbd import FitError
    from rfvkit.readers import ReadError
    from rfvkit.rules import default_rules

    rules = default_rules()
    for obj in (ReadError("transactions.csv could not be read"), FitError("no convergence")):
        again = pickle.loads(pickle.dumps(obj))
        assert type(again) is type(obj) and str(again) == str(obj)
        assert f"{type(obj).__module__}." in repr(type(obj))
    assert pickle.loads(pickle.dumps(rules)) == rules
    assert repr(type(rules)) == "<class 'rfvkit.rules.RuleSet'>"
