"""OAuth 2.0 for HubSpot public apps: authorize URL, code exchange, refresh, token info.

https://developers.hubspot.com/docs/apps/legacy-apps/authentication/working-with-oauth
The token endpoint is not rate-limited like the API but can still answer 429 or
5xx; those are retried here. Error text never carries a token or a secret.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests

from connectors import errors
from connectors.base import AccountIdentity, TokenSet
from connectors.failures import classify
from integration.logs import log_event

logger = logging.getLogger(__name__)

TOKEN_PATH = "/oauth/v1/token"  # noqa: S105 - a URL path, not a secret
# HubSpot answers a bad or revoked refresh token (and a used code) with these.
REAUTHORIZE_STATUSES = {"BAD_REFRESH_TOKEN", "BAD_GRANT", "invalid_grant", "EXPIRED_REFRESH_TOKEN"}
ATTEMPTS = 4


def authorize_url(auth_base: str, client_id: str, scopes, state: str, redirect_uri: str) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
        },
        quote_via=quote,  # HubSpot expects %20 between scopes, not '+'
    )
    return f"{auth_base.rstrip('/')}/oauth/authorize?{query}"


def token_request(api_base: str, form: dict[str, str], session: requests.Session) -> TokenSet:
    answer = _post_token(api_base, form, session)
    expires_at = datetime.now(UTC) + timedelta(seconds=int(answer.get("expires_in", 1800)))
    scopes = answer.get("scopes") or answer.get("scope") or ()
    if isinstance(scopes, str):
        scopes = scopes.split()
    return TokenSet(
        access_token=answer["access_token"],
        refresh_token=answer.get("refresh_token"),
        expires_at=expires_at,
        scopes=tuple(scopes),
    )


def _post_token(api_base: str, form: dict[str, str], session: requests.Session) -> dict:
    grant = form.get("grant_type", "")
    for attempt in range(ATTEMPTS):
        try:
            response = session.post(f"{api_base}{TOKEN_PATH}", data=form, timeout=(5, 30))
        except (requests.ConnectionError, requests.Timeout) as exc:
            if attempt + 1 == ATTEMPTS:
                raise errors.Retryable(f"token endpoint ({grant}): no answer") from exc
            _pause(attempt, grant, None)
            continue
        if response.status_code < 400:
            return response.json()
        if response.status_code in (429,) or response.status_code >= 500:
            if attempt + 1 == ATTEMPTS:
                raise classify(response.status_code).error(
                    f"token endpoint ({grant}): HTTP {response.status_code}",
                    **_retry_after(response),
                )
            _pause(attempt, grant, response.status_code)
            continue
        raise _refusal(response, grant)
    raise errors.Retryable(f"token endpoint ({grant}): gave up")


def _refusal(response: requests.Response, grant: str) -> errors.ConnectorError:
    status = _error_status(response)
    message = f"token endpoint ({grant}) refused: {status or response.status_code}"
    if grant == "refresh_token" and (status in REAUTHORIZE_STATUSES or response.status_code == 401):
        return errors.ReauthorizationRequired(message, status=response.status_code)
    return errors.Permanent(message, status=response.status_code)


def _error_status(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    # HubSpot uses `status` (e.g. BAD_REFRESH_TOKEN); standard OAuth uses `error`.
    value = body.get("status") or body.get("error") if isinstance(body, dict) else None
    return str(value) if value else None


def _retry_after(response: requests.Response) -> dict[str, Any]:
    return {"retry_after": 10.0} if response.status_code == 429 else {}


def _pause(attempt: int, grant: str, status: int | None) -> None:
    pause = random.uniform(0, min(10.0, 0.5 * 2**attempt))
    log_event(
        logger,
        "hubspot.token-retry",
        logging.WARNING,
        grant=grant,
        status=status,
        wait_s=round(pause, 2),
    )
    time.sleep(pause)


def token_info(api_base: str, access_token: str, session: requests.Session) -> AccountIdentity:
    response = session.get(f"{api_base}/oauth/v1/access-tokens/{access_token}", timeout=(5, 30))
    if response.status_code >= 400:
        kind = classify(response.status_code).error
        raise kind(f"token info: HTTP {response.status_code}", status=response.status_code)
    info = response.json()
    return AccountIdentity(
        account_id=str(info["hub_id"]),
        user=info.get("user"),
        scopes=tuple(info.get("scopes") or ()),
    )


def revoke(api_base: str, refresh_token: str, session: requests.Session) -> None:
    response = session.delete(
        f"{api_base}/oauth/v1/refresh-tokens/{refresh_token}", timeout=(5, 30)
    )
    if response.status_code >= 400 and response.status_code != 404:
        kind = classify(response.status_code).error
        raise kind(f"revoke: HTTP {response.status_code}", status=response.status_code)
