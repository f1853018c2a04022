"""HubSpot's webhook settings API, JSON errors for unknown routes, the admin overview."""

from __future__ import annotations

import requests

from tests.sandbox.helpers import official_client


def test_webhook_settings_api_needs_the_developer_key(sandbox, receiver):
    base = f"{sandbox.base_url}/webhooks/v3/{sandbox.config.app_id}"
    key = {"hapikey": sandbox.config.developer_api_key}
    assert requests.get(f"{base}/settings", timeout=5).status_code == 401
    answer = requests.put(
        f"{base}/settings", params=key, json={"targetUrl": receiver.url}, timeout=5
    )
    assert answer.json()["targetUrl"] == receiver.url
    created = requests.post(
        f"{base}/subscriptions",
        params=key,
        json={"eventType": "contact.propertyChange", "propertyName": "holisticrm_score"},
        timeout=5,
    )
    assert created.status_code == 201
    assert created.json()["active"] is False  # HubSpot starts subscriptions paused
    listed = requests.get(f"{base}/subscriptions", params=key, timeout=5).json()["results"]
    assert any(s["propertyName"] == "holisticrm_score" for s in listed if "propertyName" in s)


def test_unknown_routes_answer_json(sandbox):
    token = sandbox.private_tokens[sandbox.portal_ids[0]]
    answer = requests.get(
        f"{sandbox.base_url}/crm/v3/objects/widgets",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 404
    assert answer.json()["category"] == "OBJECT_NOT_FOUND"


def test_history_batches_are_capped_at_50(sandbox):
    token = sandbox.private_tokens[sandbox.portal_ids[0]]
    answer = requests.post(
        f"{sandbox.base_url}/crm/v3/objects/contacts/batch/read",
        json={"inputs": [{"id": str(i)} for i in range(1, 52)], "propertiesWithHistory": ["job"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert "property histories is 50" in answer.json()["message"]


def test_overview_lists_portals_tokens_and_install_state(sandbox):
    overview = requests.get(f"{sandbox.base_url}/_sandbox/", timeout=5).json()
    portal = overview["portals"][0]
    assert portal["privateAppToken"] == sandbox.private_tokens[portal["portalId"]]
    assert portal["contacts"] == 300 and portal["appInstalled"] is False
    assert overview["rateLimit"] == {
        "max": 110,
        "intervalMilliseconds": 10000,
        "searchPerSecond": 5,
    }
    assert official_client(sandbox).crm.contacts.basic_api.get_by_id("1").id == "1"


def test_account_details_name_the_tokens_portal(make_sandbox):
    server = make_sandbox(portals=2, seed_limit=5)
    second = server.portal_ids[1]
    answer = requests.get(
        f"{server.base_url}/account-info/v3/details",
        headers={"Authorization": f"Bearer {server.private_tokens[second]}"},
        timeout=5,
    )
    assert answer.json()["portalId"] == second
    assert "X-HubSpot-RateLimit-Remaining" in answer.headers
