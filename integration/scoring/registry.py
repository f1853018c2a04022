"""Model versions per installation: store, promote (champion/challenger), roll back.

A new version is always stored. It becomes the champion only when it measures
better than the current champion on the same rows: the challenger's own holdout,
on which the champion is scored afresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integration.logs import log_event
from integration.models import AuditLog, ModelVersion, utcnow
from integration.scoring import artifacts, metrics
from integration.scoring.errors import ScoringError
from integration.scoring.scorer import ModelScorer, PointsScorer, Scorer
from integration.scoring.settings import ScoringSettings, as_settings
from integration.scoring.training import TrainingResult

log = logging.getLogger(__name__)

CANDIDATE, CHAMPION, RETIRED = "candidate", "champion", "retired"
# Scorers are kept between calls so their lookup memos stay warm across batches.
SCORER_CACHE_SIZE = 32
_scorers: dict[tuple[str, int, str], ModelScorer] = {}
_scorers_lock = threading.Lock()


class VersionNotFound(ScoringError):
    reason = "version-not-found"


def register(
    session: Session,
    installation_id: int | None,
    result: TrainingResult,
    *,
    min_gain: float = 0.0,
    actor: str = "system",
) -> ModelVersion:
    """Store `result` as the next version; promote it if it beats the champion."""
    payload = artifacts.dumps(result.bundle)
    row = ModelVersion(
        installation_id=installation_id,
        version=_next_version(session, installation_id),
        kind=result.kind,
        status=CANDIDATE,
        features={"used": result.features, "excluded": result.excluded},
        training_summary=result.training_summary,
        artifact=payload,
        artifact_sha256=artifacts.sha256(payload),
    )
    decision = _decide(session, installation_id, result, min_gain)
    row.metrics = {**_json_metrics(result.metrics), "promotion": decision}
    session.add(row)
    session.flush()
    if decision["promoted"]:
        promote(session, row)
        _audit(session, row, actor, "model.promoted", decision["why"])
    log_event(
        log, "scoring.model.registered", installation=installation_id, version=row.version,
        promoted=decision["promoted"],
    )
    return row


def _decide(session, installation_id, result: TrainingResult, min_gain: float) -> dict[str, Any]:
    challenger = result.comparison_metric
    current = champion(session, installation_id)
    if current is None:
        return {"promoted": True, "why": "no champion yet", "challenger_roc_auc": challenger}
    try:
        scorer = ModelScorer(load_bundle(current), version=f"v{current.version}")
        proba = scorer.predict_proba(result.comparison_frame)
        incumbent = metrics.evaluate(result.comparison_y, proba)["roc_auc"]
    except ScoringError as exc:
        # A champion that cannot be loaded or cannot score these rows cannot defend.
        return {"promoted": True, "why": f"champion v{current.version} unusable: {exc}",
                "challenger_roc_auc": challenger}
    promoted = bool(np.isfinite(challenger) and challenger > incumbent + min_gain)
    comparison = "beats" if promoted else "does not beat"
    return {
        "promoted": promoted,
        "why": f"challenger {comparison} champion v{current.version} on the same holdout",
        "challenger_roc_auc": challenger,
        "champion_roc_auc": incumbent,
        "champion_version": current.version,
        "holdout_rows": len(result.comparison_y),
    }


def promote(session: Session, row: ModelVersion) -> None:
    """Make `row` the champion of its installation; the previous one retires."""
    for other in session.scalars(_of(row.installation_id).where(ModelVersion.status == CHAMPION)):
        if other.id != row.id:
            other.status = RETIRED
    row.status = CHAMPION
    row.promoted_at = utcnow()
    session.flush()


def rollback(
    session: Session, installation_id: int | None, version: int, *, actor: str = "cli"
) -> ModelVersion:
    """Make an earlier version the champion again, after checking its artifact loads."""
    row = session.scalar(_of(installation_id).where(ModelVersion.version == version))
    if row is None:
        raise VersionNotFound(f"installation {installation_id} has no model version {version}")
    load_bundle(row)
    promote(session, row)
    _audit(session, row, actor, "model.rolled-back", "rollback on request")
    log_event(log, "scoring.model.rolled-back", installation=installation_id, version=version)
    return row


def _audit(session: Session, row: ModelVersion, actor: str, action: str, why: str) -> None:
    session.add(
        AuditLog(
            installation_id=row.installation_id,
            actor=actor,
            action=action,
            detail={"version": row.version, "model_version_id": row.id, "why": why},
        )
    )


def champion(session: Session, installation_id: int | None) -> ModelVersion | None:
    return session.scalar(_of(installation_id).where(ModelVersion.status == CHAMPION))


def list_versions(session: Session, installation_id: int | None) -> list[ModelVersion]:
    return list(session.scalars(_of(installation_id).order_by(ModelVersion.version)))


def load_bundle(row: ModelVersion) -> dict[str, Any]:
    if row.artifact is None:
        raise artifacts.ArtifactError(f"model version {row.version} has no artifact")
    return artifacts.loads(row.artifact, row.artifact_sha256)


def load_scorer(
    session: Session,
    installation_id: int | None,
    settings: ScoringSettings | Mapping[str, Any] | None = None,
) -> Scorer:
    """The champion's scorer, or the points model while the installation is in cold
    start (no champion, or one trained on fewer labels than the settings ask for)."""
    settings = as_settings(settings)
    row = champion(session, installation_id)
    if row is None or not _enough(row, settings):
        return PointsScorer(settings)
    bundle = load_bundle(row)  # checks the hash on every call, cached or not
    key = (row.artifact_sha256 or "", row.version, repr(settings))
    with _scorers_lock:
        scorer = _scorers.get(key)
        if scorer is None:
            scorer = _scorers[key] = ModelScorer(bundle, settings, version=f"v{row.version}")
            while len(_scorers) > SCORER_CACHE_SIZE:
                _scorers.pop(next(iter(_scorers)))
    return scorer


def _enough(row: ModelVersion, settings: ScoringSettings) -> bool:
    summary = row.training_summary or {}
    need = settings.cold_start
    return (
        int(summary.get("n_rows", 0)) >= need.min_labeled
        and int(summary.get("n_positive", 0)) >= need.min_positive
    )


def describe(row: ModelVersion) -> dict[str, Any]:
    cv = (row.metrics or {}).get("cv") or {}
    holdout = (row.metrics or {}).get("time_holdout") or {}
    return {
        "version": row.version,
        "kind": row.kind,
        "status": row.status,
        "cv_roc_auc": _round(cv.get("roc_auc")),
        "holdout_roc_auc": _round(holdout.get("roc_auc")),
        "n_rows": (row.training_summary or {}).get("n_rows"),
        "created_at": row.created_at,
        "promoted_at": row.promoted_at,
        "promotion": (row.metrics or {}).get("promotion", {}).get("why"),
    }


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def _of(installation_id: int | None):
    query = select(ModelVersion)
    if installation_id is None:
        return query.where(ModelVersion.installation_id.is_(None))
    return query.where(ModelVersion.installation_id == installation_id)


def _next_version(session: Session, installation_id: int | None) -> int:
    where = (
        ModelVersion.installation_id.is_(None)
        if installation_id is None
        else ModelVersion.installation_id == installation_id
    )
    latest = session.scalar(select(func.max(ModelVersion.version)).where(where))
    return int(latest or 0) + 1


def _json_metrics(data: Any) -> Any:
    """Metrics as plain JSON types (numpy floats would not serialise)."""
    if isinstance(data, Mapping):
        return {str(k): _json_metrics(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_json_metrics(v) for v in data]
    if isinstance(data, np.generic):
        return data.item()
    return data
