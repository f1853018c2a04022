import json

import pandas as pd
import pytest
from click.testing import CliRunner

from integration.cli import main
from integration.db import db
from integration.scoring import LEAD_CONVERSION, TrainingOptions, artifacts, registry, train

from .conftest import make_contacts


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def contacts_csv(tmp_path):
    path = tmp_path / "contacts.csv"
    make_contacts(1200, seed=7).to_csv(path, sep=";", index=False)  # like the bank data
    return path


def test_train_writes_report_and_model_then_score_uses_it(runner, contacts_csv, tmp_path):
    report, model = tmp_path / "report", tmp_path / "model.hcrm"
    result = runner.invoke(main, [
        "train", "--csv", str(contacts_csv), "--target", "lifecyclestage",
        "--positive", "customer", "--drop", "noise", "--time-column", "createdate",
        "--report", str(report), "--save", str(model),
    ])
    assert result.exit_code == 0, result.output
    assert "roc_auc" in result.output and "time_holdout" in result.output
    assert "excluded noise: dropped on request" in result.output
    data = json.loads((report / "metrics.json").read_text())
    assert data["evaluations"]["cv"]["roc_auc"] > 0.7
    assert data["evaluations"]["time_holdout"]["roc_auc"] > 0.65  # 240 rows; mixed up: ~0.5
    for evaluation in ("cv", "time_holdout"):
        assert {"roc_auc", "pr_auc", "brier", "ece", "lift_top_decile", "n_rows",
                "n_positive"} <= set(data["evaluations"][evaluation])
    assert {f["name"] for f in data["features_used"]} == {
        "num_contacted", "hs_analytics_source", "opted_in"}
    assert {"hs_object_id", "email", "noise"} <= {f["name"] for f in data["features_excluded"]}
    for plot in ("roc.png", "lift.png", "calibration.png"):
        assert (report / plot).read_bytes()[:4] == b"\x89PNG"

    out = tmp_path / "scores.csv"
    result = runner.invoke(main, [
        "score", "--model", str(model), "--csv", str(contacts_csv),
        "--id-column", "hs_object_id", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out, dtype=str)
    assert list(scores.columns) == ["id", "probability", "score", "tier", "reasons", "action"]
    assert len(scores) == 1200 and scores["id"].iloc[0] == "100000"
    assert set(scores["tier"]) == {"A", "B", "C", "D"}


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("", [], "is empty"),
        ("a;lifecyclestage\n1;lead\n2;lead\n", [], "every labeled row is negative"),
        ("a;stage\n1;lead\n", [], "target column 'lifecyclestage' is not in the data"),
        ("a;b;lifecyclestage\n" + "unknown;;customer\n;unknown;lead\n" * 150, [],
         "no property can be used"),
        ("a;lifecyclestage\n1;lead\n2;customer\n", ["--time-ordered", "--time-column", "a"],
         "either --time-column or --time-ordered"),
        ("a;lifecyclestage\n1;lead\n2;customer\n", ["--settings", "SETTINGS"],
         "tier cut-offs must go down"),
    ],
)
def test_bad_input_is_a_clear_error_not_a_traceback(runner, tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    settings = tmp_path / "settings.json"
    settings.write_text('{"tier_cutoffs": [10, 20, 30]}')
    args = [str(settings) if arg == "SETTINGS" else arg for arg in args]
    result = runner.invoke(main, ["train", "--csv", str(path), "--target", "lifecyclestage",
                                  "--positive", "customer", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unwritable_output_is_a_clear_error(runner, contacts_csv, tmp_path):
    model = tmp_path / "model.hcrm"
    artifacts.save_file(model, train(make_contacts(400, seed=9), LEAD_CONVERSION,
                                     TrainingOptions(leakage_guard=False, folds=3)).bundle)
    result = runner.invoke(main, ["score", "--model", str(model), "--csv", str(contacts_csv),
                                  "--id-column", "hs_object_id",
                                  "--out", str(tmp_path / "missing" / "dir" / "out.csv")])
    assert result.exit_code == 1 and "non-existent directory" in result.output
    assert "Traceback" not in result.output


def test_score_refuses_unknown_id_column_and_bad_model(runner, contacts_csv, tmp_path):
    bogus = tmp_path / "bogus.model"
    bogus.write_bytes(b"HOLISTICRM-MODEL\n" + b"0" * 64 + b"\nPK")
    result = runner.invoke(main, ["score", "--model", str(bogus), "--csv", str(contacts_csv),
                                  "--id-column", "hs_object_id", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "sha256" in result.output


def test_models_list_and_rollback(runner, installation_id):
    options = TrainingOptions(model="logistic", folds=3, leakage_guard=False)
    first = train(make_contacts(600, seed=8), LEAD_CONVERSION, options)
    weaker = train(make_contacts(600, seed=8), LEAD_CONVERSION,
                   TrainingOptions(model="logistic", folds=3, leakage_guard=False,
                                   drop=["num_contacted", "opted_in"]))
    with db.transaction() as session:
        registry.register(session, installation_id, weaker)
        registry.register(session, installation_id, first)
    result = runner.invoke(main, ["models", "list", "--installation", str(installation_id),
                                  "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["version"], r["status"]) for r in rows] == [(1, "retired"), (2, "champion")]
    result = runner.invoke(main, ["models", "rollback", "--installation", str(installation_id),
                                  "--to", "1"])
    assert result.exit_code == 0 and "version 1 is champion" in result.output
    result = runner.invoke(main, ["models", "list", "--installation", str(installation_id)])
    assert "champion" in result.output.splitlines()[1]
    result = runner.invoke(main, ["models", "rollback", "--installation", str(installation_id),
                                  "--to", "7"])
    assert result.exit_code == 1 and "no model version 7" in result.output
