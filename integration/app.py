"""The Flask application factory: it loads configuration and wires the parts."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    from integration.celery_setup import init_celery
    from integration.config import load_config
    from integration.db import db
    from integration.logs import configure_logging
    from integration.web import register_blueprints

    config = load_config(overrides)
    configure_logging(config["LOG_LEVEL"])
    app = Flask(__name__)
    app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = None  # the receiver enforces its own limit
    # The session only carries the OAuth state; Lax lets it come back on the CRM's
    # redirect, and over HTTPS it is never sent in clear.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = str(config["PUBLIC_BASE_URL"] or "").startswith("https")
    db.configure(config["DATABASE_URL"])
    init_celery(config)
    register_blueprints(app)
    return app
