"""Column work of :func:`rfvkit.io.read_transactions` started in threads, ahead of its use.

The loader writes its quality ledger one rule after the other, dropping rows as it
goes; much of the work behind those rules only needs the columns of the file as read:
reading the amounts, the ``7,990`` check, the rows whose date and amount may repeat
(when the dates come typed), factorizing the customer ids. :class:`Ahead` starts that
work in the loaders' thread pool as soon as the file is read, and hands each result
over cut to the rows the loader still keeps (each works row by row, or, for the likely
repeats, gives a superset of the kept rows' own). Where a task failed (a value that
cannot be read as a number), the loader's own call on the kept rows is made instead,
so the error is the one the sequential code raises, or none when the offending row was
dropped before. The ids themselves are made in the loader's thread: they come first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from rfvkit._cleaning import maybe_repeated
from rfvkit._fastpaths import factorize_ids, id_counts
from rfvkit._threads import Inline, pool
from rfvkit.checks import Buyers, buyers_from_codes, thousands_like
from rfvkit.parsing import normalise_ids, parse_numbers

__all__ = ["Ahead", "handing_over_buyers"]

T = TypeVar("T")

_BUYERS: ContextVar[list[Buyers | None] | None] = ContextVar("rfvkit_buyers", default=None)


@contextmanager
def handing_over_buyers(into: list[Buyers | None]) -> Iterator[None]:
    """Inside the block, :func:`rfvkit.io.read_transactions` factorizes the customer ids
    ahead and adds what :func:`~rfvkit.checks.cross_table_checks` wants of them to
    ``into`` (None when lines were dropped after the ids were factorized).
    """
    token = _BUYERS.set(into)
    try:
        yield
    finally:
        _BUYERS.reset(token)


class Ahead:
    """Ids, amounts and customer codes of ``frame`` (as read), computed in threads.

    Use it as a context manager: leaving the block waits for the threads. The codes are
    factorized from the start with ``codes=True``, else only once :meth:`start_codes`
    asks for them. Inside :func:`handing_over_buyers` the customers' line counts are
    started with the amounts: counted by Arrow when every amount as read is positive
    (no codes then: :func:`~rfvkit.checks.net_negative` needs none), else from the codes.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": [" a", "b "], "amount": ["1.5", "2"]})
    >>> with Ahead(frame, ".", codes=True) as ahead:
    ...     ahead.ids("customer_id").tolist(), ahead.amounts(frame)[0].tolist()
    (['a', 'b'], [1.5, 2.0])
    """

    def __init__(self, frame: pd.DataFrame, decimal: str, *, codes: bool | None = None) -> None:
        self._pool = pool(4)
        self._rows, self._decimal = len(frame), decimal
        self._numbers = self._like = self._pairs = self._codes = self._counted = None
        if "amount" in frame:  # first, so the threads start while the ids are made here
            raw = frame["amount"]
            self._numbers = self._pool.submit(parse_numbers, raw, "amount", decimal=decimal)
            self._like = self._pool.submit(thousands_like, raw)
            if "order_date" in frame and pd.api.types.is_datetime64_dtype(frame["order_date"]):
                self._pairs = self._pool.submit(_repeated_pairs, frame["order_date"], self._numbers)
        here = Inline()  # the ids are the loader's next step: no thread to wait for
        self._ids = {
            name: here.submit(normalise_ids, frame[name])
            for name in ("order_id", "customer_id")
            if name in frame
        }
        self._into = _BUYERS.get()
        if codes:
            self.start_codes()
        elif codes is None and self._into is not None and "customer_id" in self._ids:
            ids = self._ids["customer_id"]
            self._counted = self._pool.submit(_count_lines, ids, self._numbers)

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn(*args)`` in the pool (pure work on the loader's current frame)."""
        return self._pool.submit(fn, *args)

    def ids(self, name: str) -> pd.Series:
        """``normalise_ids`` of column ``name`` as read (call before any row is dropped)."""
        return self._ids[name].result()

    def amounts(self, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series | None]:
        """``parse_numbers`` of ``frame["amount"]`` and its ``thousands_like`` mask (or None:
        not computed), for the rows of ``frame``."""
        numbers, like = _kept(self._numbers, frame), _kept(self._like, frame)
        self._numbers = self._like = None  # handed over: the caller decides how long they live
        if numbers is None:
            numbers = parse_numbers(frame["amount"], "amount", decimal=self._decimal)
        return *numbers, like

    def repeated_pairs(self, frame: pd.DataFrame) -> np.ndarray | None:
        """Rows of ``frame`` whose date and amount may repeat (``duplicated_lines``' first
        step, on the whole file as read: a superset for any rows kept), or None."""
        maybe, self._pairs = _kept(self._pairs, frame), None  # handed over
        return None if maybe is None else maybe.to_numpy()

    def start_codes(self) -> None:
        """Start factorizing the customer ids as read (for :meth:`codes`)."""
        if self._codes is None and "customer_id" in self._ids:
            ids, counted = self._ids["customer_id"], self._counted
            self._codes = self._pool.submit(_codes, ids, counted)

    def codes(self, frame: pd.DataFrame) -> np.ndarray | None:
        """The customer codes of ``frame``'s rows (``pd.factorize``'s), or None when they
        were not asked for or rows were dropped since the file was read."""
        if self._codes is None or len(frame) != self._rows:
            return None
        return self._codes.result()[0]

    def buyers(self, frame: pd.DataFrame) -> Buyers | None:
        """The customers of ``frame`` and their line counts, as ``cross_table_checks`` wants
        them, when the line counts or :meth:`codes` have them; else None."""
        if self._counted is not None and len(frame) == self._rows:
            _, uniques, lines = self._counted.result()
            if lines is not None:  # counted by Arrow: no codes
                return pd.Series(uniques, dtype=frame["customer_id"].dtype), lines, None
            self.start_codes()  # the codes the count made
        codes = self.codes(frame)
        if codes is None:
            return None
        return buyers_from_codes(frame["customer_id"], codes, self._codes.result()[1])

    def hand_over(self, frame: pd.DataFrame) -> None:
        """Inside :func:`handing_over_buyers`, add :meth:`buyers` of ``frame`` to its list."""
        if self._into is not None:
            self._into.append(self.buyers(frame))


