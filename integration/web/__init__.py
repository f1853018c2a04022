"""Blueprints of the web process, one module each."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from integration.web import errors, health, oauth, webhooks

    errors.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(oauth.bp)
