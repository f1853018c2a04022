from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from integration.scoring.errors import BadSettings
from integration.scoring.features import FeatureEncoder, infer_types


def kinds(typing):
    return {spec.name: spec.kind for spec in typing.specs}


def test_types_are_inferred_from_strings(contacts):
    typing = infer_types(contacts, exclude=["lifecyclestage"])
    assert kinds(typing) == {
        "num_contacted": "numeric",
        "hs_analytics_source": "categorical",
        "opted_in": "boolean",
        "createdate": "date",
        "noise": "numeric",
    }
    assert "identifier" in typing.excluded["hs_object_id"]
    assert "free text" in typing.excluded["email"]
    assert "lifecyclestage" not in typing.excluded


def test_unknown_empty_and_none_are_missing():
    frame = pd.DataFrame(
        {
            "plan": ["basic", "unknown", "", None, "pro", "basic", "pro"],
            "seats": ["1", "", "unknown", None, "3", " 4 ", "2"],
        }
    )
    typing = infer_types(frame)
    assert kinds(typing) == {"plan": "categorical", "seats": "numeric"}
    assert typing.specs[0].categories == ["basic", "pro"]
    X = FeatureEncoder(typing.specs).encode(frame)
    assert np.isnan(X[1:4, 0]).all() and np.isnan(X[1:4, 1]).all()
    assert X[5, 1] == 4.0
    inf = FeatureEncoder(typing.specs).encode(pd.DataFrame({"seats": ["inf", "-Infinity"]}))
    assert np.isnan(inf).all()


def test_rare_categories_are_pooled_as_other():
    frame = pd.DataFrame({"plan": ["basic"] * 10 + ["pro"] * 10 + ["typo"]})
    typing = infer_types(frame)
    assert typing.specs[0].categories == ["basic", "pro"]
    X = FeatureEncoder(typing.specs).encode(frame)
    assert X[-1, 0] == 2  # the code after the last category: "other"


def test_constant_and_empty_columns_are_excluded_with_reason():
    frame = pd.DataFrame({"a": ["x"] * 5, "b": [""] * 5, "c": ["1", "2", "3", "4", "5"]})
    typing = infer_types(frame)
    assert [spec.name for spec in typing.specs] == ["c"]
    assert typing.excluded == {"a": "the same value in every row", "b": "no values"}


def test_overrides_win_and_bad_kinds_are_refused(contacts):
    typing = infer_types(
        contacts,
        overrides={"num_contacted": "categorical", "noise": "ignore", "email": "text"},
        exclude=["lifecyclestage"],
    )
    assert kinds(typing)["num_contacted"] == "categorical"
    assert typing.excluded["noise"] == "set in configuration"
    with pytest.raises(BadSettings):
        infer_types(contacts, overrides={"noise": "float"})


def test_configured_missing_values_such_as_999():
    frame = pd.DataFrame({"pdays": ["3", "999", "6", "999"]})
    typing = infer_types(frame, missing_values={"pdays": ["999"]})
    X = FeatureEncoder(typing.specs).encode(frame)
    assert X[:, 0].tolist()[0] == 3.0 and np.isnan(X[1, 0]) and np.isnan(X[3, 0])


def test_encoding_unseen_category_boolean_and_date_age():
    train = pd.DataFrame({"src": ["a", "b"] * 5, "flag": ["yes", "no"] * 5,
                          "seen": ["2026-01-01", "2026-01-11"] * 5})
    encoder = FeatureEncoder(infer_types(train).specs)
    rows = pd.DataFrame({"src": ["b", "zzz", None], "flag": ["YES", "no", ""],
                         "seen": ["2026-01-01", "2026-01-11T00:00:00Z", "not a date"]})
    X = encoder.encode(rows, now=datetime(2026, 1, 21, tzinfo=UTC))
    assert X[0, 0] == 1 and X[1, 0] == 2 and np.isnan(X[2, 0])  # 2 is "other"
    assert X[0, 1] == 1 and X[1, 1] == 0 and np.isnan(X[2, 1])
    assert X[0, 2] == pytest.approx(20) and X[1, 2] == pytest.approx(10) and np.isnan(X[2, 2])


def test_absent_columns_encode_as_missing(contacts):
    encoder = FeatureEncoder(infer_types(contacts, exclude=["lifecyclestage"]).specs)
    X = encoder.encode(pd.DataFrame({"noise": ["0.5"]}))
    assert X.shape == (1, len(encoder.specs))
    assert np.isnan(X[0]).sum() == len(encoder.specs) - 1


def test_boolean_needs_one_spelling_of_each_side():
    frame = pd.DataFrame({"a": ["yes", "no"] * 3, "b": ["yes", "y"] * 3, "c": ["1", "0"] * 3})
    assert kinds(infer_types(frame)) == {"a": "boolean", "b": "categorical", "c": "boolean"}
