"""Webhooks v3 settings and subscriptions of the app, as for a legacy public app.

https://developers.hubspot.com/docs/api/webhooks
HubSpot authenticates these calls with the developer account's `hapikey`.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sandbox.hubspot import errors
from sandbox.hubspot.api.common import json_body, sandbox_of
from sandbox.hubspot.webhooks import ALL_PROPERTIES, CONTACT_EVENT_TYPES

blueprint = Blueprint("webhooks_v3", __name__, url_prefix="/webhooks/v3/<int:app_id>")


@blueprint.before_request
def check_developer_key() -> None:
    sandbox = sandbox_of()
    if request.args.get("hapikey") != sandbox.config.developer_api_key:
        raise errors.invalid_authentication()
    if request.view_args and request.view_args.get("app_id") != sandbox.config.app_id:
        raise errors.not_found("No app with this id.")


@blueprint.get("/settings")
def get_settings(app_id: int) -> Response:
    settings = sandbox_of().webhooks.settings()
    return jsonify({"targetUrl": settings["targetUrl"], "throttling": settings["throttling"]})


@blueprint.put("/settings")
def put_settings(app_id: int) -> Response:
    body = json_body()
    if not body.get("targetUrl"):
        raise errors.validation("targetUrl is required")
    sandbox_of().webhooks.set_target(str(body["targetUrl"]))
    return get_settings(app_id)


@blueprint.delete("/settings")
def delete_settings(app_id: int) -> Response:
    sandbox_of().webhooks.set_target(None)
    return Response(status=204)


@blueprint.get("/subscriptions")
def list_subscriptions(app_id: int) -> Response:
    return jsonify({"results": sandbox_of().webhooks.settings()["subscriptions"]})


@blueprint.post("/subscriptions")
def create_subscription(app_id: int) -> tuple[Response, int]:
    body = json_body()
    event_type = body.get("eventType")
    if event_type not in CONTACT_EVENT_TYPES:
        raise errors.validation(f"eventType must be one of {', '.join(CONTACT_EVENT_TYPES)}")
    prop = body.get("propertyName")
    if event_type == "contact.propertyChange" and not prop:
        raise errors.validation("propertyName is required for contact.propertyChange")
    if prop == ALL_PROPERTIES and event_type != "contact.propertyChange":
        raise errors.validation("propertyName applies to contact.propertyChange only")
    # HubSpot starts new subscriptions paused (active false) unless told otherwise.
    sub = sandbox_of().webhooks.add_subscription(event_type, prop, bool(body.get("active", False)))
    return jsonify(sub.to_api()), 201
