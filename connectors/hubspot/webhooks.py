"""Checks for HubSpot webhook requests: signature, timestamp and the event shapes.

https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests
https://developers.hubspot.com/docs/api/webhooks
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.errors import WebhookRejected
from connectors.hubspot import signature

HEADER_V3 = "X-HubSpot-Signature-v3"
HEADER_TIMESTAMP = "X-HubSpot-Request-Timestamp"
HEADER_LEGACY = "X-HubSpot-Signature"
HEADER_VERSION = "X-HubSpot-Signature-Version"

# A little tolerance for clocks that run ahead of ours; HubSpot does not document one.
FUTURE_SKEW_MS = 60_000

REQUIRED_FIELDS: dict[str, type | tuple[type, ...]] = {
    "eventId": int,
    "subscriptionId": int,
    "portalId": int,
    "occurredAt": int,
    "subscriptionType": str,
    "objectId": int,
}
# Fields that differ between deliveries of the same event; left out of the dedup key.
DELIVERY_FIELDS = ("attemptNumber",)


@dataclass(frozen=True)
class SignedRequest:
    method: str
    uri: str  # the full URI as HubSpot called it (public base URL + raw path and query)
    body: bytes
    headers: Mapping[str, str]


def verify(
    request: SignedRequest,
    client_secret: str,
    versions: Sequence[str] = ("v3",),
    max_age_s: int = 300,
    now_ms: int | None = None,
) -> str:
    """Check the request's signature; return the version that matched.

    Raises WebhookRejected (401) when no accepted signature is present and valid.
    """
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if "v3" in versions and request.headers.get(HEADER_V3):
        _verify_v3(request, client_secret, max_age_s, now_ms)
        return "v3"
    legacy_version = (request.headers.get(HEADER_VERSION) or "").lower()
    if legacy_version in versions and request.headers.get(HEADER_LEGACY):
        _verify_legacy(request, client_secret, legacy_version)
        return legacy_version
    raise WebhookRejected(401, "missing-signature", "no accepted HubSpot signature header")


def _verify_v3(request: SignedRequest, secret: str, max_age_s: int, now_ms: int) -> None:
    timestamp = request.headers.get(HEADER_TIMESTAMP, "")
    if not timestamp.isdigit() or len(timestamp) > 16:
        raise WebhookRejected(
            401, "malformed-timestamp", f"{HEADER_TIMESTAMP} must be milliseconds since epoch"
        )
    age_ms = now_ms - int(timestamp)
    if age_ms > max_age_s * 1000:
        raise WebhookRejected(401, "stale-timestamp", "request timestamp is older than allowed")
    if age_ms < -FUTURE_SKEW_MS:
        raise WebhookRejected(401, "future-timestamp", "request timestamp is in the future")
    expected = signature.sign_v3(secret, request.method, request.uri, request.body, timestamp)
    if not signature.matches(expected, request.headers[HEADER_V3]):
        raise WebhookRejected(401, "bad-signature", "signature does not match")


def _verify_legacy(request: SignedRequest, secret: str, version: str) -> None:
    if version == "v1":
        expected = signature.sign_v1(secret, request.body)
    else:
        expected = signature.sign_v2(secret, request.method, request.uri, request.body)
    if not signature.matches(expected, request.headers[HEADER_LEGACY]):
        raise WebhookRejected(401, "bad-signature", "signature does not match")


def validate_events(parsed: Any) -> list[dict[str, Any]]:
    """Check the body is an array of events with the fields we rely on."""
    if not isinstance(parsed, list):
        raise WebhookRejected(400, "not-an-array", "body must be a JSON array of events")
    for index, event in enumerate(parsed):
        _validate_event(index, event)
    return parsed


def _validate_event(index: int, event: Any) -> None:
    if not isinstance(event, dict):
        raise WebhookRejected(400, "bad-event", f"event {index} is not a JSON object")
    for field, kind in REQUIRED_FIELDS.items():
        value = event.get(field)
        # bool is an int in Python, but never a valid id or time.
        if value is None or isinstance(value, bool) or not isinstance(value, kind):
            raise WebhookRejected(
                400,
                "bad-event",
                f"event {index}: field {field!r} is missing or not {kind.__name__}",
            )
    if event["subscriptionType"].endswith(".propertyChange") and not isinstance(
        event.get("propertyName"), str
    ):
        raise WebhookRejected(
            400, "bad-event", f"event {index}: property change without 'propertyName'"
        )


def dedup_key(event: Mapping[str, Any]) -> str:
    """A key equal for every delivery of one event and different between events.

    HubSpot's eventId alone is not guaranteed unique, and retries change
    attemptNumber, so the key hashes the whole event minus its delivery fields.
    """
    stable = {key: value for key, value in event.items() if key not in DELIVERY_FIELDS}
    canonical = json.dumps(stable, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
