"""OAuth 2.0 of a HubSpot public app: consent page, token endpoint, token info.

https://developers.hubspot.com/docs/apps/legacy-apps/authentication/working-with-oauth
The token endpoint's errors follow the v1 shape clients match on
(`status` BAD_AUTH_CODE, BAD_REFRESH_TOKEN, ...), plus OAuth's `error` field.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, jsonify, redirect, render_template_string, request

from sandbox.hubspot import errors
from sandbox.hubspot.api.common import TEN_SECONDLY, sandbox_of
from sandbox.hubspot.errors import correlation_id
from sandbox.hubspot.tokens import AccessToken, RefreshToken

blueprint = Blueprint("oauth", __name__)

CONSENT_PAGE = """<!doctype html>
<html><head><title>Connect app - HubSpot sandbox</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Connect app {{ client_id }}</h1>
<p>The app asks for these permissions:</p>
<ul>{% for scope in scopes %}<li><code>{{ scope }}</code></li>{% endfor %}</ul>
<form method="post" action="{{ action }}">
  <p>Account:
  {% for portal_id in portal_ids %}
    <label><input type="radio" name="portal_id" value="{{ portal_id }}"
      {% if loop.first %}checked{% endif %}> {{ portal_id }}</label>
  {% endfor %}</p>
  {% for name, value in hidden.items() %}
  <input type="hidden" name="{{ name }}" value="{{ value }}">
  {% endfor %}
  <button type="submit" name="decision" value="approve">Connect app</button>
  <button type="submit" name="decision" value="deny">Cancel</button>
