"""The scikit-learn pipelines the engine can train.

Gradient boosting ranks best on stable data; the spline logistic model is the
fallback for small data and, because it extrapolates smoothly, often the better
bet when the world drifts (the time holdout decides). Both read the float matrix
made by `FeatureEncoder` (categorical values as codes, missing as NaN), so either
can serve behind the same scorer.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

GRADIENT_BOOSTING = "gradient_boosting"
LOGISTIC = "logistic"
KINDS = (GRADIENT_BOOSTING, LOGISTIC)


def build(kind: str, categorical: np.ndarray, seed: int = 0) -> Pipeline:
    if kind == GRADIENT_BOOSTING:
        return _gradient_boosting(categorical, seed)
    if kind == LOGISTIC:
        return _logistic(categorical)
    raise ValueError(f"unknown model kind {kind!r}")


def _gradient_boosting(categorical: np.ndarray, seed: int) -> Pipeline:
    # A slow learning rate with early stopping on an inner split: the number of
    # trees adapts to each CRM's size instead of being tuned per customer.
    model = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=400,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=categorical if categorical.any() else None,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=30,
        random_state=seed,
    )
    return Pipeline([("model", model)])


def _logistic(categorical: np.ndarray) -> Pipeline:
    numeric_columns = np.flatnonzero(~categorical).tolist()
    categorical_columns = np.flatnonzero(categorical).tolist()
    parts = []
    if numeric_columns:
        numeric = Pipeline(
            [
                # The indicator lets "missing" carry its own signal.
                (
                    "impute",
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                ),
                ("scale", StandardScaler()),
                # Splines let a linear model bend (age, recency) without the trees'
                # habit of flattening out beyond the values seen in training.
                ("spline", SplineTransformer(n_knots=5, degree=3, extrapolation="constant")),
            ]
        )
        parts.append(("numeric", numeric, numeric_columns))
    if categorical_columns:
        codes = Pipeline(
            [
                (
                    "impute",
                    SimpleImputer(strategy="constant", fill_value=-1.0, keep_empty_features=True),
                ),
                ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ]
        )
        parts.append(("categorical", codes, categorical_columns))
    return Pipeline(
        [
            ("columns", ColumnTransformer(parts)),
            ("model", LogisticRegression(C=0.5, max_iter=2000)),
        ]
    )
