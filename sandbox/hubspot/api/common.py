"""Helpers shared by the blueprints: the sandbox of the app, scopes, bodies."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request

from sandbox.hubspot import errors
from sandbox.hubspot.state import Sandbox
from sandbox.hubspot.store import Source
from sandbox.hubspot.tokens import AccessToken

EXTENSION = "hubspot_sandbox"

READ = "crm.objects.contacts.read"
WRITE = "crm.objects.contacts.write"
SCHEMA_WRITE = "crm.schemas.contacts.write"

# HubSpot's 429 messages and policy names (usage-details page; hubspot-api-python#117).
TEN_SECONDLY = ("You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING")
SECONDLY = ("You have reached your secondly limit.", "SECONDLY")


def sandbox_of() -> Sandbox:
    return current_app.extensions[EXTENSION]


def require_scope(scope: str) -> None:
    token: AccessToken = g.token
    if scope not in token.scopes:
        raise errors.missing_scopes([scope])


def writer() -> Source:
    """The source HubSpot records for a write made with this request's token."""
    token: AccessToken = g.token
    return sandbox_of().app_source(private=token.private)


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise errors.validation("Invalid input JSON: the body must be a JSON object.")
    return body


def int_arg(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise errors.validation(f"{name} must be a positive integer")
    if int(raw) > maximum:
        raise errors.validation(f"{name} must be at most {maximum}")
    return int(raw)


def list_arg(name: str) -> list[str] | None:
    """HubSpot takes `properties=a,b` as well as repeated `properties=a&properties=b`."""
    values = request.args.getlist(name)
    if not values:
        return None
    return [item for value in values for item in value.split(",") if item]
