"""Peak resident memory of the current process, as every benchmark reports it."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_mb() -> float:
    """The process's peak resident memory in MB: ``VmHWM`` on Linux, else ``ru_maxrss``.

    On Linux ``ru_maxrss`` survives ``exec``: the kernel folds the old address space's
    peak into it, so a child started by a parent holding 1.6 GB (a benchmark that has
    just generated its data) reports at least 1.6 GB whatever it does. ``VmHWM`` belongs
    to the address space the child's own program built (see proc(5) and getrusage(2)).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
