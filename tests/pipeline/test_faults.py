"""The main job under faults, with a real worker, the real database and broker.

Each test breaks one thing while contact changes flow (a worker killed mid-batch,
the broker stopped, 429 and 5xx bursts from the CRM, a token that expires in the
middle of a backfill) and then checks the same three promises: every accepted
event was processed, every changed contact shows its final score in the CRM, and
no contact was written twice for the same change.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from integration.db import db
from integration.models import Installation, SyncJob
from integration.pipeline.backfill import run_backfill
from integration.pipeline.runtime import forget, load_runtime
from integration.pipeline.scorewrite import same_as_crm, score_values
from tests.conftest import service_unavailable
from tests.pipeline.conftest import event_counts
from tests.services import RedisServer
from tests.workers import Worker, wait_until

# Recovery within seconds: claims of a dead worker expire after CLAIM_LEASE_S, the
# sweeper (beat, every second) re-enqueues what waits, retry pauses are compressed.
FAST_RECOVERY = {
    "DEBOUNCE_S": 0.5,
    "CLAIM_LEASE_S": 5,
    "SWEEP_PENDING_AFTER_S": 1,
    "SWEEP_INTERVAL_S": 1.0,
}
FINISHED = {"done", "ignored"}


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path)
    if server.binary is None:
        service_unavailable("redis-server is not installed")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def retry_time_scale() -> float:
    """Compresses the connector's retry pauses; a test may parametrize it."""
    return 0.01


@pytest.fixture
def pipeline_overrides(sandbox_overrides, retry_time_scale, request) -> dict:
    """Fast recovery; a test that asks for `private_redis` gets it as the broker."""
    overrides = {
        **sandbox_overrides,
        **FAST_RECOVERY,
        "HUBSPOT_RETRY_TIME_SCALE": retry_time_scale,
    }
    if "private_redis" in request.fixturenames:
        overrides["CELERY_BROKER_URL"] = request.getfixturevalue("private_redis").url
    return overrides


@pytest.fixture
def start_worker(pipeline, tmp_path):
    """Start workers (with the sweeper) on the pipeline's configuration; all stopped after."""
    started: list[Worker] = []

    def start(name: str) -> Worker:
        worker = Worker(pipeline["config"], tmp_path / "home", name=name, beat=True).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def settled() -> bool:
    counts = event_counts()
    return bool(counts) and not counts.get("pending") and not counts.get("processing")


def wait_for_settled_inbox(sandbox, worker: Worker, timeout: float = 45) -> None:
    """Wait until no webhook is on its way and every stored event is finished.

    Our writes make the CRM send echoes after the inbox looked settled, so this
    repeats until a round brings no new event.
    """
    seen = -1
    deadline = time.monotonic() + timeout
    while True:
        assert sandbox.wait_for_webhooks(30), "the sandbox still has webhooks to deliver"
        left = max(1.0, deadline - time.monotonic())
        wait_until(settled, left, message=f"the inbox to settle\n{worker.output()[-3000:]}")
        time.sleep(0.5)  # the time for a last write to announce its echoes
        total = sum(event_counts().values())
        if total == seen and sandbox.wait_for_webhooks(0.1) and settled():
            return
        seen = total


def assert_every_event_processed() -> None:
    counts = event_counts()
    assert set(counts) <= FINISHED, f"events left unfinished: {counts}"
    assert counts.get("done", 0) > 0


def assert_final_scores_in_crm(pipeline, ids: list[str]) -> None:
    """The CRM shows, for each contact, the score its current properties get now."""
    forget(pipeline["installation_id"])
    runtime = load_runtime(pipeline["installation_id"], pipeline["config"])
    assert runtime is not None, "the installation is no longer active"
    contacts = runtime.client.read_contacts(ids, runtime.properties_to_read())
    assert sorted(contacts) == sorted(ids)
    found = [contacts[cid] for cid in ids]
    scores = runtime.scorer.score([dict(contact.properties) for contact in found])
    now = datetime.now(UTC)  # the time of scoring is not compared
    stale = [
        contact.id
        for contact, score in zip(found, scores, strict=True)
        if not same_as_crm(
            contact.properties,
            score_values(score, now),
            runtime.connector.score_field_name,
        )
    ]
    assert stale == [], f"{len(stale)} contacts without their final score"


