"""Shared by the sandbox tests: the test app's credentials and HubSpot's own client."""

from __future__ import annotations

from hubspot import HubSpot

from sandbox.hubspot import SandboxServer

SECRET = "test-client-secret"
CLIENT_ID = "test-client-id"


def official_client(server: SandboxServer, token: str | None = None) -> HubSpot:
    """HubSpot's own client, pointed at the sandbox through its `host` setting."""
    token = token or server.private_tokens[server.portal_ids[0]]
    return HubSpot(access_token=token, host=server.base_url)
