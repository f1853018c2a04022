"""Health endpoints for load balancers and operators."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from integration.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def liveness():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readiness():
    try:
        with db.transaction() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        return jsonify({"status": "unavailable", "database": type(exc).__name__}), 503
    return jsonify({"status": "ok", "database": "ok"})
