"""HubSpot's error bodies, built in one place so every endpoint answers alike.

https://developers.hubspot.com/docs/api-reference/latest/error-handling
The official client's `StandardError` model wants status, category, message,
context, errors and links, so every body carries all six.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, jsonify


class ApiError(Exception):
    """Raised by a handler; turned into HubSpot's JSON error body by the app."""

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        *,
        context: dict[str, list[str]] | None = None,
        errors: list[dict[str, Any]] | None = None,
        links: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(category, message, context=context, errors=errors, links=links)
        self.body.update(extra or {})


def correlation_id() -> str:
    return str(uuid.uuid4())


def error_body(
    category: str,
    message: str,
    *,
    context: dict[str, list[str]] | None = None,
    errors: list[dict[str, Any]] | None = None,
    links: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": correlation_id(),
        "category": category,
        "context": context or {},
        "errors": errors or [],
        "links": links or {},
    }


def as_response(error: ApiError) -> Response:
    response = jsonify(error.body)
    response.status_code = error.status
    return response


def not_found(message: str = "resource not found") -> ApiError:
    return ApiError(404, "OBJECT_NOT_FOUND", message)


def validation(message: str, **kwargs: Any) -> ApiError:
    return ApiError(400, "VALIDATION_ERROR", message, **kwargs)


def missing_scopes(required: list[str]) -> ApiError:
    return ApiError(
        403,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": required},
            }
        ],
        links={"scopes": "https://developers.hubspot.com/scopes"},
    )


def invalid_authentication() -> ApiError:
    return ApiError(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
    )


def expired_authentication(seconds_ago: int) -> ApiError:
    return ApiError(
        401,
        "EXPIRED_AUTHENTICATION",
        f"The OAuth token used to make this call expired {seconds_ago} second(s) ago.",
    )


def rate_limited(message: str, policy: str) -> ApiError:
    # The 429 body differs from the standard one: errorType and policyName instead
    # of category (usage-details page; hubspot-api-python#117).
    error = ApiError(429, "RATE_LIMITS", message)
    error.body = {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id(),
        "policyName": policy,
        "requestId": correlation_id(),
    }
    return error


def server_error(status: int) -> ApiError:
    return ApiError(status, "INTERNAL_ERROR", "internal error (injected by the sandbox)")
