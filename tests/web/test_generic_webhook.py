"""POST /webhooks/generic/<installation>: Standard Webhooks signatures."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from flask import current_app
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from integration import installations
from integration.crypto import KeyRing
from integration.db import db
from integration.models import Installation, WebhookEvent
from tests.factories import make_installation

# The test vector of the Standard Webhooks specification's reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_library_reproduces_the_specification_vector():
    stamp = datetime.fromtimestamp(SPEC_TIMESTAMP, tz=UTC)
    assert Webhook(SPEC_SECRET).sign(SPEC_ID, stamp, SPEC_BODY) == SPEC_SIGNATURE


@pytest.fixture
def generic(app):
    """An installation with a generic-webhook secret; returns (id, secret)."""
    installation_id = make_installation()
    with app.app_context(), db.transaction() as session:
        installation = session.get(Installation, installation_id)
        keyring = KeyRing(current_app.config["ENCRYPTION_KEYS"])
        secret = installations.set_webhook_secret(session, installation, keyring)
    return installation_id, secret


def signed(secret: str, payload, msg_id: str | None = None, timestamp: int | None = None):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    stamp = datetime.fromtimestamp(timestamp, tz=UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": Webhook(secret).sign(msg_id, stamp, body),
    }
    return body, headers


EVENT = {
    "type": "contact.updated",
    "timestamp": "2026-12-03T10:00:00Z",
    "data": {"contact_id": "501", "properties": {"campaign": "2"}},
}


def events() -> list[WebhookEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(WebhookEvent)))


def test_a_signed_event_is_stored_once(client, generic):
    installation_id, secret = generic
    body, headers = signed(secret, EVENT, msg_id="msg_1")
    url = f"/webhooks/generic/{installation_id}"
    assert client.post(url, data=body, headers=headers).json["stored"] == 1
    again = client.post(url, data=body, headers=headers)
    assert again.json == {"stored": 0, "duplicates": 1, "unrouted": 0}
    [row] = events()
    assert (row.connector, row.event_type, row.object_id) == ("generic", "contact.updated", "501")


def test_the_specification_vector_is_refused_as_too_old(client, generic):
    installation_id, _ = generic
    with db.transaction() as session:
        installation = session.get(Installation, installation_id)
        keyring = KeyRing(client.application.config["ENCRYPTION_KEYS"])
        installation.webhook_secret_enc = keyring.encrypt(SPEC_SECRET)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }
    response = client.post(f"/webhooks/generic/{installation_id}", data=SPEC_BODY, headers=headers)
    assert response.status_code == 401
    assert events() == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: h.pop("webhook-signature"),
        lambda h: h.update({"webhook-signature": "v1,AAAA"}),
        lambda h: h.update({"webhook-signature": "garbage"}),
        lambda h: h.update({"webhook-timestamp": "not-a-number"}),
        lambda h: h.update({"webhook-id": "msg_other"}),
    ],
)
def test_bad_signatures_are_401(client, generic, mangle):
    installation_id, secret = generic
    body, headers = signed(secret, EVENT)
    mangle(headers)
    response = client.post(f"/webhooks/generic/{installation_id}", data=body, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "bad-signature"
    assert events() == []


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "contact.exploded", "data": {"contact_id": "1"}},
        {"type": "contact.updated", "data": {}},
        {"type": "contact.updated", "data": {"contact_id": "1", "properties": []}},
        ["not", "an", "object"],
    ],
)
def test_bad_events_are_400(client, generic, payload):
    installation_id, secret = generic
    body, headers = signed(secret, payload)
    response = client.post(f"/webhooks/generic/{installation_id}", data=body, headers=headers)
    assert response.status_code == 400
    assert events() == []


def test_unknown_installation_and_missing_secret_look_the_same(client):
    body, headers = signed("whsec_" + "A" * 32, EVENT)
    installation_id = make_installation(portal_id=77)  # exists, but has no secret
    for target in (999, installation_id, 99999999999999999999999):
        response = client.post(f"/webhooks/generic/{target}", data=body, headers=headers)
        assert response.status_code == 404
        assert response.json["error"]["code"] == "unknown-endpoint"


def test_a_stale_timestamp_is_named_as_such(client, generic):
    installation_id, secret = generic
    body, headers = signed(secret, EVENT, timestamp=int(time.time()) - 3600)
    response = client.post(f"/webhooks/generic/{installation_id}", data=body, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "bad-timestamp"
