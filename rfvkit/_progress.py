"""Progress while a large file is read: a tqdm bar that disappears when done.

On the command line (stderr is a terminal) the bar goes to stderr; in JupyterLab or
Notebook ``tqdm.auto`` draws a widget. It is shown only for files above
:data:`MIN_BYTES` (about a million order lines), and stays silent under pytest, and in
kernels no Jupyter server started (papermill, nbclient, nbval), so no bar ends up in a
report. ``RFVKIT_PROGRESS=1`` forces it on, ``=0`` off.
"""

from __future__ import annotations

import io
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Files smaller than this are read without a progress bar (32 MiB ~ 1M order lines).
MIN_BYTES = 32 * 2**20


def wanted(size: int) -> bool:
    """Whether to show progress for a file of ``size`` bytes here and now."""
    setting = os.environ.get("RFVKIT_PROGRESS", "").strip().lower()
    if setting in ("0", "false", "no", "off"):
        return False
    if setting in ("1", "true", "yes", "on"):
        return True
    if size < MIN_BYTES or "PYTEST_CURRENT_TEST" in os.environ:
        return False
    if "ipykernel" in sys.modules:  # a Jupyter server names the session; papermill does not
        return "JPY_SESSION_NAME" in os.environ
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class _CountingFile(io.FileIO):
    """A binary file that moves a progress bar as it is read (Arrow reads through it)."""

    def __init__(self, path: Path, bar: Any) -> None:
        super().__init__(path, "rb")
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self._bar.update(len(data))
        return data


@contextmanager
def reading(path: Path, label: str):
    """Yield ``path`` itself, or an open file that reports progress as it is read."""
    size = path.stat().st_size
    bar = None
    if wanted(size):
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=size, unit="B", unit_scale=True, leave=False, desc=f"reading {label}")
    if bar is None:
        yield path
        return
    try:
        with _CountingFile(path, bar) as handle:
            yield handle
    finally:
        bar.close()
