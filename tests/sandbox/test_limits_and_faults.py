"""Rate limits, fault knobs and the counters that report them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from hubspot.crm.contacts import SimplePublicObjectInput
from hubspot.crm.contacts.exceptions import ApiException

from tests.sandbox.helpers import official_client


def api_get(server, portal_index=0, path="/crm/v3/objects/contacts?limit=1"):
    token = server.private_tokens[server.portal_ids[portal_index]]
    return requests.get(
        server.base_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def admin(server, method, path, body=None):
    answer = requests.request(method, f"{server.base_url}/_sandbox{path}", json=body, timeout=5)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def test_rolling_limit_per_portal_answers_429_like_hubspot(make_sandbox):
    server = make_sandbox(rate_limit=5, rate_interval_s=2.0, portals=2, seed_limit=20)
    remaining = [int(api_get(server).headers["X-HubSpot-RateLimit-Remaining"]) for _ in range(5)]
    assert remaining == [4, 3, 2, 1, 0]
    refused = api_get(server)
    assert refused.status_code == 429
    body = refused.json()
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert "ten_secondly_rolling" in body["message"]
    assert refused.headers["X-HubSpot-RateLimit-Max"] == "5"
    assert refused.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "2000"
    assert api_get(server, portal_index=1).status_code == 200  # another portal, another window
    with pytest.raises(ApiException) as caught:
        official_client(server).crm.contacts.basic_api.get_by_id("1")
    assert caught.value.status == 429
    time.sleep(2.05)
    assert api_get(server).status_code == 200
    stats = admin(server, "GET", "/stats")
    assert stats["rate_limited_total"] == 2
    assert stats["by_status"]["429"] == 2


def test_search_has_its_own_limit_and_no_rate_headers(make_sandbox):
    server = make_sandbox(seed_limit=20)
    token = server.private_tokens[server.portal_ids[0]]

    def search(_: int) -> requests.Response:
        return requests.post(
            f"{server.base_url}/crm/v3/objects/contacts/search",
            json={"limit": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )

    # All at once, so that they fall into one second even on a busy machine.
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(search, range(10)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 5 + [429] * 5
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json()["policyName"] == "SECONDLY"
    assert all("X-HubSpot-RateLimit-Remaining" not in a.headers for a in answers)
    assert api_get(server).status_code == 200  # the general window was not used up


def test_fail_next_and_error_status(sandbox):
    admin(sandbox, "PUT", "/faults", {"fail_next": 2, "error_status": 503})
    statuses = [api_get(sandbox).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert api_get(sandbox, path="/oauth/v1/access-tokens/x").status_code == 404  # not the API


def test_error_rate_fails_a_share_of_requests(sandbox):
    sandbox.set_faults(error_rate=0.5)
    statuses = {api_get(sandbox).status_code for _ in range(40)}
    assert statuses == {200, 500}
    sandbox.set_faults(error_rate=1.0)
    with pytest.raises(ApiException) as caught:
        official_client(sandbox).crm.contacts.basic_api.get_by_id("1")
    assert caught.value.status == 500


def test_throttle_next_forces_429s(sandbox):
    sandbox.set_faults(throttle_next=2)
    assert [api_get(sandbox).status_code for _ in range(3)] == [429, 429, 200]
    assert sandbox.stats()["rate_limited"]["INJECTED"] == 2


def test_latency_is_added(sandbox):
    sandbox.set_faults(latency_ms=250)
    started = time.monotonic()
    assert api_get(sandbox).status_code == 200
    assert time.monotonic() - started >= 0.25
    admin(sandbox, "DELETE", "/faults")
    started = time.monotonic()
    api_get(sandbox)
    assert time.monotonic() - started < 0.25


def test_unknown_knob_is_refused(sandbox):
    answer = requests.put(f"{sandbox.base_url}/_sandbox/faults", json={"nope": 1}, timeout=5)
    assert answer.status_code == 400


def test_revoking_tokens_like_an_uninstall(sandbox):
    redirect = "http://localhost/cb"
    code = sandbox.authorization_code(redirect_uri=redirect)
    tokens = requests.post(
        f"{sandbox.base_url}/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "client_id": sandbox.config.client_id,
            "client_secret": sandbox.config.client_secret,
            "redirect_uri": redirect,
            "code": code,
        },
        timeout=5,
    ).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    url = f"{sandbox.base_url}/crm/v3/objects/contacts"
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    revoked = admin(sandbox, "POST", f"/portals/{sandbox.portal_ids[0]}/revoke-tokens", {})
    assert revoked["revoked"] == 2
    assert requests.get(url, headers=headers, timeout=5).status_code == 401
    refresh = requests.post(
        f"{sandbox.base_url}/oauth/v1/token",
        data={
            "grant_type": "refresh_token",
            "client_id": sandbox.config.client_id,
            "client_secret": sandbox.config.client_secret,
            "refresh_token": tokens["refresh_token"],
        },
        timeout=5,
    )
    assert refresh.json()["status"] == "BAD_REFRESH_TOKEN"
    assert api_get(sandbox).status_code == 200  # the private-app token is not the app's


def hooked(make_sandbox, receiver, **overrides):
    return make_sandbox(webhook_url=receiver.url, webhooks_need_install=False, **overrides)


def touch(server, value="12"):
    official_client(server).crm.contacts.basic_api.update(
        "7", SimplePublicObjectInput(properties={"campaign": value})
    )


def test_paused_webhooks_are_held_then_delivered(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    server.set_faults(webhook_paused=True)
    touch(server)
    assert not server.wait_for_webhooks(0.4)
    assert receiver.received == []
    server.set_faults(webhook_paused=False)
    assert server.wait_for_webhooks(5)
    assert len(receiver.events()) == 1


def test_slow_webhook_delivery(make_sandbox, receiver):
    server = hooked(make_sandbox, receiver)
    server.set_faults(webhook_delay_ms=400)
    written = time.monotonic()
    touch(server)
    receiver.wait_for(lambda r: bool(r.received))
    assert time.monotonic() - written >= 0.4


def test_refused_deliveries_are_retried(make_sandbox, receiver):
    # Compressed so that the first few retries fall within the wait below and the
    # later ones, still to come, bring the events once refusals stop.
    server = hooked(make_sandbox, receiver, retry_compression=8640)
    server.set_faults(webhook_refuse_rate=1.0)
    touch(server)
    time.sleep(0.3)
    assert receiver.received == []
    server.set_faults(webhook_refuse_rate=0.0)
    assert server.wait_for_webhooks(10)
    assert receiver.events()[0]["attemptNumber"] >= 1
    statuses = [d["status"] for d in server.sandbox.webhooks.recent_deliveries(100)]
    assert "refused" in statuses and statuses[-1] == 200


def test_stats_count_per_endpoint_and_keep_a_request_log(sandbox):
    admin(sandbox, "POST", "/stats/reset")
    for _ in range(3):
        api_get(sandbox)
    api_get(sandbox, path="/crm/v3/objects/contacts/999999")
    stats = admin(sandbox, "GET", "/stats")
    assert stats["requests"]["GET /crm/v3/objects/contacts 200"] == 3
    assert stats["requests"]["GET /crm/v3/objects/contacts/<contact_id> 404"] == 1
    log = admin(sandbox, "GET", "/requests?limit=2")["results"]
    assert [entry["status"] for entry in log] == [200, 404]
    assert log[-1]["portalId"] == sandbox.portal_ids[0]


def test_the_app_and_a_private_app_have_separate_windows(make_sandbox):
    server = make_sandbox(rate_limit=3, rate_interval_s=5.0, seed_limit=5)
    redirect = "http://localhost/cb"
    tokens = requests.post(
        f"{server.base_url}/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "client_id": server.config.client_id,
            "client_secret": server.config.client_secret,
            "redirect_uri": redirect,
            "code": server.authorization_code(redirect_uri=redirect),
        },
        timeout=5,
    ).json()
    app_headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    url = f"{server.base_url}/crm/v3/objects/contacts"
    statuses = [requests.get(url, headers=app_headers, timeout=5).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert api_get(server).status_code == 200


def test_token_endpoint_faults(sandbox):
    sandbox.set_faults(oauth_throttle_next=1, oauth_fail_next=1, error_status=502)
    form = {
        "grant_type": "refresh_token",
        "client_id": sandbox.config.client_id,
        "client_secret": sandbox.config.client_secret,
        "refresh_token": "unknown",
    }
    answers = [
        requests.post(f"{sandbox.base_url}/oauth/v1/token", data=form, timeout=5) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [429, 502, 400]
    assert answers[0].json()["errorType"] == "RATE_LIMIT"
    assert answers[2].json()["status"] == "BAD_REFRESH_TOKEN"
