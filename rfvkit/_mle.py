"""Maximum-likelihood machinery shared by the BG/NBD and Gamma-Gamma models.

Both models are fitted on the logarithms of their parameters with L-BFGS-B
(:func:`scipy.optimize.minimize`) and an analytic gradient; standard errors come from the
inverse Hessian (the numerical Jacobian of that gradient, :func:`scipy.differentiate.jacobian`)
by the delta method.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from rfvkit.errors import NotApplicableError, RfvkitError

__all__ = ["FitError", "MIN_CUSTOMERS"]

#: Fewer customers than this give no meaningful fit (four parameters, heavy tails).
MIN_CUSTOMERS = 20


class FitError(RfvkitError):
    """A model could not be fitted: too little data, or the optimiser did not converge."""


class NotEnoughDataError(FitError, NotApplicableError):
    """Too few customers (or no repeat purchases) to fit the model at all."""


#: Log-parameters may move this far from their start (a factor of e^12, about 160,000).
_SPAN = 12.0


def _maximise(objective, start: np.ndarray, names, model: str, max_iter: int):
    """Minimise ``objective`` (value, gradient) over log-parameters within ``start ± _SPAN``.

    L-BFGS-B (:func:`scipy.optimize.minimize`) with the analytic gradient. A parameter
    that ends on a bound means the likelihood keeps rising towards a limiting case (for
    BG/NBD, a and b -> inf: every customer drops out with the same probability); it is
    kept there with a warning. Raises :class:`FitError` with the optimiser's message and
    the starting point when it does not converge.
    """
    bounds = [(s - _SPAN, s + _SPAN) for s in start]
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-8},
    )
    for _ in range(3):  # line searches can stall on a flat ridge: restart from where it stopped
        if _converged(result) or not np.all(np.isfinite(result.x)):
            break
        again = minimize(
            objective,
            result.x,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-8},
        )
        stalled = abs(again.fun - result.fun) <= 1e-12 * max(1.0, abs(result.fun))
        result = again
        if stalled and float(np.max(np.abs(result.jac))) < 1e-4:
            result.success = True  # no further progress and a near-zero gradient: optimum
            break
    if not _converged(result) or not np.all(np.isfinite(result.x)):
        start_txt = ", ".join(f"{k}={v:.4g}" for k, v in zip(names, np.exp(start), strict=True))
        raise FitError(
            f"{model} fit did not converge: {result.message} (start {start_txt}; last "
            f"{', '.join(f'{v:.4g}' for v in np.exp(result.x))}). Check the summary units "
            "(e.g. unit='W'), or use more customers or a longer period."
        )
    lo, hi = np.array(bounds).T
    at_bound = tuple(
        k
        for k, x, low, high in zip(names, result.x, lo, hi, strict=True)
        if min(x - low, high - x) < 1e-6
    )
    if at_bound:
        warnings.warn(
            f"{model}: {', '.join(at_bound)} reached the edge of the search range "
            f"({', '.join(f'{k}={np.exp(x):.4g}' for k, x in zip(names, result.x, strict=True))}): "
            "the data point to a limiting case of the model (for BG/NBD, a and b very large "
            "means every customer drops out with the same probability a/(a+b)). Predictions "
            "remain usable; standard errors of those parameters are not given.",
            stacklevel=3,
        )
    return result, at_bound


def _converged(result) -> bool:
    """Success, or BFGS's "precision loss" stop with a vanishing gradient (at the optimum)."""
    if result.success:
        return True
    jac = getattr(result, "jac", None)
    return jac is not None and float(np.max(np.abs(jac))) < 1e-5


def _weighted_sums(w: np.ndarray, columns: list[np.ndarray]) -> np.ndarray:
    """Σ w·c for each column, without BLAS (whose threads stall on a busy machine)."""
    return np.array([np.add.reduce(w * c) for c in columns])


def _inverse_diag(h: np.ndarray) -> np.ndarray:
    """Square roots of the diagonal of ``inv(h)``; NaN where it is not positive definite."""
    try:
        diag = np.diag(np.linalg.inv(h))
    except np.linalg.LinAlgError:
        return np.full(len(h), np.nan)
    return np.sqrt(np.where(diag > 0, diag, np.nan))


def parameter_table(params: dict, errors: dict, names: tuple[str, ...]) -> pd.DataFrame:
    """Estimates with standard errors and 95% Wald intervals (normal quantile from scipy)."""
    from scipy.stats import norm

    z = float(norm.ppf(0.975))
    frame = pd.DataFrame(
        {
            "parameter": list(names),
            "estimate": [params[k] for k in names],
            "standard_error": [errors[k] for k in names],
        }
    )
    frame["lower_95"] = frame["estimate"] - z * frame["standard_error"]
    frame["upper_95"] = frame["estimate"] + z * frame["standard_error"]
    return frame


# Where users import FitError from: reprs, tracebacks and pickles name that module.
FitError.__module__ = "rfvkit.bgnbd"
