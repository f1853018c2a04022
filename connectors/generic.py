"""Events from the generic Standard Webhooks receiver -> normalized contact events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors import base

KINDS = {
    "contact.created": base.CREATED,
    "contact.updated": base.PROPERTY_CHANGED,
    "contact.deleted": base.DELETED,
}


def parse_event(payload: Mapping[str, Any], occurred_at: int) -> base.ContactEvent:
    data = payload.get("data") or {}
    return base.ContactEvent(
        kind=KINDS.get(str(payload.get("type")), base.IGNORED),
        contact_id=str(data.get("contact_id", "")),
        occurred_at=occurred_at,
    )
