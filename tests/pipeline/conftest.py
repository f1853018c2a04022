"""Fixtures for the whole main job: sandbox CRM, our web app, a real worker."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from integration.crypto import KeyRing
from integration.db import db
from integration.install import complete_install
from integration.models import WebhookEvent
from tests.workers import Worker

REDIRECT = "http://localhost/callback"


@pytest.fixture
def pipeline_overrides(sandbox_overrides) -> dict:
    return {**sandbox_overrides, "DEBOUNCE_S": 0.5, "SWEEP_PENDING_AFTER_S": 2}


@pytest.fixture
def pipeline(pipeline_overrides, sandbox, monkeypatch, tmp_path):
    """The web app on real HTTP receiving the sandbox's webhooks, and an installation."""
    from connectors.registry import get_connector
    from integration.app import create_app
    from integration.ports import free_port
    from tests.live import LiveServer

    monkeypatch.setenv("HOLISTICRM_HOME", str(tmp_path / "home"))
    port = free_port()
    pipeline_overrides = {**pipeline_overrides, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    app = create_app(pipeline_overrides)
    server = LiveServer(app, port).start()
    sandbox.set_webhook_url(f"{server.url}/webhooks/hubspot")
    connector = get_connector("hubspot", app.config)
    keyring = KeyRing(app.config["ENCRYPTION_KEYS"])
    code = sandbox.authorization_code(redirect_uri=REDIRECT)
    outcome = complete_install(connector, keyring, code, REDIRECT)
    yield {
        "app": app,
        "url": server.url,
        "installation_id": outcome.installation_id,
        "config": {**pipeline_overrides, "PUBLIC_BASE_URL": server.url},
    }
    server.stop()


@pytest.fixture
def worker(pipeline, tmp_path):
    started = Worker(pipeline["config"], tmp_path / "home").start()
    yield started
    started.stop()


class Crm:
    """The sandbox seen through its API with the portal's private-app token."""

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox
        portal = sandbox.portal_ids[0]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {sandbox.private_tokens[portal]}"
        self.base = sandbox.base_url
        self.own_updates = 0

    def ids(self, count: int) -> list[str]:
        answer = self.session.get(
            f"{self.base}/crm/v3/objects/contacts", params={"limit": count}, timeout=10
        ).json()
        return [item["id"] for item in answer["results"]]

    def update(self, changes: dict[str, dict[str, str]]) -> None:
        inputs = [{"id": cid, "properties": props} for cid, props in changes.items()]
        answer = self.session.post(
            f"{self.base}/crm/v3/objects/contacts/batch/update", json={"inputs": inputs}, timeout=10
        )
        answer.raise_for_status()
        self.own_updates += 1
        # A 207 means some records were refused: the test's change did not happen.
        assert answer.status_code == 200, answer.json().get("errors")

    def read(self, ids: list[str], properties: list[str]) -> dict[str, dict]:
        body = {"inputs": [{"id": cid} for cid in ids], "properties": properties}
        answer = self.session.post(
            f"{self.base}/crm/v3/objects/contacts/batch/read", json=body, timeout=10
        ).json()
        return {item["id"]: item["properties"] for item in answer["results"]}

    def batch_updates(self) -> int:
        return sum(
            count
            for key, count in self.sandbox.stats()["requests"].items()
            if key.startswith("POST ")
            and key.split(" ")[1].endswith("/batch/update")
            and key.split(" ")[2].startswith("2")
        )

    def app_writes(self) -> int:
        """Batch updates made by our app: all of them but the test's own."""
        return self.batch_updates() - self.own_updates


@pytest.fixture
def crm(sandbox) -> Crm:
    return Crm(sandbox)


def event_counts() -> dict[str, int]:
    with db.transaction() as session:
        rows = session.execute(
            select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)
        ).all()
    return dict(rows)
