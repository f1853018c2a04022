"""The main job end to end: CRM changes -> webhooks -> worker -> scores in the CRM."""

from __future__ import annotations

from sqlalchemy import select

from integration.db import db
from integration.models import WebhookEvent
from tests.pipeline.conftest import event_counts
from tests.workers import wait_until

SCORE_FIELDS = [
    "holisticrm_score",
    "holisticrm_tier",
    "holisticrm_next_action",
    "holisticrm_reasons",
    "holisticrm_model_version",
    "holisticrm_scored_at",
]


def settled() -> bool:
    counts = event_counts()
    return counts and not counts.get("pending") and not counts.get("processing")


def test_changed_contacts_get_scores_written_back_once(pipeline, worker, crm, sandbox):
    ids = crm.ids(20)
    # Five property changes per contact, in three separate API calls.
    crm.update({cid: {"campaign": "4", "previous": "1"} for cid in ids})
    crm.update({cid: {"poutcome": "success", "job": "admin."} for cid in ids})
    crm.update({cid: {"pdays": "3"} for cid in ids})
    wait_until(lambda: scored(crm, ids), 60, message=f"scores on 20 contacts\n{worker.output()}")
    assert sandbox.wait_for_webhooks(30)
    wait_until(settled, 30, message="inbox to settle")
    counts = event_counts()
    assert counts.get("dead", 0) == 0
    # Every change of ours was processed; our own writes came back as echoes and were
    # ignored (the CRM only reports properties whose value really changed).
    changes, echoes = events_by_origin()
    assert counts["done"] == changes >= 60
    assert counts["ignored"] == echoes >= 20 * 5
    # One batch read and one batch write would do; allow a split by the debounce.
    assert 1 <= crm.app_writes() <= 3
    written = crm.read(ids, SCORE_FIELDS)
    for properties in written.values():
        assert 0 <= int(properties["holisticrm_score"]) <= 100
        assert properties["holisticrm_tier"] in {"A", "B", "C", "D"}
        assert properties["holisticrm_next_action"]
        assert properties["holisticrm_model_version"]


def events_by_origin() -> tuple[int, int]:
    with db.transaction() as session:
        payloads = session.scalars(select(WebhookEvent.payload)).all()
    echoes = sum(1 for p in payloads if str(p.get("propertyName", "")).startswith("holisticrm_"))
    return len(payloads) - echoes, echoes


def scored(crm, ids) -> bool:
    return all(p.get("holisticrm_score") for p in crm.read(ids, ["holisticrm_score"]).values())


def test_echoes_alone_cause_no_write(pipeline, worker, crm, sandbox):
    ids = crm.ids(5)
    crm.update({cid: {"campaign": "7"} for cid in ids})
    wait_until(lambda: scored(crm, ids), 60, message="first scores")
    assert sandbox.wait_for_webhooks(30)
    wait_until(settled, 30, message="inbox to settle")
    writes = crm.app_writes()
    # Our own properties changed by someone else (or echoed back) never trigger a write.
    crm.update({cid: {"holisticrm_reasons": "edited by hand"} for cid in ids})
    assert sandbox.wait_for_webhooks(30)
    wait_until(settled, 30, message="inbox to settle again")
    assert crm.app_writes() == writes
