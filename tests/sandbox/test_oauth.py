"""OAuth like a HubSpot public app: consent, code exchange, refresh, token info, errors."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hubspot import HubSpot
from hubspot.oauth.exceptions import ApiException as OAuthApiException

from tests.sandbox.helpers import CLIENT_ID, SECRET, official_client

REDIRECT = "http://localhost:5000/oauth/hubspot/callback"
SCOPES = "oauth crm.objects.contacts.read crm.objects.contacts.write"


def authorize_url(base: str, state: str = "s-123") -> str:
    return (
        f"{base}/oauth/authorize?client_id={CLIENT_ID}&redirect_uri={REDIRECT}"
        f"&scope={SCOPES.replace(' ', '%20')}&state={state}"
    )


def consent(base: str, decision: str = "approve") -> dict[str, list[str]]:
    """Open the consent page, submit its form as a browser would, return the redirect query."""
    page = requests.get(authorize_url(base), timeout=5)
    assert page.status_code == 200
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    fields["decision"] = decision
    answer = requests.post(
        f"{base}/oauth/authorize/decision", data=fields, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    return parse_qs(urlsplit(location).query)


def exchange(base: str, **form: str) -> requests.Response:
    body = {"client_id": CLIENT_ID, "client_secret": SECRET, "redirect_uri": REDIRECT}
    body.update(form)
    return requests.post(f"{base}/oauth/v1/token", data=body, timeout=5)


def test_consent_then_code_exchange_then_token_info(sandbox):
    query = consent(sandbox.base_url)
    assert query["state"] == ["s-123"]
    tokens = exchange(sandbox.base_url, grant_type="authorization_code", code=query["code"][0])
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["token_type"] == "bearer"
    assert 1790 <= body["expires_in"] <= 1800
    info = HubSpot(host=sandbox.base_url).oauth.access_tokens_api.get(body["access_token"])
    assert info.hub_id == sandbox.portal_ids[0]
    assert info.app_id == sandbox.config.app_id
    assert "crm.objects.contacts.write" in info.scopes
    assert info.user
    client = official_client(sandbox, body["access_token"])
    assert client.crm.contacts.basic_api.get_by_id("1").id == "1"


def test_denied_consent_redirects_with_an_error(sandbox):
    query = consent(sandbox.base_url, decision="deny")
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s-123"]


def test_auto_consent_redirects_at_once(make_sandbox):
    server = make_sandbox(auto_consent=True, seed_limit=5)
    answer = requests.get(authorize_url(server.base_url, "xyz"), allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["xyz"] and query["code"]


def test_code_is_single_use_and_secret_must_match(sandbox):
    code = consent(sandbox.base_url)["code"][0]
    wrong = exchange(
        sandbox.base_url, grant_type="authorization_code", code=code, client_secret="wrong"
    )
    assert wrong.status_code == 400
    assert wrong.json()["status"] == "BAD_CLIENT_SECRET"
    assert exchange(sandbox.base_url, grant_type="authorization_code", code=code).ok
    again = exchange(sandbox.base_url, grant_type="authorization_code", code=code)
    assert again.status_code == 400
    assert again.json()["status"] == "BAD_AUTH_CODE"
    unknown = exchange(sandbox.base_url, grant_type="authorization_code", code="nope")
    assert unknown.json()["status"] == "BAD_AUTH_CODE"


def test_json_body_is_refused_like_hubspot(sandbox):
    answer = requests.post(
        f"{sandbox.base_url}/oauth/v1/token", json={"grant_type": "refresh_token"}, timeout=5
    )
    assert answer.status_code == 400


def test_refresh_then_revoke(sandbox):
    code = consent(sandbox.base_url)["code"][0]
    first = exchange(sandbox.base_url, grant_type="authorization_code", code=code).json()
    oauth = HubSpot(host=sandbox.base_url).oauth
    second = oauth.tokens_api.create(
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=CLIENT_ID,
        client_secret=SECRET,
    )
    assert second.access_token != first["access_token"]
    assert second.refresh_token == first["refresh_token"]
    oauth.refresh_tokens_api.archive(first["refresh_token"])
    revoked = exchange(
        sandbox.base_url, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert revoked.status_code == 400
    assert revoked.json()["status"] == "BAD_REFRESH_TOKEN"
    with pytest.raises(OAuthApiException):
        oauth.access_tokens_api.get(second.access_token)


def test_expired_access_token_gets_401_expired(make_sandbox):
    server = make_sandbox(access_token_lifetime_s=60, seed_limit=5)
    code = server.authorization_code(redirect_uri=REDIRECT)
    token = exchange(server.base_url, grant_type="authorization_code", code=code).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    url = f"{server.base_url}/crm/v3/objects/contacts"
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    requests.post(
        f"{server.base_url}/_sandbox/portals/{server.portal_ids[0]}/expire-tokens", timeout=5
    )
    expired = requests.get(url, headers=headers, timeout=5)
    assert expired.status_code == 401
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert missing.json()["category"] == "INVALID_AUTHENTICATION"


def test_missing_scope_is_403(make_sandbox):
    server = make_sandbox(seed_limit=5)
    code = server.sandbox.tokens.issue_code(
        server.portal_ids[0], REDIRECT, ["crm.objects.contacts.read"]
    )
    token = exchange(server.base_url, grant_type="authorization_code", code=code).json()
    answer = requests.post(
        f"{server.base_url}/crm/v3/objects/contacts",
        json={"properties": {"firstname": "X"}},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=5,
    )
    assert answer.status_code == 403
    assert answer.json()["category"] == "MISSING_SCOPES"


def test_v3_token_introspect_and_revoke(sandbox):
    code = sandbox.authorization_code(redirect_uri=REDIRECT)
    base = f"{sandbox.base_url}/oauth/v3"
    client = {"client_id": CLIENT_ID, "client_secret": SECRET}
    tokens = requests.post(
        f"{base}/token",
        data={**client, "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        timeout=5,
    ).json()
    seen = requests.post(
        f"{base}/token/introspect", data={**client, "token": tokens["access_token"]}, timeout=5
    ).json()
    assert seen["active"] is True and seen["hub_id"] == sandbox.portal_ids[0]
    revoked = requests.post(
        f"{base}/token/revoke", data={**client, "token": tokens["refresh_token"]}, timeout=5
    )
    assert revoked.status_code == 200
    for token in (tokens["refresh_token"], tokens["access_token"]):
        after = requests.post(
            f"{base}/token/introspect", data={**client, "token": token}, timeout=5
        ).json()
        assert after == {"active": False}


def test_redirect_uri_must_be_one_of_the_apps(make_sandbox):
    server = make_sandbox(redirect_uris=(REDIRECT,), seed_limit=5)
    assert requests.get(authorize_url(server.base_url), timeout=5).status_code == 200
    other = authorize_url(server.base_url).replace("localhost:5000", "evil.example")
    refused = requests.get(other, timeout=5)
    assert refused.status_code == 400 and "redirect" in refused.text
