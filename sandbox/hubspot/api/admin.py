"""/_sandbox/: the sandbox's own controls for tests, benchmarks and the demo.

Nothing here exists in HubSpot. It is unauthenticated on purpose: the sandbox
listens on 127.0.0.1 by default and holds no real data.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.hubspot import errors
from sandbox.hubspot.api.common import json_body, sandbox_of
from sandbox.hubspot.store import ContactNotFound, Source

blueprint = Blueprint("admin", __name__, url_prefix="/_sandbox")

ADMIN_SOURCE = Source("CRM_UI", "userId:7001")


def overview() -> dict[str, Any]:
    sandbox = sandbox_of()
    config = sandbox.config
    return {
        "baseUrl": request.host_url.rstrip("/"),
        "appId": config.app_id,
        "clientId": config.client_id,
        "portals": [
            {
                "portalId": portal_id,
                "privateAppToken": sandbox.private_tokens[portal_id],
                "contacts": len(sandbox.store.live_contacts(portal_id)),
                "appInstalled": portal_id in sandbox.tokens.installed,
            }
            for portal_id in sandbox.portal_ids
        ],
        "rateLimit": {
            "max": sandbox.limit.limit,
            "intervalMilliseconds": int(sandbox.limit.interval_s * 1000),
            "searchPerSecond": sandbox.search_limit.limit,
        },
        "accessTokenLifetimeSeconds": sandbox.tokens.lifetime_s,
        "webhooks": sandbox.webhooks.settings(),
    }


def portal_arg(portal_id: int) -> int:
    if portal_id not in sandbox_of().portal_ids:
        raise errors.not_found(f"No portal {portal_id} in this sandbox.")
    return portal_id


def optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


@blueprint.get("/")
def index() -> Response:
    return jsonify(overview())


@blueprint.get("/stats")
def stats() -> Response:
    sandbox = sandbox_of()
    body = sandbox.stats.snapshot()
    body["webhookQueue"] = {"idle": sandbox.webhooks.idle()}
    body["simulation"] = sandbox.simulator.status()
    return jsonify(body)


@blueprint.post("/stats/reset")
def reset_stats() -> Response:
    sandbox_of().stats.reset()
    return Response(status=204)


@blueprint.get("/requests")
def requests_log() -> Response:
    limit = int(request.args.get("limit", "100"))
    return jsonify({"results": sandbox_of().stats.recent(limit)})


@blueprint.get("/webhooks/deliveries")
def deliveries() -> Response:
    limit = int(request.args.get("limit", "100"))
    return jsonify({"results": sandbox_of().webhooks.recent_deliveries(limit)})


@blueprint.get("/webhooks")
def webhook_settings() -> Response:
    return jsonify(sandbox_of().webhooks.settings())


@blueprint.put("/webhooks")
def put_webhook_settings() -> Response:
    """{"targetUrl": url|null, "subscriptions": [{eventType, propertyName?, active?}]}."""
    body = json_body()
    webhooks = sandbox_of().webhooks
    if "targetUrl" in body:
        webhooks.set_target(body["targetUrl"])
    if "subscriptions" in body:
        webhooks.replace_subscriptions(body["subscriptions"])
    return jsonify(webhooks.settings())


@blueprint.post("/webhooks/wait")
def wait_webhooks() -> Response:
    timeout = float(json_body().get("timeout", 10))
    return jsonify({"idle": sandbox_of().webhooks.wait_idle(timeout)})


@blueprint.get("/faults")
def get_faults() -> Response:
    return jsonify(sandbox_of().faults.snapshot())


@blueprint.put("/faults")
def put_faults() -> Response:
    try:
        return jsonify(sandbox_of().faults.update(json_body()))
    except (TypeError, ValueError) as error:
        raise errors.validation(str(error)) from None


@blueprint.delete("/faults")
def reset_faults() -> Response:
    return jsonify(sandbox_of().faults.reset())


@blueprint.put("/rate-limit")
def put_rate_limit() -> Response:
    body = json_body()
    sandbox = sandbox_of()
    sandbox.limit.configure(
        int(body.get("max", sandbox.limit.limit)),
        float(body.get("intervalMilliseconds", sandbox.limit.interval_s * 1000)) / 1000,
    )
    if "searchPerSecond" in body:
        sandbox.search_limit.configure(int(body["searchPerSecond"]), 1.0)
    return jsonify(overview()["rateLimit"])


@blueprint.post("/portals/<int:portal_id>/revoke-tokens")
def revoke_tokens(portal_id: int) -> Response:
    """Body {"access": true, "refresh": true}: the app stays installed (see uninstall)."""
    body = request.get_json(silent=True) or {}
    count = sandbox_of().tokens.revoke_portal(
        portal_arg(portal_id),
        access=bool(body.get("access", True)),
        refresh=bool(body.get("refresh", True)),
    )
    return jsonify({"revoked": count})


@blueprint.post("/portals/<int:portal_id>/uninstall")
def uninstall(portal_id: int) -> Response:
    """The admin removes the app: tokens revoked, webhooks for the portal stop."""
    return jsonify({"revoked": sandbox_of().tokens.uninstall(portal_arg(portal_id))})


@blueprint.post("/portals/<int:portal_id>/expire-tokens")
def expire_tokens(portal_id: int) -> Response:
    return jsonify({"expired": sandbox_of().tokens.expire_portal(portal_arg(portal_id))})


@blueprint.post("/portals/<int:portal_id>/contacts/<int:contact_id>/restore")
def restore_contact(portal_id: int, contact_id: int) -> Response:
    try:
        contact = sandbox_of().store.restore(portal_arg(portal_id), contact_id, ADMIN_SOURCE)
    except ContactNotFound:
        raise errors.not_found("No archived contact with this id.") from None
    return jsonify(contact.to_api(None))


@blueprint.post("/simulate")
def simulate() -> Response:
    """Body {"rate": contacts/s, "duration": s, "count": contacts, "propertiesPerChange": n,
    "portalIds": [...]}; all optional (5 per second for 10 s on every portal)."""
    body = json_body()
    sandbox = sandbox_of()
    portal_ids = [portal_arg(int(p)) for p in body.get("portalIds") or sandbox.portal_ids]
    duration = body.get("duration", None if body.get("count") else 10)
    try:
        run = sandbox.simulator.start(
            float(body.get("rate", 5)),
            None if duration is None else float(duration),
            portal_ids,
            count=optional_int(body.get("count")),
            properties_per_change=optional_int(body.get("propertiesPerChange")),
        )
    except (TypeError, ValueError) as error:
        raise errors.validation(str(error)) from None
    return jsonify(run.to_api())


@blueprint.get("/simulate")
def simulation_status() -> Response:
    return jsonify(sandbox_of().simulator.status() or {})


@blueprint.delete("/simulate")
def stop_simulation() -> Response:
    sandbox_of().simulator.stop()
    return jsonify(sandbox_of().simulator.status() or {})
