"""The loaders' thread pool: independent NumPy and Arrow work on the machine's cores.

Arrow's compute kernels and NumPy's sorts and element-wise operations on large arrays
release the GIL, so a few threads run them side by side. Work handed to the pool is
pure (it reads arrays and returns new ones) and every result is collected in the
order the sequential code would have made it, so frames, quality ledgers and errors
are the same either way; :func:`sequential` runs every task in the calling thread, for
tests and for comparing timings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

#: At most this many threads (2 on a 2-core machine).
WORKERS = max(1, min(4, os.cpu_count() or 1))
#: Arrays shorter than this are not split: a thread costs more than it saves.
MIN_SPAN = 1 << 20

_SEQUENTIAL = False


@contextmanager
def sequential(on: bool = True) -> Iterator[None]:
    """Inside the block, the loaders' pooled work runs in the calling thread, in order.

    Examples
    --------
    >>> with sequential():
    ...     [f.result() for f in [pool().submit(pow, 2, 5)]]
    [32]
    """
    global _SEQUENTIAL
    before, _SEQUENTIAL = _SEQUENTIAL, on
    try:
        yield
    finally:
        _SEQUENTIAL = before


class _Inline(Executor):
    """An executor that runs each task when it is submitted (what :func:`sequential` gives)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
            future.set_exception(exc)
        return future


def pool(workers: int = WORKERS) -> Executor:
    """A new pool of ``workers`` threads (use it in a ``with`` block), or the inline one."""
    if _SEQUENTIAL or workers < 2:
        return _Inline()
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rfvkit")


def spans(n: int, parts: int = WORKERS) -> list[slice]:
    """``range(n)`` cut into at most ``parts`` slices of about the same length."""
    parts = max(1, min(parts, n // MIN_SPAN if n >= MIN_SPAN else 1))
    edges = np.linspace(0, n, parts + 1).astype(np.int64)
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def map_spans(fn: Callable[[slice], T], n: int) -> list[T]:
    """``[fn(s) for s in spans(n)]``, the slices in parallel; results in order."""
    return map_all(fn, spans(n))


def map_all(fn: Callable[[Any], T], items: Iterable[Any]) -> list[T]:
    """``[fn(item) for item in items]`` on the pool; results in order, first error raised."""
    items = list(items)
    if len(items) < 2:
        return [fn(item) for item in items]
    with pool(min(WORKERS, len(items))) as executor:
        return list(executor.map(fn, items))


def batches(items: Iterable[T], parts: int = 2 * WORKERS) -> list[list[T]]:
    """``items`` in at most ``parts`` runs of neighbours (Arrow chunks to hand to threads)."""
    items = list(items)
    size = -(-len(items) // parts) if items else 1
    return [items[i : i + size] for i in range(0, len(items), size)]
