"""BG/NBD: how many purchases a customer will make, and whether they are still "alive".

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting Your Customers" the Easy
Way: An Alternative to the Pareto/NBD Model. *Marketing Science* 24(2), 275-284. Equation
numbers below refer to that paper. While alive a customer buys at a Poisson rate
λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b).
Parameters are found by maximum likelihood with :func:`scipy.optimize.minimize`
(L-BFGS-B, analytic gradient) on the logarithms of (r, α, a, b); standard errors come from
the inverse Hessian of the negative log-likelihood (see :mod:`rfvkit._mle`).

Example
-------
>>> bg = BetaGeo().fit(summary)                       # doctest: +SKIP
>>> bg.params_                                        # doctest: +SKIP
{'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.differentiate import jacobian
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from rfvkit._mle import (
    MIN_CUSTOMERS,
    FitError,
    NotEnoughDataError,
    _inverse_diag,
    _maximise,
    _weighted_sums,
    parameter_table,
)
from rfvkit.errors import BadParameterError, BadValuesError, require_columns

__all__ = ["BetaGeo", "FitError", "MIN_CUSTOMERS"]

_NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class _Data:
    """Customers with identical (x, t_x, T) collapsed into one row with a weight.

    ``xs`` holds the distinct frequencies and ``xi`` each row's position in it, so the
    special functions that depend on x only are evaluated once per distinct x.
    """

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    w: np.ndarray
    xs: np.ndarray
    xi: np.ndarray

    @classmethod
    def from_summary(cls, summary: pd.DataFrame, where: str) -> _Data:
        require_columns(
            summary,
            ("frequency", "recency", "T"),
            table=where,
            hint="Build it with rk.clv_summary(transactions, as_of=...).",
        )
        values = summary[["frequency", "recency", "T"]].to_numpy("float64")
        bad = ~np.isfinite(values).all(axis=1) | (values < 0).any(axis=1)
        bad |= values[:, 1] > values[:, 2] + 1e-9
        if bad.any():
            raise BadValuesError(
                f"{where}: {int(bad.sum()):,} rows have missing/negative values or recency > T "
                f"(e.g. customers {list(summary.index[bad][:3])}); use rk.clv_summary's output."
            )
        rows = pd.DataFrame(values).value_counts(sort=False).reset_index().to_numpy("float64")
        return cls.build(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3])

    @classmethod
    def build(cls, x, t_x, T, w) -> _Data:
        xs, xi = np.unique(x, return_inverse=True)
        return cls(x, t_x, T, w, xs, xi)


def _log_likelihood(params: np.ndarray, d: _Data) -> np.ndarray:
    """Per-row log-likelihood, FHL (2005) eq. 6; ``params`` (4, ...) broadcast over rows.

    L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + 1{x>0} B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x)),
    summed in log space with ``logaddexp``.
    """
    r, alpha, a, b = (p[..., None] for p in params)
    xs = d.xs
    common = (gammaln(r + xs) - gammaln(r) - betaln(a, b))[..., d.xi] + r * np.log(alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(
            xs > 0, betaln(a + 1, np.maximum(b + xs - 1, 1e-300)) - betaln(a, b + xs), -np.inf
        )[..., d.xi]
    rx = r + d.x
    still = betaln(a, b + xs)[..., d.xi] - rx * np.log(alpha + d.T)
    return (
        common + still + np.logaddexp(0.0, gap + rx * (np.log(alpha + d.T) - np.log(alpha + d.t_x)))
    )


def _value_and_grad(params: np.ndarray, d: _Data) -> tuple[float, np.ndarray]:
    """Weighted total log-likelihood and its gradient in (r, α, a, b), for the optimiser.

    Derivatives of eq. 6 with ψ = :func:`scipy.special.digamma` and s = the posterior
    weight of the "dropped out after the last purchase" term (0 when x = 0).
    """
    r, alpha, a, b = params
    x, xs, xi, w = d.x, d.xs, d.xi, d.w
    ll = _log_likelihood(params, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(
            xs > 0, betaln(a + 1, np.maximum(b + xs - 1, 1e-300)) - betaln(a, b + xs), -np.inf
        )
    log_T, log_tx = np.log(alpha + d.T), np.log(alpha + d.t_x)
    s = expit(gap[xi] + (r + x) * (log_T - log_tx))
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + xs)[xi]
    with np.errstate(divide="ignore"):
        inv_bx1 = np.where(xs > 0, 1.0 / np.maximum(b + xs - 1, 1e-300), 0.0)[xi]
    grad = _weighted_sums(
        w,
        [
            (digamma(r + xs)[xi] - digamma(r) + np.log(alpha) - log_T + s * (log_T - log_tx)),
            (
                r / alpha
                - (r + x) / (alpha + d.T)
                + s * (r + x) * (1 / (alpha + d.T) - 1 / (alpha + d.t_x))
            ),
            (psi_ab - psi_abx + s / a),
            (psi_ab - digamma(b) + digamma(b + xs)[xi] - psi_abx - s * inv_bx1),
        ],
    )
    return float(_weighted_sums(w, [ll])[0]), grad


class BetaGeo:
    """The BG/NBD model fitted by maximum likelihood.

    Parameters
    ----------
    max_iter : int
        Iteration limit of the optimiser.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (in the summary's time unit), ``a``, ``b``.
    standard_errors_ : dict
        Asymptotic standard errors (square root of the inverse Hessian's diagonal).
    log_likelihood_ : float
        Maximised log-likelihood (sum over customers).
    n_customers_ : int
    unit_days_ : float
        Days per time unit of the summary it was fitted on.

    Examples
    --------
    >>> bg = BetaGeo().fit(summary)                           # doctest: +SKIP
    >>> bg.p_alive(summary).head(3)                           # doctest: +SKIP
    """

    def __init__(self, *, max_iter: int = 1000) -> None:
        self.max_iter = max_iter

    # ------------------------------------------------------------------ fitting
    def fit(self, summary: pd.DataFrame) -> BetaGeo:
        """Estimate (r, α, a, b) from a :func:`rfvkit.clv_summary` frame.

        Raises
        ------
        FitError
            Fewer than :data:`MIN_CUSTOMERS` customers, nobody with a repeat purchase, or
            the optimiser did not converge (its message and starting point are shown).
        """
        data = _Data.from_summary(summary, "summary")
        n = int(data.w.sum())
        if n < MIN_CUSTOMERS:
            raise NotEnoughDataError(
                f"summary: {n} customers; BG/NBD needs at least {MIN_CUSTOMERS} to estimate "
                "four parameters. Use a longer period or more customers."
            )
        if not (data.x > 0).any():
            raise NotEnoughDataError(
                f"summary: none of the {n:,} customers made a repeat purchase (frequency 0), "
                "so purchase rates and drop-out cannot be told apart. Use a longer period."
            )
        mean_x = np.average(data.x, weights=data.w)
        mean_T = np.average(data.T, weights=data.w)
        start = np.log([1.0, max(mean_T / (1.0 + mean_x), 1e-3), 1.0, 1.0])

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = _value_and_grad(np.exp(theta), data)
            if not np.isfinite(value) or not np.all(np.isfinite(grad)):
                return 1e10, np.zeros(4)
            return -value / n, -grad * np.exp(theta) / n  # chain rule for log-parameters

        result, at_bound = _maximise(objective, start, _NAMES, "BG/NBD", self.max_iter)
        est = np.exp(result.x)
        self.params_ = dict(zip(_NAMES, map(float, est), strict=True))
        self.log_likelihood_ = float(-result.fun * n)
        self.n_customers_ = n
        self.unit_days_ = float(summary.attrs.get("unit_days", 1.0))
        if est[2] + est[3] > 1e4 and not {"a", "b"} & set(at_bound):
            warnings.warn(
                f"BG/NBD: a + b = {est[2] + est[3]:,.0f}: the drop-out probability after a "
                f"purchase is about the same for every customer ({est[2] / (est[2] + est[3]):.3f}),"
                " a limiting case of the model; a and b themselves are poorly determined.",
                stacklevel=2,
            )
        se = self._standard_errors(est, data)
        self.standard_errors_ = {k: (np.nan if k in at_bound else v) for k, v in se.items()}
        self.at_bound_ = at_bound
        self.optimizer_ = result
        return self

    def _standard_errors(self, est: np.ndarray, data: _Data) -> dict[str, float]:
        """Delta method: Hessian in log-parameters, then se(θ) = θ · se(log θ).

        The Hessian is the numerical Jacobian (:func:`scipy.differentiate.jacobian`) of
        the analytic gradient.
        """

        def gradient(theta: np.ndarray) -> np.ndarray:  # (4, ...) -> (4, ...)
            flat = theta.reshape(4, -1)
            out = np.stack(
                [-_value_and_grad(np.exp(t), data)[1] * np.exp(t) for t in flat.T], axis=1
            )
            return out.reshape(theta.shape)

        h = jacobian(gradient, np.log(est), initial_step=0.01, maxiter=2, order=2).df
        return dict(zip(_NAMES, map(float, est * _inverse_diag((h + h.T) / 2)), strict=True))

    def summary_table(self) -> pd.DataFrame:
        """Parameters with standard errors and 95% Wald intervals, one row each."""
        self._check_fitted()
        return parameter_table(self.params_, self.standard_errors_, _NAMES)

    # ------------------------------------------------------------------ predictions
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise BadParameterError("BetaGeo: not fitted yet; call .fit(summary) first.")

    def _xtT(self, summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._check_fitted()
        require_columns(summary, ("frequency", "recency", "T"), table="summary")
        return tuple(summary[c].to_numpy("float64") for c in ("frequency", "recency", "T"))

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Probability each customer is still active at T (FHL 2005 eq. 13; 1 if x = 0).

        Examples
        --------
        >>> bg.p_alive(summary).describe()                    # doctest: +SKIP
        """
        x, t_x, T = self._xtT(summary)
        return pd.Series(self._p_alive(x, t_x, T), index=summary.index, name="p_alive")

    def _p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b = (self.params_[k] for k in _NAMES)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = (
                np.log(a)
                - np.log(np.maximum(b + x - 1, 1e-300))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
            )
        odds = np.where(x > 0, np.exp(np.minimum(log_ratio, 700)), 0.0)
        return 1.0 / (1.0 + odds)

    def expected_purchases(self, summary: pd.DataFrame, *, t: float) -> pd.Series:
        """Expected purchases in the next ``t`` time units, given each customer's history.

        FHL (2005) eq. 10, with the Gaussian hypergeometric function
        :func:`scipy.special.hyp2f1`; ``t`` is in the summary's unit (days for period "D").

        Examples
        --------
        >>> bg.expected_purchases(summary, t=90).sum()        # doctest: +SKIP
        """
        x, t_x, T = self._xtT(summary)
        t = _positive(t, "t")
        value = self._if_alive(x, T, t) * self._p_alive(x, t_x, T)
        return pd.Series(value, index=summary.index, name="expected_purchases")

    def _if_alive(self, x: np.ndarray, T: np.ndarray, t: float) -> np.ndarray:
        """Eq. 10 without its p_alive factor: expected purchases in (T, T+t] if still active."""
        r, alpha, a, b = (self.params_[k] for k in _NAMES)
        z = t / (alpha + T + t)
        head = (a + b + x - 1) / (a - 1)
        return head * (
            1.0
            - np.exp((r + x) * np.log((alpha + T) / (alpha + T + t)))
            * hyp2f1(r + x, b + x, a + b + x - 1, z)
        )

    def expected_purchases_new(self, t: np.ndarray | float) -> np.ndarray:
        """Expected repeat purchases of a new customer in ``(0, t]`` (FHL 2005 eq. 9).

        Examples
        --------
        >>> bg.expected_purchases_new([13, 26, 39])           # doctest: +SKIP
        """
        self._check_fitted()
        t = np.asarray(t, dtype="float64")
        r, alpha, a, b = (self.params_[k] for k in _NAMES)
        return (
            (a + b - 1)
            / (a - 1)
            * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        )

    def expected_cumulative(self, first: pd.Series, times: np.ndarray) -> np.ndarray:
        """Expected cumulative repeat purchases of a cohort at each of ``times``.

        ``first`` holds each customer's first-purchase time on the same axis as ``times``
        (in units); each customer contributes eq. 9 from their first purchase on, which
        gives the cumulative tracking curve of FHL (2005) Figure 2.
        """
        starts, counts = np.unique(np.asarray(first, dtype="float64"), return_counts=True)
        out = np.zeros(len(times))
        for i, now in enumerate(np.asarray(times, dtype="float64")):
            age = now - starts
            ok = age > 0
            out[i] = np.add.reduce(self.expected_purchases_new(age[ok]) * counts[ok])
        return out


def _positive(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not value > 0:
        raise BadParameterError(f"{name}: got {value!r}; allowed: a positive number of time units.")
    return float(value)