def _count_lines(ids: Future, numbers: Future | None) -> tuple[Any, Any, np.ndarray | None]:
    """``(codes, uniques, lines)`` of the customer ids as read: ``codes`` None when every
    amount as read is positive and Arrow counted the lines, else ``lines`` None (the
    codes are made; :meth:`Ahead.buyers` counts them if no line is dropped)."""
    amounts = _kept(numbers, ids.result())
    if amounts is not None and (amounts[0] > 0).all():
        counted = id_counts(ids.result())
        if counted is not None:
            return None, *counted
    return *factorize_ids(ids.result()), None


def _codes(ids: Future, counted: Future | None) -> tuple[np.ndarray, Any]:
    """``factorize_ids`` of the ids as read (the line counts' codes when they made them)."""
    found = None if counted is None else counted.result()
    if found is not None and found[0] is not None:
        return found[0], found[1]
    return factorize_ids(ids.result())


def _repeated_pairs(dates: pd.Series, numbers: Future) -> pd.Series | None:
    """:func:`~rfvkit._cleaning.maybe_repeated` of the dates as read and the amounts."""
    amount = numbers.result()[0]
    maybe = maybe_repeated(dates.to_numpy(), amount.to_numpy(dtype="float64"))
    return None if maybe is None else pd.Series(maybe, index=dates.index, copy=False)


def _kept(task: Future | None, frame: pd.DataFrame) -> Any:
    """A task's result (one Series or a tuple of them) cut to ``frame``'s rows, or None
    when there is no task or it failed (the caller then computes on the kept rows)."""
    if task is None:
        return None
    try:
        got = task.result()
    except Exception:  # noqa: BLE001 - the caller's own call raises it again, or not
        return None
    if got is None:
        return None
    if isinstance(got, tuple):
        return tuple(part if len(part) == len(frame) else part.loc[frame.index] for part in got)
    return got if len(got) == len(frame) else got.loc[frame.index]
