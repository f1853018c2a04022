"""Webhook delivery: shape, batching, signatures, echoes of app writes, retries."""

from __future__ import annotations

import time

import requests
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    SimplePublicObjectBatchInput,
    SimplePublicObjectInput,
)

from connectors.hubspot.signature import matches, sign_v1, sign_v3
from tests.sandbox.helpers import SECRET, official_client


def hooked(make_sandbox, receiver, **overrides):
    settings = {"webhook_url": receiver.url, "webhooks_need_install": False}
    settings.update(overrides)
    return make_sandbox(**settings)


def test_app_write_sends_signed_property_change_events(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    client = official_client(server)
    client.crm.contacts.basic_api.update(
        "7", SimplePublicObjectInput(properties={"campaign": "12", "job": "student"})
    )
    assert server.wait_for_webhooks(10)
    assert len(receiver.received) == 1
    post = receiver.received[0]
    timestamp = post.headers["X-HubSpot-Request-Timestamp"]
    expected_v3 = sign_v3(SECRET, "POST", receiver.url, post.body, timestamp)
    assert matches(expected_v3, post.headers["X-HubSpot-Signature-v3"])
    assert matches(sign_v1(SECRET, post.body), post.headers["X-HubSpot-Signature"])
    assert post.headers["X-HubSpot-Signature-Version"] == "v1"
    assert abs(int(timestamp) - time.time() * 1000) < 60_000
    events = sorted(post.events, key=lambda e: e["propertyName"])
    assert [(e["propertyName"], e["propertyValue"]) for e in events] == [
        ("campaign", "12"),
        ("job", "student"),
    ]
    for event in events:
        assert event["subscriptionType"] == "contact.propertyChange"
        assert event["objectId"] == 7
        assert event["portalId"] == server.portal_ids[0]
        assert event["appId"] == server.config.app_id
        assert event["attemptNumber"] == 0
        assert event["changeSource"] == "INTEGRATION"
        assert event["sourceId"]
        assert isinstance(event["occurredAt"], int) and isinstance(event["eventId"], int)
        assert "changeFlag" not in event


def test_unchanged_values_send_nothing(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    client = official_client(server)
    age = client.crm.contacts.basic_api.get_by_id("3", properties=["age"]).properties["age"]
    client.crm.contacts.basic_api.update("3", SimplePublicObjectInput(properties={"age": age}))
    assert server.wait_for_webhooks(5)
    assert receiver.received == []


def test_events_are_batched_by_at_most_100(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver, webhook_batch_window_s=0.3)
    client = official_client(server)
    inputs = [
        SimplePublicObjectBatchInput(id=str(i), properties={"campaign": "40", "pdays": "3"})
        for i in range(1, 101)
    ]
    client.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert server.wait_for_webhooks(10)
    sizes = [len(post.events) for post in receiver.received]
    assert sum(sizes) == 200
    assert max(sizes) <= 100 and len(sizes) >= 2


def test_creation_merge_and_privacy_deletion_events(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    headers = {"Authorization": f"Bearer {server.private_tokens[server.portal_ids[0]]}"}
    base = f"{server.base_url}/crm/v3/objects/contacts"
    created = requests.post(
        base, json={"properties": {"email": "a.b@example.com"}}, headers=headers, timeout=5
    ).json()
    requests.post(
        f"{base}/merge",
        json={"primaryObjectId": "20", "objectIdToMerge": "21"},
        headers=headers,
        timeout=5,
    )
    requests.post(f"{base}/gdpr-delete", json={"objectId": "22"}, headers=headers, timeout=5)
    requests.delete(f"{base}/23", headers=headers, timeout=5)
    assert server.wait_for_webhooks(10)
    by_type = {}
    for event in receiver.events():
        by_type.setdefault(event["subscriptionType"], []).append(event)
    assert by_type["contact.creation"][0]["objectId"] == int(created["id"])
    assert by_type["contact.creation"][0]["changeFlag"] == "CREATED"
    merge = by_type["contact.merge"][0]
    assert merge["primaryObjectId"] == 20 and merge["mergedObjectIds"] == [21]
    assert by_type["contact.privacyDeletion"][0]["objectId"] == 22
    assert sorted(e["objectId"] for e in by_type["contact.deletion"]) == [22, 23]


def test_no_events_for_portals_without_the_app(make_sandbox, receiver):
    server = make_sandbox(webhook_url=receiver.url)
    official_client(server).crm.contacts.basic_api.update(
        "7", SimplePublicObjectInput(properties={"campaign": "12"})
    )
    assert server.wait_for_webhooks(5)
    assert receiver.received == []
    assert server.stats()["webhooks"]["events_app_not_installed"] == 1


def test_failed_deliveries_are_retried_with_growing_attempt_numbers(make_sandbox, receiver):
    receiver.answers = [500, 401]
    server = hooked(make_sandbox, receiver, retry_compression=86400)
    official_client(server).crm.contacts.basic_api.update(
        "7", SimplePublicObjectInput(properties={"campaign": "12"})
    )
    assert server.wait_for_webhooks(20)
    attempts = [post.events[0]["attemptNumber"] for post in receiver.received]
    assert attempts == [0, 1, 2]
    # each attempt is signed afresh: the body changed with its attempt number
    last = receiver.received[-1]
    expected = sign_v3(
        SECRET, "POST", receiver.url, last.body, last.headers["X-HubSpot-Request-Timestamp"]
    )
    assert matches(expected, last.headers["X-HubSpot-Signature-v3"])
    webhooks = server.stats()["webhooks"]
    assert webhooks["retries_scheduled"] == 2 and webhooks["events_delivered"] == 1


def test_retries_stop_after_the_maximum(make_sandbox, receiver):
    receiver.answers = [503] * 20
    server = hooked(make_sandbox, receiver, retry_compression=86400 * 4, webhook_max_retries=3)
    official_client(server).crm.contacts.basic_api.update(
        "7", SimplePublicObjectInput(properties={"campaign": "12"})
    )
    assert server.wait_for_webhooks(20)
    assert len(receiver.received) == 4
    assert server.stats()["webhooks"]["events_given_up"] == 1


def test_a_slow_receiver_times_out_and_is_retried(make_sandbox, receiver):
    receiver.delay_s = 0.6
    server = hooked(
        make_sandbox,
        receiver,
        webhook_timeout_s=0.3,
        retry_compression=86400,
        webhook_max_retries=1,
    )
    official_client(server).crm.contacts.basic_api.update(
        "7", SimplePublicObjectInput(properties={"campaign": "12"})
    )
    assert server.wait_for_webhooks(20)
    statuses = [d["status"] for d in server.sandbox.webhooks.recent_deliveries(10)]
    assert statuses == ["timeout", "timeout"]


def test_simulation_changes_contacts_and_fires_user_events(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    run = server.simulate(rate=100, duration_s=0.3)
    assert run["running"]
    assert server.sandbox.simulator.wait(5)
    assert server.wait_for_webhooks(10)
    status = server.sandbox.simulator.status()
    events = receiver.events()
    assert status["contactsChanged"] >= 20
    assert len(events) == status["propertiesChanged"]
    assert {e["changeSource"] for e in events} == {"CRM_UI"}
    bank_fields = {
        "campaign",
        "previous",
        "poutcome",
        "pdays",
        "job",
        "marital",
        "education",
        "housing",
        "loan",
        "contact",
        "lifecyclestage",
    }
    assert {e["propertyName"] for e in events} <= bank_fields


def test_subscriptions_can_be_narrowed(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    requests.put(
        f"{server.base_url}/_sandbox/webhooks",
        json={"subscriptions": [{"eventType": "contact.propertyChange", "propertyName": "job"}]},
        timeout=5,
    ).raise_for_status()
    official_client(server).crm.contacts.basic_api.update(
        "7", SimplePublicObjectInput(properties={"campaign": "12", "job": "student"})
    )
    assert server.wait_for_webhooks(5)
    assert [e["propertyName"] for e in receiver.events()] == ["job"]


def test_events_flow_after_oauth_install_and_stop_after_uninstall(make_sandbox, receiver):
    server = make_sandbox(webhook_url=receiver.url)  # the HubSpot-like default: install needed
    redirect = "http://localhost/cb"
    tokens = requests.post(
        f"{server.base_url}/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "client_id": server.config.client_id,
            "client_secret": server.config.client_secret,
            "redirect_uri": redirect,
            "code": server.authorization_code(redirect_uri=redirect),
        },
        timeout=5,
    ).json()
    client = official_client(server, tokens["access_token"])
    client.crm.contacts.basic_api.update("7", SimplePublicObjectInput(properties={"age": "33"}))
    assert server.wait_for_webhooks(5)
    [event] = receiver.events()
    assert event["sourceId"] == str(server.config.app_id)  # an echo of the app's own write
    requests.post(
        f"{server.base_url}/_sandbox/portals/{server.portal_ids[0]}/uninstall", timeout=5
    ).raise_for_status()
    touch = official_client(server).crm.contacts.basic_api
    touch.update("7", SimplePublicObjectInput(properties={"age": "34"}))
    assert server.wait_for_webhooks(5)
    assert len(receiver.events()) == 1


def test_simulating_a_count_of_distinct_contacts_with_fixed_changes(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    server.simulate(rate=500, duration_s=None, count=40, properties_per_change=5)
    assert server.sandbox.simulator.wait(5)
    assert server.wait_for_webhooks(10)
    status = server.sandbox.simulator.status()
    assert status["contactsChanged"] == 40 and status["propertiesChanged"] == 200
    per_contact = {}
    for event in receiver.events():
        per_contact.setdefault(event["objectId"], set()).add(event["propertyName"])
    assert len(per_contact) == 40
    assert all(len(names) == 5 for names in per_contact.values())


def test_restore_of_an_archived_contact(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    headers = {"Authorization": f"Bearer {server.private_tokens[server.portal_ids[0]]}"}
    contact = f"{server.base_url}/crm/v3/objects/contacts/30"
    assert requests.delete(contact, headers=headers, timeout=5).status_code == 204
    assert requests.get(contact, headers=headers, timeout=5).status_code == 404
    restore = f"{server.base_url}/_sandbox/portals/{server.portal_ids[0]}/contacts/30/restore"
    assert requests.post(restore, timeout=5).status_code == 200
    assert requests.get(contact, headers=headers, timeout=5).status_code == 200
    assert server.wait_for_webhooks(5)
    kinds = [e["subscriptionType"] for e in receiver.events()]
    assert sorted(kinds) == ["contact.deletion", "contact.restore"]


def test_simulation_over_http_with_a_count(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    answer = requests.post(
        f"{server.base_url}/_sandbox/simulate",
        json={"rate": 200, "count": "10", "propertiesPerChange": 2},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    assert server.sandbox.simulator.wait(5)
    assert server.sandbox.simulator.status()["propertiesChanged"] == 20
    bad = requests.post(f"{server.base_url}/_sandbox/simulate", json={"rate": -1}, timeout=5)
    assert bad.status_code == 400
