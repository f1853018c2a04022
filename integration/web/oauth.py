"""The marketplace install: GET /install/<crm> and GET /oauth/<crm>/callback.

The `state` is a random value kept in the admin's signed session cookie and used
once, so a callback from another browser, a forged one, or a replay is refused.
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from connectors.errors import ConnectorError, NotConfigured
from connectors.registry import UnknownConnector, get_connector
from integration.crypto import KeyRing
from integration.install import complete_install
from integration.logs import log_event

logger = logging.getLogger(__name__)
bp = Blueprint("oauth", __name__, template_folder="templates")


def _connector(crm: str):
    try:
        return get_connector(crm, current_app.config)
    except UnknownConnector:
        return None


def redirect_uri(crm: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")
    return base + url_for("oauth.callback", crm=crm)


def failure(title: str, detail: str, status: int = 400):
    return render_template("install_failed.html", title=title, detail=detail), status


@bp.get("/install/<crm>")
def install(crm: str):
    connector = _connector(crm)
    if connector is None:
        return failure("Unknown CRM", f"This app cannot be installed into '{crm}'.", 404)
    state = secrets.token_urlsafe(24)
    try:
        target = connector.authorize_url(state, redirect_uri(crm))
    except NotConfigured as exc:
        log_event(logger, "install.not-configured", logging.ERROR, crm=crm)
        return failure("The app is not set up yet",
                       f"The operator of this service still has to configure it: {exc}.", 503)
    session["oauth_state"] = {"crm": crm, "value": state}
    return redirect(target)


def _state_matches(expected: dict | None, crm: str, received: str) -> bool:
    if not expected or expected.get("crm") != crm:
        return False
    return secrets.compare_digest(str(expected.get("value")), received)


@bp.get("/oauth/<crm>/callback")
def callback(crm: str):
    connector = _connector(crm)
    if connector is None:
        return failure("Unknown CRM", f"This app cannot be installed into '{crm}'.", 404)
    # Popped at once: a state is good for one callback only.
    expected = session.pop("oauth_state", None)
    if request.args.get("error"):
        log_event(logger, "install.denied", crm=crm, error=request.args.get("error")[:64])
        return failure(
            "Access was not granted",
            "The CRM reports that access was denied or cancelled. Nothing was "
            "installed; start again from the marketplace when you are ready.",
        )
    state_ok = (
        expected
        and expected.get("crm") == crm
        and secrets.compare_digest(str(expected.get("value")), request.args.get("state", ""))
    )
    if not state_ok:
        log_event(logger, "install.bad-state", logging.WARNING, crm=crm)
        return failure(
            "This install link is not valid",
            "The request did not come from an install started in this browser, or "
            "it was already used. Start the install again from the marketplace.",
        )
    code = request.args.get("code")
    if not code:
        return failure("No authorization code", "The CRM sent no authorization code.")
    try:
        outcome = complete_install(
            connector, KeyRing(current_app.config["ENCRYPTION_KEYS"]), code, redirect_uri(crm)
        )
    except ConnectorError as exc:
        log_event(
            logger, "install.failed", logging.WARNING, crm=crm, reason=exc.reason, status=exc.status
        )
        return failure(
            "The install could not be completed",
            "The CRM refused the authorization (the code may have expired or been "
            "used already). Start the install again from the marketplace.",
            502 if exc.status is None or exc.status >= 500 else 400,
        )
    return render_template("installed.html", crm=connector.name, outcome=outcome)
