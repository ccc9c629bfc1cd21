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


class Inline(Executor):
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
        return Inline()
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rfvkit")


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


#: From this many values up, :func:`sort` partitions the array among the threads first.
SORT_IN_PARTS = 1 << 20


def sort(values: np.ndarray) -> None:
    """``values.sort()`` (in place), on the pool's threads when the array is large.

    ``ndarray.partition`` first arranges the array in place into one range per thread,
    every value of a range at most every value of the next one; each range is then
    sorted in its own thread (NumPy's sort releases the GIL), which leaves the array
    exactly as one sort would. On this 2-core machine, 30M 32-bit values: 1.12 s
    against 1.68 s for one sort, medians of 5 (``benchmarks/bench_duplicates.py --sort``).
    """
    parts = 1 if _SEQUENTIAL else WORKERS
    if parts < 2 or values.size < SORT_IN_PARTS:
        values.sort()
        return
    cuts = [values.size * i // parts for i in range(1, parts)]
    values.partition(cuts)
    edges = [0, *cuts, values.size]
    map_all(lambda ends: values[ends[0] : ends[1]].sort(), zip(edges[:-1], edges[1:], strict=True))


def repeated(values: np.ndarray) -> np.ndarray:
    """The distinct values that occur more than once in ``values`` (sorted in place).

    Examples
    --------
    >>> repeated(np.array([3, 1, 3, 2, 1, 1], dtype="uint32")).tolist()
    [1, 3]
    """
    sort(values)
    return np.unique(values[1:][values[1:] == values[:-1]])