def batch_reads_answered(sandbox) -> int:
    return sum(
        count
        for key, count in sandbox.stats()["requests"].items()
        if key.startswith("POST /crm/v3/objects/contacts/batch/read 2")
    )


def finished_after_pause(worker: Worker) -> bool:
    """The worker finished a batch after it paused for a rate limit."""
    output = worker.output()
    paused = output.find("hubspot.rate-limited")
    return paused >= 0 and "pipeline.batch-done" in output[paused:]


def every_contact_id(crm) -> list[str]:
    ids: list[str] = []
    params = {"limit": 100}
    while True:
        answer = crm.session.get(
            f"{crm.base}/crm/v3/objects/contacts", params=params, timeout=10
        ).json()
        ids += [item["id"] for item in answer["results"]]
        after = answer.get("paging", {}).get("next", {}).get("after")
        if after is None:
            return ids
        params["after"] = after


def test_a_worker_killed_mid_batch_loses_nothing_and_writes_nothing_twice(
    pipeline, start_worker, crm, sandbox
):
    ids = crm.ids(30)
    doomed = start_worker("doomed")
    # Every API answer takes 2 s: the batch read answers, then the write is in
    # flight when the worker dies, and the CRM applies it after the crash.
    sandbox.set_faults(latency_ms=2000)
    crm.update({cid: {"campaign": "6", "pdays": "5"} for cid in ids})
    wait_until(lambda: batch_reads_answered(sandbox) >= 1, 30, message="the batch read")
    time.sleep(0.8)
    doomed.kill()
    sandbox.reset_faults()
    # The dead worker's claims are still there; only the lease brings them back.
    assert event_counts().get("processing", 0) == len(ids) * 2
    wait_until(
        lambda: len(sandbox.app_writes_by_contact()) == len(ids), 10, message="the orphan write"
    )

    successor = start_worker("successor")
    wait_for_settled_inbox(sandbox, successor)

    assert_every_event_processed()
    assert event_counts()["done"] == len(ids) * 2
    assert_final_scores_in_crm(pipeline, ids)
    # The write that landed after the crash is not repeated by the successor.
    assert sandbox.app_writes_by_contact() == {cid: 1 for cid in ids}


def test_webhooks_during_a_broker_outage_are_processed_once_it_is_back(
    private_redis, pipeline, start_worker, crm, sandbox
):
    ids = crm.ids(20)
    before, during = ids[:10], ids[10:]
    worker = start_worker("w1")
    crm.update({cid: {"campaign": "3"} for cid in before})
    wait_for_settled_inbox(sandbox, worker)

    private_redis.stop()
    crm.update({cid: {"campaign": "4", "pdays": "2"} for cid in during})
    assert sandbox.wait_for_webhooks(30)
    # Accepted and stored although nothing could be enqueued, and nothing processed
    # while the broker stays down (the sweeper cannot enqueue either).
    time.sleep(2)
    assert event_counts().get("pending") == len(during) * 2

    private_redis.start()
    wait_for_settled_inbox(sandbox, worker, timeout=50)

    assert_every_event_processed()
    assert_final_scores_in_crm(pipeline, ids)
    assert sandbox.app_writes_by_contact() == {cid: 1 for cid in ids}


