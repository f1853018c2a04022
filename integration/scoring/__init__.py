"""The scoring engine: a model per installation, trained on its own CRM history.

The API the pipeline calls
--------------------------

Training, from contacts pulled from the CRM (one row per contact, one column per
property, values as the CRM returns them, strings are fine)::

    result = train(frame, label, TrainingOptions(time_column="createdate", settings=s))
    # -> TrainingResult: kind, metrics {"cv", "time_holdout"?}, features, excluded
    #    (property -> why), training_summary, and the bundle to store.

`label` is a `LabelDefinition(property, positive, goal)`; `LEAD_CONVERSION` and
`CHURN` are shipped defaults. `train` raises a `ScoringError` subclass on bad
input: `EmptyData`, `UnknownColumn`, `SingleClass`, `NoUsableFeatures`, and
`NotEnoughLabels` while the installation is still in cold start.

Registering, with the champion/challenger decision made inside::

    row = registry.register(session, installation_id, result, min_gain=s.min_gain)
    # -> ModelVersion; row.status is "champion" when it beat the champion on the
    #    challenger's holdout (row.metrics["promotion"] says why), else "candidate".
    registry.rollback(session, installation_id, 3)  # -> ModelVersion, now champion
    registry.list_versions(session, installation_id)

Scoring, ~100 contacts per call::

    scorer = load_scorer(session, installation_id, installation.settings)
    scores = scorer.score(rows)  # rows: list[dict[str, str | None]]
    # -> list[ContactScore(probability, score, tier, reasons, action,
    #                      model_version, rule_based)]

`load_scorer` returns the champion model, or the cold-start `PointsScorer` while
there is no champion trained on enough labels; its scores say `rule_based=True`.
`Scorer.score_frame(frame)` is the columnar form for bulk scoring. Loaded models
are cached by their verified sha256, so calling `load_scorer` per batch is cheap.

Files (the CLI's --save/--model): `artifacts.save_file(path, result.bundle)` and
`artifacts.load_file(path) -> (bundle, sha256)`, then `ModelScorer(bundle, settings)`.
Artifacts are skops archives restricted to an allow list of types; the sha256 is
checked before anything is unpacked.

Configuration comes from `Installation.settings["scoring"]` (see
`settings.ScoringSettings`): label, feature_types, missing_values, drop,
allow_features, reason_templates, tier_cutoffs, actions, cold_start, min_gain.
"""

from integration.scoring import artifacts, registry
from integration.scoring.errors import (
    ArtifactError,
    BadSettings,
    EmptyData,
    NotEnoughLabels,
    NoUsableFeatures,
    ScoringError,
    SingleClass,
    UnknownColumn,
)
from integration.scoring.labels import CHURN, LEAD_CONVERSION, LabelDefinition
from integration.scoring.registry import load_scorer
from integration.scoring.scorer import ContactScore, ModelScorer, PointsScorer, Scorer
from integration.scoring.settings import ScoringSettings
from integration.scoring.training import TrainingOptions, TrainingResult, train

__all__ = [
    "CHURN",
    "LEAD_CONVERSION",
    "ArtifactError",
    "BadSettings",
    "ContactScore",
    "EmptyData",
    "LabelDefinition",
    "ModelScorer",
    "NoUsableFeatures",
    "NotEnoughLabels",
    "PointsScorer",
    "Scorer",
    "ScoringError",
    "ScoringSettings",
    "SingleClass",
    "TrainingOptions",
    "TrainingResult",
    "UnknownColumn",
    "artifacts",
    "load_scorer",
    "registry",
    "train",
]
