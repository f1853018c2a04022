"""POST /webhooks/hubspot: the gauntlet, the inbox, dedup and enqueue-after-commit."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from integration.db import db
from integration.models import UnroutedDelivery, WebhookEvent
from tests.brokers import queued_tasks
from tests.conftest import HUBSPOT_SECRET
from tests.factories import body_of, hubspot_event, make_installation, signed_headers

URL = "/webhooks/hubspot"


def post(client, body: bytes, headers: dict | None = None):
    headers = signed_headers(body, HUBSPOT_SECRET) if headers is None else headers
    return client.post(URL, data=body, headers=headers)


def stored_events() -> list[WebhookEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def test_a_batch_of_100_events_is_stored_before_the_answer(client, config_overrides):
    installation_id = make_installation()
    events = [hubspot_event(object_id=n) for n in range(100)]
    response = post(client, body_of(events))
    assert response.status_code == 200
    assert response.json == {"stored": 100, "duplicates": 0, "unrouted": 0}
    rows = stored_events()
    assert len(rows) == 100
    assert {row.status for row in rows} == {"pending"}
    assert rows[0].payload == events[0]
    assert rows[0].object_id == "0" and rows[0].installation_id == installation_id
    # Processing is enqueued once per installation, after the commit.
    tasks = queued_tasks(config_overrides["CELERY_BROKER_URL"])
    assert tasks == [("integration.pipeline.tasks.process_installation", [installation_id])]


@pytest.mark.parametrize(
    "kind",
    [
        "contact.creation",
        "contact.deletion",
        "contact.privacyDeletion",
        "contact.merge",
        "contact.restore",
        "contact.associationChange",
        "contact.propertyChange",
    ],
)
def test_every_contact_subscription_type_is_accepted(client, kind):
    make_installation()
    response = post(client, body_of([hubspot_event(subscription_type=kind)]))
    assert response.status_code == 200
    assert [row.event_type for row in stored_events()] == [kind]


def test_redeliveries_are_stored_once(client):
    make_installation()
    first = hubspot_event(object_id=7)
    retry = dict(first, attemptNumber=4)
    assert post(client, body_of([first])).json["stored"] == 1
    # Out of order, with a new event in between and the retry twice in one batch.
    later = hubspot_event(object_id=7, propertyValue="4")
    response = post(client, body_of([later, retry, retry]))
    assert response.json == {"stored": 1, "duplicates": 2, "unrouted": 0}
    assert len(stored_events()) == 2


def test_events_of_portals_not_installed_are_acknowledged_and_counted(client, config_overrides):
    installation_id = make_installation()
    events = [hubspot_event(portal_id=999), hubspot_event(portal_id=999), hubspot_event()]
    response = post(client, body_of(events))
    assert response.status_code == 200
    assert response.json == {"stored": 1, "duplicates": 0, "unrouted": 2}
    with db.transaction() as session:
        counter = session.scalars(select(UnroutedDelivery)).one()
        assert (counter.external_account_id, counter.event_count) == ("999", 2)
    post(client, body_of([hubspot_event(portal_id=999)]))
    with db.transaction() as session:
        assert session.scalars(select(UnroutedDelivery.event_count)).one() == 3
    tasks = queued_tasks(config_overrides["CELERY_BROKER_URL"])
    assert [args for _, args in tasks] == [[installation_id]]


def test_signature_covers_the_public_url_behind_a_proxy(client, app):
    make_installation()
    body = body_of([hubspot_event()])
    internal = signed_headers(body, HUBSPOT_SECRET, uri="http://localhost/webhooks/hubspot")
    assert post(client, body, internal).status_code == 401
    public = signed_headers(
        body, HUBSPOT_SECRET, uri="https://scoring.example.com/webhooks/hubspot"
    )
    assert post(client, body, public).status_code == 200


def test_query_escapes_are_decoded_as_hubspot_does(client):
    make_installation()
    body = body_of([hubspot_event()])
    uri = "https://scoring.example.com/webhooks/hubspot?source=a%3Ab%20c"
    headers = signed_headers(body, HUBSPOT_SECRET, uri=uri)
    response = client.post(URL + "?source=a%3Ab%20c", data=body, headers=headers)
    assert response.status_code == 200


def assert_rejected(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.is_json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    assert stored_events() == []


def test_missing_signature_is_401(client):
    make_installation()
    assert_rejected(
        client.post(URL, data=b"[]", headers={"Content-Type": "application/json"}),
        401,
        "missing-signature",
    )


def test_wrong_signature_is_401(client):
    make_installation()
    body = body_of([hubspot_event()])
    headers = signed_headers(body, "another-secret")
    assert_rejected(post(client, body, headers), 401, "bad-signature")


@pytest.mark.parametrize(
    ("timestamp", "code"),
    [
        (lambda now: now - 6 * 60 * 1000, "stale-timestamp"),
        (lambda now: now + 10 * 60 * 1000, "future-timestamp"),
    ],
)
def test_stale_and_future_timestamps_are_401(client, timestamp, code):
    make_installation()
    body = body_of([hubspot_event()])
    headers = signed_headers(body, HUBSPOT_SECRET, timestamp_ms=timestamp(int(time.time() * 1000)))
    assert_rejected(post(client, body, headers), 401, code)


@pytest.mark.parametrize("value", ["", "abc", "12.5", "-5", "1" * 30])
def test_malformed_timestamps_are_401(client, value):
    make_installation()
    body = body_of([hubspot_event()])
    headers = signed_headers(body, HUBSPOT_SECRET)
    headers["X-HubSpot-Request-Timestamp"] = value
    assert_rejected(post(client, body, headers), 401, "malformed-timestamp")


@pytest.mark.parametrize("body", [b"[{", b"\xff\xfe[]", b"", b"nul"])
def test_malformed_json_is_400(client, body):
    assert_rejected(post(client, body), 400, "malformed-json")


@pytest.mark.parametrize("payload", [{"eventId": 1}, "events", 5, None])
def test_a_body_that_is_not_an_array_is_400(client, payload):
    assert_rejected(post(client, json.dumps(payload).encode()), 400, "not-an-array")


@pytest.mark.parametrize(
    "broken",
    [
        {"portalId": None},
        {"objectId": "abc"},
        {"occurredAt": True},
        {"subscriptionType": 5},
        {"propertyName": None},
    ],
)
def test_events_missing_required_fields_are_400(client, broken):
    make_installation()
    event = hubspot_event()
    event.update(broken)
    event = {key: value for key, value in event.items() if value is not None}
    response = post(client, body_of([hubspot_event(), event]))
    assert_rejected(response, 400, "bad-event")
    assert "event 1" in response.json["error"]["message"]


def test_an_event_that_is_not_an_object_is_400(client):
    assert_rejected(post(client, body_of([hubspot_event(), 7])), 400, "bad-event")


def test_a_body_over_the_limit_is_413(client, app):
    app.config["WEBHOOK_MAX_BODY_BYTES"] = 2048
    make_installation()
    body = body_of([hubspot_event(object_id=n) for n in range(30)])
    assert len(body) > 2048
    assert_rejected(post(client, body), 413, "body-too-large")


def test_the_default_limit_is_one_mebibyte(client):
    body = b"[" + b" " * (1024 * 1024) + b"]"
    assert_rejected(post(client, body), 413, "body-too-large")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_415(client, content_type):
    body = body_of([hubspot_event()])
    headers = signed_headers(body, HUBSPOT_SECRET)
    if content_type is None:
        del headers["Content-Type"]
    else:
        headers["Content-Type"] = content_type
    assert_rejected(post(client, body, headers), 415, "unsupported-media-type")


def test_nothing_is_stored_when_one_event_in_the_batch_is_bad(client):
    make_installation()
    good = [hubspot_event(object_id=n) for n in range(5)]
    response = post(client, body_of([*good, {"eventId": 9}]))
    assert response.status_code == 400
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_echoes_and_associations_are_kept_but_never_queued(client, config_overrides):
    make_installation()
    echo = hubspot_event(propertyName="holisticrm_score", propertyValue="55",
                         changeSource="INTEGRATION")
    association = hubspot_event(subscription_type="contact.associationChange")
    response = post(client, body_of([echo, association]))
    assert response.json["stored"] == 2
    assert {row.status for row in stored_events()} == {"ignored"}
    assert queued_tasks(config_overrides["CELERY_BROKER_URL"]) == []
