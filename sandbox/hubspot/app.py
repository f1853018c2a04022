"""Flask app factory: wires the blueprints and the gauntlet every API call passes.

An API call (`/crm/...`, `/account-info/...`) is, in order: delayed by the latency knob,
authenticated by its bearer token, counted against its portal's rolling limit
(search has its own), possibly failed by a fault knob, then served. Every
answer is counted and logged for /_sandbox/stats.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from sandbox.hubspot import errors
from sandbox.hubspot.api import account, admin, contacts, oauth, properties, webhooks_v3
from sandbox.hubspot.api.common import EXTENSION, SECONDLY, TEN_SECONDLY, sandbox_of
from sandbox.hubspot.state import Sandbox
from sandbox.hubspot.tokens import AccessToken

log = logging.getLogger(__name__)

API_PREFIXES = ("/crm/", "/account-info/")


def create_app(sandbox: Sandbox) -> Flask:
    app = Flask(__name__)
    app.extensions[EXTENSION] = sandbox
    app.json.sort_keys = False
    for module in (oauth, contacts, properties, account, webhooks_v3, admin):
        app.register_blueprint(module.blueprint)
    app.before_request(start_clock)
    app.before_request(api_gauntlet)
    app.after_request(count_and_log)
    app.register_error_handler(errors.ApiError, errors.as_response)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
    return app


def http_error(error: HTTPException) -> Response:
    """Unknown routes and wrong methods answer JSON, as HubSpot's API does."""
    status = error.code or 500
    category = "OBJECT_NOT_FOUND" if status == 404 else "VALIDATION_ERROR"
    return errors.as_response(errors.ApiError(status, category, error.description or error.name))


def unexpected_error(error: Exception) -> Response:
    # A bug in the sandbox: a JSON 500 keeps clients' error handling on its
    # normal path, and the log says where it came from.
    log.exception("sandbox.unexpected-error", extra={"path": request.path})
    return errors.as_response(errors.ApiError(500, "INTERNAL_ERROR", "internal error"))


def start_clock() -> None:
    g.started = time.monotonic()


def api_gauntlet() -> Response | None:
    if not request.path.startswith(API_PREFIXES):
        return None
    sandbox = sandbox_of()
    latency = sandbox.faults.latency_s()
    if latency:
        time.sleep(latency)
    token = authenticate(sandbox)
    g.portal_id = token.portal_id
    g.token = token
    searching = request.path.endswith("/search")
    limiter = sandbox.search_limit if searching else sandbox.limit
    # HubSpot counts per installing account and app: a private app of the same
    # portal has a window of its own.
    verdict = limiter.take((token.portal_id, token.app_id))
    # Search answers carry no rate-limit headers (usage-details page).
    g.verdict = None if searching else verdict
    if not verdict.allowed:
        message, policy = SECONDLY if searching else TEN_SECONDLY
        sandbox.stats.record_429(policy)
        raise errors.rate_limited(message, policy)
    injected = sandbox.faults.injected_status()
    if injected == 429:
        sandbox.stats.record_429("INJECTED")
        raise errors.rate_limited(*TEN_SECONDLY)
    if injected:
        raise errors.server_error(injected)
    return None


def authenticate(sandbox: Sandbox) -> AccessToken:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise errors.invalid_authentication()
    token = sandbox.tokens.access.get(value.strip())
    if token is None or token.revoked:
        raise errors.invalid_authentication()
    left = token.seconds_left(time.time())
    if not token.private and left <= 0:
        raise errors.expired_authentication(-left)
    return token


def count_and_log(response: Response) -> Response:
    sandbox = sandbox_of()
    verdict = g.get("verdict")
    if verdict is not None:
        response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(verdict.interval_ms)
        response.headers["X-HubSpot-RateLimit-Max"] = str(verdict.limit)
        response.headers["X-HubSpot-RateLimit-Remaining"] = str(verdict.remaining)
    if request.path.startswith("/_sandbox/"):
        return response  # the admin's own calls would only blur the figures
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    started = g.get("started", time.monotonic())
    sandbox.stats.record_request(
        {
            "at": time.time(),
            "method": request.method,
            "path": request.path,
            "endpoint": endpoint,
            "status": response.status_code,
            "portalId": g.get("portal_id"),
            "ms": round((time.monotonic() - started) * 1000, 2),
        }
    )
    return response
