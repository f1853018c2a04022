"""Scorers: a trained model or the cold-start points model, behind one interface."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from integration.scoring import actions, explain, points, tiers
from integration.scoring.features import FeatureEncoder, FeatureSpec
from integration.scoring.labels import LabelDefinition
from integration.scoring.settings import ScoringSettings, as_settings

OUTPUT_COLUMNS = ["probability", "score", "tier", "reasons", "action"]
# Below this many rows the model predicts on one thread: starting OpenMP threads
# for a 100-contact batch costs more than the prediction, and several workers on
# one machine would fight over the cores (5x slower measured under load).
SINGLE_THREAD_ROWS = 5_000


@dataclass(frozen=True)
class ContactScore:
    probability: float
    score: int  # 0-100
    tier: str  # A (best) to D
    reasons: list[str]
    action: str
    model_version: str
    rule_based: bool  # True when the cold-start points model gave this score


class Scorer(ABC):
    """Scores contacts given as CRM properties (strings, as the CRM returns them)."""

    version: str
    rule_based: bool

    def score(self, rows: Sequence[dict[str, str | None]]) -> list[ContactScore]:
        """One `ContactScore` per row, in order. Unknown properties are ignored and
        absent ones count as missing."""
        if not rows:
            return []
        table = self.score_frame(pd.DataFrame.from_records(list(rows)))
        return [
            ContactScore(
                probability=float(p),
                score=int(s),
                tier=str(t),
                reasons=list(r),
                action=str(a),
                model_version=self.version,
                rule_based=self.rule_based,
            )
            for p, s, t, r, a in zip(
                table["probability"],
                table["score"],
                table["tier"],
                table["reasons"],
                table["action"],
                strict=True,
            )
        ]

    @abstractmethod
    def score_frame(self, frame: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame:
        """Columnar scoring for bulk work: a frame with OUTPUT_COLUMNS, same row order."""


class ModelScorer(Scorer):
    rule_based = False

    def __init__(self, bundle: dict[str, Any], settings: Any = None, version: str = "") -> None:
        self.settings: ScoringSettings = as_settings(settings)
        self.bundle = bundle
        self.version = version
        self.kind = str(bundle["kind"])
        self.estimator = bundle["estimator"]
        self.encoder = FeatureEncoder([FeatureSpec.from_dict(s) for s in bundle["features"]])
        self.tables = bundle["reason_tables"]
        self.base_rate = float(bundle["base_rate"])
        self.label = LabelDefinition.from_mapping(bundle["label"])
        cutoffs = self.settings.tier_cutoffs or tuple(bundle["tier_cutoffs"])
        self.cutoffs: tuple[float, float, float] = cutoffs  # type: ignore[assignment]
        self.rules = actions.rules_for(self.label.goal, self.settings.actions)
        self.writer = explain.ReasonWriter(self.encoder, self.settings.reason_templates)

    def predict_proba(self, frame: pd.DataFrame, now: datetime | None = None) -> np.ndarray:
        return self._predict(self.encoder.encode(frame, now))

    def _predict(self, X: np.ndarray) -> np.ndarray:
        if len(X) >= SINGLE_THREAD_ROWS:
            return self.estimator.predict_proba(X)[:, 1]
        # Process-wide while it lasts; workers run one task per process (prefork).
        with threadpool_limits(limits=1, user_api="openmp"):
            return self.estimator.predict_proba(X)[:, 1]

    def score_frame(self, frame: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame:
        X = self.encoder.encode(frame, now)
        probability = self._predict(X)
        score = tiers.to_scores(probability)
        tier = tiers.assign_tiers(probability, self.cutoffs)
        contrib = explain.contributions(X, self.tables, self.encoder)
        top, keep = explain.top_reasons(contrib, probability >= self.base_rate)
        return pd.DataFrame(
            {
                "probability": probability,
                "score": score,
                "tier": tier,
                "reasons": self.writer.write(X, top, keep),
                "action": actions.choose_actions(self.rules, tier, score, frame),
            }
        )


class PointsScorer(Scorer):
    """The cold-start scorer: configurable points, no training needed."""

    rule_based = True

    def __init__(self, settings: Any = None) -> None:
        self.settings = as_settings(settings)
        cold = self.settings.cold_start
        self.rules = points.validate_rules(cold.rules or points.DEFAULT_RULES)
        self.version = points.rules_version(self.rules)
        self.cutoffs = cold.tier_cutoffs or points.DEFAULT_TIER_CUTOFFS
        goal = self.settings.label.goal if self.settings.label else "conversion"
        self.action_rules = actions.rules_for(goal, self.settings.actions)

    def score_frame(self, frame: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame:
        total, fired = points.evaluate_rules(self.rules, frame, now)
        score = np.clip(total, 0, 100).astype(int)
        # Not a probability in the statistical sense; kept on the same 0-1 scale so
        # that consumers need no special case. `rule_based` says so.
        probability = score / 100.0
        tier = tiers.assign_tiers(probability, self.cutoffs)
        return pd.DataFrame(
            {
                "probability": probability,
                "score": score,
                "tier": tier,
                "reasons": self._reasons(frame, fired),
                "action": actions.choose_actions(self.action_rules, tier, score, frame),
            }
        )

    def _reasons(self, frame: pd.DataFrame, fired: np.ndarray) -> list[list[str]]:
        weight = np.array([abs(float(rule["points"])) for rule in self.rules])
        order = np.argsort(-weight, kind="stable")
        out = []
        for row in range(len(frame)):
            reasons = []
            for index in order[: fired.shape[1]]:
                if fired[row, index] and len(reasons) < explain.TOP_REASONS:
                    reasons.append(self._text(self.rules[index], frame, row))
            out.append(reasons)
        return out

    @staticmethod
    def _text(rule: dict[str, Any], frame: pd.DataFrame, row: int) -> str:
        value = frame[rule["property"]].iloc[row]
        text = rule.get("reason") or f"{rule['property']} {rule.get('op', 'present')}"
        # A template with other placeholders is shown as written.
        with contextlib.suppress(KeyError, IndexError, ValueError):
            text = str(text).format(value=value)
        sign = "+" if float(rule["points"]) >= 0 else ""
        return f"{text} ({sign}{float(rule['points']):g} points)"
