"""The first gates of every webhook receiver: size, content type, raw URI, JSON."""

from __future__ import annotations

import json
from typing import Any

from flask import Request, current_app
from werkzeug.urls import iri_to_uri

from connectors.errors import WebhookRejected


def read_body(request: Request) -> bytes:
    """The raw bytes, refused above WEBHOOK_MAX_BODY_BYTES before reading them all."""
    limit = current_app.config["WEBHOOK_MAX_BODY_BYTES"]
    too_large = WebhookRejected(413, "body-too-large", f"body is larger than {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise too_large
    return body


def require_json(request: Request) -> None:
    if request.mimetype != "application/json":
        raise WebhookRejected(
            415, "unsupported-media-type", "Content-Type must be application/json"
        )


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookRejected(400, "malformed-json", "body is not valid UTF-8 JSON") from exc


def public_uri(request: Request) -> str:
    """The URI the sender called, as it wrote it, for signatures that cover the URI.

    Behind a proxy or TLS terminator our own view of scheme and host is wrong, so
    PUBLIC_BASE_URL (e.g. https://scoring.example.com) replaces it when set.
    """
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")
    return base + raw_path(request)


def raw_path(request: Request) -> str:
    environ = request.environ
    # gunicorn and werkzeug keep the request line's target untouched here.
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw
    path = iri_to_uri(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path
