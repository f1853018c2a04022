"""On the UCI bank marketing data (skipped when ../shared/data is absent)."""

import pytest

from integration.scoring import LabelDefinition, ModelScorer, TrainingOptions, train
from integration.scoring.features import FeatureEncoder, infer_types
from integration.scoring.leakage import find_leaks
from integration.scoring.tables import read_csv

SUBSCRIBED = LabelDefinition("y", ("yes",))


def test_semicolon_csv_is_read_as_strings_and_leak_is_found(bank_csv):
    frame = read_csv(bank_csv).iloc[::4].reset_index(drop=True)
    assert frame.shape[1] == 21 and frame["age"].dtype != "float64"
    typing = infer_types(frame, exclude=["y"])
    encoder = FeatureEncoder(typing.specs)
    y = (frame["y"] == "yes").to_numpy().astype(int)
    findings = find_leaks(encoder.encode(frame), y, encoder.names, encoder.categorical_mask)
    # The guard knows no column names; the call length must stand out by itself.
    assert [f.name for f in findings] == ["duration"]


@pytest.mark.slow
def test_quality_targets_on_full_data(bank_csv):
    frame = read_csv(bank_csv)
    result = train(frame, SUBSCRIBED, TrainingOptions(time_ordered=True))
    assert "duration" in result.excluded and result.excluded["duration"].startswith("leakage")
    cv, holdout = result.metrics["cv"], result.metrics["time_holdout"]
    assert cv["n_rows"] == 41188 and cv["n_positive"] == 4640
    assert cv["roc_auc"] >= 0.79
    assert cv["lift_top_decile"] >= 4.0
    assert holdout["n_rows"] == 8238
    assert holdout["roc_auc"] >= 0.74
    scores = ModelScorer(result.bundle).score(frame.head(5).to_dict("records"))
    assert all(score.reasons for score in scores)
