"""The HubSpot connector's client against the sandbox: tokens, limits, batches, failures."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
from click.testing import CliRunner
from flask import current_app

from connectors import errors
from connectors.base import ScoreUpdate
from connectors.hubspot.client import RetryPolicy
from connectors.hubspot.connector import HubSpotConnector, HubSpotSettings
from integration.crypto import KeyRing
from integration.db import db
from integration.install import complete_install
from integration.models import Installation
from integration.tokens import TokenStore

REDIRECT = "http://localhost/callback"
FAST = RetryPolicy(time_scale=0.01)


@pytest.fixture
def hubspot(app, sandbox_overrides):
    app.config.update(sandbox_overrides)
    with app.app_context():
        settings = HubSpotSettings.from_config(current_app.config)
        keyring = KeyRing(current_app.config["ENCRYPTION_KEYS"])
    return HubSpotConnector(settings, policy=FAST), keyring


@pytest.fixture
def installed(hubspot, sandbox):
    connector, keyring = hubspot
    code = sandbox.authorization_code(redirect_uri=REDIRECT)
    outcome = complete_install(connector, keyring, code, REDIRECT)
    return outcome.installation_id


def client_for(hubspot, installation_id: int):
    connector, keyring = hubspot
    with db.transaction() as session:
        account = session.get(Installation, installation_id).external_account_id
    return connector.client(account, TokenStore(connector, keyring).provider(installation_id))


def token_requests(sandbox) -> int:
    return sum(
        count
        for key, count in sandbox.stats()["requests"].items()
        if key.startswith("POST ") and "token" in key.split(" ")[1]
    )


def expire_access_token(installation_id: int) -> None:
    with db.transaction() as session:
        session.get(Installation, installation_id).token_expires_at = datetime.now(UTC) - timedelta(
            minutes=1
        )


def contact_ids(sandbox, count: int) -> list[str]:
    store = sandbox.sandbox
    portal = sandbox.portal_ids[0]
    token = sandbox.private_tokens[portal]
    answer = requests.get(
        f"{sandbox.base_url}/crm/v3/objects/contacts",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    ids = [item["id"] for item in answer["results"]]
    after = answer.get("paging", {}).get("next", {}).get("after")
    while len(ids) < count and after:
        answer = requests.get(
            f"{sandbox.base_url}/crm/v3/objects/contacts",
            params={"limit": 100, "after": after},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        ids += [item["id"] for item in answer["results"]]
        after = answer.get("paging", {}).get("next", {}).get("after")
    assert store is not None
    return ids[:count]


def test_an_expired_token_is_refreshed_once_by_concurrent_workers(hubspot, installed, sandbox):
    expire_access_token(installed)
    before = token_requests(sandbox)
    ids = contact_ids(sandbox, 5)
    results, failures = [], []

    def worker():
        try:
            client = client_for(hubspot, installed)
            results.append(client.read_contacts(ids, ["age"]))
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert len(results) == 8 and all(len(found) == 5 for found in results)
    assert token_requests(sandbox) - before == 1


def test_a_revoked_refresh_token_pauses_the_installation(
    hubspot, installed, sandbox, app, monkeypatch
):
    connector, keyring = hubspot
    with db.transaction() as session:
        refresh = keyring.decrypt(session.get(Installation, installed).refresh_token_enc)
    connector.revoke(refresh)
    expire_access_token(installed)
    with pytest.raises(errors.ReauthorizationRequired):
        client_for(hubspot, installed).read_contacts(contact_ids(sandbox, 1), ["age"])
    with db.transaction() as session:
        assert session.get(Installation, installed).status == "needs_reauth"
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    from integration.cli import main

    listing = CliRunner().invoke(main, ["installations", "list"])
    assert "needs_reauth" in listing.output


def test_a_refused_access_token_is_refreshed_once_and_retried(hubspot, installed, sandbox):
    _connector, keyring = hubspot
    with db.transaction() as session:
        row = session.get(Installation, installed)
        row.access_token_enc = keyring.encrypt("not-a-token-the-crm-knows")
        row.token_expires_at = datetime.now(UTC) + timedelta(hours=1)
    before = token_requests(sandbox)
    found = client_for(hubspot, installed).read_contacts(contact_ids(sandbox, 3), ["age"])
    assert len(found) == 3
    assert token_requests(sandbox) - before == 1


def test_250_scores_land_in_three_batches_through_a_429_burst(hubspot, installed, sandbox):
    ids = contact_ids(sandbox, 250)
    assert len(ids) == 250
    updates = [
        ScoreUpdate(contact_id, {"holisticrm_score": str(n % 100), "holisticrm_tier": "A"})
        for n, contact_id in enumerate(ids)
    ]
    client = client_for(hubspot, installed)
    sandbox.stats()  # warm
    before = batch_updates(sandbox)
    sandbox.set_faults(throttle_next=3)
    result = client.write_scores(updates)
    assert sorted(result.written) == sorted(ids) and result.failed == {}
    after = batch_updates(sandbox)
    assert after["ok"] - before["ok"] == 3
    assert after["429"] - before["429"] == 3
    stored = client.read_contacts(ids, ["holisticrm_score"])
    assert all(
        stored[cid].properties["holisticrm_score"] == str(n % 100) for n, cid in enumerate(ids)
    )


def batch_updates(sandbox) -> dict[str, int]:
    counts = {"ok": 0, "429": 0}
    for key, count in sandbox.stats()["requests"].items():
        method, endpoint, status = key.split(" ")
        if method == "POST" and "update" in endpoint:
            if status.startswith("2"):
                counts["ok"] += count
            elif status == "429":
                counts["429"] += count
    return counts


def test_per_record_errors_of_a_207_are_reported_per_contact(hubspot, installed, sandbox):
    ids = contact_ids(sandbox, 3)
    updates = [ScoreUpdate(cid, {"holisticrm_score": "50"}) for cid in ids]
    updates.append(ScoreUpdate("999999999", {"holisticrm_score": "50"}))
    result = client_for(hubspot, installed).write_scores(updates)
    assert sorted(result.written) == sorted(ids)
    assert list(result.failed) == ["999999999"]
    assert result.failed["999999999"][0] is True  # permanent


def test_5xx_is_retried_with_backoff_then_given_up(hubspot, installed, sandbox):
    client = client_for(hubspot, installed)
    ids = contact_ids(sandbox, 2)
    sandbox.set_faults(fail_next=2, error_status=502)
    assert len(client.read_contacts(ids, ["age"])) == 2
    sandbox.set_faults(fail_next=50, error_status=503)
    with pytest.raises(errors.Retryable):
        client.read_contacts(ids, ["age"])
    sandbox.reset_faults()


def test_score_fields_are_created_once(hubspot, installed):
    client = client_for(hubspot, installed)
    assert client.ensure_score_fields() == []


def test_paging_walks_every_contact(hubspot, installed):
    client = client_for(hubspot, installed)
    seen, cursor = [], None
    while True:
        page = client.list_contacts(["age"], cursor, limit=70)
        seen += [contact.id for contact in page.contacts]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 300
