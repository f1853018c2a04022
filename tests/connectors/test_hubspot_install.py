"""The marketplace install against the sandbox, through a real browser-like client."""

from __future__ import annotations

import re

import requests
from click.testing import CliRunner
from sqlalchemy import func, select

from connectors.hubspot import quirks
from integration.db import db
from integration.models import Installation


def installations() -> list[Installation]:
    with db.transaction() as session:
        return list(session.scalars(select(Installation)))


def install(app_url: str) -> requests.Response:
    browser = requests.Session()
    return browser.get(f"{app_url}/install/hubspot", timeout=30)


def sandbox_properties(sandbox) -> set[str]:
    portal = sandbox.portal_ids[0]
    token = sandbox.private_tokens[portal]
    answer = requests.get(
        f"{sandbox.base_url}/crm/v3/properties/contacts",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return {item["name"] for item in answer.json()["results"]}


def test_install_creates_one_installation_and_the_score_fields(live_app, sandbox):
    _, url = live_app
    page = install(url)
    assert page.status_code == 200, page.text
    assert "is connected to your HubSpot account" in page.text
    assert "now installed" in page.text
    [installation] = installations()
    assert installation.external_account_id == str(sandbox.portal_ids[0])
    assert installation.status == "active"
    assert {field.name for field in quirks.SCORE_FIELDS} <= sandbox_properties(sandbox)


def test_a_second_install_changes_nothing(live_app, sandbox):
    _, url = live_app
    install(url)
    first = installations()[0]
    creations = property_creations(sandbox)
    page = install(url)
    assert page.status_code == 200
    assert "already installed" in page.text
    assert "were already there" in page.text
    [again] = installations()
    assert again.id == first.id
    assert property_creations(sandbox) == creations


def property_creations(sandbox) -> int:
    stats = sandbox.stats()["requests"]
    return sum(
        count
        for key, count in stats.items()
        if key.startswith("POST ") and "propert" in key and " 2" in key
    )


def test_tokens_are_unreadable_in_the_database(live_app, sandbox, database_url):
    _, url = live_app
    install(url)
    tokens = issued_tokens(sandbox)
    assert tokens
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        db.engine.dispose()  # flush WAL so the file holds everything
        with open(path, "rb") as handle:
            raw = handle.read()
        for token in tokens:
            assert token.encode() not in raw
    with db.transaction() as session:
        row = session.scalars(select(Installation)).one()
        stored = (row.access_token_enc or "") + (row.refresh_token_enc or "")
        assert stored and all(token not in stored for token in tokens)
        assert session.scalar(select(func.count()).select_from(Installation)) == 1


def issued_tokens(sandbox) -> list[str]:
    store = sandbox.sandbox.tokens
    found = []
    for name in ("access", "refresh"):
        found.extend(getattr(store, name, {}).keys())
    return [token for token in found if isinstance(token, str)]


def test_denied_consent_ends_on_a_clear_page(live_app):
    _app, url = live_app
    browser = requests.Session()
    # Start the flow so that a state exists, then come back with an error as HubSpot would.
    browser.get(f"{url}/install/hubspot", allow_redirects=False, timeout=10)
    page = browser.get(f"{url}/oauth/hubspot/callback?error=access_denied", timeout=10)
    assert page.status_code == 400
    assert "Access was not granted" in page.text
    assert installations() == []


def test_missing_wrong_and_reused_state_are_refused(live_app, sandbox):
    _, url = live_app
    browser = requests.Session()
    start = browser.get(f"{url}/install/hubspot", allow_redirects=False, timeout=10)
    consent = browser.get(start.headers["Location"], allow_redirects=False, timeout=10)
    callback = consent.headers["Location"]
    assert "code=" in callback
    no_state = re.sub(r"([?&])state=[^&]*", r"\1", callback)
    assert browser.get(no_state, timeout=10).status_code == 400
    # That attempt used up the session's state: even the right callback is now refused.
    assert browser.get(callback, timeout=10).status_code == 400
    start = browser.get(f"{url}/install/hubspot", allow_redirects=False, timeout=10)
    consent = browser.get(start.headers["Location"], allow_redirects=False, timeout=10)
    callback = consent.headers["Location"]
    wrong = re.sub(r"state=[^&]*", "state=forged", callback)
    assert browser.get(wrong, timeout=10).status_code == 400
    assert installations() == []
    # Another browser (no session cookie) cannot complete this admin's install.
    assert requests.get(callback, timeout=10).status_code == 400


def test_a_bad_code_ends_on_a_clear_page(live_app):
    _, url = live_app
    browser = requests.Session()
    start = browser.get(f"{url}/install/hubspot", allow_redirects=False, timeout=10)
    state = re.search(r"state=([^&]+)", start.headers["Location"]).group(1)
    page = browser.get(f"{url}/oauth/hubspot/callback?code=bogus&state={state}", timeout=10)
    assert page.status_code == 400
    assert "could not be completed" in page.text
    assert "Traceback" not in page.text


def test_installations_list_shows_the_installation(live_app, sandbox, monkeypatch):
    app, url = live_app
    install(url)
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    from integration.cli import main

    result = CliRunner().invoke(main, ["installations", "list"])
    assert result.exit_code == 0, result.output
    assert str(sandbox.portal_ids[0]) in result.output
    assert "active" in result.output


def test_install_without_configuration_explains_instead_of_failing(client, app):
    app.config["HUBSPOT_CLIENT_ID"] = None
    from connectors import registry

    registry._cache.clear()
    page = client.get("/install/hubspot")
    assert page.status_code == 503
    assert b"HUBSPOT_CLIENT_ID is not configured" in page.data
