"""How good a model is: ranking, calibration and lift, from labels and probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve

ECE_BINS = 10
CURVE_POINTS = 101


def evaluate(y: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """The headline figures of one evaluation, JSON-ready."""
    y = np.asarray(y, dtype=int)
    proba = np.asarray(proba, dtype=float)
    return {
        "roc_auc": float(roc_auc_score(y, proba)),
        "pr_auc": float(average_precision_score(y, proba)),
        "brier": float(brier_score_loss(y, proba)),
        "ece": expected_calibration_error(y, proba),
        "lift_top_decile": lift_at(y, proba, 0.1),
        "n_rows": len(y),
        "n_positive": int(y.sum()),
        "base_rate": float(y.mean()),
    }


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = ECE_BINS) -> float:
    """Mean gap between predicted and observed rates over equal-width probability bins,
    weighted by how many contacts fall in each bin."""
    index = np.minimum((proba * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            total += members.sum() * abs(proba[members].mean() - y[members].mean())
    return float(total / len(y))


def lift_at(y: np.ndarray, proba: np.ndarray, share: float) -> float:
    """Positive rate among the top `share` of contacts, over the overall rate."""
    n_top = max(round(len(y) * share), 1)
    # A stable sort keeps ties in input order, so the figure is reproducible.
    top = np.argsort(-proba, kind="stable")[:n_top]
    return float(y[top].mean() / y.mean())


def curves(y: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """Points for the ROC, cumulative-lift and calibration plots."""
    fpr, tpr, _ = roc_curve(y, proba)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), 400)).astype(int))
    order = np.argsort(-proba, kind="stable")
    hits = np.cumsum(y[order])
    shares = np.linspace(0.01, 1.0, 100)
    counts = np.maximum((shares * len(y)).astype(int), 1)
    lift = (hits[counts - 1] / counts) / y.mean()
    edges = np.quantile(proba, np.linspace(0, 1, ECE_BINS + 1))
    index = np.clip(np.searchsorted(edges, proba, side="right") - 1, 0, ECE_BINS - 1)
    predicted, observed = [], []
    for b in range(ECE_BINS):
        members = index == b
        if members.any():
            predicted.append(float(proba[members].mean()))
            observed.append(float(y[members].mean()))
    return {
        "roc": {"fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist()},
        "lift": {"share": shares.tolist(), "lift": lift.tolist()},
        "calibration": {"predicted": predicted, "observed": observed},
    }
