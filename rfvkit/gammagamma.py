"""Gamma-Gamma: how much a customer spends per purchase, shrunk toward the population mean.

Fader, P. S. & Hardie, B. G. S. (2013). "The Gamma-Gamma Model of Monetary Value"
(http://www.brucehardie.com/notes/025/), after Colombo & Jiang (1999). Each purchase of a
customer is Gamma(p, ν); ν ~ Gamma(q, γ) across customers. The mean repeat spend z̄ of a
customer with x repeat purchases has density (note eq. 1)

    f(z̄ | p, q, γ; x) = Γ(px + q) / (Γ(px) Γ(q)) · γ^q z̄^(px-1) x^(px) / (γ + x z̄)^(px + q)

and the conditional expected spend per purchase is (note eq. 5)

    E[M | p, q, γ, z̄, x] = (q - 1)/(px + q - 1) · pγ/(q - 1) + px/(px + q - 1) · z̄.

Fitted by maximum likelihood on the logarithms of (p, q, γ) with
:func:`scipy.optimize.minimize`, on repeat customers only; the model assumes spend per
purchase is independent of the number of purchases, which :meth:`GammaGamma.fit` checks.

Example
-------
>>> gg = GammaGamma().fit(summary)                    # doctest: +SKIP
>>> gg.params_                                        # doctest: +SKIP
{'p': 6.25, 'q': 3.74, 'v': 15.44}
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.differentiate import jacobian
from scipy.special import digamma, gammaln
from scipy.stats import pearsonr

from rfvkit._mle import MIN_CUSTOMERS, NotEnoughDataError, _inverse_diag, _maximise, parameter_table
from rfvkit.errors import BadParameterError, require_columns

__all__ = ["GammaGamma"]

_NAMES = ("p", "q", "v")


class _Spend:
    """Repeat customers' (x, z̄) with the parameter-free sums of the likelihood precomputed.

    Terms in x alone are evaluated once per distinct x (``xs`` with ``counts``); only
    log(γ + x z̄) is left per customer.
    """

    def __init__(self, x: np.ndarray, m: np.ndarray) -> None:
        self.x, self.m, self.n = x, m, len(x)
        self.xs, self.counts = np.unique(x, return_counts=True)
        log_m = np.log(m)
        self.s_log_m, self.s_x_log_m = log_m.sum(), (x * log_m).sum()
        self.s_x_log_x = (x * np.log(x)).sum()


def _value_and_grad(params: np.ndarray, d: _Spend) -> tuple[float, np.ndarray]:
    """Total log-likelihood of Fader & Hardie (2013) eq. 1 and its gradient in (p, q, γ).

    Σ_i [ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln z̄ + px ln x − (px+q) ln(γ+xz̄)],
    differentiated with ψ = :func:`scipy.special.digamma`.
    """
    p, q, v = params
    n, xs, c = d.n, d.xs, d.counts
    log_vxm = np.log(v + d.x * d.m)
    s_l, s_xl = log_vxm.sum(), (d.x * log_vxm).sum()
    value = (
        (c * (gammaln(p * xs + q) - gammaln(p * xs))).sum()
        - n * gammaln(q)
        + n * q * np.log(v)
        + p * d.s_x_log_m
        - d.s_log_m
        + p * d.s_x_log_x
        - p * s_xl
        - q * s_l
    )
    psi = digamma(p * xs + q)
    grad = np.array(
        [
            (c * xs * (psi - digamma(p * xs))).sum() + d.s_x_log_m + d.s_x_log_x - s_xl,
            (c * psi).sum() - n * digamma(q) + n * np.log(v) - s_l,
            n * q / v - ((p * d.x + q) / (v + d.x * d.m)).sum(),
        ]
    )
    return float(value), grad


class GammaGamma:
    """The Gamma-Gamma spend model fitted by maximum likelihood.

    Parameters
    ----------
    correlation_threshold : float
        Warn when |Pearson r| between frequency and mean spend of repeat customers
        exceeds this (the model assumes they are independent).
    max_iter : int
        Iteration limit of the optimiser.

    Attributes
    ----------
    params_ : dict
        ``p``, ``q``, ``v`` (γ, the scale, in money units).
    standard_errors_ : dict
    log_likelihood_ : float
    n_customers_ : int
        Repeat customers used.
    excluded_ : dict
        Customers left out and why (no repeat purchase, mean spend <= 0 or missing).
    correlation_ : float
        Pearson r between frequency and monetary value of the customers used.

    Examples
    --------
    >>> gg = GammaGamma().fit(summary)                        # doctest: +SKIP
    >>> gg.expected_spend(summary).head()                     # doctest: +SKIP
    """

    def __init__(self, *, correlation_threshold: float = 0.3, max_iter: int = 1000) -> None:
        self.correlation_threshold = correlation_threshold
        self.max_iter = max_iter

    def fit(self, summary: pd.DataFrame) -> GammaGamma:
        """Estimate (p, q, γ) from repeat customers' ``frequency`` and ``monetary_value``.

        Raises
        ------
        FitError
            Fewer than 20 usable repeat customers, or no convergence (message and start).
        """
        require_columns(
            summary,
            ("frequency", "monetary_value"),
            table="summary",
            hint="Build it with rk.clv_summary(transactions, as_of=...).",
        )
        x = summary["frequency"].to_numpy("float64")
        m = summary["monetary_value"].to_numpy("float64")
        repeat = x > 0
        positive = repeat & np.isfinite(m) & (m > 0)
        self.excluded_ = {
            "no repeat purchase (frequency 0)": int((~repeat).sum()),
            "mean repeat spend <= 0 or missing": int((repeat & ~positive).sum()),
        }
        if self.excluded_["mean repeat spend <= 0 or missing"]:
            warnings.warn(
                f"GammaGamma: {self.excluded_['mean repeat spend <= 0 or missing']:,} repeat "
                "customers have a mean spend <= 0 or missing and were left out of the fit.",
                stacklevel=2,
            )
        x, m = x[positive], m[positive]
        n = len(x)
        if n < MIN_CUSTOMERS:
            raise NotEnoughDataError(
                f"summary: {n} repeat customers with positive spend; Gamma-Gamma needs at least "
                f"{MIN_CUSTOMERS}. Use a longer period or more customers."
            )
        self.correlation_ = float(pearsonr(x, m).statistic) if np.ptp(x) > 0 else 0.0
        if abs(self.correlation_) > self.correlation_threshold:
            warnings.warn(
                f"GammaGamma: frequency and mean spend are correlated (Pearson r = "
                f"{self.correlation_:.2f}); the model assumes independence, so expected "
                "spend (and CLV) may be biased.",
                stacklevel=2,
            )
        data = _Spend(x, m)
        mean, var = m.mean(), m.var()
        start = np.log([2.0, 2.0, max(mean, 1e-6)])  # p = q = 2 gives E[M] = 2·γ/1 ≈ 2·mean
        start[2] = np.log(max(mean / 2.0, 1e-6)) if var > 0 else start[2]

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = _value_and_grad(np.exp(theta), data)
            if not np.isfinite(value) or not np.all(np.isfinite(grad)):
                return 1e10, np.zeros(3)
            return -value / n, -grad * np.exp(theta) / n  # chain rule for log-parameters

        result, at_bound = _maximise(objective, start, _NAMES, "Gamma-Gamma", self.max_iter)
        est = np.exp(result.x)
        self.params_ = dict(zip(_NAMES, map(float, est), strict=True))
        self.log_likelihood_ = float(-result.fun * n)
        self.n_customers_ = n

        def gradient(theta: np.ndarray) -> np.ndarray:  # log-parameters (3, ...) -> (3, ...)
            flat = theta.reshape(3, -1)
            out = np.stack(
                [-_value_and_grad(np.exp(t), data)[1] * np.exp(t) for t in flat.T], axis=1
            )
            return out.reshape(theta.shape)

        h = jacobian(gradient, np.log(est), initial_step=0.01, maxiter=2, order=2).df
        se = est * _inverse_diag((h + h.T) / 2)  # delta method
        self.standard_errors_ = {
            k: (np.nan if k in at_bound else float(v)) for k, v in zip(_NAMES, se, strict=True)
        }
        self.at_bound_ = at_bound
        return self

    def summary_table(self) -> pd.DataFrame:
        """Parameters with standard errors and 95% Wald intervals, one row each."""
        self._check_fitted()
        return parameter_table(self.params_, self.standard_errors_, _NAMES)

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise BadParameterError("GammaGamma: not fitted yet; call .fit(summary) first.")

    @property
    def population_mean_(self) -> float:
        """Mean spend per purchase across customers, pγ/(q - 1) (infinite if q <= 1)."""
        self._check_fitted()
        p, q, v = (self.params_[k] for k in _NAMES)
        return p * v / (q - 1) if q > 1 else float("inf")

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Conditional expected spend per purchase (note eq. 5); the population mean if x = 0.

        Examples
        --------
        >>> gg.expected_spend(summary).median()               # doctest: +SKIP
        """
        self._check_fitted()
        require_columns(summary, ("frequency", "monetary_value"), table="summary")
        x = summary["frequency"].to_numpy("float64")
        m = np.nan_to_num(summary["monetary_value"].to_numpy("float64"), nan=0.0)
        m = np.where((x > 0) & (m > 0), m, 0.0)
        x = np.where(m > 0, x, 0.0)
        p, q, v = (self.params_[k] for k in _NAMES)
        value = p * (v + x * m) / (p * x + q - 1)
        return pd.Series(value, index=summary.index, name="expected_spend")
