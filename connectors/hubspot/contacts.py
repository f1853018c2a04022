"""CRM v3 contacts: batch read, paging, batch update with per-record outcomes.

https://developers.hubspot.com/docs/api/crm/contacts
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.base import Contact, ContactPage, ScoreUpdate, WriteResult
from connectors.hubspot import quirks
from connectors.hubspot.client import HubSpotHttp

CONTACTS = "/crm/v3/objects/contacts"


def chunks(items: Sequence, size: int = quirks.BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_contacts(
    http: HubSpotHttp, ids: Sequence[str], properties: Sequence[str]
) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for chunk in chunks(list(dict.fromkeys(ids))):
        body = {
            "inputs": [{"id": contact_id} for contact_id in chunk],
            "properties": list(properties),
        }
        # 207 lists unknown ids in `errors`; they are simply not in `results`.
        answer = http.request("POST", f"{CONTACTS}/batch/read", json=body).json()
        for result in answer.get("results", []):
            found[str(result["id"])] = _contact(result)
    return found


def list_contacts(
    http: HubSpotHttp, properties: Sequence[str], cursor: str | None, limit: int
) -> ContactPage:
    params: dict[str, Any] = {
        "limit": min(limit, quirks.LIST_PAGE_SIZE),
        "properties": ",".join(properties),
    }
    if cursor:
        params["after"] = cursor
    answer = http.request("GET", CONTACTS, params=params).json()
    next_cursor = ((answer.get("paging") or {}).get("next") or {}).get("after")
    contacts = [_contact(result) for result in answer.get("results", [])]
    return ContactPage(contacts=contacts, next_cursor=next_cursor, total=answer.get("total"))


def write_scores(http: HubSpotHttp, updates: Sequence[ScoreUpdate]) -> WriteResult:
    outcome = WriteResult()
    for chunk in chunks(list(updates)):
        body = {
            "inputs": [
                {"id": update.contact_id, "properties": dict(update.properties)} for update in chunk
            ]
        }
        response = http.request("POST", f"{CONTACTS}/batch/update", json=body)
        failed = record_errors(response.json()) if response.status_code == 207 else {}
        outcome.failed.update(failed)
        outcome.written.extend(u.contact_id for u in chunk if u.contact_id not in failed)
    return outcome


def record_errors(answer: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    """Map a 207's errors onto contact ids: id -> (permanent, category).

    HubSpot names the ids in `context.ids` (or `context.id`); every error field is
    optional, so anything unreadable is skipped rather than trusted.
    """
    failed: dict[str, tuple[bool, str]] = {}
    for error in answer.get("errors") or []:
        context = error.get("context") or {}
        ids = context.get("ids") or context.get("id") or []
        category = str(error.get("category") or error.get("status") or "error")
        permanent = category not in ("RATE_LIMITS", "INTERNAL_ERROR")
        for contact_id in ids if isinstance(ids, list) else [ids]:
            failed[str(contact_id)] = (permanent, category)
    return failed


def _contact(result: dict[str, Any]) -> Contact:
    return Contact(id=str(result["id"]), properties=result.get("properties") or {})
