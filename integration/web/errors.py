"""JSON errors for every failure, so no client ever sees an HTML stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from integration.logs import log_event

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A rejection with one status, one stable code and a message that says what is wrong."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message}}), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "-")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # The exception type only: its text could carry data from the request.
        log_event(logger, "web.unhandled-error", logging.ERROR, error=type(exc).__name__)
        logger.debug("unhandled error", exc_info=exc)
        return error_response(500, "internal-error", "unexpected error; nothing was lost")
