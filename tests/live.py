"""Real HTTP for tests: the sandbox CRM and our own app, each on a free port."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class LiveServer:
    """Serve a WSGI app on 127.0.0.1 in a background thread."""

    def __init__(self, app, port: int = 0) -> None:
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
