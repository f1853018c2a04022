"""Permanent failures go to the dead-letter state; `events replay` runs them again."""

from __future__ import annotations

import json

from click.testing import CliRunner

from integration.cli import main
from tests.pipeline.conftest import event_counts
from tests.workers import wait_until


def test_dead_events_are_listed_and_replayed(pipeline, worker, crm, sandbox, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", pipeline["config"]["DATABASE_URL"])
    monkeypatch.setenv("CELERY_BROKER_URL", pipeline["config"]["CELERY_BROKER_URL"])
    ids = crm.ids(3)
    crm.update({cid: {"campaign": "12"} for cid in ids})
    # From now on the CRM refuses every call as a bad request: nothing a retry could
    # fix, so the events are dead-lettered. (The debounce keeps the worker from
    # calling before this is set.)
    sandbox.set_faults(error_rate=1.0, error_status=400)
    wait_until(lambda: event_counts().get("dead", 0) >= 3, 60,
               message=f"dead-lettered events\n{worker.output()[-3000:]}")
    listing = CliRunner().invoke(main, ["events", "list", "--status", "dead", "--json"])
    dead = json.loads(listing.output)
    assert {row["object_id"] for row in dead} == set(ids)
    assert all("permanent" in row["last_error"] for row in dead)

    sandbox.reset_faults()
    replay = CliRunner().invoke(main, ["events", "replay"])
    assert replay.exit_code == 0, replay.output
    assert "replaying 3 event(s)" in replay.output
    wait_until(lambda: all(p.get("holisticrm_score") for p in
                           crm.read(ids, ["holisticrm_score"]).values()), 60,
               message="scores after replay")
    wait_until(lambda: event_counts().get("dead", 0) == 0, 30, message="no dead events")
