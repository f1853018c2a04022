"""HubSpot webhook events -> normalized contact events.

https://developers.hubspot.com/docs/api/webhooks (event fields per subscription type)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors import base
from connectors.hubspot import quirks

OUR_FIELDS = frozenset(field.name for field in quirks.SCORE_FIELDS)


def parse_event(payload: Mapping[str, Any]) -> base.ContactEvent:
    kind = _kind(payload)
    contact_id = str(payload.get("objectId", ""))
    occurred_at = int(payload.get("occurredAt") or 0)
    if kind == base.MERGED:
        return _merge(payload, occurred_at)
    if kind == base.PROPERTY_CHANGED:
        name = payload.get("propertyName")
        return base.ContactEvent(
            kind=kind,
            contact_id=contact_id,
            occurred_at=occurred_at,
            property_name=name,
            property_value=payload.get("propertyValue"),
            # Our own write coming back: it must never cause another write.
            echo=name in OUR_FIELDS,
        )
    return base.ContactEvent(kind=kind, contact_id=contact_id, occurred_at=occurred_at)


def _kind(payload: Mapping[str, Any]) -> str:
    subscription = str(payload.get("subscriptionType", ""))
    if subscription.startswith("object."):
        # Generic subscriptions: only contacts matter, named by objectTypeId.
        if str(payload.get("objectTypeId")) != quirks.CONTACT_OBJECT_TYPE_ID:
            return base.IGNORED
        subscription = "contact." + subscription.removeprefix("object.")
    return quirks.CONTACT_EVENT_KINDS.get(subscription, base.IGNORED)


def _merge(payload: Mapping[str, Any], occurred_at: int) -> base.ContactEvent:
    # newObjectId is set when the merge created a new record; it then survives.
    surviving = payload.get("newObjectId") or payload.get("primaryObjectId") or payload["objectId"]
    merged = tuple(str(item) for item in payload.get("mergedObjectIds") or ())
    return base.ContactEvent(
        kind=base.MERGED,
        contact_id=str(surviving),
        occurred_at=occurred_at,
        surviving_id=str(surviving),
        merged_ids=tuple(item for item in merged if item != str(surviving)),
    )
