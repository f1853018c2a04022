"""`train()`: from a table of contacts and a label definition to a model with evidence."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from integration.logs import log_event
from integration.scoring import estimators, explain, leakage, metrics, tiers
from integration.scoring.errors import EmptyData, NotEnoughLabels, NoUsableFeatures, UnknownColumn
from integration.scoring.features import FeatureEncoder, infer_types, parse_dates, text_values
from integration.scoring.labels import LabelDefinition, make_labels
from integration.scoring.settings import ScoringSettings

log = logging.getLogger(__name__)

ARTIFACT_FORMAT = 1
# Below either size the simpler model is used: boosting over-fits a few hundred rows.
SMALL_ROWS = 2_000
SMALL_POSITIVE = 100

Progress = Callable[[str], None]


@dataclass
class TrainingOptions:
    drop: list[str] = field(default_factory=list)
    time_column: str | None = None
    # Rows are already oldest first (no date column to sort by).
    time_ordered: bool = False
    holdout_share: float = 0.2
    folds: int = 5
    # "auto" compares the candidates by cross-validated ROC AUC and keeps the best.
    model: str = "auto"
    leakage_guard: bool = True
    seed: int = 0
    settings: ScoringSettings = field(default_factory=ScoringSettings)
    now: datetime | None = None


@dataclass
class TrainingResult:
    """A trained model and everything the registry and the report need about it."""

    kind: str
    bundle: dict[str, Any]  # what gets serialized: estimator, features, reason tables
    metrics: dict[str, Any]  # {"cv": {...}, "time_holdout": {...} | None, "candidates": ...}
    curves: dict[str, Any]  # per evaluation, points for the plots
    features: list[dict[str, Any]]
    excluded: dict[str, str]  # property -> why it was left out
    training_summary: dict[str, Any]
    # The rows a champion must be measured on to be compared with this model: the
    # time holdout when there is one, else every row (with out-of-fold predictions).
    comparison_frame: pd.DataFrame
    comparison_y: np.ndarray
    comparison_proba: np.ndarray

    @property
    def comparison_metric(self) -> float:
        return metrics.evaluate(self.comparison_y, self.comparison_proba)["roc_auc"]


def train(
    frame: pd.DataFrame,
    label: LabelDefinition,
    options: TrainingOptions | None = None,
    progress: Progress | None = None,
) -> TrainingResult:
    """Train and evaluate a model for `label` on `frame` (one row per contact).

    Raises a `ScoringError` subclass when the data cannot give a model.
    """
    options = options or TrainingOptions()
    say = progress or (lambda _step: None)
    say("reading labels")
    frame, y = _labeled_rows(frame, label, options)
    _check_enough(y, options.settings)
    frame, y = _time_sorted(frame, y, options)
    say("typing features")
    encoder, X, excluded = _features(frame, label, options)
    if options.leakage_guard:
        say("checking for leakage")
        encoder, X = _guard(encoder, X, y, excluded, options)
    kind, run = _choose_model(X, y, encoder.categorical_mask, options, say)
    evaluations, curves = _evaluations(y, run)
    say("fitting the final model")
    estimator = estimators.build(kind, encoder.categorical_mask, options.seed).fit(X, y)
    say("building reason tables")
    bundle = _bundle(kind, estimator, encoder, X, y, run["oof"], label, options)
    # The rows a champion is measured on: the time holdout when there is one, else
    # every row with its out-of-fold prediction.
    rows, proba = run.get("holdout") or (np.arange(len(y)), run["oof"])
    log_event(
        log, "scoring.training.done", kind=kind, rows=len(y), features=len(encoder.specs),
        cv_roc_auc=round(evaluations["cv"]["roc_auc"], 4),
    )
    return TrainingResult(
        kind=kind,
        bundle=bundle,
        metrics={**evaluations, "candidates": run["summary"]},
        curves=curves,
        features=bundle["features"],
        excluded=excluded,
        training_summary=_summary(frame, y, label, options),
        comparison_frame=frame.iloc[rows].reset_index(drop=True),
        comparison_y=y[rows],
        comparison_proba=proba,
    )


def _evaluations(y: np.ndarray, run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    evaluations = {"cv": metrics.evaluate(y, run["oof"])}
    curves = {"cv": metrics.curves(y, run["oof"])}
    if "holdout" in run:
        rows, proba = run["holdout"]
        evaluations["time_holdout"] = metrics.evaluate(y[rows], proba)
        curves["time_holdout"] = metrics.curves(y[rows], proba)
    return evaluations, curves


def _bundle(kind, estimator, encoder, X, y, oof, label, options) -> dict[str, Any]:
    """Everything a scorer needs, in types the safe serializer accepts."""
    return {
        "format": ARTIFACT_FORMAT,
        "kind": kind,
        "estimator": estimator,
        "features": [spec.to_dict() for spec in encoder.specs],
        "reason_tables": explain.build_tables(estimator, X, encoder, options.seed),
        # Out-of-fold scores stand for the scores contacts will really get.
        "tier_cutoffs": list(tiers.quartile_cutoffs(oof)),
        "base_rate": float(y.mean()),
        "label": label.to_dict(),
    }


def _labeled_rows(frame, label, options) -> tuple[pd.DataFrame, np.ndarray]:
    if options.time_column and options.time_column not in frame.columns:
        raise UnknownColumn(f"time column {options.time_column!r} is not in the data")
    y, labeled = make_labels(frame, label)
    return frame.loc[labeled].reset_index(drop=True), y[labeled]


def _check_enough(y: np.ndarray, settings: ScoringSettings) -> None:
    need = settings.cold_start
    if len(y) < need.min_labeled or int(y.sum()) < need.min_positive:
        raise NotEnoughLabels(
            f"{len(y)} labeled contacts with {int(y.sum())} positive; a trained model needs "
            f"at least {need.min_labeled} and {need.min_positive} (the points model scores "
            "until then)"
        )


def _time_sorted(
    frame: pd.DataFrame, y: np.ndarray, options: TrainingOptions
) -> tuple[pd.DataFrame, np.ndarray]:
    if not options.time_column:
        return frame, y
    when = parse_dates(text_values(frame[options.time_column]))
    if when.isna().all():
        raise EmptyData(f"time column {options.time_column!r} holds no readable dates")
    # Rows without a date go first: they can be learned from, but a holdout of
    # "the most recent contacts" must not be made of contacts of unknown age.
    key = np.where(when.isna(), np.iinfo(np.int64).min, when.to_numpy(dtype="int64", na_value=0))
    order = np.argsort(key, kind="stable")
    return frame.iloc[order].reset_index(drop=True), y[order]


def _features(frame, label, options) -> tuple[FeatureEncoder, np.ndarray, dict[str, str]]:
    settings = options.settings
    unknown = [name for name in options.drop if name not in frame.columns]
    if unknown:
        raise UnknownColumn(f"columns to drop are not in the data: {unknown}")
    # The time column orders the rows; as a feature it would only say "recent".
    exclude = {label.property, *options.drop, *settings.drop}
    if options.time_column:
        exclude.add(options.time_column)
    typing = infer_types(
        frame,
        overrides=settings.feature_types,
        missing_values=settings.missing_values,
        exclude=exclude,
    )
    excluded = {name: "dropped on request" for name in sorted(exclude - {label.property})}
    excluded.update(typing.excluded)
    if not typing.specs:
        raise NoUsableFeatures(
            "no property can be used as a feature (all missing, constant, free text or ids)"
        )
    encoder = FeatureEncoder(typing.specs)
    return encoder, encoder.encode(frame, options.now), excluded


def _guard(encoder, X, y, excluded, options) -> tuple[FeatureEncoder, np.ndarray]:
    allowed = set(options.settings.allow_features)
    findings = leakage.find_leaks(X, y, encoder.names, encoder.categorical_mask, seed=options.seed)
    leaks = {f.name: f.reason for f in findings if f.name not in allowed}
    if not leaks:
        return encoder, X
    for name, reason in leaks.items():
        excluded[name] = f"leakage: {reason}"
    log_event(log, "scoring.leakage.excluded", properties=",".join(sorted(leaks)))
    keep = [i for i, name in enumerate(encoder.names) if name not in leaks]
    if not keep:
        raise NoUsableFeatures("every usable property was excluded by the leakage guard")
    return FeatureEncoder([encoder.specs[i] for i in keep]), X[:, keep]


def _choose_model(X, y, categorical, options, say) -> tuple[str, dict[str, Any]]:
    """Pick the model kind that measures best.

    With a time order the choice is made on the time holdout, since scoring is
    always about contacts that come later; otherwise on cross-validation.
    """
    if options.model != "auto":
        kinds = [options.model]
    elif len(y) < SMALL_ROWS or int(y.sum()) < SMALL_POSITIVE:
        kinds = [estimators.LOGISTIC]
    else:
        kinds = [estimators.GRADIENT_BOOSTING, estimators.LOGISTIC]
    runs: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        say(f"cross-validating {kind}")
        oof = cross_validate(kind, X, y, categorical, options)
        run: dict[str, Any] = {"oof": oof, "cv_roc_auc": metrics.evaluate(y, oof)["roc_auc"]}
        if options.time_column or options.time_ordered:
            say(f"time-ordered holdout {kind}")
            holdout = _time_holdout(kind, X, y, categorical, options)
            if holdout is not None:
                run["holdout"] = holdout
                run["holdout_roc_auc"] = metrics.evaluate(y[holdout[0]], holdout[1])["roc_auc"]
        runs[kind] = run
    measure = "holdout_roc_auc" if all("holdout" in r for r in runs.values()) else "cv_roc_auc"
    best = max(runs, key=lambda kind: runs[kind][measure])
    summary = {
        "chosen": best,
        "chosen_by": measure,
        **{
            kind: {k: v for k, v in run.items() if k.endswith("roc_auc")}
            for kind, run in runs.items()
        },
    }
    return best, {**runs[best], "summary": summary}


def cross_validate(kind, X, y, categorical, options) -> np.ndarray:
    """Out-of-fold probabilities from stratified k-fold."""
    n_splits = int(min(options.folds, y.sum(), len(y) - y.sum()))
    folds = StratifiedKFold(n_splits=max(n_splits, 2), shuffle=True, random_state=options.seed)
    template = estimators.build(kind, categorical, options.seed)
    oof = np.empty(len(y))
    for fit, held in folds.split(X, y):
        model = clone(template).fit(X[fit], y[fit])
        oof[held] = model.predict_proba(X[held])[:, 1]
    return oof


def _time_holdout(kind, X, y, categorical, options) -> tuple[np.ndarray, np.ndarray] | None:
    cut = round(len(y) * (1 - options.holdout_share))
    past, future = np.arange(cut), np.arange(cut, len(y))
    if len(np.unique(y[past])) < 2 or len(np.unique(y[future])) < 2:
        return None  # one outcome only on one side: nothing to measure
    model = estimators.build(kind, categorical, options.seed).fit(X[past], y[past])
    return future, model.predict_proba(X[future])[:, 1]


def _summary(frame, y, label, options) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "n_rows": len(y),
        "n_positive": int(y.sum()),
        "positive_rate": float(y.mean()),
        "n_columns": int(frame.shape[1]),
        "label": label.to_dict(),
        "time_column": options.time_column,
        "time_ordered": bool(options.time_ordered or options.time_column),
        "trained_at": datetime.now(UTC).isoformat(),
    }
    if options.time_column:
        when = parse_dates(text_values(frame[options.time_column])).dropna()
        summary["time_range"] = [when.min().isoformat(), when.max().isoformat()]
    return summary
