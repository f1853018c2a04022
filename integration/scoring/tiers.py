"""Scores 0-100 and tiers A-D."""

from __future__ import annotations

import numpy as np

TIERS = np.array(["A", "B", "C", "D"])


def to_scores(probability: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(probability * 100.0), 0, 100).astype(int)


def quartile_cutoffs(training_probability: np.ndarray) -> tuple[float, float, float]:
    """Lowest score of A, B and C: the upper, middle and lower quartile of training
    scores, so that each tier held about a quarter of the training contacts."""
    q75, q50, q25 = np.quantile(training_probability * 100.0, [0.75, 0.5, 0.25])
    return (float(q75), float(q50), float(q25))


def assign_tiers(probability: np.ndarray, cutoffs: tuple[float, float, float]) -> np.ndarray:
    # Compared on the unrounded score, so that quartiles of a skewed score
    # distribution (many contacts at 2 or 3) do not collapse into one tier.
    raw = probability * 100.0
    a, b, c = cutoffs
    index = np.where(raw >= a, 0, np.where(raw >= b, 1, np.where(raw >= c, 2, 3)))
    return TIERS[index]
