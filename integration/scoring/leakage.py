"""The leakage guard: properties that give the answer away are found and left out.

Three signs, checked in order, none of which depends on a property's name:

1. it is filled in almost only for one outcome (written after the fact, like a
   "closed won date");
2. it predicts the label almost perfectly on its own;
3. on its own it ranks contacts as well as all the other properties together.
   An honest CRM property carries part of the signal; one that carries more than
   everything else combined is usually recorded during or after the outcome
   (a call's length, say, which is only known once the call has happened).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from integration.scoring import estimators

NEAR_PERFECT_AUC = 0.95
FILL_GAP = 0.8
# Below this a single property is not strong enough to be worth the dominance check.
DOMINANCE_FLOOR = 0.7
DOMINANCE_ROUNDS = 3
# How much better than the rest a single property must rank to be called dominant;
# a little slack keeps sampling noise from flagging honest strong properties.
DOMINANCE_MARGIN = 0.01
SAMPLE_ROWS = 20_000
QUANTILE_BINS = 20
SMOOTHING = 20.0


@dataclass
class LeakageFinding:
    name: str
    reason: str
    single_auc: float


def find_leaks(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str],
    categorical: np.ndarray,
    *,
    seed: int = 0,
) -> list[LeakageFinding]:
    """Columns of `X` to exclude, each with a plain-words reason."""
    X, y = _sample(X, y, seed)
    findings: list[LeakageFinding] = []
    single = {
        i: single_feature_auc(X[:, i], y, bool(categorical[i]), seed) for i in range(len(names))
    }
    flagged: set[int] = set()
    for i, auc in single.items():
        gap = _fill_gap(X[:, i], y)
        # The fill-rate sign is the more telling explanation, so it is named first.
        if gap >= FILL_GAP:
            reason = (
                f"filled in almost only for one outcome (fill rates differ by {gap:.0%}), "
                "so it is probably written after the outcome"
            )
        elif auc >= NEAR_PERFECT_AUC:
            reason = f"predicts the label almost perfectly on its own (ROC AUC {auc:.2f})"
        else:
            continue
        flagged.add(i)
        findings.append(LeakageFinding(names[i], reason, auc))
    findings.extend(_dominant(X, y, names, categorical, single, flagged, seed))
    return findings


def _dominant(X, y, names, categorical, single, flagged, seed) -> list[LeakageFinding]:
    findings = []
    for _ in range(DOMINANCE_ROUNDS):
        remaining = [i for i in single if i not in flagged]
        if len(remaining) < 2:
            break
        top = max(remaining, key=lambda i: single[i])
        if single[top] < DOMINANCE_FLOOR:
            break
        rest = [i for i in remaining if i != top]
        rest_auc = model_auc(X[:, rest], y, categorical[rest], seed)
        if single[top] < rest_auc + DOMINANCE_MARGIN:
            break
        flagged.add(top)
        findings.append(
            LeakageFinding(
                names[top],
                f"on its own it ranks contacts as well as all other properties together "
                f"(ROC AUC {single[top]:.2f} alone vs {rest_auc:.2f} for the rest), "
                "which suggests it is recorded during or after the outcome",
                single[top],
            )
        )
    return findings


def single_feature_auc(x: np.ndarray, y: np.ndarray, categorical: bool, seed: int = 0) -> float:
    """Out-of-fold ROC AUC of the positive rate per value (or per quantile bin)."""
    bins = _bins(x, categorical)
    oof = np.empty(len(y))
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    for fit, held in folds.split(bins, y):
        prior = y[fit].mean()
        n_bins = int(bins.max()) + 1
        hits = np.bincount(bins[fit], weights=y[fit], minlength=n_bins)
        counts = np.bincount(bins[fit], minlength=n_bins)
        # Smoothing pulls rare values towards the overall rate instead of 0 or 1.
        rate = (hits + SMOOTHING * prior) / (counts + SMOOTHING)
        oof[held] = rate[bins[held]]
    auc = roc_auc_score(y, oof)
    return float(max(auc, 1.0 - auc))


def _bins(x: np.ndarray, categorical: bool) -> np.ndarray:
    missing = np.isnan(x)
    out = np.zeros(len(x), dtype=np.int64)
    if categorical:
        out[~missing] = x[~missing].astype(np.int64) + 1
        return out
    if (~missing).any():
        edges = np.unique(np.quantile(x[~missing], np.linspace(0, 1, QUANTILE_BINS + 1)[1:-1]))
        out[~missing] = np.searchsorted(edges, x[~missing], side="right") + 1
    return out


def _fill_gap(x: np.ndarray, y: np.ndarray) -> float:
    filled = ~np.isnan(x)
    return float(abs(filled[y == 1].mean() - filled[y == 0].mean()))


def model_auc(X: np.ndarray, y: np.ndarray, categorical: np.ndarray, seed: int = 0) -> float:
    """Out-of-fold ROC AUC of a quick gradient-boosting model on the given columns."""
    oof = np.empty(len(y))
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    for fit, held in folds.split(X, y):
        # The engine's own regularised boosting: a quick, over-fitting model would
        # understate "the rest" on small data and flag honest strong properties.
        model = estimators.build(estimators.GRADIENT_BOOSTING, categorical, seed)
        model.fit(X[fit], y[fit])
        oof[held] = model.predict_proba(X[held])[:, 1]
    return float(roc_auc_score(y, oof))


def _sample(X: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if len(y) <= SAMPLE_ROWS:
        return X, y
    rows = np.random.default_rng(seed).choice(len(y), SAMPLE_ROWS, replace=False)
    return X[rows], y[rows]
