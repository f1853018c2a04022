"""An installation's scoring configuration, read from `Installation.settings`.

Everything has a default, so an empty mapping is a valid configuration. Keys are
read from `settings["scoring"]` when that exists, otherwise from the mapping itself
(the CLI's `--settings FILE` holds just the scoring part).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from integration.scoring.errors import BadSettings
from integration.scoring.labels import LabelDefinition

DEFAULT_MIN_LABELED = 200
DEFAULT_MIN_POSITIVE = 20


@dataclass
class ColdStart:
    """When the points model scores instead of a trained one, and with which rules."""

    min_labeled: int = DEFAULT_MIN_LABELED
    min_positive: int = DEFAULT_MIN_POSITIVE
    rules: list[dict[str, Any]] | None = None  # None: the shipped points rules
    tier_cutoffs: tuple[float, float, float] | None = None


@dataclass
class ScoringSettings:
    label: LabelDefinition | None = None
    feature_types: dict[str, str] = field(default_factory=dict)
    missing_values: dict[str, list[str]] = field(default_factory=dict)
    drop: list[str] = field(default_factory=list)
    # Properties the admin vouches for: the leakage guard leaves them in.
    allow_features: list[str] = field(default_factory=list)
    reason_templates: dict[str, Any] = field(default_factory=dict)
    # Lowest score of tiers A, B and C; None means the quartiles of training scores.
    tier_cutoffs: tuple[float, float, float] | None = None
    actions: list[dict[str, Any]] | None = None  # None: the defaults for the label's goal
    cold_start: ColdStart = field(default_factory=ColdStart)
    # A challenger must beat the champion's ROC AUC by more than this to replace it.
    min_gain: float = 0.0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> ScoringSettings:
        data = dict(data or {})
        data = dict(data.get("scoring", data))
        try:
            cold = dict(data.get("cold_start") or {})
            return cls(
                label=LabelDefinition.from_mapping(data["label"]) if data.get("label") else None,
                feature_types={
                    str(k): str(v) for k, v in (data.get("feature_types") or {}).items()
                },
                missing_values={
                    str(k): [str(v) for v in values]
                    for k, values in (data.get("missing_values") or {}).items()
                },
                drop=[str(v) for v in data.get("drop") or []],
                allow_features=[str(v) for v in data.get("allow_features") or []],
                reason_templates=dict(data.get("reason_templates") or {}),
                tier_cutoffs=_cutoffs(data.get("tier_cutoffs")),
                actions=list(data["actions"]) if data.get("actions") else None,
                cold_start=ColdStart(
                    min_labeled=int(cold.get("min_labeled", DEFAULT_MIN_LABELED)),
                    min_positive=int(cold.get("min_positive", DEFAULT_MIN_POSITIVE)),
                    rules=list(cold["rules"]) if cold.get("rules") else None,
                    tier_cutoffs=_cutoffs(cold.get("tier_cutoffs")),
                ),
                min_gain=float(data.get("min_gain", 0.0)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise BadSettings(f"scoring settings are not valid: {exc}") from exc


def _cutoffs(value: Any) -> tuple[float, float, float] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = [value["A"], value["B"], value["C"]]
    a, b, c = (float(v) for v in value)
    if not a >= b >= c:
        raise BadSettings(f"tier cut-offs must go down from A to C, got {[a, b, c]}")
    return (a, b, c)


def as_settings(settings: ScoringSettings | Mapping[str, Any] | None) -> ScoringSettings:
    if isinstance(settings, ScoringSettings):
        return settings
    return ScoringSettings.from_mapping(settings)
