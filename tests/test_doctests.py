"""The Examples sections of rfvkit's docstrings run and give what they show.

Documentation that drifts from the code misleads analysts; each module's doctests are
one test here (examples marked ``+SKIP`` need data or a cluster and are skipped).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rfvkit

MODULES = sorted(info.name for info in pkgutil.walk_packages(rfvkit.__path__, prefix="rfvkit."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, report=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
