"""Run a benchmark's child process in a source tree and check whose rfvkit it imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_in_tree(code: str, tree: Path, env: dict[str, str] | None = None) -> dict:
    """``python -c code`` started in ``tree``; the JSON object its last output line prints.

    ``-c`` puts the working folder first on the import path, so the child imports
    ``tree``'s rfvkit (an editable install of another tree comes after it). The child
    reports ``sys.modules["rfvkit"].__file__`` as ``"module"`` (None when it did not
    import rfvkit); the key is checked against ``tree`` and removed.
    """
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tree
    )
    if proc.returncode != 0:
        raise SystemExit(f"child process in {tree} failed:\n{code}\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    module = result.pop("module")
    if module is not None and not Path(module).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"the process in {tree} imported rfvkit from {module}")
    return result
