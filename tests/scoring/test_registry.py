import pytest
import skops.io as sio

from integration.db import db
from integration.models import AuditLog, ModelVersion
from integration.scoring import (
    LEAD_CONVERSION,
    ArtifactError,
    ModelScorer,
    PointsScorer,
    TrainingOptions,
    artifacts,
    load_scorer,
    registry,
    train,
)
from integration.scoring.registry import VersionNotFound

from .conftest import make_contacts

STRONG = ["num_contacted", "hs_analytics_source", "opted_in"]


def fit(drop=(), seed=6):
    options = TrainingOptions(model="logistic", folds=3, leakage_guard=False, drop=list(drop))
    return train(make_contacts(800, seed=seed), LEAD_CONVERSION, options)


@pytest.fixture(scope="module")
def strong():
    return fit()


@pytest.fixture(scope="module")
def weak():
    return fit(drop=STRONG)


def statuses(installation_id):
    with db.transaction() as session:
        return {row.version: row.status for row in registry.list_versions(session, installation_id)}


def test_first_version_becomes_champion_and_scores(installation_id, strong):
    with db.transaction() as session:
        assert isinstance(load_scorer(session, installation_id, {}), PointsScorer)
        row = registry.register(session, installation_id, strong)
        assert (row.version, row.status, row.kind) == (1, "champion", "logistic")
        assert row.metrics["cv"]["roc_auc"] > 0.7
        assert {f["name"] for f in row.features["used"]} >= set(STRONG)
        assert row.training_summary["n_rows"] == 800
        assert row.artifact_sha256 == artifacts.sha256(row.artifact)
    with db.transaction() as session:
        scorer = load_scorer(session, installation_id, {})
        assert isinstance(scorer, ModelScorer) and scorer.version == "v1"
        assert scorer.score([{"num_contacted": "3"}])[0].rule_based is False


def test_challenger_must_beat_champion_on_the_same_holdout(installation_id, strong, weak):
    with db.transaction() as session:
        registry.register(session, installation_id, strong)
        loser = registry.register(session, installation_id, weak)
        decision = loser.metrics["promotion"]
        assert decision["promoted"] is False
        assert decision["champion_roc_auc"] > decision["challenger_roc_auc"]
        assert decision["holdout_rows"] == len(weak.comparison_y)
    assert statuses(installation_id) == {1: "champion", 2: "candidate"}


def test_better_challenger_replaces_champion_and_rollback_restores(installation_id, strong, weak):
    with db.transaction() as session:
        registry.register(session, installation_id, weak)
        winner = registry.register(session, installation_id, strong)
        assert winner.metrics["promotion"]["promoted"] is True
    assert statuses(installation_id) == {1: "retired", 2: "champion"}
    with db.transaction() as session:
        registry.rollback(session, installation_id, 1)
    assert statuses(installation_id) == {1: "champion", 2: "retired"}
    with db.transaction() as session:
        audit = session.query(AuditLog).order_by(AuditLog.id)
        trail = [(entry.action, entry.detail["version"]) for entry in audit]
    assert trail == [("model.promoted", 1), ("model.promoted", 2), ("model.rolled-back", 1)]
    with db.transaction() as session:
        assert load_scorer(session, installation_id, {}).version == "v1"
        with pytest.raises(VersionNotFound):
            registry.rollback(session, installation_id, 9)


def test_cold_start_settings_keep_the_points_model(installation_id, strong):
    with db.transaction() as session:
        registry.register(session, installation_id, strong)
        settings = {"scoring": {"cold_start": {"min_labeled": 5000}}}
        assert isinstance(load_scorer(session, installation_id, settings), PointsScorer)


def test_tampered_artifact_is_refused_even_after_caching(installation_id, strong):
    with db.transaction() as session:
        row = registry.register(session, installation_id, strong)
        first = load_scorer(session, installation_id, {})
        assert load_scorer(session, installation_id, {}) is first  # warm between batches
        data = bytearray(row.artifact)
        data[len(data) // 2] ^= 0xFF
        row.artifact = bytes(data)
    with db.transaction() as session, pytest.raises(ArtifactError, match="sha256"):
        load_scorer(session, installation_id, {})
    with db.transaction() as session, pytest.raises(ArtifactError):
        registry.rollback(session, installation_id, 1)


class Gadget:
    """Stands for any class a crafted artifact might ask to instantiate."""


def test_untrusted_types_are_refused_even_with_a_matching_hash(strong, tmp_path):
    data = sio.dumps({**strong.bundle, "estimator": Gadget()})
    with pytest.raises(ArtifactError, match="untrusted types"):
        artifacts.loads(data, artifacts.sha256(data))


def test_model_file_round_trip_and_tamper_check(strong, tmp_path):
    path = tmp_path / "model.hcrm"
    digest = artifacts.save_file(path, strong.bundle)
    bundle, read_digest = artifacts.load_file(path)
    assert read_digest == digest
    rows = [{"num_contacted": "5", "opted_in": "true"}]
    assert (ModelScorer(bundle).score(rows)[0].probability
            == ModelScorer(strong.bundle).score(rows)[0].probability)
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(ArtifactError, match="sha256"):
        artifacts.load_file(path)
    path.write_bytes(b"not a model")
    with pytest.raises(ArtifactError, match="not a HolistiCrm model"):
        artifacts.load_file(path)


def test_versions_are_numbered_per_installation(installation_id, strong):
    with db.transaction() as session:
        registry.register(session, installation_id, strong)
        other = registry.register(session, None, strong)
        assert other.version == 1 and other.status == "champion"
        assert session.query(ModelVersion).count() == 2
