"""A webhook accepted while the broker is down is enqueued once the broker is back."""

from __future__ import annotations

import pytest
import redis

from integration.pipeline.tasks import sweep_inbox
from tests.brokers import queued_tasks
from tests.conftest import HUBSPOT_SECRET, service_unavailable
from tests.factories import body_of, hubspot_event, make_installation, signed_headers
from tests.services import RedisServer


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path)
    if server.binary is None:
        service_unavailable("redis-server is not installed")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_overrides(config_overrides, private_redis):
    return {**config_overrides, "CELERY_BROKER_URL": private_redis.url, "SWEEP_PENDING_AFTER_S": 0}


def test_events_accepted_during_a_broker_outage_are_enqueued_by_the_sweeper(
    redis_overrides, private_redis, monkeypatch, tmp_path
):
    from integration.app import create_app

    monkeypatch.setenv("HOLISTICRM_HOME", str(tmp_path / "home"))
    client = create_app(redis_overrides).test_client()
    installation_id = make_installation()

    private_redis.stop()
    body = body_of([hubspot_event(object_id=n) for n in range(3)])
    response = client.post(
        "/webhooks/hubspot", data=body, headers=signed_headers(body, HUBSPOT_SECRET)
    )
    # Accepted and stored although nothing could be enqueued.
    assert response.status_code == 200
    assert response.json["stored"] == 3

    private_redis.start()
    assert queued_tasks(private_redis.url) == []
    assert sweep_inbox() == 1
    assert queued_tasks(private_redis.url) == [
        ("integration.pipeline.tasks.process_installation", [installation_id])
    ]
    redis.Redis.from_url(private_redis.url).close()
