import numpy as np
import pandas as pd
import pytest

from integration.scoring import (
    CHURN,
    LEAD_CONVERSION,
    EmptyData,
    LabelDefinition,
    SingleClass,
    TrainingOptions,
    UnknownColumn,
    train,
)
from integration.scoring.errors import BadSettings
from integration.scoring.features import FeatureEncoder, infer_types
from integration.scoring.labels import make_labels
from integration.scoring.leakage import find_leaks

from .conftest import make_contacts


def test_labels_from_definition_skip_unlabeled_rows():
    frame = pd.DataFrame({"stage": ["customer", "lead", "", "Customer ", None, "unknown"]})
    y, labeled = make_labels(frame, LabelDefinition("stage", ("customer",)))
    assert labeled.tolist() == [True, True, False, True, False, False]
    assert y[labeled].tolist() == [1, 0, 1]


def test_shipped_defaults():
    assert LEAD_CONVERSION.property == "lifecyclestage" and "customer" in LEAD_CONVERSION.positive
    assert CHURN.goal == "churn"
    assert LabelDefinition.from_mapping({"property": "x", "positive": "yes"}).positive == ("yes",)
    with pytest.raises(BadSettings):
        LabelDefinition.from_mapping({"positive": ["yes"]})


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (pd.DataFrame({"stage": []}), EmptyData),
        (pd.DataFrame({"other": ["a", "b"]}), UnknownColumn),
        (pd.DataFrame({"stage": ["", "unknown", None]}), EmptyData),
        (pd.DataFrame({"stage": ["lead", "lead", ""]}), SingleClass),
        (pd.DataFrame({"stage": ["customer", "customer"]}), SingleClass),
    ],
)
def test_labels_that_cannot_train_raise_named_errors(frame, error):
    with pytest.raises(error):
        make_labels(frame, LabelDefinition("stage", ("customer",)))


def leaky_contacts(n=3000, seed=1) -> pd.DataFrame:
    frame = make_contacts(n, seed)
    rng = np.random.default_rng(seed)
    converted = (frame["lifecyclestage"] == "customer").to_numpy()
    # Known only once the deal closed: filled for customers only.
    frame["closed_deal_amount"] = np.where(converted, (rng.random(n) * 900 + 100).round(), "")
    # Measured during the sale itself: strongly tied to the outcome, never perfect.
    seconds = rng.gamma(2.0, 60.0, n) + converted * rng.gamma(2.0, 60.0, n)
    frame["call_seconds"] = seconds.round().astype(int).astype(str)
    # A copy of the outcome under another name, with a little noise.
    flipped = rng.random(n) < 0.02
    frame["status_code"] = np.where(converted ^ flipped, "S7", "S1")
    return frame


def encoded(frame):
    typing = infer_types(frame, exclude=["lifecyclestage"])
    encoder = FeatureEncoder(typing.specs)
    y = (frame["lifecyclestage"] == "customer").to_numpy().astype(int)
    return encoder, encoder.encode(frame), y


def test_leakage_guard_finds_post_outcome_properties_without_names():
    encoder, X, y = encoded(leaky_contacts())
    leaks = find_leaks(X, y, encoder.names, encoder.categorical_mask)
    findings = {f.name: f.reason for f in leaks}
    assert set(findings) == {"closed_deal_amount", "call_seconds", "status_code"}
    assert "filled in almost only for one outcome" in findings["closed_deal_amount"]
    assert "almost perfectly" in findings["status_code"]
    assert "as well as all other properties together" in findings["call_seconds"]


def test_leakage_guard_leaves_honest_properties_alone():
    encoder, X, y = encoded(make_contacts(3000, seed=2))
    assert find_leaks(X, y, encoder.names, encoder.categorical_mask) == []


def test_training_reports_leaks_and_honours_allow_list():
    from integration.scoring.settings import ScoringSettings

    frame = leaky_contacts()
    result = train(frame, LEAD_CONVERSION, TrainingOptions(model="logistic"))
    used = {f["name"] for f in result.features}
    assert "call_seconds" not in used and "closed_deal_amount" not in used
    assert result.excluded["call_seconds"].startswith("leakage:")
    settings = ScoringSettings(allow_features=["call_seconds"])
    result = train(frame, LEAD_CONVERSION, TrainingOptions(model="logistic", settings=settings))
    assert "call_seconds" in {f["name"] for f in result.features}
