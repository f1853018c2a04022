"""Run the sandbox in-process on a threaded WSGI server, for tests, the demo and benchmarks.

server = SandboxServer(SandboxConfig(seed_limit=500, webhook_url=url))
base_url = server.start()
...
server.stop()
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.hubspot.app import create_app
from sandbox.hubspot.config import SandboxConfig
from sandbox.hubspot.state import Sandbox


class QuietHandler(WSGIRequestHandler):
    """No line per request: benchmarks send thousands. /_sandbox/requests has the log."""

    # Keep-alive, as clients of HubSpot's API reuse their connections.
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxServer:
    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        mapping: dict[str, str] | None = None,
        log_requests: bool = False,
        **overrides: Any,
    ) -> None:
        """`overrides` are SandboxConfig fields, e.g. SandboxServer(seed_limit=100)."""
        config = config or SandboxConfig()
        self.config = dataclasses.replace(config, **overrides) if overrides else config
        self.host = host
        self.port = port
        self.log_requests = log_requests
        self.sandbox = Sandbox(self.config, mapping)
        self.app = create_app(self.sandbox)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> str:
        """Serve in a background thread; returns the base URL (port 0 picks a free one)."""
        if self._server is not None:
            raise RuntimeError("this sandbox is already serving")
        handler = WSGIRequestHandler if self.log_requests else QuietHandler
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=handler
        )
        self.port = self._server.server_port
        self.sandbox.start()
        # A short poll interval makes stop() quick, which keeps test suites fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="sandbox-http", daemon=True
        )
        self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the CLI)."""
        if self._server is None:
            self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.sandbox.stop()

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what a client needs ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def portal_ids(self) -> list[int]:
        return self.sandbox.portal_ids

    @property
    def private_tokens(self) -> dict[int, str]:
        """Static private-app access token of each portal (never expires)."""
        return dict(self.sandbox.private_tokens)

    # -- controls, the same as /_sandbox/ offers over HTTP --------------------------------

    def set_webhook_url(self, url: str | None) -> None:
        self.sandbox.webhooks.set_target(url)

    def set_faults(self, **knobs: Any) -> dict[str, Any]:
        return self.sandbox.faults.update(knobs)

    def reset_faults(self) -> dict[str, Any]:
        return self.sandbox.faults.reset()

    def stats(self) -> dict[str, Any]:
        return self.sandbox.stats.snapshot()

    def app_writes_by_contact(self) -> dict[str, int]:
        """How many batch-update inputs apps applied to each contact id, since the start."""
        return self.sandbox.stats.app_writes_by_contact()

    def simulate(
        self,
        rate: float,
        duration_s: float | None,
        portal_ids: list[int] | None = None,
        *,
        count: int | None = None,
        properties_per_change: int | None = None,
    ) -> dict[str, Any]:
        """Start simulated edits in the background; see Simulator.start."""
        run = self.sandbox.simulator.start(
            rate,
            duration_s,
            portal_ids or self.portal_ids,
            count=count,
            properties_per_change=properties_per_change,
        )
        return run.to_api()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """True once no webhook is queued, in flight or waiting for a retry."""
        return self.sandbox.webhooks.wait_idle(timeout)

    def authorization_code(
        self, portal_id: int | None = None, redirect_uri: str = "http://localhost/callback"
    ) -> str:
        """A code as the consent page would give, for tests that skip the browser."""
        portal = portal_id or self.portal_ids[0]
        return self.sandbox.tokens.issue_code(portal, redirect_uri, list(self.config.scopes))


def code_from_redirect(location: str) -> tuple[str | None, str | None]:
    """(code, state) from the redirect the authorize endpoint answers with."""
    query = parse_qs(urlsplit(location).query)
    return query.get("code", [None])[0], query.get("state", [None])[0]
