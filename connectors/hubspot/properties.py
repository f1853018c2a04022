"""The property group and contact properties the app writes, created idempotently.

https://developers.hubspot.com/docs/api/crm/properties
"""

from __future__ import annotations

from typing import Any

from connectors import errors
from connectors.base import ScoreField
from connectors.hubspot import quirks
from connectors.hubspot.client import HubSpotHttp

PROPERTIES = "/crm/v3/properties/contacts"


def contact_properties(http: HubSpotHttp) -> list[dict[str, Any]]:
    return http.request("GET", PROPERTIES).json().get("results", [])


def ensure_score_fields(http: HubSpotHttp) -> list[str]:
    """Create what is missing; an existing group or property is not an error."""
    existing = {prop["name"] for prop in contact_properties(http)}
    created: list[str] = []
    if not all(field.name in existing for field in quirks.SCORE_FIELDS):
        _create_group(http)
    for field in quirks.SCORE_FIELDS:
        if field.name not in existing and _create(http, field):
            created.append(field.name)
    return created


def _create_group(http: HubSpotHttp) -> None:
    try:
        http.request("POST", f"{PROPERTIES}/groups", json=quirks.PROPERTY_GROUP)
    except errors.Permanent as exc:
        if exc.status != 409:  # 409: the group exists already
            raise


def _create(http: HubSpotHttp, field: ScoreField) -> bool:
    try:
        http.request("POST", PROPERTIES, json=definition(field))
    except errors.Permanent as exc:
        if exc.status == 409:  # created meanwhile by another worker or install
            return False
        raise
    return True


def definition(field: ScoreField) -> dict[str, Any]:
    kind, field_type = quirks.FIELD_TYPES[field.type]
    body: dict[str, Any] = {
        "name": field.name,
        "label": field.label,
        "description": field.description,
        "groupName": quirks.PROPERTY_GROUP["name"],
        "type": kind,
        "fieldType": field_type,
    }
    if field.options:
        body["options"] = [
            {"label": option, "value": option, "displayOrder": order, "hidden": False}
            for order, option in enumerate(field.options)
        ]
    return body