def test_bursts_of_429_and_5xx_are_retried_until_every_score_is_written(
    pipeline, start_worker, crm, sandbox
):
    ids = crm.ids(30)
    first, second = ids[:15], ids[15:]
    worker = start_worker("w1")
    # Three 429s and four 503s in a row: more than the client's five attempts, so
    # the task itself backs off and comes back; nothing may go to the dead letters.
    crm.update({cid: {"campaign": "2"} for cid in first})
    sandbox.set_faults(throttle_next=3, fail_next=4, error_status=503)
    wait_for_settled_inbox(sandbox, worker)
    faults = sandbox.stats()
    assert faults["rate_limited"].get("INJECTED") == 3
    assert faults["by_status"].get("503") == 4

    # Then a quarter of all answers fail at random while more changes arrive.
    sandbox.reset_faults()
    crm.update({cid: {"campaign": "5", "pdays": "1"} for cid in second})
    sandbox.set_faults(error_rate=0.25, error_status=502)
    wait_for_settled_inbox(sandbox, worker)
    sandbox.reset_faults()

    assert_every_event_processed()
    assert_final_scores_in_crm(pipeline, ids)
    assert sandbox.app_writes_by_contact() == {cid: 1 for cid in ids}


def test_a_token_expiring_mid_backfill_is_refreshed_once_for_backfill_and_worker(
    pipeline, start_worker, crm, sandbox
):
    worker = start_worker("w1")
    portal = sandbox.portal_ids[0]
    changed: list[str] = []

    def after_page(done: int, total: int | None) -> None:
        if changed:
            return
        # After the first page: the CRM expires the token our database still trusts,
        # and contacts already backfilled change, so the worker needs the API too.
        assert sandbox.sandbox.tokens.expire_portal(portal) >= 1
        changed.extend(crm.ids(10))
        crm.update({cid: {"campaign": "9", "pdays": "5"} for cid in changed})

    summary = run_backfill(pipeline["installation_id"], pipeline["config"], after_page)
    assert (summary.contacts, summary.failed) == (300, {})
    wait_for_settled_inbox(sandbox, worker)

    assert_every_event_processed()
    all_ids = every_contact_id(crm)
    assert len(all_ids) == 300
    assert_final_scores_in_crm(pipeline, all_ids)
    writes = sandbox.app_writes_by_contact()
    assert sorted(writes) == sorted(all_ids)
    # Once by the backfill; a changed contact once more at most, for its one change.
    assert {cid: n for cid, n in writes.items() if n != 1 and cid not in changed} == {}
    assert all(writes[cid] <= 2 for cid in changed)
    # The CRM refused the expired token, and one refresh served both processes:
    # the install's code exchange, then a single refresh.
    assert sandbox.stats()["by_status"].get("401", 0) >= 1
    assert sandbox.stats()["requests"].get("POST /oauth/v1/token 200") == 2
    with db.transaction() as session:
        assert session.get(Installation, pipeline["installation_id"]).status == "active"
        assert [job.status for job in session.query(SyncJob)] == ["done"]


@pytest.mark.parametrize("retry_time_scale", [0.8])
def test_a_batch_outliving_its_claim_lease_is_not_taken_over(
    pipeline, start_worker, crm, sandbox
):
    ids = crm.ids(10)
    first = start_worker("first")
    other = start_worker("other")
    # API answers take 1 s, and the batch's write is answered with a 429 that the
    # client honours for 10 s x 0.8: the batch outlives its 5 s claim lease while
    # its worker is alive and well. The other worker must not take it over, or
    # both write the same change.
    sandbox.set_faults(latency_ms=1000)
    crm.update({cid: {"campaign": "8"} for cid in ids})
    wait_until(lambda: batch_reads_answered(sandbox) >= 1, 30, message="the batch read")
    sandbox.set_faults(throttle_next=1)
    wait_until(
        lambda: sandbox.stats()["rate_limited"].get("INJECTED") == 1, 10, message="the 429"
    )
    sandbox.reset_faults()
    # The paused batch goes on after its pause, lease or not: wait for its end.
    wait_until(
        lambda: finished_after_pause(first) or finished_after_pause(other),
        30,
        message="the paused batch to finish",
    )
    wait_for_settled_inbox(sandbox, first, timeout=40)

    assert_every_event_processed()
    assert_final_scores_in_crm(pipeline, ids)
    assert sandbox.app_writes_by_contact() == {cid: 1 for cid in ids}
