"""Backfill and training from the CRM, against the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from integration.db import db
from integration.models import Installation, ModelVersion, Score, SyncJob
from integration.pipeline.backfill import run_backfill
from integration.pipeline.history import train_installation
from integration.scoring import NotEnoughLabels


def writes_and_lists(sandbox) -> dict[str, int]:
    counts = {"write": 0, "list": 0}
    for key, count in sandbox.stats()["requests"].items():
        method, endpoint, status = key.split(" ")
        if not status.startswith("2"):
            continue
        if method == "POST" and endpoint.endswith("/batch/update"):
            counts["write"] += count
        elif method == "GET" and endpoint == "/crm/v3/objects/contacts":
            counts["list"] += count
    return counts


def test_backfill_scores_every_contact_then_finds_nothing_to_write(pipeline, crm, sandbox):
    config = pipeline["config"]
    summary = run_backfill(pipeline["installation_id"], config)
    assert (summary.contacts, summary.written, summary.failed) == (300, 300, {})
    assert writes_and_lists(sandbox) == {"write": 3, "list": 3}
    ids = crm.ids(100)
    assert all(
        props.get("holisticrm_score") for props in crm.read(ids, ["holisticrm_score"]).values()
    )
    with db.transaction() as session:
        assert len(session.scalars(select(Score)).all()) == 300
    again = run_backfill(pipeline["installation_id"], config, restart=True)
    assert (again.written, again.unchanged) == (0, 300)
    assert writes_and_lists(sandbox)["write"] == 3


def test_an_interrupted_backfill_resumes_and_survives_an_expired_token(pipeline, sandbox):
    config = pipeline["config"]
    first = run_backfill(pipeline["installation_id"], config, max_pages=1)
    assert first.contacts == 100
    # The CRM expires the access token while our database still thinks it is valid.
    sandbox.sandbox.tokens.expire_portal(sandbox.portal_ids[0])
    rest = run_backfill(pipeline["installation_id"], config)
    assert rest.resumed_from == 100 and rest.contacts == 300
    assert rest.written == 200
    # Each contact written exactly once over both runs.
    assert writes_and_lists(sandbox)["write"] == 3
    with db.transaction() as session:
        statuses = [job.status for job in session.scalars(select(SyncJob).order_by(SyncJob.id))]
    assert statuses == ["done"]


def test_too_few_positives_keep_the_installation_on_points(pipeline):
    # The first 300 bank contacts hold only a handful of customers.
    with pytest.raises(NotEnoughLabels):
        train_installation(pipeline["installation_id"], pipeline["config"])


def test_training_from_the_crm_registers_a_champion(pipeline, sandbox):
    config = pipeline["config"]
    with db.transaction() as session:
        installation = session.get(Installation, pipeline["installation_id"])
        installation.settings = {
            "scoring": {
                "label": {"property": "lifecyclestage", "positive": ["customer"]},
                "cold_start": {"min_labeled": 100, "min_positive": 5},
            }
        }
    result, version = train_installation(pipeline["installation_id"], config)
    assert version.status == "champion"
    assert result.training_summary["n_rows"] == 300
    with db.transaction() as session:
        stored = session.scalars(select(ModelVersion)).one()
        assert stored.installation_id == pipeline["installation_id"]
        used = {feature["name"] for feature in stored.features["used"]}
        assert "lifecyclestage" not in used
        assert used.isdisjoint(
            {"firstname", "lastname", "email", "lastmodifieddate", "holisticrm_score"}
        )
        assert {"age", "campaign"} <= used


def test_train_command_from_the_crm(pipeline, monkeypatch):
    from click.testing import CliRunner

    from integration.cli import main

    for key in ("DATABASE_URL", "HUBSPOT_API_BASE_URL", "HUBSPOT_AUTH_BASE_URL",
                "HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET"):
        monkeypatch.setenv(key, str(pipeline["config"][key]))
    monkeypatch.setenv("ENCRYPTION_KEYS", ",".join(pipeline["config"]["ENCRYPTION_KEYS"]))
    installation = str(pipeline["installation_id"])
    # 300 early bank contacts hold too few customers: a clear message, no traceback.
    refused = CliRunner().invoke(main, ["train", "--installation", installation])
    assert refused.exit_code == 1
    assert "needs at least" in refused.output and "Traceback" not in refused.output
    # Counting "housing = yes" as the outcome gives plenty of positives.
    ok = CliRunner().invoke(main, ["train", "--installation", installation, "--target",
                                   "housing", "--positive", "yes"])
    assert ok.exit_code == 0, ok.output
    assert "registered as version 1: champion" in ok.output
    both = CliRunner().invoke(main, ["train", "--installation", installation, "--csv", "x.csv"])
    assert both.exit_code == 2
