"""Webhook receivers: verify, parse, store in the inbox, answer; the work comes later.

Each request runs the same gauntlet (size, content type, signature, timestamp,
JSON, shape), then every event is stored in one transaction, and only after the
commit is processing enqueued. A rejection stores nothing.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from connectors.base import IGNORED
from connectors.errors import WebhookRejected
from connectors.hubspot import events as hubspot_events
from connectors.hubspot import webhooks as hubspot
from integration.crypto import KeyRing, SecretUnreadable
from integration.db import db
from integration.logs import log_event
from integration.models import Installation
from integration.pipeline import intake
from integration.pipeline.enqueue import enqueue_processing
from integration.web.errors import error_response
from integration.web.intake_checks import parse_json, public_uri, read_body, require_json

logger = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

# Installation ids are 32-bit integers; a larger number in the URL cannot be one.
MAX_ID = 2**31 - 1
GENERIC_EVENT_TYPES = {"contact.created", "contact.updated", "contact.deleted"}


@bp.errorhandler(WebhookRejected)
def _rejected(exc: WebhookRejected):
    log_event(logger, "webhook.rejected", logging.WARNING, reason=exc.reason, status=exc.status)
    return error_response(exc.status, exc.reason, exc.message)


@bp.post("/hubspot")
def hubspot_webhook():
    body = read_body(request)
    require_json(request)
    secret = current_app.config.get("HUBSPOT_CLIENT_SECRET")
    if not secret:
        # 503 makes HubSpot retry later: nothing is lost while we are misconfigured.
        raise WebhookRejected(503, "not-configured", "HUBSPOT_CLIENT_SECRET is not set")
    signed = hubspot.SignedRequest(request.method, public_uri(request), body, request.headers)
    hubspot.verify(
        signed,
        secret,
        versions=current_app.config["HUBSPOT_SIGNATURE_VERSIONS"],
        max_age_s=current_app.config["HUBSPOT_SIGNATURE_MAX_AGE_S"],
    )
    events = hubspot.validate_events(parse_json(body))
    incoming = [_hubspot_incoming(event) for event in events]
    return _store_and_answer("hubspot", incoming)


def _hubspot_incoming(event: dict[str, Any]) -> intake.IncomingEvent:
    parsed = hubspot_events.parse_event(event)
    ignored = parsed.echo or parsed.kind == IGNORED
    return intake.IncomingEvent(
        account_id=str(event["portalId"]),
        dedup_key=hubspot.dedup_key(event),
        event_type=event["subscriptionType"],
        object_id=str(event["objectId"]),
        occurred_at=event["occurredAt"],
        payload=event,
        status="ignored" if ignored else "pending",
    )


@bp.post("/generic/<int:installation_id>")
def generic_webhook(installation_id: int):
    """Contact changes from any tool, signed per the Standard Webhooks specification."""
    body = read_body(request)
    require_json(request)
    installation, secret = _generic_secret(installation_id)
    try:
        Webhook(secret).verify(body, dict(request.headers), json_parse=False)
    except WebhookVerificationError as exc:
        if "timestamp" in str(exc).lower():
            raise WebhookRejected(
                401, "bad-timestamp", "webhook-timestamp is missing, malformed, too old or too new"
            ) from exc
        raise WebhookRejected(
            401, "bad-signature", "Standard Webhooks signature check failed"
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected(
            401, "bad-signature", "Standard Webhooks signature check failed"
        ) from exc
    event = _validate_generic(parse_json(body))
    incoming = intake.IncomingEvent(
        account_id=installation.external_account_id,
        # The spec makes webhook-id the idempotency key of a message.
        dedup_key=hashlib.sha256(request.headers["webhook-id"].encode()).hexdigest(),
        event_type=event["type"],
        object_id=str(event["data"]["contact_id"]),
        occurred_at=_generic_occurred_at(event, request.headers["webhook-timestamp"]),
        payload=event,
    )
    return _store_and_answer("generic", [incoming], connector_of_account=installation.connector)


def _generic_secret(installation_id: int) -> tuple[Installation, str]:
    # One answer for "no such installation" and "no secret set", so that unsigned
    # callers cannot probe which installation ids exist.
    unknown = WebhookRejected(
        404, "unknown-endpoint", "no generic webhook endpoint for this installation"
    )
    if installation_id > MAX_ID:
        raise unknown
    with db.transaction() as session:
        installation = session.get(Installation, installation_id)
        if installation is None or installation.status == "uninstalled":
            raise unknown
        if installation.webhook_secret_enc is None:
            raise unknown
        session.expunge(installation)
    try:
        secret = KeyRing(current_app.config["ENCRYPTION_KEYS"]).decrypt(
            installation.webhook_secret_enc
        )
    except SecretUnreadable as exc:
        raise WebhookRejected(503, "secret-unreadable", "webhook secret cannot be read") from exc
    return installation, secret


def _validate_generic(parsed: Any) -> dict[str, Any]:
    if not isinstance(parsed, dict):
        raise WebhookRejected(400, "not-an-object", "body must be a JSON object")
    if parsed.get("type") not in GENERIC_EVENT_TYPES:
        allowed = ", ".join(sorted(GENERIC_EVENT_TYPES))
        raise WebhookRejected(400, "bad-event", f"'type' must be one of: {allowed}")
    data = parsed.get("data")
    contact_id = data.get("contact_id") if isinstance(data, dict) else None
    if isinstance(contact_id, bool) or not isinstance(contact_id, str | int) or contact_id == "":
        raise WebhookRejected(400, "bad-event", "'data.contact_id' is missing")
    properties = data.get("properties", {})
    if not isinstance(properties, dict):
        raise WebhookRejected(400, "bad-event", "'data.properties' must be an object")
    return parsed


def _generic_occurred_at(event: dict[str, Any], header_timestamp: str) -> int:
    occurred = event["data"].get("occurred_at")
    if isinstance(occurred, int) and not isinstance(occurred, bool):
        return occurred
    return int(header_timestamp) * 1000


def _store_and_answer(
    connector: str, events: list[intake.IncomingEvent], connector_of_account: str | None = None
):
    with db.transaction() as session:
        result = intake.store(session, connector, events, connector_of_account)
    # Only now, after the commit, may a worker look for these rows. The countdown
    # lets a burst of changes to one contact gather into one read and one write.
    enqueue_processing(result.to_process, countdown=current_app.config["DEBOUNCE_S"])
    log_event(
        logger,
        "webhook.accepted",
        connector=connector,
        stored=result.stored_total,
        duplicates=result.duplicates,
        unrouted=result.unrouted,
    )
    return jsonify(
        {
            "stored": result.stored_total,
            "duplicates": result.duplicates,
            "unrouted": result.unrouted,
        }
    )