</form>
<p style="color: #777">HolistiCrm HubSpot sandbox: no real HubSpot account is involved.</p>
</body></html>
"""

ERROR_PAGE = """<!doctype html><html><head><title>Authorization error</title></head>
<body style="font-family: sans-serif"><h1>Authorization error</h1><p>{{ message }}</p></body></html>
"""


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(part for part in (parts.query, urlencode(params)) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def error_page(message: str) -> tuple[str, int]:
    return render_template_string(ERROR_PAGE, message=message), 400


@blueprint.get("/oauth/authorize")
@blueprint.get("/oauth/<int:portal_id>/authorize")
def authorize(portal_id: int | None = None) -> Any:
    sandbox = sandbox_of()
    args = request.args
    if args.get("client_id") != sandbox.config.client_id:
        return error_page("Unknown client_id: no app with this client id exists.")
    if not args.get("redirect_uri"):
        return error_page("Missing redirect_uri.")
    allowed = sandbox.config.redirect_uris
    if allowed and args["redirect_uri"] not in allowed:
        return error_page("The redirect_uri does not match the app's redirect URLs.")
    scopes = (args.get("scope", "") + " " + args.get("optional_scope", "")).split()
    if not args.get("scope"):
        return error_page("Missing scope: the app must ask for at least one scope.")
    portal_ids = [portal_id] if portal_id else sandbox.portal_ids
    if portal_id and portal_id not in sandbox.portal_ids:
        return error_page(f"Account {portal_id} does not exist in this sandbox.")
    if sandbox.config.auto_consent:
        return approve(portal_ids[0], args["redirect_uri"], scopes, args.get("state"))
    hidden = {"redirect_uri": args["redirect_uri"], "scopes": " ".join(scopes)}
    if args.get("state") is not None:
        hidden["state"] = args["state"]
    return render_template_string(
        CONSENT_PAGE,
        client_id=args["client_id"],
        scopes=scopes,
        portal_ids=portal_ids,
        hidden=hidden,
        action="/oauth/authorize/decision",
    )


@blueprint.post("/oauth/authorize/decision")
def decide() -> Any:
    sandbox = sandbox_of()
    form = request.form
    redirect_uri = form.get("redirect_uri", "")
    if not redirect_uri:
        return error_page("Missing redirect_uri.")
    if form.get("decision") != "approve":
        params = {"error": "access_denied", "error_description": "The user denied access."}
        if form.get("state") is not None:
            params["state"] = form["state"]
        return redirect(with_query(redirect_uri, params))
    portal_id = int(form.get("portal_id", sandbox.portal_ids[0]))
    if portal_id not in sandbox.portal_ids:
        return error_page(f"Account {portal_id} does not exist in this sandbox.")
    return approve(portal_id, redirect_uri, form.get("scopes", "").split(), form.get("state"))


def approve(portal_id: int, redirect_uri: str, scopes: list[str], state: str | None) -> Response:
    code = sandbox_of().tokens.issue_code(portal_id, redirect_uri, scopes)
    params = {"code": code}
    if state is not None:
        params["state"] = state
    return redirect(with_query(redirect_uri, params))


def oauth_error(status: str, message: str, error: str, http_status: int = 400) -> Response:
    response = jsonify(
        {
            "status": status,
            "message": message,
            "error": error,
            "error_description": message,
            "correlationId": correlation_id(),
            "requestId": correlation_id(),
        }
    )
    response.status_code = http_status
    return response


def token_answer(access: AccessToken, refresh: RefreshToken) -> Response:
    return jsonify(
        {
            "token_type": "bearer",
            "refresh_token": refresh.token,
            "access_token": access.token,
            "expires_in": access.seconds_left(time.time()),
            "hub_id": access.portal_id,
            "user_id": access.user_id,
            "scopes": access.scopes,
        }
    )


# v3 and the date-versioned twins take every parameter in the form body, like v1's
# token endpoint; v1 is deprecated on 2027-02-16.
V3_PREFIXES = ("/oauth/v3", "/oauth/2026-03", "/oauth/2026-09")


@blueprint.post("/oauth/v1/token")
@blueprint.post("/oauth/v3/token")
@blueprint.post("/oauth/2026-03/token")
@blueprint.post("/oauth/2026-09/token")
def token() -> Response:
    sandbox = sandbox_of()
    injected = sandbox.faults.injected_oauth_status()
    if injected == 429:
        sandbox.stats.record_429("OAUTH_INJECTED")
        raise errors.rate_limited(*TEN_SECONDLY)
    if injected:
        raise errors.server_error(injected)
    if request.mimetype != "application/x-www-form-urlencoded":
        return oauth_error(
            "BAD_REQUEST", "The body must be application/x-www-form-urlencoded.", "invalid_request"
        )
    form = request.form
    if form.get("client_id") != sandbox.config.client_id:
        return oauth_error("BAD_CLIENT_ID", "missing or invalid client id", "invalid_client")
    if form.get("client_secret") != sandbox.config.client_secret:
        return oauth_error(
            "BAD_CLIENT_SECRET", "missing or invalid client secret", "invalid_client"
        )
    grant = form.get("grant_type")
    if grant == "authorization_code":
        try:
            access, refresh = sandbox.tokens.redeem_code(
                form.get("code", ""), form.get("redirect_uri", "")
            )
        except KeyError:
            return oauth_error("BAD_AUTH_CODE", "missing or unknown auth code", "invalid_grant")
        except ValueError:
            return oauth_error(
                "BAD_REDIRECT_URI",
                "redirect_uri does not match initial redirect_uri",
                "invalid_grant",
            )
        return token_answer(access, refresh)
    if grant == "refresh_token":
        try:
            access, refresh = sandbox.tokens.refresh_access(form.get("refresh_token", ""))
        except KeyError:
            return oauth_error(
                "BAD_REFRESH_TOKEN", "missing or invalid refresh token", "invalid_grant"
            )
        return token_answer(access, refresh)
    return oauth_error("BAD_GRANT_TYPE", "missing or invalid grant type", "unsupported_grant_type")


@blueprint.get("/oauth/v1/access-tokens/<token>")
def access_token_info(token: str) -> Response:
    sandbox = sandbox_of()
    access = sandbox.tokens.access.get(token)
    if access is None or access.revoked or access.private:
        return oauth_error("error", "Token not found", "invalid_token", 404)
    left = access.seconds_left(time.time())
    if left <= 0:
        return oauth_error(
            "error",
            f"The OAuth token used to make this call expired {-left} second(s) ago.",
            "invalid_token",
            401,
        )
    return jsonify(
        {
            "token": access.token,
            "user": access.user,
            "hub_domain": f"sandbox-{access.portal_id}.example.com",
            "scopes": access.scopes,
            "hub_id": access.portal_id,
            "app_id": access.app_id,
            "expires_in": left,
            "user_id": access.user_id,
            "token_type": "access",
            "is_private_distribution": False,
        }
    )


@blueprint.get("/oauth/v1/refresh-tokens/<token>")
def refresh_token_info(token: str) -> Response:
    refresh = sandbox_of().tokens.refresh.get(token)
    if refresh is None or refresh.revoked:
        return oauth_error(
            "BAD_REFRESH_TOKEN", "missing or invalid refresh token", "invalid_grant", 404
        )
    return jsonify(
        {
            "token": refresh.token,
            "user": refresh.user,
            "hub_domain": f"sandbox-{refresh.portal_id}.example.com",
            "scopes": refresh.scopes,
            "hub_id": refresh.portal_id,
            "client_id": sandbox_of().config.client_id,
            "user_id": refresh.user_id,
            "token_type": "refresh",
        }
    )


@blueprint.delete("/oauth/v1/refresh-tokens/<token>")
def revoke_refresh_token(token: str) -> Response:
    if not sandbox_of().tokens.revoke_refresh(token):
        return oauth_error(
            "BAD_REFRESH_TOKEN", "missing or invalid refresh token", "invalid_grant", 404
        )
    return Response(status=204)


def client_authenticated() -> Response | None:
    sandbox = sandbox_of()
    if request.form.get("client_id") != sandbox.config.client_id:
        return oauth_error("BAD_CLIENT_ID", "missing or invalid client id", "invalid_client")
    if request.form.get("client_secret") != sandbox.config.client_secret:
        return oauth_error(
            "BAD_CLIENT_SECRET", "missing or invalid client secret", "invalid_client"
        )
    return None


def introspect() -> Response:
    """RFC 7662 style: 200 with active false for unknown, expired or revoked tokens."""
    refused = client_authenticated()
    if refused is not None:
        return refused
    tokens = sandbox_of().tokens
    value = request.form.get("token", "")
    access, refresh = tokens.access.get(value), tokens.refresh.get(value)
    now = time.time()
    if access is not None and not access.revoked and not access.private:
        left = access.seconds_left(now)
        if left <= 0:
            return jsonify({"active": False})
        return jsonify(
            {
                "active": True,
                "token_type": "access_token",
                "client_id": sandbox_of().config.client_id,
                "hub_id": access.portal_id,
                "app_id": access.app_id,
                "user_id": access.user_id,
                "user": access.user,
                "scopes": access.scopes,
                "expires_in": left,
            }
        )
    if refresh is not None and not refresh.revoked:
        return jsonify(
            {
                "active": True,
                "token_type": "refresh_token",
                "client_id": sandbox_of().config.client_id,
                "hub_id": refresh.portal_id,
                "user_id": refresh.user_id,
                "user": refresh.user,
                "scopes": refresh.scopes,
            }
        )
    return jsonify({"active": False})


def revoke() -> Response:
    refused = client_authenticated()
    if refused is not None:
        return refused
    # As RFC 7009 asks: revoking an unknown token is not an error.
    sandbox_of().tokens.revoke_any(request.form.get("token", ""))
    return Response(status=200)


for _prefix in V3_PREFIXES:
    _name = _prefix.rsplit("/", 1)[-1].replace("-", "_")
    blueprint.add_url_rule(
        f"{_prefix}/token/introspect", f"introspect_{_name}", introspect, methods=["POST"]
    )
    blueprint.add_url_rule(f"{_prefix}/token/revoke", f"revoke_{_name}", revoke, methods=["POST"])
