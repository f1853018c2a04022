import numpy as np
import pandas as pd
import pytest

from integration.scoring import (
    LEAD_CONVERSION,
    NotEnoughLabels,
    NoUsableFeatures,
    ScoringSettings,
    TrainingOptions,
    UnknownColumn,
    train,
)
from integration.scoring.metrics import evaluate, expected_calibration_error, lift_at
from integration.scoring.settings import ColdStart

from .conftest import make_contacts

EVALUATION_KEYS = {"roc_auc", "pr_auc", "brier", "ece", "lift_top_decile", "n_rows", "n_positive"}


def test_metrics_on_known_cases():
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    perfect = np.linspace(0, 1, 10)
    assert evaluate(y, perfect)["roc_auc"] == 1.0
    assert lift_at(y, perfect, 0.1) == pytest.approx(5.0)  # top row is positive; rate 0.2
    assert expected_calibration_error(y, np.full(10, 0.2)) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.full(10, 0.7)) == pytest.approx(0.5)


def test_small_data_trains_the_simple_model_with_cv_metrics(contacts):
    result = train(contacts, LEAD_CONVERSION)
    assert result.kind == "logistic"  # 1,500 rows: the fallback
    assert set(result.metrics["cv"]) >= EVALUATION_KEYS
    assert "time_holdout" not in result.metrics
    assert result.metrics["cv"]["roc_auc"] > 0.7
    assert result.metrics["cv"]["n_rows"] == len(contacts)
    used = {f["name"] for f in result.features}
    assert used == {"num_contacted", "hs_analytics_source", "opted_in", "createdate", "noise"}
    assert {"hs_object_id", "email"} <= set(result.excluded)
    positives = int((contacts.lifecyclestage == "customer").sum())
    assert result.training_summary["n_positive"] == positives


def test_larger_data_compares_boosting_and_chooses_on_time_holdout():
    frame = make_contacts(2500, seed=3)
    result = train(frame, LEAD_CONVERSION, TrainingOptions(time_column="createdate", folds=3))
    selection = result.metrics["candidates"]
    assert selection["chosen_by"] == "holdout_roc_auc"
    assert {"gradient_boosting", "logistic"} <= set(selection)
    assert set(result.metrics["time_holdout"]) >= EVALUATION_KEYS
    assert result.metrics["time_holdout"]["n_rows"] == 500
    # Labels must stay with their rows through the time sort: both evaluations see
    # the signal the data was generated with.
    assert result.metrics["cv"]["roc_auc"] > 0.7
    assert result.metrics["time_holdout"]["roc_auc"] > 0.7
    newest = frame.sort_values("createdate", kind="stable").tail(500)
    assert result.metrics["time_holdout"]["n_positive"] == (
        newest["lifecyclestage"] == "customer"
    ).sum()
    assert len(result.comparison_y) == 500
    # The date used for ordering is not also a feature.
    assert "createdate" not in {f["name"] for f in result.features}


def test_cold_start_threshold_refuses_to_train(contacts):
    settings = ScoringSettings(cold_start=ColdStart(min_labeled=5000, min_positive=10))
    with pytest.raises(NotEnoughLabels, match="5000"):
        train(contacts, LEAD_CONVERSION, TrainingOptions(settings=settings))


def test_all_feature_values_missing_is_a_clear_error():
    frame = pd.DataFrame({"a": [""] * 300, "b": ["unknown"] * 300,
                          "lifecyclestage": ["customer", "lead", "lead"] * 100})
    with pytest.raises(NoUsableFeatures):
        train(frame, LEAD_CONVERSION)


def test_unknown_drop_and_time_columns_are_named(contacts):
    with pytest.raises(UnknownColumn, match="nope"):
        train(contacts, LEAD_CONVERSION, TrainingOptions(drop=["nope"]))
    with pytest.raises(UnknownColumn, match="when"):
        train(contacts, LEAD_CONVERSION, TrainingOptions(time_column="when"))


def test_time_column_orders_rows_and_undated_rows_stay_out_of_the_holdout():
    from integration.scoring.training import _time_sorted

    frame = pd.DataFrame({"when": ["2024-03-01", "", "2024-01-01T00:00:00Z", "2024-02-01"],
                          "row": ["0", "1", "2", "3"]})
    y = np.array([0, 1, 2, 3])
    ordered, y = _time_sorted(frame, y, TrainingOptions(time_column="when"))
    assert ordered["row"].tolist() == ["1", "2", "3", "0"]
    assert y.tolist() == [1, 2, 3, 0]  # the labels travel with their rows
